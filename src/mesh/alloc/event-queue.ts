/**
 * An unbounded async queue of alloc events with an end (`close()`): the allocs' drivers push,
 * `next()` pops.
 *
 * Invariants: events come out in push order, each to exactly one `next()` caller (concurrent
 * callers are served in call order); after `close()` and once drained, `next()` resolves `null`
 * forever; pushes after `close()` are dropped.
 * - Watchers (`watch`) see every accepted event synchronously at push time, in push order,
 *   whoever consumes `next()` (and whether anyone does).
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiters: Array<(v: T | null) => void> = [];
  private closed = false;
  private watchers: Array<(v: T) => void> = [];

  push(v: T): void {
    if (this.closed) return;
    for (const f of this.watchers) {
      try {
        f(v);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    const w = this.waiters.shift();
    if (w !== undefined) w(v);
    else this.items.push(v);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(null);
  }

  /** Calls `f` with every event pushed from now on; returns a function that stops it. */
  watch(f: (v: T) => void): () => void {
    this.watchers = [...this.watchers, f];
    return () => {
      this.watchers = this.watchers.filter((w) => w !== f);
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  next(): Promise<T | null> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((r) => this.waiters.push(r));
  }
}
