// Growable i32 vectors over raw linear memory (runtime stub: allocated once at start-up, grown
// with heap.realloc, never freed). Used by the routing kernel for its stacks and queues.

export class IVec {
  ptr: usize;
  cap: i32;
  len: i32;

  constructor(cap: i32) {
    this.cap = cap;
    this.len = 0;
    this.ptr = heap.alloc(<usize>cap << 2);
  }

  @inline get(i: i32): i32 {
    return load<i32>(this.ptr + (<usize>i << 2));
  }

  @inline set(i: i32, v: i32): void {
    store<i32>(this.ptr + (<usize>i << 2), v);
  }

  /** Makes room for `extra` more elements. */
  @inline reserve(extra: i32): void {
    const need = this.len + extra;
    if (need > this.cap) this.grow(need);
  }

  grow(need: i32): void {
    let cap = this.cap << 1;
    if (cap < need) cap = need;
    this.ptr = heap.realloc(this.ptr, <usize>cap << 2);
    this.cap = cap;
  }

  @inline push(v: i32): void {
    if (this.len >= this.cap) this.grow(this.len + 1);
    store<i32>(this.ptr + (<usize>this.len << 2), v);
    this.len++;
  }

  @inline push3(a: i32, b: i32, c: i32): void {
    if (this.len + 3 > this.cap) this.grow(this.len + 3);
    const p = this.ptr + (<usize>this.len << 2);
    store<i32>(p, a);
    store<i32>(p, b, 4);
    store<i32>(p, c, 8);
    this.len += 3;
  }

  /** Sets the length to `n`, growing (contents unspecified) when needed. */
  resize(n: i32): void {
    if (n > this.cap) this.grow(n);
    this.len = n;
  }
}
