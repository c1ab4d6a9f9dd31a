/**
 * The receiving half of the session protocol (Monarch `channel/net/session.rs`; the sending half
 * is session-tx.ts): one `SessionRx` per session, feeding the queue of the Rx it belongs to
 * through that Rx's `SessionInbox`. A NetRx runs one per client session (net-rx.ts); a NetTx runs
 * one for the reverse direction of its own session, into the queue of the Rx it was dialed with
 * (`DialOptions.returnRx`, net-tx.ts).
 *
 * Invariants enforced here:
 * - Exactly once into the queue: messages with seq < next are retransmits and are dropped;
 *   seq > next is a gap, which `accept` reports (the caller rejects and closes the connection).
 *   `next` survives reconnects: a session outlives the connections that carry it
 *   (docs/architecture.md CH-1).
 * - Acks are cumulative (`Ack(next)`: everything below `next` is in the queue), sent after
 *   `ackEveryN` messages or `ackIntervalMs`, and held back while the queue is at capacity: with
 *   the sender's bounded window this bounds memory on both sides when the consumer stops reading
 *   (docs/architecture.md CH-2).
 *   While held back, a non-advancing Ack goes out every `ackIntervalMs` as a keep-alive, so a
 *   slow consumer is not mistaken for a dead peer by the sender's delivery timeout.
 * - A session attached to a new connection first tells the peer what already arrived (`Ack(next)`),
 *   so the sender trims its resend.
 */
import type { ChannelConfig } from './config.js';
import type { RxQueue } from './queue.js';
import type { FrameEncoder } from '../wire/frames.js';

/** The connection currently carrying a session, as far as acks are concerned. */
export interface AckLink {
  /** Set once the connection is being closed: nothing more is written to it. */
  readonly closing: boolean;
  write(bytes: Uint8Array): void;
}

/** Counters of an Rx (tests and diagnostics). */
export interface RxStats {
  frames: number;
  messages: number;
  retransmitsDropped: number;
  protocolErrors: number;
  refused: number;
}

/**
 * What the sessions of one Rx share: its queue, its configuration and counters, and the acks held
 * back while the queue is full (released when the consumer brings it under capacity).
 */
export class SessionInbox {
  private readonly deferred = new Set<SessionRx>();
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly queue: RxQueue,
    readonly cfg: ChannelConfig,
    readonly stats: RxStats,
    readonly enc: FrameEncoder,
  ) {
    queue.onBelowCapacity = () => {
      const ds = [...this.deferred];
      this.deferred.clear();
      for (const s of ds) s.ackNow();
      if (this.deferred.size === 0) this.stopKeepAlive();
    };
  }

  /** Session `s` owes an ack while the queue is full: keep it alive until the queue drains. */
  hold(s: SessionRx): void {
    this.deferred.add(s);
    this.keepAlive ??= setInterval(() => {
      for (const d of this.deferred) d.sendAck(d.acked);
    }, this.cfg.ackIntervalMs);
  }
  release(s: SessionRx): void {
    this.deferred.delete(s);
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** The Rx closed: no more holding back (its close flushes every session's ack itself). */
  close(): void {
    this.closed = true;
    this.stopKeepAlive();
  }
  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }
}

export class SessionRx<L extends AckLink = AckLink> {
  /** The next sequence number expected: everything below is in the queue. */
  next = 0;
  /** The highest `Ack` sent. */
  acked = 0;
  /** The connection carrying the session, if any. */
  link: L | undefined;
  /** `Date.now()` when the session last lost its connection (0 while it never had one). */
  detachedAt = 0;
  private sinceAck = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: bigint,
    private readonly inbox: SessionInbox,
  ) {}

  /** The session is carried by `link` from now on; tells the peer what already arrived. */
  attach(link: L): void {
    this.link = link;
    if (this.next > 0) this.sendAck(this.next);
  }

  /** `link` is gone (a no-op if the session has moved to another connection since). */
  detach(link: L): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.detachedAt = Date.now();
  }

  /**
   * A Messages frame starting at `seq`: the new messages go into the queue, then an ack is due.
   * Returns why the frame is refused (a sequence gap), undefined when accepted.
   */
  accept(seq: number, messages: Uint8Array[]): string | undefined {
    const n = messages.length;
    if (seq > this.next) return `sequence gap in session ${this.id}: expected seq ${this.next}, got ${seq}`;
    const stats = this.inbox.stats;
    const skip = this.next - seq;
    if (skip >= n) {
      stats.retransmitsDropped += n;
      return undefined;
    }
    stats.retransmitsDropped += skip;
    stats.messages += n - skip;
    this.inbox.queue.pushMany(messages, skip);
    this.next = seq + n;
    this.sinceAck += n - skip;
    if (this.sinceAck >= this.inbox.cfg.ackEveryN) this.ackNow();
    else this.timer ??= setTimeout(() => this.ackNow(), this.inbox.cfg.ackIntervalMs);
    return undefined;
  }

  /** Acks now, or holds the ack back while the queue is full. */
  ackNow(): void {
    this.clearTimer();
    if (this.inbox.queue.full && !this.inbox.isClosed) {
      this.inbox.hold(this);
      return;
    }
    this.sendAck(this.next);
  }

  /** Acks everything received (best effort: before a close, whether or not the queue is full). */
  flushAck(): void {
    if (this.next > this.acked) this.sendAck(this.next);
  }

  /** Sends Ack(upTo) on the current connection: every message below `upTo` is in the queue. */
  sendAck(upTo: number): void {
    if (upTo === this.next) this.sinceAck = 0;
    const l = this.link;
    if (l === undefined || l.closing) return;
    this.acked = upTo;
    l.write(this.inbox.enc.ack(upTo));
  }

  /** Stops the ack timer and any held-back ack (the session is forgotten or its carrier gone). */
  quiesce(): void {
    this.clearTimer();
    this.inbox.release(this);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
