/**
 * `Mailbox`: an actor's port table and its connection to the rest of the world (Monarch
 * hyperactor/src/mailbox.rs `Mailbox`).
 *
 * Invariants:
 * - Typed handler ports live at `portIndexOf(typeName)` (bit 63 set), ephemeral ports are
 *   allocated from `USER_PORT_OFFSET` (1024) upward and never reused within a mailbox.
 * - An envelope for this mailbox's actor is delivered to the port at `dest.index`; a missing port
 *   makes it undeliverable (`Unroutable`), a payload that fails to decode or a sink that throws
 *   (`Mailbox`). Envelopes for other actors go to `forwarder` (one more hop).
 * - A once port is unbound before its single message is handed to the sink.
 * - After `close()`, every envelope is returned as undeliverable (`Mailbox: mailbox closed`) and
 *   local sends throw `PortClosedError`.
 */
import { type ActorId, PortId } from '../core/ids.js';
import { USER_PORT_OFFSET } from '../core/typeinfo.js';
import { EMPTY_HEADERS, type Headers, MessageEnvelope, type ReturnHandle, NO_BINDINGS } from './envelope.js';
import { MailboxError, PortClosedError } from './errors.js';
import { BaseMailboxSender, DIRECT_ROUTE_HOPS, type DirectRouter, LOG_RETURN_HANDLE, type MailboxSender, hasStandardPost } from './sender.js';
import { decodeEnvelopePayload, toWire } from './payload.js';
import { encodeMessage } from '../core/codec.js';
import { OnceReceiver, PortReceiver } from './receiver.js';

/** What a bound port does with a message addressed to it. */
export interface PortEntry {
  /** Unbound right before its first message is delivered. */
  readonly once: boolean;
  /**
   * Takes the raw envelope instead of a decoded message (e.g. relaying split ports). Return a
   * string to reject the envelope with a `Mailbox` delivery error.
   */
  readonly raw?: (env: MessageEnvelope, returnHandle: ReturnHandle) => string | void;
  /** Takes a decoded message. Throwing rejects the envelope with a `Mailbox` delivery error. */
  sink(msg: unknown, headers: Headers): void;
  /** Called when the port is unbound or the mailbox closes. */
  closed?(): void;
}

export class Mailbox extends BaseMailboxSender {
  readonly actorId: ActorId;
  /** Where envelopes for other actors go (normally the proc). */
  forwarder: MailboxSender;
  /** Where this actor's own undeliverable envelopes come back. */
  returnHandle: ReturnHandle = LOG_RETURN_HANDLE;
  /**
   * The port table, in two maps by index range: indices below 2^53 (ephemeral ports, once ports
   * of asks) keyed by number, typed handler ports (bit 63 set) by bigint. A BigInt-keyed `Map`
   * operation costs ≈ 50 ns in the ask loop, a number-keyed one a few ns (measured: `bind` alone
   * was 20 % of an ask's runtime cost).
   */
  private readonly ports = new Map<bigint, PortEntry>();
  private readonly small = new Map<number, PortEntry>();
  /**
   * The newest once port opened by `openOnceReceiver`, kept out of `small` (index -1: none):
   * sequential asks open and close one each, and a `Map` set + delete per ask made the table
   * rehash and reallocate over and over. Opening the next once port moves this one into `small`.
   */
  private onceIndex = -1;
  private onceEntry: PortEntry | undefined;
  /**
   * One-entry cache of the port table by `PortId` object (refs reuse their port ids, so repeated
   * sends to one handler port skip the BigInt-keyed lookup); reset on every change of `ports`.
   */
  private lastDest: PortId | undefined;
  private lastPort: PortEntry | undefined;
  /** Next ephemeral index, kept as a number (a BigInt is made only for the port's id). */
  private nextIndex = Number(USER_PORT_OFFSET);
  private isClosed = false;

  constructor(actorId: ActorId, forwarder: MailboxSender) {
    super();
    this.actorId = actorId;
    this.forwarder = forwarder;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** A fresh ephemeral port index (≥ 1024). */
  allocateIndex(): bigint {
    return BigInt(this.nextIndex++);
  }

  /** Binds `entry` at `index`. Binding an index twice is an error (`AlreadyBound`). */
  bind(index: bigint, entry: PortEntry): void {
    if (this.isClosed) throw new PortClosedError(String(this.actorId));
    if (index < SMALL_LIMIT) this.bindSmall(Number(index), entry);
    else {
      if (this.ports.has(index)) throw alreadyBound(this.actorId, index);
      this.ports.set(index, entry);
      this.lastDest = this.lastPort = undefined;
    }
  }

  /** `bind` for an index below 2^53 given as a number (once ports: no BigInt conversion). */
  private bindSmall(i: number, entry: PortEntry): void {
    if (i === this.onceIndex || this.small.has(i)) throw alreadyBound(this.actorId, BigInt(i));
    this.small.set(i, entry);
    this.lastDest = this.lastPort = undefined;
  }

  private lookup(port: PortId): PortEntry | undefined {
    const n = port.smallIndex;
    if (n === this.onceIndex && n >= 0) return this.onceEntry;
    return n >= 0 ? this.small.get(n) : this.ports.get(port.index);
  }

  private remove(port: PortId): void {
    const n = port.smallIndex;
    if (n === this.onceIndex && n >= 0) {
      this.onceIndex = -1;
      this.onceEntry = undefined;
    } else if (n >= 0) this.small.delete(n);
    else this.ports.delete(port.index);
  }

  unbind(index: bigint): void {
    this.unbindPort(new PortId(this.actorId, index));
  }

  /** `unbind` by port id (uses its cached numeric index). */
  unbindPort(port: PortId): void {
    const e = this.lookup(port);
    if (e === undefined) return;
    this.remove(port);
    this.lastDest = this.lastPort = undefined;
    e.closed?.();
  }

  isBound(index: bigint): boolean {
    return this.lookup(new PortId(this.actorId, index)) !== undefined;
  }

  /**
   * Local delivery or forwarding; see the invariants above. Same-process fast path: when the
   * forwarder can name the destination's sender directly (`DirectRouter`), the envelope skips the
   * intermediate routing calls but pays the same TTL hops (forwarder hops + the destination's
   * own `post`); with too little TTL left it takes the ordinary path, which fails it at the same
   * hop with `TtlExpired`.
   */
  postUnchecked(env: MessageEnvelope, returnHandle: ReturnHandle): void {
    const a = env.dest.actor;
    if (a === this.actorId || a.key === this.actorId.key) this.deliver(env, returnHandle);
    else this.forward(env, returnHandle);
  }

  /** Hands an envelope for another actor to the forwarder (fast path: see `postUnchecked`). */
  private forward(env: MessageEnvelope, returnHandle: ReturnHandle): void {
    const fw = this.forwarder as MailboxSender & Partial<DirectRouter>;
    if (fw.directRoute !== undefined && env.ttl > DIRECT_ROUTE_HOPS) {
      const s = fw.directRoute(env.dest.actor);
      if (s !== undefined && hasStandardPost(s)) {
        env.ttl -= DIRECT_ROUTE_HOPS + 1;
        s.postUnchecked(env, returnHandle);
        return;
      }
    }
    fw.post(env, returnHandle);
  }

  /** Delivers an envelope addressed to this mailbox. */
  deliver(env: MessageEnvelope, returnHandle: ReturnHandle): void {
    if (this.isClosed) {
      env.fail('Mailbox', `${this.actorId}: mailbox closed`, returnHandle);
      return;
    }
    const dest = env.dest;
    let port: PortEntry | undefined;
    if (dest === this.lastDest) port = this.lastPort!;
    else {
      port = this.lookup(dest);
      if (port === undefined) {
        env.fail('Unroutable', `port not bound in mailbox: ${dest}`, returnHandle);
        return;
      }
      if (!port.once) {
        this.lastDest = dest;
        this.lastPort = port;
      }
    }
    if (port.once) {
      this.remove(dest);
      this.lastDest = this.lastPort = undefined;
    }
    if (port.raw !== undefined) {
      if (env.replyPort >= 0) {
        // Raw ports decode payloads themselves and would drop the reply port: refuse the ask.
        env.fail('Mailbox', `${env.dest}: this port takes no asks (the message carries reply port ${env.replyPort})`, returnHandle);
        return;
      }
      const why = port.raw(env, returnHandle);
      if (typeof why === 'string') env.fail('Mailbox', why, returnHandle);
      return;
    }
    let msg: unknown;
    try {
      msg = decodeEnvelopePayload(env);
    } catch (e) {
      env.fail('Mailbox', `${env.dest}: ${(e as Error).message}`, returnHandle);
      return;
    }
    try {
      port.sink(msg, env.headers);
    } catch (e) {
      env.fail('Mailbox', `${env.dest}: ${e instanceof Error ? e.message : String(e)}`, returnHandle);
    }
  }

  /** Posts an envelope sent by this mailbox's actor (returns come back to `returnHandle`). */
  send(env: MessageEnvelope): void {
    this.post(env, this.returnHandle);
  }

  /**
   * Serializes `msg` and posts it to `dest` as this actor. Positional options (hot path):
   * `headers`, `returnUndeliverable` (default true), `replyPort` (an ask: the index of this
   * actor's once port that answers it; `msg` then has no `reply` field, see envelope.ts).
   */
  sendMessage(dest: PortId, typeName: string, msg: unknown, headers?: Headers, returnUndeliverable?: boolean, replyPort = -1): void {
    const p = encodeMessage(msg, typeName);
    const env = new MessageEnvelope(this.actorId, dest, p.data, typeName, p.bindings.length === 0 ? NO_BINDINGS : toWire(p.bindings), headers ?? EMPTY_HEADERS);
    if (returnUndeliverable === false) env.returnUndeliverable = false;
    if (replyPort >= 0) env.replyPort = replyPort;
    this.post(env, this.returnHandle);
  }

  /** Closes the mailbox: every port is unbound, later envelopes come back undeliverable. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const entries = [...this.small.values(), ...this.ports.values()];
    if (this.onceEntry !== undefined) entries.push(this.onceEntry);
    this.onceIndex = -1;
    this.onceEntry = undefined;
    this.small.clear();
    this.ports.clear();
    this.lastDest = this.lastPort = undefined;
    for (const e of entries) e.closed?.();
  }

  /** Opens an ephemeral FIFO port: a local sender and its receiver. */
  openPort<T>(): [LocalPort<T>, PortReceiver<T>] {
    const index = this.allocateIndex();
    const id = new PortId(this.actorId, index);
    const rx = new PortReceiver<T>(String(id), () => this.unbind(index));
    const port = new LocalPort<T>(id, (m) => {
      if (!rx.push(m)) throw new PortClosedError(String(id));
    });
    this.bind(index, {
      once: false,
      sink: (m) => port.sendLocal(m as T),
      closed: () => {
        port.close();
        rx.close();
      },
    });
    return [port, rx];
  }

  /** Opens an ephemeral port whose messages call `fn` (Monarch's enqueue port). */
  openEnqueuePort<T>(fn: (msg: T, headers: Headers) => void): LocalPort<T> {
    const index = this.allocateIndex();
    const id = new PortId(this.actorId, index);
    const port = new LocalPort<T>(id, (m, h) => fn(m, h ?? EMPTY_HEADERS));
    this.bind(index, { once: false, sink: (m, h) => fn(m as T, h), closed: () => port.close() });
    return port;
  }

  /** Opens a once port and returns only its receiver (asks: the sender side is a ref). */
  openOnceReceiver<T>(): OnceReceiver<T> {
    const i = this.nextIndex++;
    const rx = new OnceReceiver<T>(this, new PortId(this.actorId, i));
    if (this.isClosed) throw new PortClosedError(String(this.actorId));
    if (this.small.size !== 0 && this.small.has(i)) throw alreadyBound(this.actorId, BigInt(i));
    if (this.onceIndex >= 0) this.small.set(this.onceIndex, this.onceEntry!);
    this.onceIndex = i;
    this.onceEntry = rx;
    return rx;
  }

  /** Opens a once port: exactly one message is received, then the port is unbound. */
  openOncePort<T>(): [LocalOncePort<T>, OnceReceiver<T>] {
    const index = this.allocateIndex();
    const id = new PortId(this.actorId, index);
    const rx = new OnceReceiver<T>(this, id);
    this.bind(index, rx);
    return [new LocalOncePort<T>(rx), rx];
  }
}

/** Port indices below this live in the number-keyed half of the port table (`PortId.smallIndex`). */
const SMALL_LIMIT = BigInt(Number.MAX_SAFE_INTEGER) + 1n;

function alreadyBound(actor: ActorId, index: bigint): MailboxError {
  return new MailboxError('AlreadyBound', `${actor}[${index}]`, 'port is already bound');
}

/** The sending side of a port in this process: local sends skip serialization. */
export class LocalPort<T> {
  readonly portId: PortId;
  private fn: ((msg: T, headers?: Headers) => void) | undefined;
  constructor(portId: PortId, fn: (msg: T, headers?: Headers) => void) {
    this.portId = portId;
    this.fn = fn;
  }
  get closed(): boolean {
    return this.fn === undefined;
  }
  /** Sends without serialization. Throws `PortClosedError` when the port is closed. */
  sendLocal(msg: T, headers?: Headers): void {
    const f = this.fn;
    if (f === undefined) throw new PortClosedError(String(this.portId));
    f(msg, headers);
  }
  /** A port of `R` whose messages are mapped into this port (Monarch's `contramap`). */
  contramap<R>(f: (r: R) => T): LocalPort<R> {
    return new LocalPort<R>(this.portId, (r, h) => this.sendLocal(f(r), h));
  }
  close(): void {
    this.fn = undefined;
  }
}

/** The sending side of a once port in this process. */
export class LocalOncePort<T> {
  readonly portId: PortId;
  private rx: OnceReceiver<T> | undefined;
  constructor(rx: OnceReceiver<T>) {
    this.portId = rx.portId;
    this.rx = rx;
  }
  /** Sends the single message; a second send throws `PortClosedError`. */
  sendLocal(msg: T): void {
    const rx = this.rx;
    if (rx === undefined || rx.done) throw new PortClosedError(String(this.portId));
    this.rx = undefined;
    rx.mailbox.unbindPort(rx.portId);
    rx.settle(msg);
  }
}
