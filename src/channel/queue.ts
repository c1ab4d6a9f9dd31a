/**
 * The receive queue behind every Rx: FIFO, async receive, and a soft capacity.
 *
 * Invariant: the queue never refuses a push (messages already acknowledged must not be lost);
 * producers keep it bounded by checking `full` and holding back acknowledgements while it is
 * full, and `onBelowCapacity` fires once the consumer brings it back under capacity
 * (docs/architecture.md CH-2).
 *
 * A synchronous consumer (`consume`) takes every message in push order as it is pushed (no
 * promise per batch, the latency path of a mailbox server); a push made while the consumer runs
 * (re-entrantly) is queued and handed over right after, so order holds.
 */
import type { ChannelAddr } from './addr.js';
import { formatAddr } from './addr.js';
import { ChannelError } from './errors.js';

type Waiter = { resolve: (m: Uint8Array[] | Uint8Array) => void; reject: (e: unknown) => void; many: boolean };

export class RxQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private waiter: Waiter | undefined;
  private waiters: Waiter[] = [];
  private closedWith: ChannelError | undefined;
  onBelowCapacity: (() => void) | undefined;
  private wasFull = false;
  private sink: ((m: Uint8Array) => void) | undefined;
  private onSinkClose: ((reason: ChannelError) => void) | undefined;
  private sinking = false;

  constructor(
    readonly addr: ChannelAddr,
    readonly capacity: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }
  get full(): boolean {
    return this.length >= this.capacity;
  }
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  push(m: Uint8Array): void {
    if (this.sink !== undefined) {
      this.items.push(m);
      this.drainToSink();
      return;
    }
    if (this.waiter || this.waiters.length) {
      const w = this.waiter ?? this.waiters.shift()!;
      this.waiter = undefined;
      w.resolve(w.many ? [m] : m);
      return;
    }
    this.items.push(m);
    if (this.length >= this.capacity) this.wasFull = true;
  }

  /** Pushes `ms[from..]`. */
  pushMany(ms: Uint8Array[], from: number): void {
    if (this.sink !== undefined) {
      for (let i = from; i < ms.length; i++) this.items.push(ms[i]!);
      this.drainToSink();
      return;
    }
    let i = from;
    while (i < ms.length && (this.waiter || this.waiters.length)) {
      const w = this.waiter ?? this.waiters.shift()!;
      this.waiter = undefined;
      if (w.many) {
        w.resolve(from === 0 && i === 0 ? ms : ms.slice(i));
        return;
      }
      w.resolve(ms[i++]!);
    }
    for (; i < ms.length; i++) this.items.push(ms[i]!);
    if (this.length >= this.capacity) this.wasFull = true;
  }

  /**
   * Hands every message, queued now or pushed later, to `sink` synchronously and in order (the
   * only consumer from now on: `recv` and friends see nothing). `onClose` runs once the queue is
   * closed. A throwing sink loses only that message.
   */
  consume(sink: (m: Uint8Array) => void, onClose: (reason: ChannelError) => void): void {
    this.sink = sink;
    this.onSinkClose = onClose;
    this.drainToSink();
    if (this.closedWith) onClose(this.closedWith);
  }

  private drainToSink(): void {
    if (this.sinking) return;
    this.sinking = true;
    const sink = this.sink!;
    try {
      while (this.head < this.items.length) {
        const m = this.items[this.head]!;
        this.items[this.head++] = undefined as unknown as Uint8Array;
        try {
          sink(m);
        } catch {
          /* the sink reports its own failures */
        }
      }
      this.items.length = 0;
      this.head = 0;
    } finally {
      this.sinking = false;
    }
  }

  private taken(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.wasFull && this.length < this.capacity) {
      this.wasFull = false;
      this.onBelowCapacity?.();
    }
  }

  tryRecv(): Uint8Array | undefined {
    if (this.head === this.items.length) return undefined;
    const m = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Uint8Array;
    this.taken();
    return m;
  }

  recv(): Promise<Uint8Array> {
    const m = this.tryRecv();
    if (m) return Promise.resolve(m);
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => this.wait({ resolve: resolve as Waiter['resolve'], reject, many: false }));
  }

  recvMany(): Promise<Uint8Array[]> {
    if (this.head < this.items.length) {
      const out = this.head === 0 ? this.items : this.items.slice(this.head);
      this.items = [];
      this.head = 0;
      this.taken();
      return Promise.resolve(out);
    }
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => this.wait({ resolve: resolve as Waiter['resolve'], reject, many: true }));
  }

  private wait(w: Waiter): void {
    if (!this.waiter && !this.waiters.length) this.waiter = w;
    else this.waiters.push(w);
  }

  close(reason?: ChannelError): void {
    if (this.closedWith) return;
    this.closedWith = reason ?? new ChannelError('Closed', `channel ${formatAddr(this.addr)} is closed`, formatAddr(this.addr));
    const ws = this.waiter ? [this.waiter, ...this.waiters] : this.waiters;
    this.waiter = undefined;
    this.waiters = [];
    for (const w of ws) w.reject(this.closedWith);
    this.onSinkClose?.(this.closedWith);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      let batch: Uint8Array[];
      try {
        batch = await this.recvMany();
      } catch (e) {
        if (e instanceof ChannelError && e.variant === 'Closed') return;
        throw e;
      }
      for (const m of batch) yield m;
    }
  }
}

/**
 * The receiving half of an Rx whose messages sit in an `RxQueue`: the part NetRx and LocalRx
 * share. Subclasses provide the queue (and `addr`, `close`).
 */
export abstract class QueuedRx {
  abstract readonly queue: RxQueue;
  get length(): number {
    return this.queue.length;
  }
  recv(): Promise<Uint8Array> {
    return this.queue.recv();
  }
  tryRecv(): Uint8Array | undefined {
    return this.queue.tryRecv();
  }
  recvMany(): Promise<Uint8Array[]> {
    return this.queue.recvMany();
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.queue[Symbol.asyncIterator]();
  }
}
