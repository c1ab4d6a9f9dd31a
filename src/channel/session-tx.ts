/**
 * The sending half of one channel session (Monarch hyperactor/src/channel.rs `Tx`, hyperactor/src/channel/net.rs `NetTx`), whatever carries its frames: a
 * dialed WebSocket (`NetTx`, net-tx.ts) or the server side of a connection the peer dialed
 * (`ReverseTx`, reverse-tx.ts). Subclasses bring a `FrameLink` up and down; this class owns the
 * FIFO, sequence numbers, acks, the window, the delivery timeout and the return paths.
 *
 * Invariants enforced here:
 * - Every posted message gets the next sequence number at post time and stays in one FIFO until
 *   the peer acknowledges it; `sent` splits that FIFO into sent-unacked and unsent. Frames are
 *   only ever built from the FIFO in order, so per-Tx order holds across reconnects
 *   (docs/architecture.md CH-1).
 * - When a link comes up (`linkUp`) every unacked message is resent from the oldest; the receiver
 *   drops the ones it already has (exactly once into its queue).
 * - A message posted while no frame is in flight is sent at once (latency); messages posted while
 *   frames are in flight are coalesced (until the link is ready again or the end of the
 *   event-loop turn) into Messages frames of at most `batchBytes`; at most `windowBytes` are in
 *   flight unacknowledged and at most `maxWritesInFlight` frames wait in the link, so memory is
 *   bounded by what the producer posts (and `post` returns false above `highWaterBytes`).
 * - A frame of at least PARTS_MIN_BYTES whose messages are runs of route-shared envelopes in
 *   envelope slabs goes to a link that can write parts as [head, slab ranges, bitmap] (no copy);
 *   a frame cut by the budget inside such a run is cut before the run's head instead, so the next
 *   one opens with a full envelope. Either way a frame is self-contained (wire/frames.ts)
 *   (docs/architecture.md WIRE-2).
 * - When the oldest pending message is older than the delivery timeout and the peer has not been
 *   heard from for as long (acks double as keep-alives), or the session is refused or ended, the
 *   Tx is Closed for good: every pending message is returned to its return handler and every
 *   pending `send` rejects (docs/architecture.md CH-3).
 * - Those ages are measured on a clock that stops while this process's event loop is stalled
 *   (synchronous work: the timeout timer fires late by the stall): a peer cannot acknowledge
 *   what this process was too busy to send, nor be heard while this process does not read, so
 *   a blocked sender never gives up on a live peer
 *   (docs/architecture.md CH-4). After a stall the timeout is checked only
 *   once the I/O that arrived meanwhile was read.
 * - A Tx keeps the process alive (`keepAlive(true)`) exactly while it holds pending messages;
 *   an idle Tx never does.
 */
import { type ChannelAddr, formatAddr } from './addr.js';
import type { ChannelConfig } from './config.js';
import { ChannelError } from './errors.js';
import type { ReturnHandler, Tx, TxStatus } from './types.js';
import { FrameEncoder } from '../wire/frames.js';
import { isSlabRouteRef } from '../wire/envelope-layout.js';

/** Carries frames of one session to the peer while it is up. */
export interface FrameLink {
  /**
   * Writes one frame. `done` is called (possibly synchronously) once the link no longer
   * references the frame's bytes and is ready for the next frame; a link that goes down may
   * never call it.
   */
  write(frame: Uint8Array, done: () => void): void;
  /**
   * Optional: writes one frame given as parts to be sent back to back as one WebSocket message
   * (fragments), without concatenating them; `done` as for `write`, once no part is referenced.
   */
  writeParts?(parts: readonly Uint8Array[], done: () => void): void;
}

/**
 * Frames of at least this many bytes go out as parts (`FrameEncoder.messageParts`: the envelopes'
 * own bytes, no copy) when the link can write parts; smaller ones are copied into one buffer,
 * which on the latency path (one small message per frame) is one plain write instead of several.
 */
export const PARTS_MIN_BYTES = 16 * 1024;

type Pending = { onReturn?: ReturnHandler; resolve?: () => void; reject?: (e: ChannelError) => void };
/**
 * What a queued message carries besides its bytes: nothing (post), its return handler itself
 * (tryPost: no per-message wrapper object, so a stream of messages sharing one handler retains
 * only their bytes until acked), or a Pending (send, close).
 */
type Entry = Pending | ReturnHandler | undefined;

export abstract class SessionTx implements Tx {
  /**
   * Encoders whose output is not referenced by a link any more. A link may keep a frame's bytes
   * until its `done` (e.g. `ws` sends large frames without copying): an encoder (and the frame in
   * its buffer) is lent to the link until then, and comes back here.
   */
  private readonly encoders: FrameEncoder[] = [];
  /** The link frames go to; undefined while down. */
  protected frameLink: FrameLink | undefined;
  /** Bumped on every link change: `done` callbacks of an old link are ignored. */
  private gen = 0;
  private _status: TxStatus = 'Active';
  protected closeReason: ChannelError | undefined;
  private closeWaiters: Array<(e: ChannelError | undefined) => void> = [];
  private writableWaiters: Array<() => void> = [];

  // FIFO of pending messages, indexed by sequence number in a ring (slot = seq & mask; the ring
  // doubles when full and never shrinks, so a steady stream allocates nothing here):
  // [head, sent) are sent and unacknowledged, [sent, tail) are not sent yet.
  private rq: Uint8Array[] = new Array(1024);
  private rcb: Entry[] = new Array(1024);
  private mask = 1023;
  private head = 0;
  private sent = 0;
  private tail = 0;
  private readonly scratch: Uint8Array[] = [];
  private pendingBytes = 0;
  private unackedBytes = 0;
  /**
   * (first seq posted after a flush, time of that post) for the delivery timeout: a mark opens at
   * the first post after a flush (or event-loop turn) and every flush closes it.
   */
  private marks: number[] = [];
  private marksHead = 0;
  private turnOpen = false;
  /** Last time the peer said anything (acks double as keep-alives), on the stall-free clock. */
  protected lastHeard = 0;
  /** Event-loop stalls seen by the timeout timer (ms), left out of the delivery timeout. */
  private stalledMs = 0;
  /** When the armed timeout timer is due (Date.now() time). */
  private timerDue = 0;
  /** Whether `keepAlive(true)` is in force (messages pending). */
  private keeping = false;

  private flushScheduled = false;
  private flushing = false;
  private writesInFlight = 0;
  private timeoutTimer: NodeJS.Timeout | undefined;
  /** Counters for tests and diagnostics. */
  readonly stats = { frames: 0, connects: 0, resent: 0 };

  constructor(
    readonly addr: ChannelAddr,
    protected readonly cfg: ChannelConfig,
  ) {}

  get status(): TxStatus {
    return this._status;
  }
  /** Why the Tx closed (undefined while Active and after a clean `close()`). */
  get closeError(): ChannelError | undefined {
    return this.closeReason;
  }
  get buffered(): { messages: number; bytes: number } {
    return { messages: this.tail - this.head, bytes: this.pendingBytes };
  }

  /** Called when the Tx closes for good, before pending messages are returned (drop the link). */
  protected abstract teardown(): void;

  /**
   * Whether this Tx should keep the process alive: true while messages are pending, false once
   * everything was acknowledged or the Tx closed. Links override it (e.g. ref/unref a socket).
   */
  protected keepAlive(_on: boolean): void {}

  /** Whether messages are pending (what `keepAlive` was last told). */
  protected get keepingAlive(): boolean {
    return this.keeping;
  }

  /** Milliseconds on the delivery-timeout clock: wall time minus this process's stalls. */
  protected clock(): number {
    return Date.now() - this.stalledMs;
  }

  /** A link is up: resend everything unacknowledged, oldest first. */
  protected linkUp(link: FrameLink): void {
    if (this._status === 'Closed') return;
    this.gen++;
    this.frameLink = link;
    this.lastHeard = this.clock();
    this.stats.connects++;
    this.stats.resent += this.sent - this.head;
    this.sent = this.head;
    this.unackedBytes = 0;
    this.writesInFlight = 0;
    this.flush();
  }

  /** The link went down (the Tx stays Active and waits for the next `linkUp`). */
  protected linkDown(): void {
    this.gen++;
    this.frameLink = undefined;
    this.armTimeout();
  }

  /** The peer said something (any frame counts as a keep-alive). */
  heard(): void {
    this.lastHeard = this.clock();
  }

  /** Ack(next): every message with seq < next is enqueued at the peer. */
  acked(next: number): void {
    this.lastHeard = this.clock();
    if (next <= this.head) return;
    const end = Math.min(next, this.tail);
    const rq = this.rq;
    const rcb = this.rcb;
    const mask = this.mask;
    for (let seq = this.head; seq < end; seq++) {
      const i = seq & mask;
      const n = rq[i]!.length;
      this.pendingBytes -= n;
      if (seq < this.sent) this.unackedBytes -= n;
      const p = rcb[i];
      rq[i] = undefined as unknown as Uint8Array;
      if (p !== undefined) {
        rcb[i] = undefined;
        if (typeof p !== 'function') p.resolve?.();
      }
    }
    this.head = end;
    if (end === this.tail && this.keeping) {
      this.keeping = false;
      this.keepAlive(false);
    }
    if (this.sent < this.head) this.sent = this.head;
    if (this.unackedBytes < 0) this.unackedBytes = 0;
    while (this.marksHead < this.marks.length && this.marks[this.marksHead]! < this.head) this.marksHead += 2;
    if (this.marksHead > 256 && this.marksHead * 2 > this.marks.length) {
      this.marks = this.marks.slice(this.marksHead);
      this.marksHead = 0;
    }
    this.wakeWritable();
    if (this.sent < this.tail) this.scheduleFlush();
  }

  /** Doubles the ring, keeping every pending entry at its seq's new slot. */
  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const rq: Uint8Array[] = new Array(cap);
    const rcb: Entry[] = new Array(cap);
    const m = cap - 1;
    for (let seq = this.head; seq < this.tail; seq++) {
      rq[seq & m] = this.rq[seq & this.mask]!;
      rcb[seq & m] = this.rcb[seq & this.mask];
    }
    this.rq = rq;
    this.rcb = rcb;
    this.mask = m;
  }

  private enqueue(m: Uint8Array, p: Entry): boolean {
    if (m.length > this.cfg.maxFrameLength - 64) {
      const err = new ChannelError(
        'Codec',
        `message of ${m.length} bytes exceeds the frame limit of ${this.cfg.maxFrameLength} bytes (CODEC_MAX_FRAME_LENGTH)`,
        formatAddr(this.addr),
      );
      queueMicrotask(() => settle(p, m, err));
      return true;
    }
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    this.rq[i] = m;
    this.rcb[i] = p;
    this.tail++;
    this.pendingBytes += m.length;
    if (!this.keeping) {
      this.keeping = true;
      this.keepAlive(true);
    }
    if (!this.turnOpen) {
      this.turnOpen = true;
      this.marks.push(this.tail - 1, this.clock());
      this.armTimeout();
    }
    // Posts coalesce until the end of the event-loop turn (`setImmediate`: when posted while
    // handling I/O, that is the check phase of the same loop iteration, so a reply costs no
    // extra wait), so everything sent in answer to one batch of input leaves in one frame. (A
    // first post sent at once made loaded links alternate single-message writes: one syscall
    // and one wake-up of the peer per message; 100 calls in flight ran at a third of the rate.)
    this.scheduleFlush();
    return this.pendingBytes < this.cfg.highWaterBytes;
  }

  post(message: Uint8Array): boolean {
    if (this._status === 'Closed') return false;
    return this.enqueue(message, undefined);
  }

  tryPost(message: Uint8Array, onReturn: ReturnHandler): boolean {
    if (this._status === 'Closed') {
      const err = this.closeReason ?? new ChannelError('Closed', `channel to ${formatAddr(this.addr)} is closed`, formatAddr(this.addr));
      queueMicrotask(() => onReturn(message, err));
      return false;
    }
    return this.enqueue(message, onReturn);
  }

  send(message: Uint8Array): Promise<void> {
    if (this._status === 'Closed')
      return Promise.reject(this.closeReason ?? new ChannelError('Closed', `channel to ${formatAddr(this.addr)} is closed`, formatAddr(this.addr)));
    return new Promise((resolve, reject) => {
      this.enqueue(message, { resolve, reject });
    });
  }

  whenClosed(): Promise<ChannelError | undefined> {
    if (this._status === 'Closed') return Promise.resolve(this.closeReason);
    return new Promise((r) => this.closeWaiters.push(r));
  }

  whenWritable(): Promise<void> {
    if (this.pendingBytes < this.cfg.highWaterBytes || this._status === 'Closed') return Promise.resolve();
    return new Promise((r) => this.writableWaiters.push(r));
  }

  private wakeWritable(): void {
    if (this.writableWaiters.length && (this.pendingBytes < this.cfg.highWaterBytes || this._status === 'Closed')) {
      const ws = this.writableWaiters;
      this.writableWaiters = [];
      for (const w of ws) w();
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushTask);
  }
  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.turnOpen = false;
    this.flush();
  };

  /** A frame of the current link left the link (stale links' completions are filtered out). */
  private written(): void {
    this.writesInFlight--;
    if (!this.flushing && this.sent < this.tail) this.scheduleFlush();
  }

  /** Sends coalesced Messages frames while the link is up and within the window. */
  protected flush(): void {
    this.turnOpen = false;
    const link = this.frameLink;
    if (link === undefined) return;
    const rq = this.rq;
    const mask = this.mask;
    const batch = this.scratch;
    const budget = this.cfg.batchBytes;
    this.flushing = true;
    while (this.sent < this.tail && this.frameLink === link && this.writesInFlight < this.cfg.maxWritesInFlight && this.unackedBytes < this.cfg.windowBytes) {
      const from = this.sent;
      const first = rq[from & mask]!;
      batch.length = 0;
      batch.push(first);
      let total = first.length;
      let to = from + 1;
      while (to < this.tail) {
        const m = rq[to & mask]!;
        if (total + m.length > budget) break;
        total += m.length;
        batch.push(m);
        to++;
      }
      if (to < this.tail && to - from > 1 && isSlabRouteRef(rq[to & mask]!)) {
        // Cut by the budget inside a run of route-shared envelopes: end the frame before the
        // run's head instead, so that the next frame opens with a full envelope (and needs no
        // copy); runs are short (envelope-codec.ts RUN_BYTES), so little of the budget is lost.
        let k = to - 1;
        while (k > from && isSlabRouteRef(rq[k & mask]!)) k--;
        if (k > from) {
          for (let j = k; j < to; j++) total -= rq[j & mask]!.length;
          batch.length = k - from;
          to = k;
        }
      }
      const enc = this.encoders.pop() ?? new FrameEncoder(64);
      const parts = total >= PARTS_MIN_BYTES && link.writeParts !== undefined ? enc.messageParts(from, batch, 0, batch.length, total) : undefined;
      const frame = parts === undefined ? enc.messages(from, batch, 0, batch.length, total) : undefined;
      batch.length = 0;
      this.writesInFlight++;
      this.stats.frames++;
      this.sent = to;
      this.unackedBytes += total;
      const gen = this.gen;
      const done = (): void => {
        this.encoders.push(enc);
        if (gen === this.gen) this.written();
      };
      if (parts !== undefined) link.writeParts!(parts, done);
      else link.write(frame!, done);
    }
    this.flushing = false;
  }

  protected armTimeout(): void {
    if (this.timeoutTimer || this._status === 'Closed') return;
    const delay = Math.max(10, Math.min(1000, this.cfg.deliveryTimeoutMs / 4));
    this.timerDue = Date.now() + delay;
    this.timeoutTimer = setTimeout(this.onTimeoutTimer, delay);
    this.timeoutTimer.unref();
  }

  private readonly onTimeoutTimer = (): void => {
    const late = Date.now() - this.timerDue;
    if (late > STALL_MIN_MS) {
      // The event loop was stalled (this process was busy): that time does not count, and acks
      // that arrived meanwhile are still unread, so check after this turn's I/O was polled.
      this.stalledMs += late;
      setImmediate(this.afterStall);
      return;
    }
    this.timeoutTimer = undefined;
    this.checkTimeout();
  };

  private readonly afterStall = (): void => {
    this.timeoutTimer = undefined;
    this.checkTimeout();
  };

  private checkTimeout(): void {
    if (this._status === 'Closed') return;
    if (this.head === this.tail) return; // nothing pending: no timer needed
    const oldest = this.marks[this.marksHead + 1];
    const now = this.clock();
    // A live peer that holds back acks (its consumer is slow) keeps the Tx alive.
    if (oldest !== undefined && now - oldest > this.cfg.deliveryTimeoutMs && now - this.lastHeard > this.cfg.deliveryTimeoutMs) {
      this.fail(
        new ChannelError(
          'Timeout',
          `messages to ${formatAddr(this.addr)} were not acknowledged within the delivery timeout of ${this.cfg.deliveryTimeoutMs} ms`,
          formatAddr(this.addr),
        ),
      );
      return;
    }
    this.armTimeout();
  }

  /** Closes for good and returns every pending message with `err`. */
  fail(err: ChannelError | undefined): void {
    if (this._status === 'Closed') return;
    this._status = 'Closed';
    this.closeReason = err;
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    if (this.keeping) {
      this.keeping = false;
      this.keepAlive(false);
    }
    this.gen++;
    this.teardown();
    this.frameLink = undefined;
    const reason = err ?? new ChannelError('Closed', `channel to ${formatAddr(this.addr)} was closed with messages pending`, formatAddr(this.addr));
    const { rq, rcb, mask, head, tail } = this;
    this.rq = new Array(16);
    this.rcb = new Array(16);
    this.mask = 15;
    this.head = this.sent = this.tail;
    this.pendingBytes = this.unackedBytes = 0;
    for (let seq = head; seq < tail; seq++) settle(rcb[seq & mask], rq[seq & mask]!, reason);
    for (const w of this.closeWaiters) w(err);
    this.closeWaiters = [];
    this.wakeWritable();
  }

  abort(reason = 'the channel was aborted'): void {
    this.fail(new ChannelError('Closed', `channel to ${formatAddr(this.addr)} was aborted with messages pending: ${reason}`, formatAddr(this.addr)));
  }

  /** Waits until everything pending is acknowledged (or the Tx fails), then closes. */
  async close(): Promise<void> {
    if (this._status === 'Closed') return;
    if (this.head < this.tail) {
      const last = (this.tail - 1) & this.mask;
      await new Promise<void>((resolve) => {
        const p = this.rcb[last];
        const entry: Pending = typeof p === 'function' ? { onReturn: p } : (p ?? {});
        const prev = entry.resolve;
        entry.resolve = () => {
          prev?.();
          resolve();
        };
        const prevReject = entry.reject;
        entry.reject = (e) => {
          prevReject?.(e);
          resolve();
        };
        this.rcb[last] = entry;
      });
    }
    this.fail(undefined);
  }
}

/**
 * A timeout timer firing later than this (ms) means the event loop was stalled for that long;
 * smaller delays are ordinary timer jitter.
 */
const STALL_MIN_MS = 50;

/** Hands an undelivered message back to whatever its entry holds. */
function settle(p: Entry, m: Uint8Array, err: ChannelError): void {
  if (p === undefined) return;
  if (typeof p === 'function') {
    p(m, err);
    return;
  }
  p.onReturn?.(m, err);
  p.reject?.(err);
}
