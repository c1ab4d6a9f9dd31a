/**
 * Client side of point-to-point endpoint calls (cast-plan.ts). Every calling context has one
 * `ReplyRouter`: a port bound once, to which every member replies `[callId, …]`, demultiplexed
 * to the `ReplyCollector` of that call (like request ids over a hand-written IPC link). One
 * stable reply port keeps the reply envelopes on the channels' fast path (their route repeats),
 * where a port per call would make every reply a new route.
 *
 * Invariants:
 * - A collector settles exactly once: resolved when `n` replies were counted, rejected by its
 *   deadline (`TimeoutError`), by the mesh's health (`SupervisionError`, bounced casts), or when
 *   the reply port closes; on settling it leaves the router, cancels its deadline and leaves the
 *   health state.
 * - Replies for calls that settled (late, duplicated, or forged ids) are dropped; replies are
 *   sent without return, so a late reply never fails the replying actor.
 */
import { PortId } from '../core/ids.js';
import type { Context } from '../actor/instance.js';
import { OncePortRef } from '../actor/refs.js';
import type { PortEntry } from '../mailbox/mailbox.js';
import { type Deadline, type DeadlineTarget, deadline } from '../mailbox/deadline.js';
import { PortClosedError, TimeoutError } from '../mailbox/errors.js';
import type { Slice } from '../ndslice/slice.js';
import type { MeshHealth } from './supervision.js';

/** The reply port of one calling context and its calls in flight. */
export class ReplyRouter implements PortEntry {
  readonly once = false;
  readonly portId: PortId;
  /** What members reply to (one object: its wire bytes are cached). */
  readonly ref: OncePortRef<unknown>;
  private readonly calls = new Map<number, ReplyCollector<unknown>>();
  private nextId = 1;

  private constructor(cx: Context) {
    const index = cx.mailbox.allocateIndex();
    cx.mailbox.bind(index, this);
    this.portId = new PortId(cx.mailbox.actorId, index);
    this.ref = new OncePortRef<unknown>(this.portId, 'reply', false);
  }

  /** The router of `cx` (created and bound on first use). */
  static of(cx: Context): ReplyRouter {
    let r = routers.get(cx);
    if (r === undefined || r.isClosed) routers.set(cx, (r = new ReplyRouter(cx)));
    return r;
  }

  private isClosed = false;

  /** Number of calls in flight (tests). */
  get inFlight(): number {
    return this.calls.size;
  }

  register(c: ReplyCollector<unknown>): number {
    const id = this.nextId++;
    this.calls.set(id, c);
    return id;
  }

  unregister(id: number): void {
    this.calls.delete(id);
  }

  /** PortEntry: a reply `[callId, …]`. */
  sink(msg: unknown): void {
    if (!Array.isArray(msg) || typeof msg[0] !== 'number') return;
    this.calls.get(msg[0])?.sink(msg);
  }

  /** PortEntry: the mailbox closed; every call in flight fails. */
  closed(): void {
    this.isClosed = true;
    for (const c of [...this.calls.values()]) c.fail(new PortClosedError(String(this.portId)));
    this.calls.clear();
  }
}
const routers = new WeakMap<object, ReplyRouter>();

export abstract class ReplyCollector<R> implements DeadlineTarget {
  readonly promise: Promise<R>;
  /** This call's id in its router (the `c` of the request, element 0 of every reply). */
  readonly id: number;
  private resolveFn!: (v: R) => void;
  private rejectFn!: (e: Error) => void;
  private timer: Deadline | undefined;
  private unwatch: (() => void) | undefined;
  private settled = false;
  protected got = 0;

  constructor(
    private readonly router: ReplyRouter,
    protected readonly n: number,
    private readonly timeoutMs: number,
    private readonly what: string,
  ) {
    this.promise = new Promise<R>((res, rej) => {
      this.resolveFn = res;
      this.rejectFn = rej;
    });
    this.id = router.register(this as ReplyCollector<unknown>);
  }

  /** Starts the deadline and the health watch (after the cast was sent). */
  arm(health: MeshHealth, slice: Slice, typeName: string): Promise<R> {
    if (this.settled) return this.promise;
    this.timer = deadline(this.timeoutMs, this);
    this.unwatch = health.watch(slice, (e) => this.fail(e), typeName);
    return this.promise;
  }

  /** One reply `[callId, …]`; `take` returns how many members it accounts for. */
  sink(msg: unknown[]): void {
    if (this.settled) return;
    this.got += this.take(msg);
    if (this.got >= this.n) this.succeed();
  }

  onDeadline(): void {
    this.timer = undefined;
    this.fail(new TimeoutError(this.what, this.timeoutMs));
  }

  /** Counts one reply; returns the number of members it covers (0 for a duplicate or garbage). */
  protected abstract take(msg: unknown[]): number;
  /** The result once all replies are in (may throw, e.g. an endpoint error). */
  protected abstract result(): R;

  private succeed(): void {
    let v: R;
    try {
      v = this.result();
    } catch (e) {
      return this.fail(e as Error);
    }
    if (!this.finish()) return;
    this.resolveFn(v);
  }

  /** Abandons the call without settling its promise (nothing was sent). */
  discard(): void {
    this.finish();
  }

  fail(e: Error): void {
    if (!this.finish()) return;
    this.rejectFn(e);
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    this.router.unregister(this.id);
    return true;
  }
}
