/**
 * Cheap timeouts for many short-lived waits (asks, receives): one Node timer per distinct
 * timeout duration instead of one per wait, and no clock read for waits that end within the
 * event-loop turn that started them.
 *
 * Invariants:
 * - Waits with the same duration expire in the order they were armed, so each duration keeps a
 *   FIFO of entries and a single timer armed for the head. Cancelling only marks the entry;
 *   expired or cancelled entries are skipped when the head is reached.
 * - Arming is deferred to the end of the current event-loop turn (one `setImmediate` per turn
 *   arms every wait created in it, with one clock read): no timer can fire before the turn ends
 *   anyway, and a wait cancelled within its turn (a local ask answered synchronously or by
 *   microtasks) costs no clock read and no timer work. A deadline therefore never fires early;
 *   it may fire late by at most the length of the turn that created it (like any Node timer
 *   behind a busy turn).
 *
 * Written with classes and methods (no per-wait closures): this is on the ask hot path.
 */

/** Something to notify when its deadline passes. */
export interface DeadlineTarget {
  onDeadline(): void;
}

/** A pending deadline. */
export class Deadline {
  /** When it fires (set when armed, at the end of the turn that created it). */
  at = 0;
  target: DeadlineTarget | undefined;
  readonly ms: number;
  /** Its lane once armed. */
  lane: Lane | undefined = undefined;
  constructor(ms: number, target: DeadlineTarget) {
    this.ms = ms;
    this.target = target;
  }
  /** Prevents the notification; idempotent. */
  cancel(): void {
    if (this.target !== undefined) {
      this.target = undefined;
      const lane = this.lane;
      if (lane !== undefined) {
        if (--lane.live === 0) lane.idle();
      } else if (pending[pending.length - 1] === this) {
        // The newest unarmed wait (a sequential ask): forget it now, so a long turn of asks does
        // not keep thousands of dead entries alive long enough to be promoted to the old space.
        pending.pop();
      }
    }
  }
}

class FnTarget implements DeadlineTarget {
  constructor(private readonly fn: () => void) {}
  onDeadline(): void {
    this.fn();
  }
}

/**
 * Longest delay a Node timer takes (2^31 - 1 ms, ~24.8 days; longer ones fire after 1 ms). A
 * longer or infinite wait re-arms its lane's timer until it is due: `Infinity` never fires, and
 * its timer keeps the process alive while the wait lasts, like any other deadline.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

class Lane {
  readonly ms: number;
  live = 0;
  private entries: Deadline[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Whether `timer` currently keeps the process alive. */
  private refd = false;
  private unrefPending = false;
  private readonly tickBound: () => void;
  private readonly unrefBound: () => void;
  constructor(ms: number) {
    this.ms = ms;
    this.tickBound = this.tick.bind(this);
    this.unrefBound = this.unrefIfIdle.bind(this);
  }
  /** Arms `d` (not cancelled) at `now` + ms. */
  add(d: Deadline, now: number): void {
    // Every earlier deadline was cancelled: drop them now rather than when the timer fires, so
    // sustained asks do not keep up to one lane duration of dead entries alive.
    if (this.live === 0 && this.entries.length !== 0) {
      this.entries = [];
      this.head = 0;
    }
    d.at = now + this.ms;
    d.lane = this;
    this.entries.push(d);
    this.live++;
    if (this.timer === undefined) {
      this.timer = setTimeout(this.tickBound, Math.min(this.ms, MAX_TIMER_MS));
      this.refd = true;
    } else if (!this.refd) {
      this.timer.ref();
      this.refd = true;
    }
  }
  /**
   * No live deadline: the armed timer must not keep the process alive. The unref is done from a
   * `setImmediate` (which keeps the process alive until it runs anyway), so arm/cancel cycles
   * within one event-loop turn (sequential asks) do not toggle the timer every time.
   */
  idle(): void {
    if (this.unrefPending) return;
    this.unrefPending = true;
    setImmediate(this.unrefBound);
  }
  private unrefIfIdle(): void {
    this.unrefPending = false;
    if (this.live === 0 && this.timer !== undefined && this.refd) {
      this.timer.unref();
      this.refd = false;
    }
  }
  private tick(): void {
    this.timer = undefined;
    const now = performance.now();
    const es = this.entries;
    while (this.head < es.length) {
      const d = es[this.head]!;
      const t = d.target;
      if (t !== undefined && d.at > now) break;
      this.head++;
      if (t !== undefined) {
        d.cancel();
        try {
          t.onDeadline();
        } catch (err) {
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    }
    if (this.live === 0) {
      this.entries = [];
      this.head = 0;
      if (lanes.get(this.ms) === this) lanes.delete(this.ms); // no unbounded growth per duration
      return;
    }
    if (this.head > 1024 && this.head * 2 > es.length) {
      this.entries = es.slice(this.head);
      this.head = 0;
    }
    const next = this.entries[this.head];
    if (next !== undefined) {
      this.timer = setTimeout(this.tickBound, Math.min(Math.max(0, next.at - now), MAX_TIMER_MS));
      this.refd = true;
    }
  }
}

const lanes = new Map<number, Lane>();

/** Deadlines created in this turn, armed by `armPending` at its end (in creation order). */
let pending: Deadline[] = [];
let spare: Deadline[] = [];
let armScheduled = false;
/** `pending` is compacted (cancelled entries dropped) when it reaches this length. */
let compactAt = 4096;

function armPending(): void {
  armScheduled = false;
  const ds = pending;
  pending = spare;
  let now = -1;
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i]!;
    if (d.target === undefined) continue; // cancelled within its turn
    if (now < 0) now = performance.now();
    let lane = lanes.get(d.ms);
    if (lane === undefined) {
      lane = new Lane(d.ms);
      lanes.set(d.ms, lane);
    }
    lane.add(d, now);
  }
  ds.length = 0;
  spare = ds;
}

/** Notifies `target` (or calls a function) after `ms` milliseconds unless cancelled. */
export function deadline(ms: number, target: DeadlineTarget | (() => void)): Deadline {
  const d = new Deadline(ms, typeof target === 'function' ? new FnTarget(target) : target);
  if (pending.length >= compactAt) {
    // A long turn creating many short-lived waits (sequential local asks): keep only live ones.
    let j = 0;
    for (let i = 0; i < pending.length; i++) if (pending[i]!.target !== undefined) pending[j++] = pending[i]!;
    pending.length = j;
    compactAt = Math.max(4096, 2 * j);
  }
  pending.push(d);
  if (!armScheduled) {
    armScheduled = true;
    setImmediate(armPending);
  }
  return d;
}
