/**
 * A bump allocator of small byte views: the one slab of the envelope encoder, the payload codec
 * and the channels' receive paths (as ws's lib/buffer-util.js and Node's Buffer pool carve small
 * buffers from a shared pool). `new Uint8Array(n)` above 64 bytes and `ArrayBuffer.slice` give
 * every view an off-heap backing store of its own (calloc plus GC bookkeeping, ≈ 0.5 µs); a view
 * of a slab costs an object.
 *
 * The rule: views stay valid forever, slabs are never rewritten
 * (docs/architecture.md CORE-3). Bytes handed out are never
 * handed out again; a full slab is replaced by a fresh one, and the old one is freed when no view
 * references it any more. So a view may be kept, queued or sent at any time after it was made,
 * and code that remembers a slab (the frame encoder's registered envelope slabs, a decoder's last
 * buffer) can rely on its bytes. The price: `view.buffer` holds other views' bytes too (never
 * transfer it; see `onNew`).
 */
export class Slab {
  /** The slab views are carved from now (its first `pos` bytes are handed out). */
  bytes: Uint8Array = new Uint8Array(0);
  /** `bytes.buffer`, kept: the getter is a C++ call in V8. */
  buffer = new ArrayBuffer(0);
  /** First free byte of `bytes`. */
  pos = 0;
  private readonly mask: number;

  /**
   * `size`: bytes of a fresh slab (more when one view needs more); `max`: largest copy made in
   * the slab (`copy`; larger ones get a buffer of their own); `align`: views start at multiples
   * of it (a power of two); `onNew`: called with every fresh slab before a view is carved from it.
   */
  constructor(
    readonly size: number,
    opts: { readonly max?: number; readonly align?: number; readonly onNew?: (slab: ArrayBuffer) => void } = {},
  ) {
    this.max = opts.max ?? size;
    this.mask = (opts.align ?? 1) - 1;
    this.onNew = opts.onNew;
  }
  readonly max: number;
  private readonly onNew: ((slab: ArrayBuffer) => void) | undefined;

  /**
   * Makes room for `n` bytes at `pos` (a fresh slab of max(size, n) bytes when the current one
   * has less) and returns `bytes`; the caller writes there and moves `pos` past what it keeps.
   */
  room(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) this.fresh(n);
    return this.bytes;
  }

  /** A view of the next `n` bytes (fresh memory or never handed out before; the caller fills it). */
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) this.fresh(n);
    const at = this.pos;
    this.pos = (at + n + this.mask) & ~this.mask;
    return new Uint8Array(this.buffer, at, n);
  }

  /**
   * A copy of `src` (a plain Uint8Array): in the slab when it is at most `max` bytes long, else in
   * a buffer of its own. (Not `src.slice()`: on a Node Buffer that is a view, not a copy.)
   */
  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    if (n > this.max) return new Uint8Array(src);
    const out = this.take(n);
    out.set(src);
    return out;
  }

  private fresh(n: number): void {
    const buffer = new ArrayBuffer(Math.max(this.size, n));
    this.onNew?.(buffer);
    this.bytes = new Uint8Array(buffer);
    this.buffer = buffer;
    this.pos = 0;
  }
}
