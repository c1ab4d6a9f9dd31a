/**
 * Batch slice kernels behind one interface: the WASM implementation (build/slice.wasm, from
 * assembly/slice.ts) and a plain-TS reference (./reference.ts) with identical results.
 *
 * One WASM call per region, never per rank: slices go into a small header in linear memory,
 * results come back in the module's reusable scratch area and are returned as a **fresh
 * `Uint32Array` copy** owned by the caller (the scratch is overwritten by the next call; the copy
 * is `new Uint32Array(n).set(view)`, measured ~2× faster than `TypedArray.slice` here).
 *
 * Invariants enforced here before any kernel call: offsets/sizes/strides are non-negative
 * integers, the rank count and every base rank fit in u32 (`RankOverflow` otherwise), and the
 * scratch area is reserved for the call's output. Slices with more dims than the kernel's header
 * holds (`maxDims`, 16) are served by the reference. A trap still surfaces as `WasmKernelError`.
 */
import { WasmKernelError } from '../errors.js';
import { loadKernel, translateTrap, type KernelModule } from '../wasm/loader.js';
import { InvalidDims, InvalidInteger, RankOverflow } from './errors.js';
import * as ref from './reference.js';
import type { SliceLike } from './slice.js';

export interface SliceKernels {
  readonly name: string;
  /** Base ranks of `s` in row-major order, as a fresh array. */
  enumerate(s: SliceLike): Uint32Array;
  /** Rust's sorted-merge `is_subset`: is `a` a subset of `b`? */
  isSubset(a: SliceLike, b: SliceLike): boolean;
  /** For each base rank of `target`, its rank in `parent`; null unless `target.isSubset(parent)`. */
  remap(parent: SliceLike, target: SliceLike): Uint32Array | null;
}

interface SliceExports {
  header(): number;
  descBytes(): number;
  maxDims(): number;
  reserve(bytes: number): number;
  enumerate(desc: number, out: number): number;
  mergeRemap(parent: number, target: number, out: number, wantRanks: number): number;
}

const U32_LIMIT = 2 ** 32;
const EMPTY = new Uint32Array(0);

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
  readonly maxDims: number;

  constructor() {
    this.km = loadKernel<SliceExports>('slice');
    this.hdr = this.km.exports.header();
    this.descBytes = this.km.exports.descBytes();
    this.maxDims = this.km.exports.maxDims();
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

  /** Fresh copy of `n` words at word index `start` (allocate + `set` is ~2× faster than `slice`). */
  private copyOut(start: number, n: number): Uint32Array {
    const out = new Uint32Array(n);
    out.set(this.km.u32().subarray(start, start + n));
    return out;
  }

  enumerate(s: SliceLike): Uint32Array {
    const n = checkKernelSlice(s);
    if (n === 0) return new Uint32Array(0);
    if (s.sizes.length > this.maxDims) return ref.enumerate(s);
    const out = this.reserve(n * 4);
    this.write(this.hdr, s);
    try {
      this.km.exports.enumerate(this.hdr, out);
    } catch (e) {
      throw translateTrap('slice', e);
    }
    return this.copyOut(out >>> 2, n);
  }

  private merge(parent: SliceLike, target: SliceLike, wantRanks: boolean): Uint32Array | null {
    const np = checkKernelSlice(parent);
    const nt = checkKernelSlice(target);
    if (parent.sizes.length > this.maxDims || target.sizes.length > this.maxDims) {
      if (wantRanks) return ref.remap(parent, target);
      return ref.isSubset(target, parent) ? EMPTY : null;
    }
    if (nt === 0) return wantRanks ? new Uint32Array(0) : EMPTY;
    if (np === 0) return null;
    const out = wantRanks ? this.reserve(nt * 4) : 0;
    this.write(this.hdr, parent);
    this.write(this.hdr + this.descBytes, target);
    let ok: number;
    try {
      ok = this.km.exports.mergeRemap(this.hdr, this.hdr + this.descBytes, out, wantRanks ? 1 : 0);
    } catch (e) {
      throw translateTrap('slice', e);
    }
    if (!ok) return null;
    return wantRanks ? this.copyOut(out >>> 2, nt) : EMPTY;
  }

  isSubset(a: SliceLike, b: SliceLike): boolean {
    return this.merge(b, a, false) !== null;
  }

  remap(parent: SliceLike, target: SliceLike): Uint32Array | null {
    return this.merge(parent, target, true);
  }
}

let wasm: WasmSliceKernels | undefined;

/** The WASM slice kernels (instantiated once per process). */
export function sliceKernels(): SliceKernels & { byteLength(): number; readonly maxDims: number } {
  return (wasm ??= new WasmSliceKernels());
}
