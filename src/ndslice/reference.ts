/**
 * Plain-TypeScript reference of the slice kernels (internal: tests and benchmarks compare the WASM
 * kernels against it; not exported from the barrel). Same algorithms as assembly/slice.ts:
 * odometer enumeration in row-major order; Rust's sorted merge for isSubset/remap over chunked
 * (4096-rank) resumable enumerations of both slices, stopping when the target is exhausted.
 *
 * Invariant: inputs were validated by the facade (non-negative integers, every base rank < 2^32).
 */
import type { SliceKernels } from './kernels.js';
import type { SliceLike } from './slice.js';

function lenOf(s: SliceLike): number {
  let n = 1;
  for (const x of s.sizes) n *= x;
  return n;
}

/** Writes the base ranks of `s` (row-major) into `out` from index `at`; returns the count. */
export function enumerateInto(s: SliceLike, out: Uint32Array, at = 0): number {
  const n = lenOf(s);
  if (n === 0) return 0;
  const d = s.sizes.length;
  if (d === 0) {
    out[at] = s.offset;
    return 1;
  }
  const sizes = s.sizes;
  const strides = s.strides;
  const lastSize = sizes[d - 1]!;
  const lastStride = strides[d - 1]!;
  const coords = new Array<number>(d).fill(0);
  let base = s.offset;
  let k = at;
  for (;;) {
    let v = base;
    for (let j = 0; j < lastSize; j++) {
      out[k++] = v;
      v += lastStride;
    }
    let i = d - 2;
    for (; i >= 0; i--) {
      if (++coords[i]! < sizes[i]!) {
        base += strides[i]!;
        break;
      }
      base -= (sizes[i]! - 1) * strides[i]!;
      coords[i] = 0;
    }
    if (i < 0) return k - at;
  }
}

export function enumerate(s: SliceLike): Uint32Array {
  const out = new Uint32Array(lenOf(s));
  enumerateInto(s, out);
  return out;
}

/** Rust's `Region::is_subset`: sorted merge of both enumerations. */
export function isSubset(a: SliceLike, b: SliceLike): boolean {
  return mergeRemap(b, a, false) !== null;
}

/** Rust's `Region::remap`: for each base rank of `target`, its rank in `parent`; null unless target ⊆ parent. */
export function remap(parent: SliceLike, target: SliceLike): Uint32Array | null {
  return mergeRemap(parent, target, true);
}

const EMPTY = new Uint32Array(0);

const CHUNK = 4096;

/** Resumable row-major enumeration of a slice (the TS twin of the kernel's cursors). */
class Cursor {
  private readonly coords: number[];
  private readonly lastSize: number;
  private readonly lastStride: number;
  private next: number;
  private left: number;
  private base: number;
  private remaining: number;
  constructor(private readonly s: SliceLike) {
    const d = s.sizes.length;
    this.coords = new Array<number>(d).fill(0);
    this.lastSize = d ? s.sizes[d - 1]! : 1;
    this.lastStride = d ? s.strides[d - 1]! : 0;
    this.base = this.next = s.offset;
    this.left = this.lastSize;
    this.remaining = lenOf(s);
  }
  /** Writes up to `buf.length` next base ranks into `buf`; returns how many. */
  fill(buf: Uint32Array): number {
    const n = Math.min(this.remaining, buf.length);
    const { sizes, strides } = this.s;
    const stride = this.lastStride;
    let v = this.next;
    let left = this.left;
    let base = this.base;
    let k = 0;
    while (k < n) {
      const run = Math.min(left, n - k);
      for (let r = 0; r < run; r++) {
        buf[k++] = v;
        v += stride;
      }
      left -= run;
      if (left === 0) {
        for (let i = sizes.length - 2; i >= 0; i--) {
          const c = this.coords[i]! + 1;
          if (c < sizes[i]!) {
            this.coords[i] = c;
            base += strides[i]!;
            break;
          }
          this.coords[i] = 0;
          base -= (sizes[i]! - 1) * strides[i]!;
        }
        v = base;
        left = this.lastSize;
      }
    }
    this.next = v;
    this.left = left;
    this.base = base;
    this.remaining -= n;
    return n;
  }
}

/** Sorted merge over chunked enumerations, stopping when the target is exhausted (as Rust's iterators do). */
function mergeRemap(parent: SliceLike, target: SliceLike, wantRanks: boolean): Uint32Array | null {
  const np = lenOf(parent);
  const nt = lenOf(target);
  const out = wantRanks ? new Uint32Array(nt) : EMPTY;
  if (nt === 0) return out;
  if (np === 0) return null;
  const pc = new Cursor(parent);
  const tc = new Cursor(target);
  const pb = new Uint32Array(Math.min(CHUNK, np));
  const tb = new Uint32Array(Math.min(CHUNK, nt));
  let pn = 0;
  let tn = 0;
  let pi = 0;
  let ti = 0;
  let i = 0;
  let j = 0;
  for (;;) {
    if (ti === tn) {
      if (j === nt) return out;
      tn = tc.fill(tb);
      ti = 0;
    }
    if (pi === pn) {
      if (i === np) return null;
      pn = pc.fill(pb);
      pi = 0;
    }
    while (pi < pn && ti < tn) {
      const tv = tb[ti]!;
      const pv = pb[pi]!;
      if (tv < pv) return null;
      if (tv === pv) {
        if (wantRanks) out[j] = i;
        j++;
        ti++;
      }
      i++;
      pi++;
    }
  }
}

/** The reference as a `SliceKernels` implementation. */
export const referenceKernels: SliceKernels = {
  name: 'ts-reference',
  enumerate,
  isSubset,
  remap,
};
