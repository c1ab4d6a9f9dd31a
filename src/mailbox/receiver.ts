/**
 * Receiving ends of ports: a FIFO `PortReceiver`, a `CoalescingReceiver` that keeps only the
 * newest value (accumulating ports), and the `OnceReceiver` of a once port (its single message).
 *
 * Invariants: values are received in the order they were pushed (FIFO), or, for the coalescing
 * receiver, a `recv` returns the newest value pushed since the previous `recv`; once closed, a
 * receiver drains what it holds and then rejects `recv` with `PortClosedError`.
 */
import type { PortId } from '../core/ids.js';
import { MailboxError, PortClosedError, TimeoutError } from './errors.js';
import { type Deadline, type DeadlineTarget, deadline } from './deadline.js';
import type { Mailbox, PortEntry } from './mailbox.js';

/**
 * Receives waiting in this process (a `recv` that found nothing yet): the program is not idle
 * while one waits (api/host.ts: a script that awaits a message from an actor is not shut down).
 */
let waiting = 0;

/** How many `recv` calls of this process are waiting for a message. */
export function pendingReceives(): number {
  return waiting;
}

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

export interface Receiver<T> extends AsyncIterable<T> {
  /** The next value; with `timeoutMs`, rejects with `TimeoutError` when none arrives in time. */
  recv(timeoutMs?: number): Promise<T>;
  /** The next value if one is ready. */
  tryRecv(): T | undefined;
  /** Closes the receiver; the port is unbound (later sends fail). */
  close(): void;
  readonly closed: boolean;
}

abstract class BaseReceiver<T> implements Receiver<T> {
  protected waiters: Waiter<T>[] = [];
  closed = false;
  protected onClose: (() => void) | undefined;
  /** Where this receiver is (for error messages). */
  readonly location: string;
  /**
   * A receiver the runtime itself keeps reading (event pumps): its waiting `recv` is not work of
   * the program, so it does not count in `pendingReceives`.
   */
  background = false;
  constructor(location: string, onClose?: () => void) {
    this.location = location;
    this.onClose = onClose;
  }
  protected abstract take(): { ok: true; value: T } | { ok: false };

  /** Delivers a value (port side). Returns false if the receiver is closed. */
  abstract push(value: T): boolean;

  tryRecv(): T | undefined {
    const r = this.take();
    return r.ok ? r.value : undefined;
  }

  recv(timeoutMs?: number): Promise<T> {
    const r = this.take();
    if (r.ok) return Promise.resolve(r.value);
    if (this.closed) return Promise.reject(new PortClosedError(this.location));
    const counted = this.background ? 0 : 1;
    return new Promise<T>((resolve, reject) => {
      waiting += counted;
      const d =
        timeoutMs === undefined
          ? undefined
          : deadline(timeoutMs, () => {
              const i = this.waiters.indexOf(w);
              if (i >= 0) this.waiters.splice(i, 1);
              waiting -= counted;
              reject(new TimeoutError(`receive on ${this.location}`, timeoutMs));
            });
      const w: Waiter<T> = {
        resolve: (v) => {
          waiting -= counted;
          d?.cancel();
          resolve(v);
        },
        reject: (e) => {
          waiting -= counted;
          d?.cancel();
          reject(e);
        },
      };
      this.waiters.push(w);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(new PortClosedError(this.location));
    const f = this.onClose;
    this.onClose = undefined;
    f?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let v: T;
      try {
        v = await this.recv();
      } catch (e) {
        if (e instanceof PortClosedError) return;
        throw e;
      }
      yield v;
    }
  }
}

/** Unbounded FIFO receiver. */
export class PortReceiver<T> extends BaseReceiver<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(value: T): boolean {
    if (this.closed) return false;
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve(value);
      return true;
    }
    this.items.push(value);
    return true;
  }

  protected take(): { ok: true; value: T } | { ok: false } {
    if (this.head === this.items.length) return { ok: false };
    const value = this.items[this.head]!;
    (this.items as (T | undefined)[])[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return { ok: true, value };
  }
}

/** Receiver that only keeps the newest value: `recv` skips everything older. */
export class CoalescingReceiver<T> extends BaseReceiver<T> {
  private has = false;
  private latest: T | undefined;

  push(value: T): boolean {
    if (this.closed) return false;
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve(value);
      return true;
    }
    this.latest = value;
    this.has = true;
    return true;
  }

  protected take(): { ok: true; value: T } | { ok: false } {
    if (!this.has) return { ok: false };
    const value = this.latest as T;
    this.has = false;
    this.latest = undefined;
    return { ok: true, value };
  }
}

// A shared Promise executor (no closure per `recv`): the constructor calls it synchronously.
let capturedResolve: ((v: unknown) => void) | undefined;
let capturedReject: ((e: Error) => void) | undefined;
function captureResolvers(resolve: (v: never) => void, reject: (e: Error) => void): void {
  capturedResolve = resolve as (v: unknown) => void;
  capturedReject = reject;
}

/**
 * Receives the single message of a once port; it is also the port's table entry (no per-port
 * closures: asks open one of these per call).
 */
export class OnceReceiver<T> implements PortEntry, DeadlineTarget {
  readonly once = true;
  readonly mailbox: Mailbox;
  readonly portId: PortId;
  private state: 0 | 1 | 2 = 0; // 0 pending, 1 settled with value, 2 closed/failed
  private value: T | undefined;
  private error: Error | undefined;
  private resolveFn: ((v: T) => void) | undefined;
  private rejectFn: ((e: Error) => void) | undefined;
  private timer: Deadline | undefined;
  private timeoutMs = 0;
  constructor(mailbox: Mailbox, portId: PortId) {
    this.mailbox = mailbox;
    this.portId = portId;
  }
  get done(): boolean {
    return this.state !== 0;
  }
  /** PortEntry: a delivered message. */
  sink(msg: unknown): void {
    this.settle(msg as T);
  }
  /** PortEntry: unbound without a message. */
  closed(): void {
    this.fail(new PortClosedError(String(this.portId)));
  }
  /** Delivers the value. */
  settle(v: T): void {
    if (this.state !== 0) return;
    this.state = 1;
    const r = this.resolveFn;
    if (r !== undefined) {
      waiting--;
      this.timer?.cancel();
      this.resolveFn = this.rejectFn = undefined;
      r(v);
    } else this.value = v;
  }
  /** The value; with `timeoutMs`, rejects with `TimeoutError` (and unbinds the port) on expiry. */
  recv(timeoutMs?: number): Promise<T> {
    if (this.state === 1) return Promise.resolve(this.value as T);
    if (this.state === 2) return Promise.reject(this.error);
    if (this.resolveFn !== undefined) return Promise.reject(new MailboxError('Recv', String(this.portId), 'once port is already being received'));
    const p = new Promise<T>(captureResolvers);
    waiting++;
    this.resolveFn = capturedResolve as (v: T) => void;
    this.rejectFn = capturedReject;
    capturedResolve = capturedReject = undefined;
    if (timeoutMs !== undefined) {
      this.timeoutMs = timeoutMs;
      this.timer = deadline(timeoutMs, this);
    }
    return p;
  }
  onDeadline(): void {
    this.timer = undefined;
    this.fail(new TimeoutError(`receive on once port ${this.portId}`, this.timeoutMs));
  }
  /** Closes without a value: the port is unbound; a pending `recv` rejects with `PortClosedError`. */
  close(): void {
    this.fail(new PortClosedError(String(this.portId)));
  }
  private fail(e: Error): void {
    if (this.state !== 0) return;
    this.state = 2;
    this.error = e;
    this.timer?.cancel();
    const rj = this.rejectFn;
    if (rj !== undefined) waiting--;
    this.resolveFn = this.rejectFn = undefined;
    this.mailbox.unbindPort(this.portId);
    rj?.(e);
  }
}
