/**
 * The network Tx: a `ws` client (permessage-deflate off; unix sockets via `ws+unix:`) running one
 * session (spec host.md §1.4).
 *
 * Invariants enforced here:
 * - Every posted message gets the next sequence number at post time and stays in one FIFO until
 *   the server acknowledges it; `sent` splits that FIFO into sent-unacked and unsent. Frames are
 *   only ever built from the FIFO in order, so per-Tx order holds across reconnects.
 * - After any (re)connect the client sends Init(session) and resends every unacked message from
 *   the oldest; the server drops the ones it already has.
 * - A message posted while no frame is in flight is sent at once (latency); messages posted while
 *   frames are in flight are coalesced (until the end of the event-loop turn) into Messages frames of at most
 *   `batchBytes`; at most `windowBytes` are in flight unacknowledged and at most
 *   `maxWritesInFlight` frames wait in the socket, so memory is bounded by what the producer posts
 *   (and `post` returns false above `highWaterBytes`).
 * - When the oldest pending message is older than the delivery timeout and the server has not been
 *   heard from for as long (acks double as keep-alives), or the server rejects the
 *   session, or the upgrade is refused (401), the Tx is Closed for good: every pending message is
 *   returned to its return handler and every pending `send` rejects.
 */
import WebSocket from 'ws';
import { randomBytes, randomFillSync } from 'node:crypto';
import { type ChannelAddr, formatAddr } from './addr.js';
import { AUTH_HEADER, makeProof, type Secret } from './auth.js';
import { channelConfig, type ChannelConfig } from './config.js';
import { ChannelError } from './errors.js';
import type { ReturnHandler, Tx, TxStatus } from './types.js';
import { FrameEncoder, FrameKind, decodeFrame } from '../wire/frames.js';

export interface DialOptions extends Partial<ChannelConfig> {
  /** The mesh secret to prove in the upgrade request. */
  secret?: Secret;
  /** First reconnect delay (ms); doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

type Pending = { onReturn?: ReturnHandler; resolve?: () => void; reject?: (e: ChannelError) => void };
/**
 * What a queued message carries besides its bytes: nothing (post), its return handler itself
 * (tryPost: no per-message wrapper object, so a stream of messages sharing one handler retains
 * only their bytes until acked), or a Pending (send, close).
 */
type Entry = Pending | ReturnHandler | undefined;

export class NetTx implements Tx {
  private readonly cfg: ChannelConfig;
  private readonly url: string;
  private readonly secret: Secret | undefined;
  private readonly session = randomBytes(8).readBigUInt64BE(0);
  private readonly enc = new FrameEncoder(256);
  /**
   * Encoders whose output is not referenced by the socket any more. Large frames are sent with a
   * zero masking key, so `ws` hands our bytes to the socket without copying them: an encoder (and the
   * frame in its buffer) is lent to the socket until the write callback, then comes back here.
   */
  private readonly encoders: FrameEncoder[] = [];
  private ws: WebSocket | undefined;
  private connected = false;
  private _status: TxStatus = 'Active';
  private closeReason: ChannelError | undefined;
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
  /** Last time the server said anything (acks double as keep-alives). */
  private lastHeard = 0;

  private flushScheduled = false;
  private writesInFlight = 0;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  /** Counters for tests and diagnostics. */
  readonly stats = { frames: 0, connects: 0, resent: 0 };

  constructor(readonly addr: ChannelAddr, opts: DialOptions = {}) {
    const o: Partial<DialOptions> = {};
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    this.cfg = { ...channelConfig(), ...o };
    this.secret = opts.secret;
    this.minBackoff = opts.minBackoffMs ?? 5;
    this.maxBackoff = opts.maxBackoffMs ?? 1000;
    this.backoff = this.minBackoff;
    if (addr.transport === 'tcp') this.url = `ws://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}/`;
    else if (addr.transport === 'unix' && !addr.abstract) this.url = `ws+unix://${addr.path}:/`;
    else throw new ChannelError('InvalidAddress', `cannot dial ${formatAddr(addr)} over the network; expected tcp:IP:PORT or unix:/path`, formatAddr(addr));
    this.connect();
  }
  private readonly minBackoff: number;
  private readonly maxBackoff: number;

  get status(): TxStatus {
    return this._status;
  }
  get buffered(): { messages: number; bytes: number } {
    return { messages: this.tail - this.head, bytes: this.pendingBytes };
  }

  private connect(): void {
    if (this._status === 'Closed') return;
    const headers: Record<string, string> = {};
    if (this.secret !== undefined) headers[AUTH_HEADER] = makeProof(this.secret);
    const ws = new WebSocket(this.url, {
      perMessageDeflate: false,
      headers,
      maxPayload: this.cfg.maxFrameLength,
      handshakeTimeout: 10_000,
      // Masking keys per frame size, see `maskKey`.
      generateMask: maskKey,
    });
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      if (ws !== this.ws) return;
      this.connected = true;
      this.lastHeard = Date.now();
      this.stats.connects++;
      this.backoff = this.minBackoff;
      ws.send(this.enc.init(this.session).slice());
      // Resend everything unacknowledged, oldest first.
      this.stats.resent += this.sent - this.head;
      this.sent = this.head;
      this.unackedBytes = 0;
      this.writesInFlight = 0;
      this.written = () => {
        if (ws !== this.ws) return;
        this.writesInFlight--;
        if (this.sent < this.tail) this.scheduleFlush();
      };
      this.flush();
    });
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('unexpected-response', (req, res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      if (code === 401 || code === 403) this.fail(new ChannelError('Unauthorized', `server ${formatAddr(this.addr)} refused the connection (${code}): wrong or missing mesh secret`, formatAddr(this.addr)));
      else this.lost(ws);
    });
    ws.on('error', () => this.lost(ws));
    ws.on('close', () => this.lost(ws));
  }

  /** The connection is gone: reconnect with backoff (status stays Active). */
  private lost(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.connected = false;
    ws.removeAllListeners('open');
    ws.removeAllListeners('message');
    ws.on('error', () => {});
    try {
      ws.terminate();
    } catch {
      /* not open */
    }
    if (this._status === 'Closed' || this.reconnectTimer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.maxBackoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.armTimeout();
  }

  private onFrame(data: Buffer): void {
    this.lastHeard = Date.now();
    let f;
    try {
      f = decodeFrame(data);
    } catch (e) {
      // A server that speaks garbage: drop the connection and retry.
      if (this.ws) this.lost(this.ws);
      return;
    }
    if (f.kind === FrameKind.Ack) this.acked(f.seq);
    else if (f.kind === FrameKind.Reject) this.fail(new ChannelError('Rejected', `server ${formatAddr(this.addr)} rejected the session: ${f.reason}`, formatAddr(this.addr)));
  }

  /** Ack(next): every message with seq < next is enqueued at the server. */
  private acked(next: number): void {
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
    if (this.sent < this.head) this.sent = this.head;
    if (this.unackedBytes < 0) this.unackedBytes = 0;
    while (this.marksHead < this.marks.length && this.marks[this.marksHead]! < this.head) this.marksHead += 2;
    if (this.marksHead > 256 && this.marksHead * 2 > this.marks.length) {
      this.marks = this.marks.slice(this.marksHead);
      this.marksHead = 0;
    }
    this.wakeWritable();
    this.scheduleFlush();
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
      const err = new ChannelError('Codec', `message of ${m.length} bytes exceeds the frame limit of ${this.cfg.maxFrameLength} bytes (CODEC_MAX_FRAME_LENGTH)`, formatAddr(this.addr));
      queueMicrotask(() => settle(p, m, err));
      return true;
    }
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    this.rq[i] = m;
    this.rcb[i] = p;
    this.tail++;
    this.pendingBytes += m.length;
    if (!this.turnOpen) {
      this.turnOpen = true;
      this.marks.push(this.tail - 1, Date.now());
      this.armTimeout();
    }
    // Latency: an idle connection sends at once (and then needs no deferred flush: every flush
    // closes the delivery-timeout mark, so the next post opens a new one); while frames are in
    // flight, posts coalesce until the end of the event-loop turn (throughput).
    if (this.writesInFlight === 0 && this.connected) {
      this.flush();
      if (this.sent === this.tail) return this.pendingBytes < this.cfg.highWaterBytes;
    }
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
    if (this._status === 'Closed') return Promise.reject(this.closeReason ?? new ChannelError('Closed', `channel to ${formatAddr(this.addr)} is closed`, formatAddr(this.addr)));
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
  /** Socket-write completion callback of the current connection (stale ones are ignored). */
  private written: () => void = () => {};

  /** Sends coalesced Messages frames while connected and within the window. */
  private flush(): void {
    this.turnOpen = false;
    const ws = this.ws;
    if (!ws || !this.connected) return;
    const rq = this.rq;
    const mask = this.mask;
    const batch = this.scratch;
    const budget = this.cfg.batchBytes;
    while (this.sent < this.tail && this.writesInFlight < this.cfg.maxWritesInFlight && this.unackedBytes < this.cfg.windowBytes) {
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
      const enc = this.encoders.pop() ?? new FrameEncoder(64);
      const frame = enc.messages(from, batch, 0, batch.length, total);
      batch.length = 0;
      this.writesInFlight++;
      this.stats.frames++;
      const written = this.written;
      zeroMaskNext = frame.length >= MERGE_BELOW;
      ws.send(frame, { binary: true }, () => {
        this.encoders.push(enc);
        written();
      });
      this.sent = to;
      this.unackedBytes += total;
    }
  }

  private armTimeout(): void {
    if (this.timeoutTimer || this._status === 'Closed') return;
    this.timeoutTimer = setTimeout(() => {
      this.timeoutTimer = undefined;
      this.checkTimeout();
    }, Math.max(10, Math.min(1000, this.cfg.deliveryTimeoutMs / 4)));
    this.timeoutTimer.unref();
  }

  private checkTimeout(): void {
    if (this._status === 'Closed') return;
    if (this.head === this.tail) return; // nothing pending: no timer needed
    const oldest = this.marks[this.marksHead + 1];
    const now = Date.now();
    // A live server that holds back acks (its consumer is slow) keeps the Tx alive.
    if (oldest !== undefined && now - oldest > this.cfg.deliveryTimeoutMs && now - this.lastHeard > this.cfg.deliveryTimeoutMs) {
      this.fail(new ChannelError('Timeout', `messages to ${formatAddr(this.addr)} were not acknowledged within the delivery timeout of ${this.cfg.deliveryTimeoutMs} ms`, formatAddr(this.addr)));
      return;
    }
    this.armTimeout();
  }

  /** Closes for good and returns every pending message with `err`. */
  private fail(err: ChannelError | undefined): void {
    if (this._status === 'Closed') return;
    this._status = 'Closed';
    this.closeReason = err;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.reconnectTimer = this.timeoutTimer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    this.connected = false;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      try {
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        else ws.terminate();
      } catch {
        /* not open */
      }
    }
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
 * Frames of at least this many bytes get a zero masking key: still flagged masked (as RFC 6455
 * requires of clients), but `ws` neither XORs nor copies the payload and writes header + our bytes
 * with one writev (masking protects browsers' proxies, not us). Smaller frames get a random key,
 * so `ws` masks them into one buffer with its header: one plain write, which on the latency path
 * (one small frame per round trip) is measurably cheaper than a two-buffer writev.
 */
const MERGE_BELOW = 4096;
/** Set by `flush` right before each `ws.send` (which calls `maskKey` synchronously). */
let zeroMaskNext = false;
const maskPool = Buffer.alloc(1024);
let maskAt = maskPool.length;
function maskKey(mask: Buffer): void {
  if (zeroMaskNext) {
    zeroMaskNext = false;
    mask[0] = mask[1] = mask[2] = mask[3] = 0;
    return;
  }
  if (maskAt === maskPool.length) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  mask[0] = maskPool[maskAt++]!;
  mask[1] = maskPool[maskAt++]!;
  mask[2] = maskPool[maskAt++]!;
  mask[3] = maskPool[maskAt++]!;
}

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
