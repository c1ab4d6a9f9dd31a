/**
 * Cheap timeouts for many short-lived waits (asks, receives): one Node timer per distinct
 * timeout duration instead of one per wait.
 *
 * Invariant: waits with the same duration expire in the order they were armed, so each duration
 * keeps a FIFO of entries and a single timer armed for the head. Cancelling only marks the entry;
 * expired or cancelled entries are skipped when the head is reached.
 *
 * Written with classes and methods (no per-wait closures): this is on the ask hot path.
 */

/** Something to notify when its deadline passes. */
export interface DeadlineTarget {
  onDeadline(): void;
}

/** A pending deadline. */
export class Deadline {
  readonly at: number;
  target: DeadlineTarget | undefined;
  private readonly lane: Lane;
  constructor(at: number, target: DeadlineTarget, lane: Lane) {
    this.at = at;
    this.target = target;
    this.lane = lane;
  }
  /** Prevents the notification; idempotent. */
  cancel(): void {
    if (this.target !== undefined) {
      this.target = undefined;
      if (--this.lane.live === 0) this.lane.idle();
    }
  }
}

class FnTarget implements DeadlineTarget {
  constructor(private readonly fn: () => void) {}
  onDeadline(): void {
    this.fn();
  }
}

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
  add(target: DeadlineTarget): Deadline {
    // Every earlier deadline was cancelled: drop them now rather than when the timer fires, so
    // sustained asks do not keep up to one lane duration of dead entries alive.
    if (this.live === 0 && this.entries.length !== 0) {
      this.entries = [];
      this.head = 0;
    }
    const d = new Deadline(performance.now() + this.ms, target, this);
    this.entries.push(d);
    this.live++;
    if (this.timer === undefined) {
      this.timer = setTimeout(this.tickBound, this.ms);
      this.refd = true;
    } else if (!this.refd) {
      this.timer.ref();
      this.refd = true;
    }
    return d;
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
      this.timer = setTimeout(this.tickBound, Math.max(0, next.at - now));
      this.refd = true;
    }
  }
}

const lanes = new Map<number, Lane>();

/** Notifies `target` (or calls a function) after `ms` milliseconds unless cancelled. */
export function deadline(ms: number, target: DeadlineTarget | (() => void)): Deadline {
  let lane = lanes.get(ms);
  if (lane === undefined) {
    lane = new Lane(ms);
    lanes.set(ms, lane);
  }
  return lane.add(typeof target === 'function' ? new FnTarget(target) : target);
}
