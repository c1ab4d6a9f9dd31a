/**
 * An unbounded async queue of alloc events with an end (`close()`): the allocs' drivers push,
 * `next()` pops.
 *
 * Invariants: events come out in push order, each to exactly one `next()` caller (concurrent
 * callers are served in call order); after `close()` and once drained, `next()` resolves `null`
 * forever; pushes after `close()` are dropped.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiters: Array<(v: T | null) => void> = [];
  private closed = false;

  push(v: T): void {
    if (this.closed) return;
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

  get isClosed(): boolean {
    return this.closed;
  }

  next(): Promise<T | null> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((r) => this.waiters.push(r));
  }
}
