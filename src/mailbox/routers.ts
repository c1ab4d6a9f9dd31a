/**
 * Routers (Monarch hyperactor/src/mailbox.rs `MailboxRouter`, `DialMailboxRouter`): the muxer (ActorId → mailbox), the in-memory prefix router,
 * and the dialing router with an address book.
 *
 * Invariants:
 * - Prefix routing picks the LONGEST matching prefix: among bound references that `isPrefixOf`
 *   the destination actor, the greatest in the id order (a proc sorts after its world, an actor
 *   after its proc), found by predecessor search in a sorted table.
 * - `DialMailboxRouter` keeps at most one client per channel address (so per-destination FIFO
 *   holds); rebinding an entry to another address evicts the old client. A client that reports
 *   itself `stale` (the reverse direction of a duplex session that ended, or a session lost to a
 *   server restart: every message it held was returned) is replaced by a fresh dial.
 * - Nothing here throws for an unroutable envelope: it becomes undeliverable (`Unroutable`) or
 *   goes to the configured default sender (docs/architecture.md MB-3).
 */
import type { LinkState } from '../channel/index.js';
import type { ActorId, ProcId, Reference } from '../core/ids.js';
import { compareReferences, isPrefixOf } from '../core/ids.js';
import type { MessageEnvelope, ReturnHandle } from './envelope.js';
import { MailboxError } from './errors.js';
import { BaseMailboxSender, type MailboxSender, UNROUTABLE } from './sender.js';

/** ActorId → sender (normally a `Mailbox`), exact match only. */
export class MailboxMuxer extends BaseMailboxSender {
  private readonly table = new Map<string, MailboxSender>();
  /** One-entry cache of `get` by ActorId object (senders repeat destinations); reset on every change. */
  private lastActor: ActorId | undefined;
  private lastSender: MailboxSender | undefined;

  /** Binds an actor; returns false if the actor is already bound. */
  bind(actor: ActorId, sender: MailboxSender): boolean {
    if (this.table.has(actor.key)) return false;
    this.table.set(actor.key, sender);
    this.lastActor = this.lastSender = undefined;
    return true;
  }
  unbind(actor: ActorId): void {
    this.table.delete(actor.key);
    this.lastActor = this.lastSender = undefined;
  }
  has(actor: ActorId): boolean {
    return this.table.has(actor.key);
  }
  get(actor: ActorId): MailboxSender | undefined {
    if (actor === this.lastActor) return this.lastSender;
    const s = this.table.get(actor.key);
    if (s !== undefined) {
      this.lastActor = actor;
      this.lastSender = s;
    }
    return s;
  }
  get size(): number {
    return this.table.size;
  }
  postUnchecked(env: MessageEnvelope, returnHandle: ReturnHandle): void {
    const s = this.get(env.dest.actor);
    if (s === undefined) env.fail('Unroutable', `no mailbox for actor ${env.dest.actor} in this proc`, returnHandle);
    else s.post(env, returnHandle);
  }
}

/** A sorted table of (reference, value) with longest-prefix lookup. */
export class PrefixTable<V> {
  private keys: Reference[] = [];
  private vals: V[] = [];
  /**
   * One-entry cache of `lookup` by reference object (senders repeat destinations: a mesh's
   * members are the same id objects cast after cast); cleared on every change of the table.
   */
  private lastRef: Reference | undefined;
  private lastHit: [Reference, V] | undefined;

  /** Index of the first key ≥ ref. */
  private lowerBound(ref: Reference): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareReferences(this.keys[mid]!, ref) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  set(ref: Reference, v: V): V | undefined {
    this.lastRef = this.lastHit = undefined;
    const i = this.lowerBound(ref);
    if (i < this.keys.length && compareReferences(this.keys[i]!, ref) === 0) {
      const old = this.vals[i];
      this.vals[i] = v;
      return old;
    }
    this.keys.splice(i, 0, ref);
    this.vals.splice(i, 0, v);
    return undefined;
  }
  get(ref: Reference): V | undefined {
    const i = this.lowerBound(ref);
    return i < this.keys.length && compareReferences(this.keys[i]!, ref) === 0 ? this.vals[i] : undefined;
  }
  delete(ref: Reference): V | undefined {
    this.lastRef = this.lastHit = undefined;
    const i = this.lowerBound(ref);
    if (i < this.keys.length && compareReferences(this.keys[i]!, ref) === 0) {
      const v = this.vals[i];
      this.keys.splice(i, 1);
      this.vals.splice(i, 1);
      return v;
    }
    return undefined;
  }
  /** Removes every entry that `prefix` prefixes (including `prefix` itself); returns the values. */
  deleteUnder(prefix: Reference): V[] {
    this.lastRef = this.lastHit = undefined;
    const out: V[] = [];
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const k = this.keys[i]!;
      if (compareReferences(k, prefix) === 0 || isPrefixOf(prefix, k)) {
        out.push(this.vals[i]!);
        this.keys.splice(i, 1);
        this.vals.splice(i, 1);
      }
    }
    return out;
  }
  /**
   * The value of the longest bound prefix of `ref`: scan predecessors (≤ ref) from the nearest;
   * the first that prefixes `ref` is the longest, since a longer prefix sorts after a shorter one.
   */
  lookup(ref: Reference): [Reference, V] | undefined {
    if (ref === this.lastRef) return this.lastHit;
    const hit = this.find(ref);
    this.lastRef = ref;
    this.lastHit = hit;
    return hit;
  }
  private find(ref: Reference): [Reference, V] | undefined {
    let i = this.lowerBound(ref);
    if (i < this.keys.length && compareReferences(this.keys[i]!, ref) === 0) return [this.keys[i]!, this.vals[i]!];
    for (i = i - 1; i >= 0; i--) {
      const k = this.keys[i]!;
      if (isPrefixOf(k, ref)) return [k, this.vals[i]!];
    }
    return undefined;
  }
  entries(): Array<[Reference, V]> {
    return this.keys.map((k, i) => [k, this.vals[i]!]);
  }
  get size(): number {
    return this.keys.length;
  }
  /** The bound references not covered by another bound reference (Monarch's `prefixes()`). */
  prefixes(): Reference[] {
    const out: Reference[] = [];
    for (const k of this.keys) {
      const last = out[out.length - 1];
      if (last !== undefined && isPrefixOf(last, k)) continue;
      out.push(k);
    }
    return out;
  }
}

/** In-memory prefix router with an optional fallback (Monarch's `MailboxRouter`). */
export class MailboxRouter extends BaseMailboxSender {
  private readonly table = new PrefixTable<MailboxSender>();
  /** Where envelopes go when no prefix matches (default: undeliverable `Unroutable`). */
  fallback: MailboxSender;
  constructor(fallback: MailboxSender = UNROUTABLE) {
    super();
    this.fallback = fallback;
  }
  bind(prefix: Reference, sender: MailboxSender): void {
    this.table.set(prefix, sender);
  }
  unbind(prefix: Reference): void {
    this.table.delete(prefix);
  }
  prefixes(): Reference[] {
    return this.table.prefixes();
  }
  /** The sender for `ref` (longest prefix), if any. */
  route(ref: Reference): MailboxSender | undefined {
    return this.table.lookup(ref)?.[1];
  }
  postUnchecked(env: MessageEnvelope, returnHandle: ReturnHandle): void {
    const hit = this.table.lookup(env.dest.actor);
    if (hit !== undefined) hit[1].post(env, returnHandle);
    else this.fallback.post(env, returnHandle);
  }
}

/** Opens a sender to a channel address (the channels layer supplies it: a `MailboxClient`). */
export type Dialer = (addr: string) => MailboxSender;

let defaultDialer: Dialer | undefined;
/** Installs the process-wide dialer used by `DialMailboxRouter`s created without one. */
export function setDefaultDialer(d: Dialer | undefined): void {
  defaultDialer = d;
}

/** A sender that can be closed (network clients). */
interface Closable {
  close?(): unknown;
  abort?(reason?: string): unknown;
  /** True when the client is closed but a fresh dial may work (an ended duplex reverse direction, a restarted server). */
  readonly stale?: boolean;
  /** The state of the client's network link (MailboxClient.linkState). */
  linkState?(): LinkState | undefined;
}

/**
 * Address-book router (Monarch's `DialMailboxRouter`): longest-prefix lookup of the destination in
 * an address book of reference → channel address; a cached client per address; direct proc ids
 * with no entry are dialed at their embedded address; else the default sender.
 */
export class DialMailboxRouter extends BaseMailboxSender {
  private readonly book = new PrefixTable<string>();
  private readonly clients = new Map<string, MailboxSender>();
  private readonly dialer: Dialer | undefined;
  /** Where envelopes go with no route (default: undeliverable `Unroutable`). */
  defaultSender: MailboxSender;
  /** Only dial direct proc ids whose transport is remote (tcp). */
  readonly directAddressedRemoteOnly: boolean;

  constructor(opts: { dialer?: Dialer; default?: MailboxSender; directAddressedRemoteOnly?: boolean } = {}) {
    super();
    this.dialer = opts.dialer;
    this.defaultSender = opts.default ?? UNROUTABLE;
    this.directAddressedRemoteOnly = opts.directAddressedRemoteOnly ?? false;
  }

  /** Binds `ref` to `addr`; rebinding to another address evicts the old client if unused. */
  bind(ref: Reference, addr: string): void {
    const old = this.book.set(ref, addr);
    if (old !== undefined && old !== addr) this.evictIfUnused(old);
  }
  /** Removes every entry under `prefix`. */
  unbind(prefix: Reference): void {
    for (const addr of this.book.deleteUnder(prefix)) this.evictIfUnused(addr);
  }
  lookup(ref: Reference): string | undefined {
    return this.book.lookup(ref)?.[1];
  }
  prefixes(): Reference[] {
    return this.book.prefixes();
  }
  /** Number of cached clients (one per address). */
  get clientCount(): number {
    return this.clients.size;
  }

  private evictIfUnused(addr: string): void {
    if (this.book.entries().some(([, a]) => a === addr)) return;
    const c = this.clients.get(addr) as (MailboxSender & Closable) | undefined;
    this.clients.delete(addr);
    try {
      c?.close?.();
    } catch {
      /* closing a dead client is best effort */
    }
  }

  /**
   * Aborts the cached client for `addr`, if there is one (its peer is known gone): what it still
   * holds comes back undeliverable now, not after a delivery timeout. Never dials.
   */
  abortClient(addr: string, reason: string): void {
    (this.clients.get(addr) as (MailboxSender & Closable) | undefined)?.abort?.(reason);
  }

  /**
   * Drops the cached client for `addr` (aborting it: what it held comes back undeliverable), so
   * the next send dials a fresh session: for a peer known to be a new process at the same
   * address (a restarted worker), or one given up on and now tried again.
   */
  redial(addr: string, reason: string): void {
    const c = this.clients.get(addr) as (MailboxSender & Closable) | undefined;
    this.clients.delete(addr);
    c?.abort?.(reason);
  }

  /**
   * The link state of the cached client for `addr` (MailboxClient.linkState), for failure
   * detectors; undefined when there is no cached client or it has no network link. Never dials.
   */
  linkState(addr: string): LinkState | undefined {
    return (this.clients.get(addr) as (MailboxSender & Closable) | undefined)?.linkState?.();
  }

  /** The cached client for `addr`, dialing it on first use (and again when the cached one is stale). */
  clientFor(addr: string): MailboxSender {
    let c = this.clients.get(addr);
    if (c !== undefined && (c as MailboxSender & Closable).stale === true) c = undefined;
    if (c === undefined) {
      const dial = this.dialer ?? defaultDialer;
      if (dial === undefined) throw new MailboxError('Other', addr, 'no dialer installed (setDefaultDialer)');
      c = dial(addr);
      this.clients.set(addr, c);
    }
    return c;
  }

  postUnchecked(env: MessageEnvelope, returnHandle: ReturnHandle): void {
    const actor = env.dest.actor;
    let addr = this.book.lookup(actor)?.[1];
    if (addr === undefined) {
      const proc: ProcId = actor.proc;
      if (proc.kind === 'direct' && (!this.directAddressedRemoteOnly || proc.addr.startsWith('tcp'))) addr = proc.addr;
    }
    if (addr === undefined) {
      this.defaultSender.post(env, returnHandle);
      return;
    }
    let client: MailboxSender;
    try {
      client = this.clientFor(addr);
    } catch (e) {
      env.fail('Unroutable', `cannot dial ${addr}: ${(e as Error).message}`, returnHandle);
      return;
    }
    client.post(env, returnHandle);
  }
}

/** The per-process global router (in-process procs register here). */
export const globalRouter = new MailboxRouter();
