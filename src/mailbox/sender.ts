/**
 * `MailboxSender`: anything that accepts envelopes (Monarch hyperactor/src/mailbox.rs `MailboxSender`) — mailboxes, procs,
 * routers, network clients (`src/mailbox/client.ts`), queueing senders.
 *
 * Invariant: `post` is the hop entry point and applies the TTL policy exactly once (decrement; a
 * TTL already at 0 makes the envelope undeliverable with `TtlExpired`)
 * (docs/architecture.md MB-2), then calls
 * `postUnchecked`. Implementations put their routing in `postUnchecked` and never throw for
 * delivery failures: they call `envelope.undeliverable(err, returnHandle)` instead. A shortcut
 * past pure-routing hops (`DirectRouter`) must charge the TTL of every hop it skips and take the
 * ordinary path whenever the TTL would run out on the way.
 */
import type { ActorId } from '../core/ids.js';
import { MessageEnvelope, type ReturnHandle, abandoned } from './envelope.js';

export type { ReturnHandle } from './envelope.js';

export interface MailboxSender {
  /** Hop entry: TTL check/decrement, then `postUnchecked`. */
  post(envelope: MessageEnvelope, returnHandle: ReturnHandle): void;
  /** Raw delivery/forwarding without the TTL policy. */
  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void;
}

/**
 * Optional capability of a forwarder (a `Proc`): `directRoute(dest)` names the sender `s` such
 * that, for every envelope addressed to actor `dest`, `forwarder.post(env, rh)` is exactly
 * `DIRECT_ROUTE_HOPS` TTL hops that only route (no side effects besides the TTL decrement, the
 * first hop that finds the TTL at 0 failing with `TtlExpired`), followed by `s.post(env, rh)`.
 * Returns undefined whenever that does not hold (other proc, no binding, overridden routing).
 * Mailboxes use it to skip the intermediate calls for same-process delivery while applying the
 * same TTL decrements (see `Mailbox.postUnchecked`).
 */
export interface DirectRouter {
  directRoute(dest: ActorId): MailboxSender | undefined;
}

/** Routing hops covered by `DirectRouter.directRoute` (proc → muxer). */
export const DIRECT_ROUTE_HOPS = 2;

/** True when `s.post` is the standard TTL hop (`BaseMailboxSender.post`, not overridden). */
export function hasStandardPost(s: MailboxSender): boolean {
  return s.post === BASE_POST;
}

/** The TTL hop policy of `MailboxSender.post`, usable by any implementation. */
export function postWithTtl(sender: MailboxSender, envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
  const err = envelope.decrementTtl();
  if (err !== undefined) {
    envelope.undeliverable(err, returnHandle);
    return;
  }
  sender.postUnchecked(envelope, returnHandle);
}

/** Base class supplying `post` with the TTL policy; subclasses implement `postUnchecked`. */
export abstract class BaseMailboxSender implements MailboxSender {
  post(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const err = envelope.decrementTtl();
    if (err !== undefined) {
      envelope.undeliverable(err, returnHandle);
      return;
    }
    this.postUnchecked(envelope, returnHandle);
  }
  abstract postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void;
}

const BASE_POST = BaseMailboxSender.prototype.post;

/** A sender that routes nowhere: every envelope becomes undeliverable with `Unroutable`. */
export class UnroutableSender extends BaseMailboxSender {
  constructor(private readonly why = 'no route to destination') {
    super();
  }
  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    envelope.fail('Unroutable', `${this.why}: ${envelope.dest}`, returnHandle);
  }
}

/** The default `Unroutable` sender. */
export const UNROUTABLE: MailboxSender = new UnroutableSender();

/** A return handle that only logs (Monarch's fallback when no undeliverable port is bound). */
export const LOG_RETURN_HANDLE: ReturnHandle = {
  returnUndeliverable(envelope: MessageEnvelope): void {
    abandoned(envelope);
  },
};

/** A return handle that calls a function with each returned envelope. */
export function returnHandleOf(fn: (envelope: MessageEnvelope) => void): ReturnHandle {
  return { returnUndeliverable: fn };
}

/**
 * Queues everything until `configure(sender)` installs the real sender, then flushes the queue in
 * order and forwards directly (Monarch's `ReconfigurableMailboxSender`). Configure only once: a
 * second `configure` returns false and changes nothing.
 */
export class QueueingSender extends BaseMailboxSender {
  private target: MailboxSender | undefined;
  private queue: Array<[MessageEnvelope, ReturnHandle]> | undefined = [];

  get isConfigured(): boolean {
    return this.target !== undefined;
  }

  configure(sender: MailboxSender): boolean {
    if (this.target !== undefined) return false;
    this.target = sender;
    const q = this.queue!;
    this.queue = undefined;
    for (const [env, rh] of q) sender.postUnchecked(env, rh);
    return true;
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    if (this.target !== undefined) this.target.postUnchecked(envelope, returnHandle);
    else this.queue!.push([envelope, returnHandle]);
  }
}
