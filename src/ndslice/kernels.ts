/**
 * Batch slice kernels behind one interface: the WASM implementation (build/slice.wasm, from
 * assembly/slice.ts) and a plain-TS reference (./reference.ts) with identical results
 * (docs/architecture.md WASM-3).
 *
 * One WASM call per region, never per rank: slices go into a small header in linear memory and
 * results come back in the module's reusable scratch area. Three ways to receive them:
 * - copying (`enumerate`, `remap`): a fresh `Uint32Array` owned by the caller; the safe default;
 * - caller buffer (`enumerateInto`, `remapInto`): written into a `Uint32Array` the caller reuses
 *   across calls (no allocation; one `set` out of linear memory); a too-short buffer is rejected
 *   with `BufferTooSmall`, never reallocated behind the caller's back;
 * - lending (`withEnumerate`, `withRemap`): zero copy, `f` gets a view over linear memory.
 *
 * Lending invariant (enforced in `place`)
 * (docs/architecture.md WASM-2): the lent view is valid only while `f` runs and must not
 * escape it — the next call reuses the same bytes, and growing memory detaches the view (it then
 * reads as empty). While a view is lent, other kernel calls (nested inside `f`) put their output
 * past the lent bytes, and if that would need memory.grow they are served by the TS reference
 * instead, so the lent view stays intact for the whole callback.
 *
 * Invariants enforced here before any kernel call: offsets/sizes/strides are non-negative
 * integers, the rank count and every base rank fit in u32 (`RankOverflow` otherwise), and the
 * scratch area is reserved for the call's output. Slices with more dims than the kernel's header
 * holds (`maxDims`, 16) are served by the reference. A trap still surfaces as `WasmKernelError`
 * (docs/architecture.md WASM-1).
 */
import { WasmKernelError } from '../base/errors.js';
import { loadKernel, translateTrap, type KernelModule } from '../wasm/loader.js';
import { InvalidDims, InvalidInteger, RankOverflow, SliceError } from './errors.js';
import * as ref from './reference.js';
import type { SliceLike } from './slice.js';

export interface SliceKernels {
  readonly name: string;
  /** Base ranks of `s` in row-major order, as a fresh array. */
  enumerate(s: SliceLike): Uint32Array;
  /**
   * Base ranks of `s` written into `out` (reused by the caller across calls); returns the first
   * `len(s)` words of `out` (`out` itself when lengths match), or a fresh array without `out`.
   * `BufferTooSmall` when `out` is not a Uint32Array of at least `len(s)` words.
   */
  enumerateInto(s: SliceLike, out?: Uint32Array): Uint32Array;
  /**
   * Calls `f` with the base ranks of `s` in a buffer lent by the kernels (WASM: a view over linear
   * memory, zero copy) and returns its result. The view is valid only inside `f`: do not keep it,
   * copy what you need (`Uint32Array.from(view)`).
   */
  withEnumerate<R>(s: SliceLike, f: (view: Uint32Array) => R): R;
  /** Rust's sorted-merge `is_subset`: is `a` a subset of `b`? */
  isSubset(a: SliceLike, b: SliceLike): boolean;
  /** For each base rank of `target`, its rank in `parent`; null unless `target.isSubset(parent)`. */
  remap(parent: SliceLike, target: SliceLike): Uint32Array | null;
  /** `remap` into a caller buffer, as `enumerateInto`; on null the contents of `out` are unspecified. */
  remapInto(parent: SliceLike, target: SliceLike, out?: Uint32Array): Uint32Array | null;
  /** `remap` lent as in `withEnumerate`; null (and `f` is not called) unless target ⊆ parent. */
  withRemap<R>(parent: SliceLike, target: SliceLike, f: (view: Uint32Array) => R): R | null;
}

/** A caller-provided result buffer is not a Uint32Array of at least `needed` words. */
export class BufferTooSmall extends SliceError {
  readonly needed: number;
  /** Length of the buffer given (-1 when it was not a Uint32Array). */
  readonly got: number;
  constructor(needed: number, got: number, what = `a Uint32Array of length ${got}`) {
    super('BufferTooSmall', `result buffer too small: expected a Uint32Array of at least ${needed} words, got ${what}`);
    this.needed = needed;
    this.got = got;
  }
}

/**
 * The result buffer for `n` words: a fresh array without `out`, else the first `n` words of `out`
 * (`out` itself when the lengths match); `BufferTooSmall` when `out` cannot hold them.
 */
export function outBuffer(out: Uint32Array | undefined, n: number): Uint32Array {
  if (out === undefined) return new Uint32Array(n);
  if (!(out instanceof Uint32Array))
    throw new BufferTooSmall(n, -1, out === null ? 'null' : typeof out === 'object' ? String((out as object).constructor?.name ?? 'object') : typeof out);
  if (out.length < n) throw new BufferTooSmall(n, out.length);
  return out.length === n ? out : out.subarray(0, n);
}

interface SliceExports {
  header(): number;
  descBytes(): number;
  maxDims(): number;
  scratch(): number;
  reserve(bytes: number): number;
  enumerate(desc: number, out: number): number;
  mergeRemap(parent: number, target: number, out: number, wantRanks: number): number;
}

const U32_LIMIT = 2 ** 32;

/** Checks a slice for the u32 kernels; returns its rank count. */
export function checkKernelSlice(s: SliceLike): number {
  if (!s || !Array.isArray(s.sizes) || !Array.isArray(s.strides)) throw new InvalidInteger('slice', s);
  const d = s.sizes.length;
  if (s.strides.length !== d) throw new InvalidDims(d, s.strides.length);
  if (!Number.isSafeInteger(s.offset) || s.offset < 0) throw new InvalidInteger('offset', s.offset);
  let n = 1;
  let max = s.offset;
  for (let i = 0; i < d; i++) {
    const size = s.sizes[i]!;
    const stride = s.strides[i]!;
    if (!Number.isSafeInteger(size) || size < 0) throw new InvalidInteger(`sizes[${i}]`, size);
    if (!Number.isSafeInteger(stride) || stride < 0) throw new InvalidInteger(`strides[${i}]`, stride);
    n *= size;
    if (size > 0) max += (size - 1) * stride;
  }
  if (n === 0) return 0;
  if (max >= U32_LIMIT) throw new RankOverflow(max);
  if (n >= U32_LIMIT) throw new RankOverflow(n);
  return n;
}

class WasmSliceKernels implements SliceKernels {
  readonly name = 'wasm';
  private readonly km: KernelModule<SliceExports>;
  private readonly hdr: number;
  private readonly descBytes: number;
  private readonly scratch: number;
  readonly maxDims: number;
  /** Bytes past `scratch` currently lent to `withEnumerate`/`withRemap` callbacks (0: none). */
  private lentTop = 0;

  constructor() {
    this.km = loadKernel<SliceExports>('slice');
    this.hdr = this.km.exports.header();
    this.descBytes = this.km.exports.descBytes();
    this.maxDims = this.km.exports.maxDims();
    this.scratch = this.km.exports.scratch();
  }

  /** Bytes of linear memory committed (flat once the largest request has been served). */
  byteLength(): number {
    return this.km.byteLength();
  }

  private write(at: number, s: SliceLike): void {
    const u = this.km.u32();
    const w = at >>> 2;
    const d = s.sizes.length;
    u[w] = s.offset;
    u[w + 1] = d;
    for (let i = 0; i < d; i++) {
      u[w + 2 + i] = s.sizes[i]!;
      u[w + 2 + this.maxDims + i] = s.strides[i]!;
    }
  }

  private reserve(bytes: number): number {
    const fail = () => new WasmKernelError('slice', `cannot grow linear memory to hold ${bytes} bytes of results (wasm32 memory is at most 4 GiB)`);
    if (bytes >= U32_LIMIT) throw fail();
    let p: number;
    try {
      p = this.km.exports.reserve(bytes);
    } catch (e) {
      throw translateTrap('slice', e);
    }
    if (p === 0) throw fail();
    return p;
  }

  /**
   * Where a call's `bytes` of output go: the scratch start when nothing is lent (memory grows as
   * needed); past the lent bytes while a view is lent, or 0 ("use the reference") when that would
   * need memory.grow, which would detach the lent view.
   */
  private place(bytes: number): number {
    if (this.lentTop === 0) return this.reserve(bytes);
    const at = this.scratch + this.lentTop;
    return at + bytes <= this.km.byteLength() ? at : 0;
  }

  /** Runs the enumerate kernel into linear memory at `p` (placed for `n` words). */
  private runEnumerate(s: SliceLike, p: number): void {
    this.write(this.hdr, s);
    try {
      this.km.exports.enumerate(this.hdr, p);
    } catch (e) {
      throw translateTrap('slice', e);
    }
  }

  /** Runs the merge kernel; `p` is the output (0 when ranks are not wanted). Returns subset-ness. */
  private runMerge(parent: SliceLike, target: SliceLike, p: number): boolean {
    this.write(this.hdr, parent);
    this.write(this.hdr + this.descBytes, target);
    try {
      return this.km.exports.mergeRemap(this.hdr, this.hdr + this.descBytes, p, p === 0 ? 0 : 1) !== 0;
    } catch (e) {
      throw translateTrap('slice', e);
    }
  }

  enumerate(s: SliceLike): Uint32Array {
    return this.enumerateInto(s);
  }

  enumerateInto(s: SliceLike, out?: Uint32Array): Uint32Array {
    const n = checkKernelSlice(s);
    const dst = outBuffer(out, n);
    if (n === 0) return dst;
    const p = s.sizes.length > this.maxDims ? 0 : this.place(n * 4);
    if (p === 0) return ref.enumerateInto(s, dst);
    this.runEnumerate(s, p);
    dst.set(this.km.u32().subarray(p >>> 2, (p >>> 2) + n));
    return dst;
  }

  withEnumerate<R>(s: SliceLike, f: (view: Uint32Array) => R): R {
    const n = checkKernelSlice(s);
    if (n === 0) return f(new Uint32Array(0));
    const p = s.sizes.length > this.maxDims ? 0 : this.place(n * 4);
    if (p === 0) return f(ref.enumerate(s));
    this.runEnumerate(s, p);
    return this.lend(p, n, f);
  }

  /** Lends `n` words at `p` to `f`, keeping them reserved (`lentTop`) until `f` returns. */
  private lend<R>(p: number, n: number, f: (view: Uint32Array) => R): R {
    const prev = this.lentTop;
    this.lentTop = p - this.scratch + n * 4;
    try {
      return f(new Uint32Array(this.km.memory.buffer, p, n));
    } finally {
      this.lentTop = prev;
    }
  }

  /** Checks both slices; null when the kernels cannot take them (too many dims). */
  private mergeCounts(parent: SliceLike, target: SliceLike): { np: number; nt: number } | null {
    const np = checkKernelSlice(parent);
    const nt = checkKernelSlice(target);
    if (parent.sizes.length > this.maxDims || target.sizes.length > this.maxDims) return null;
    return { np, nt };
  }

  isSubset(a: SliceLike, b: SliceLike): boolean {
    const c = this.mergeCounts(b, a);
    if (!c) return ref.isSubset(a, b);
    if (c.nt === 0) return true;
    if (c.np === 0) return false;
    return this.runMerge(b, a, 0);
  }

  remap(parent: SliceLike, target: SliceLike): Uint32Array | null {
    return this.remapInto(parent, target);
  }

  remapInto(parent: SliceLike, target: SliceLike, out?: Uint32Array): Uint32Array | null {
    const c = this.mergeCounts(parent, target);
    const nt = c ? c.nt : checkKernelSlice(target);
    const dst = outBuffer(out, nt);
    if (!c) return ref.remapInto(parent, target, dst);
    if (nt === 0) return dst;
    if (c.np === 0) return null;
    const p = this.place(nt * 4);
    if (p === 0) return ref.remapInto(parent, target, dst);
    if (!this.runMerge(parent, target, p)) return null;
    dst.set(this.km.u32().subarray(p >>> 2, (p >>> 2) + nt));
    return dst;
  }

  withRemap<R>(parent: SliceLike, target: SliceLike, f: (view: Uint32Array) => R): R | null {
    const c = this.mergeCounts(parent, target);
    if (!c) return ref.withRemap(parent, target, f);
    if (c.nt === 0) return f(new Uint32Array(0));
    if (c.np === 0) return null;
    const p = this.place(c.nt * 4);
    if (p === 0) {
      const r = ref.remap(parent, target);
      return r ? f(r) : null;
    }
    if (!this.runMerge(parent, target, p)) return null;
    return this.lend(p, c.nt, f);
  }
}

let wasm: WasmSliceKernels | undefined;

/** The WASM slice kernels (instantiated once per process). */
export function sliceKernels(): SliceKernels & { byteLength(): number; readonly maxDims: number } {
  return (wasm ??= new WasmSliceKernels());
}
