/**
 * Serializable references (Monarch hyperactor/src/reference.rs `ActorRef`, `PortRef`, `OncePortRef`): `ActorRef<A>`, `PortRef<T>`, `OncePortRef<T>`.
 *
 * Invariants:
 * - A ref is plain data (ids + flags): it can be put inside messages, sent to other processes and
 *   used there. Sending through a ref always serializes the message into an envelope, even when
 *   the destination is in the same process.
 * - `ActorRef.send` addresses the typed handler port `portIndexOf(msg.type)`, which is the same
 *   index in every process.
 * - `ask` opens a once port on the caller; the handler finds a `OncePortRef` to it in the
 *   message's `reply` field; the ask resolves with the single reply or rejects with
 *   `TimeoutError`. That ref has `returnUndeliverable = false`: a reply arriving after the
 *   timeout is dropped instead of failing the replying actor
 *   (docs/architecture.md ACT-3). The ref travels as the envelope's
 *   `replyPort` (an index of the sender's ports), not in the payload: the destination mailbox
 *   puts it back into the decoded message (mailbox/payload.ts `decodeEnvelopePayload`).
 */
import { ActorId, PortId, parseActorId } from '../core/ids.js';
import { portIndexOf } from '../core/typeinfo.js';
import type { Headers } from '../mailbox/envelope.js';
import { setAskReplyFactory } from '../mailbox/payload.js';
import type { ReducerOpts, ReducerSpec } from '../mailbox/accum.js';
import { registerBindable, registerCodecClass } from '../core/codec.js';
import { DeserializationError } from '../core/codec-errors.js';
import { registerLayout } from '../core/fast-codec.js';
import type { Actor, AskableOf, MessageOf } from './actor.js';
import type { Context } from './instance.js';

export interface SendOptions {
  headers?: Headers;
  /** false: if undeliverable, drop instead of returning to (and by default failing) the sender. */
  returnUndeliverable?: boolean;
}

export interface AskOptions extends SendOptions {
  /** Reject with `TimeoutError` after this long (default 30 s). */
  timeoutMs?: number;
}

export const DEFAULT_ASK_TIMEOUT_MS = 30_000;
/** The largest once-port index an envelope's reply port carries (u32 on the wire, 2^32-1 = none). */
const MAX_REPLY_PORT = 0xfffffffe;

/** The reply type of a message with a `reply: OncePortRef<R> | PortRef<R>` field. */
export type ReplyOf<M> = M extends { reply: OncePortRef<infer R> } ? R : M extends { reply: PortRef<infer R> } ? R : never;

/** A message of `A` with type `K`, minus its `reply` field (which `ask` fills in). */
export type AskMessage<A, K extends string> = Omit<Extract<AskableOf<A>, { type: K }>, 'reply'> & { type: K };

/** A typed, serializable reference to a port. */
export class PortRef<T> {
  readonly portId: PortId;
  /** Type name put on envelopes sent to this port. */
  readonly typeName: string;
  /** Reducer that relaying hops may use to pre-reduce (accumulating ports). */
  readonly reducerSpec: ReducerSpec | undefined;
  readonly reducerOpts: ReducerOpts | undefined;
  /** Whether messages sent through this ref come back to the sender when undeliverable. */
  readonly returnUndeliverable: boolean;
  /** Phantom (contravariant: a port accepting A | B can stand for a port of A). */
  declare readonly __type?: (msg: T) => void;

  constructor(portId: PortId, typeName = 'port', opts: { reducerSpec?: ReducerSpec; reducerOpts?: ReducerOpts; returnUndeliverable?: boolean } = {}) {
    this.portId = portId;
    this.typeName = typeName;
    this.reducerSpec = opts.reducerSpec;
    this.reducerOpts = opts.reducerOpts;
    this.returnUndeliverable = opts.returnUndeliverable ?? true;
  }

  /** "Trust me": a ref to an existing port id. */
  static attest<T>(portId: PortId, typeName = 'port'): PortRef<T> {
    return new PortRef<T>(portId, typeName);
  }

  /** The same ref with `returnUndeliverable` set to `flag` (replies to possibly dead peers use false). */
  withReturnUndeliverable(flag: boolean): PortRef<T> {
    return new PortRef<T>(this.portId, this.typeName, {
      reducerSpec: this.reducerSpec,
      reducerOpts: this.reducerOpts,
      returnUndeliverable: flag,
    });
  }

  /** Serializes `msg` and posts it to the port as `cx`'s actor. */
  send(cx: Context, msg: T, opts?: SendOptions): void {
    cx.mailbox.sendMessage(this.portId, this.typeName, msg, opts?.headers, this.returnUndeliverable && opts?.returnUndeliverable !== false);
  }

  toString(): string {
    return `PortRef(${this.portId})`;
  }
}

/** A typed, serializable reference to a once port (never split by casting). */
export class OncePortRef<T> {
  readonly portId: PortId;
  readonly typeName: string;
  readonly returnUndeliverable: boolean;
  /** Phantom (contravariant: a port accepting A | B can stand for a port of A). */
  declare readonly __type?: (msg: T) => void;
  constructor(portId: PortId, typeName = 'reply', returnUndeliverable = true) {
    this.portId = portId;
    this.typeName = typeName;
    this.returnUndeliverable = returnUndeliverable;
  }
  withReturnUndeliverable(flag: boolean): OncePortRef<T> {
    return new OncePortRef<T>(this.portId, this.typeName, flag);
  }
  /** Sends the single reply. */
  send(cx: Context, msg: T, opts?: SendOptions): void {
    cx.mailbox.sendMessage(this.portId, this.typeName, msg, opts?.headers, this.returnUndeliverable && opts?.returnUndeliverable !== false);
  }
  toString(): string {
    return `OncePortRef(${this.portId})`;
  }
}

/** A typed, serializable reference to an actor. */
export class ActorRef<A extends Actor<any, any>> {
  readonly actorId: ActorId;
  private ports: Map<string, PortId> | undefined;
  /** One-entry cache in front of `ports` (senders mostly repeat one message type). */
  private lastType: string | undefined;
  private lastPort: PortId | undefined;
  declare readonly __actor?: A;
  constructor(actorId: ActorId) {
    this.actorId = actorId;
  }

  /** "Trust me": a ref to an actor of type A with this id. */
  static attest<A extends Actor<any, any>>(actorId: ActorId | string): ActorRef<A> {
    return new ActorRef<A>(typeof actorId === 'string' ? parseActorId(actorId) : actorId);
  }

  /** The typed handler port of message type `type`. */
  portId(type: string): PortId {
    if (type === this.lastType) return this.lastPort!;
    const p = this.portIdOf(type);
    this.lastType = type;
    this.lastPort = p;
    return p;
  }

  private portIdOf(type: string): PortId {
    const ports = (this.ports ??= new Map());
    let p = ports.get(type);
    if (p === undefined) {
      p = new PortId(this.actorId, portIndexOf(type));
      ports.set(type, p);
    }
    return p;
  }

  /** A PortRef to the handler port of message type `type`. */
  port<K extends MessageOf<A>['type']>(type: K): PortRef<Extract<MessageOf<A>, { type: K }>> {
    return new PortRef(this.portId(type), type);
  }

  /** Serializes `msg` into an envelope to the actor's handler port for `msg.type`. */
  send(cx: Context, msg: MessageOf<A>, opts?: SendOptions): void {
    const type = (msg as { type: string }).type;
    cx.mailbox.sendMessage(this.portId(type), type, msg, opts?.headers, opts?.returnUndeliverable);
  }

  /**
   * Request/response: sends `msg` with a fresh once port in its `reply` field and resolves with the
   * reply; rejects with `TimeoutError` after `timeoutMs` (default 30 s).
   */
  ask<K extends AskableOf<A>['type']>(cx: Context, msg: AskMessage<A, K>, opts?: AskOptions): Promise<ReplyOf<Extract<AskableOf<A>, { type: K }>>> {
    type R = ReplyOf<Extract<AskableOf<A>, { type: K }>>;
    const rx = cx.mailbox.openOnceReceiver<R>();
    try {
      const type = (msg as { type: string }).type;
      const index = rx.portId.smallIndex;
      if (Object.hasOwn(msg, 'reply') || index < 0 || index > MAX_REPLY_PORT) {
        // The message already names a `reply` field (replaced in the payload, in place), or
        // the index does not fit the envelope's 32-bit reply port: the ref goes in the payload.
        // A late reply (after the timeout closed the port) must not fail the replying actor.
        this.send(cx, withReply(msg as object, new OncePortRef<R>(rx.portId, 'reply', false)) as unknown as MessageOf<A>, opts);
      } else {
        // The reply port travels in the envelope (`replyPort`), not in the payload: the
        // destination rebuilds the same `OncePortRef(…, 'reply', false)` (see envelope.ts).
        cx.mailbox.sendMessage(this.portId(type), type, msg, opts?.headers, opts?.returnUndeliverable, index);
      }
    } catch (e) {
      rx.close();
      return Promise.reject(e);
    }
    return rx.recv(opts?.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS);
  }

  /** Alias of `ask`. */
  call<K extends AskableOf<A>['type']>(cx: Context, msg: AskMessage<A, K>, opts?: AskOptions): Promise<ReplyOf<Extract<AskableOf<A>, { type: K }>>> {
    return this.ask(cx, msg, opts);
  }

  equals(other: unknown): boolean {
    return other instanceof ActorRef && other.actorId.equals(this.actorId);
  }

  toString(): string {
    return `ActorRef(${this.actorId})`;
  }
}

/**
 * `{...msg, reply}` without the spread: in V8 (Node 20) a spread followed by another property
 * builds a dictionary-mode object (~0.5 µs, and every later property walk is slow too). Copies the
 * own enumerable string keys in order, then sets `reply` (in place if `msg` already had one), as
 * the spread does; symbol keys are not serialized, so they are not copied.
 */
function withReply(msg: object, reply: unknown): object {
  const out: Record<string, unknown> = {};
  for (const k in msg) {
    if (!Object.hasOwn(msg, k)) continue;
    if (k === '__proto__') return { ...msg, reply }; // an own "__proto__" key must stay a plain key
    out[k] = (msg as Record<string, unknown>)[k];
  }
  out.reply = reply;
  return out;
}

// --- Serialization -------------------------------------------------------------------------

const actorIdCache = new Map<string, ActorId>();
let lastKey: string | undefined;
let lastActorId: ActorId | undefined;
/** Parses an actor id key, caching recent ones (refs in messages repeat a lot). */
function actorIdOf(key: string): ActorId {
  if (key === lastKey) return lastActorId!; // decoded keys are interned strings: usually one compare
  let a = actorIdCache.get(key);
  if (a === undefined) {
    a = parseActorId(key);
    if (actorIdCache.size > 10_000) actorIdCache.clear();
    actorIdCache.set(key, a);
  }
  lastKey = key;
  lastActorId = a;
  return a;
}

/** A port index for the wire: a number below 2^53 (no BigInt conversion: `smallIndex`), else the bigint. */
function indexOut(p: PortId): number | bigint {
  const n = p.smallIndex;
  return n >= 0 ? n : p.index;
}

/** A serialized port index, as `PortId` takes it (numbers stay numbers). */
function indexIn(v: unknown): bigint | number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  throw new DeserializationError('port ref', `bad port index ${String(v)} (expected a non-negative integer)`);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new DeserializationError('ref', `bad ${what} (expected a string, got ${typeof v})`);
  return v;
}

registerCodecClass<ActorRef<any>>({
  tag: 'ActorRef',
  Class: ActorRef,
  toValue: (r) => r.actorId.key,
  fromValue: (p) => new ActorRef(actorIdOf(str(p, 'actor id'))),
});

/** PortRef is bindable: casting extracts it into the bindings so hops can split it. */
registerBindable<PortRef<unknown>>({
  tag: 'PortRef',
  Class: PortRef,
  extract: (r) => [r.portId.actor.key, indexOut(r.portId), r.typeName, r.returnUndeliverable, r.reducerSpec ?? null, r.reducerOpts ?? null],
  rebind: (p) => {
    const a = p as unknown[];
    if (!Array.isArray(a)) throw new DeserializationError('PortRef', 'expected an array');
    const port = new PortId(actorIdOf(str(a[0], 'actor id')), indexIn(a[1]));
    return new PortRef(port, str(a[2], 'type name'), {
      returnUndeliverable: a[3] !== false,
      reducerSpec: (a[4] ?? undefined) as ReducerSpec | undefined,
      reducerOpts: (a[5] ?? undefined) as ReducerOpts | undefined,
    });
  },
});

/** OncePortRef is never split: always encoded inline. */
registerCodecClass<OncePortRef<unknown>>({
  tag: 'OncePortRef',
  Class: OncePortRef,
  toValue: (r) => [r.portId.actor.key, indexOut(r.portId), r.typeName, r.returnUndeliverable],
  fromValue: (p) => {
    const a = p as unknown[];
    if (!Array.isArray(a)) throw new DeserializationError('OncePortRef', 'expected an array');
    return new OncePortRef(new PortId(actorIdOf(str(a[0], 'actor id')), indexIn(a[1])), str(a[2], 'type name'), a[3] !== false);
  },
});

// The `reply` field of an ask whose reply port travelled in the envelope (ActorRef.ask).
setAskReplyFactory((sender, index) => new OncePortRef(new PortId(sender, index), 'reply', false));

/**
 * Kind numbers of the refs' fixed layouts on the payload fast path (the byte after 0x0e, see
 * core/fast-codec.ts). Part of the wire format: never renumber, never reuse.
 */
export const LAYOUT_KIND = { OncePortRef: 1, ActorRef: 2 } as const;

// Fixed layouts on the payload fast path (fast-codec.ts): no intermediate array, no class tag
// string, the actor id as a cached byte copy on both sides. Refs these cannot express (an index
// of 2^32 or more) take the generic forms above.
registerLayout<OncePortRef<unknown>>(
  LAYOUT_KIND.OncePortRef,
  OncePortRef,
  (r, w) => w.actorId(r.portId.actor) && w.u32(r.portId.smallIndex) && w.str(r.typeName) && w.bool(r.returnUndeliverable),
  (rd) => {
    const actor = rd.actorId();
    const index = rd.u32();
    return new OncePortRef(new PortId(actor, index), rd.str(), rd.bool());
  },
);
registerLayout<ActorRef<any>>(
  LAYOUT_KIND.ActorRef,
  ActorRef,
  (r, w) => w.actorId(r.actorId),
  (rd) => new ActorRef(rd.actorId()),
);
