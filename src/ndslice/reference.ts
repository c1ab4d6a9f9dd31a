/**
 * Plain-TypeScript reference of the slice kernels (internal: tests and benchmarks compare the WASM
 * kernels against it; not exported from the barrel). Same algorithms as assembly/slice.ts:
 * odometer enumeration in row-major order; Rust's sorted merge for isSubset/remap walked run by
 * run (closed-form steps inside the arithmetic innermost runs), stopping when the target is
 * exhausted.
 *
 * Same API shape as the WASM facade (`SliceKernels`): copying calls (`enumerate`, `remap`),
 * caller-buffer calls (`enumerateInto`, `remapInto`, checked by `outBuffer`) and lending calls
 * (`withEnumerate`, `withRemap`, over a module-owned buffer reused from call to call).
 *
 * Invariant: inputs were validated by the facade (non-negative integers, every base rank < 2^32).
 * The kernels must give this module's results (docs/architecture.md WASM-3).
 */
import { outBuffer, type SliceKernels } from './kernels.js';
import type { SliceLike } from './slice.js';

function lenOf(s: SliceLike): number {
  let n = 1;
  for (const x of s.sizes) n *= x;
  return n;
}

/** Writes the base ranks of `s` (row-major) into `out` from index `at` (no bounds check); returns the count. */
export function enumerateAt(s: SliceLike, out: Uint32Array, at = 0): number {
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
  enumerateAt(s, out);
  return out;
}

/**
 * Base ranks of `s` written into the caller's `out` (reused across calls); returns the first
 * `len(s)` words of `out` (`out` itself when the lengths match). `BufferTooSmall` when `out` is
 * shorter; without `out`, a fresh array.
 */
export function enumerateInto(s: SliceLike, out?: Uint32Array): Uint32Array {
  const dst = outBuffer(out, lenOf(s));
  enumerateAt(s, dst);
  return dst;
}

/** Rust's `Region::is_subset`: sorted merge of both enumerations. */
export function isSubset(a: SliceLike, b: SliceLike): boolean {
  return mergeRemap(b, a, false) !== null;
}

/** Rust's `Region::remap`: for each base rank of `target`, its rank in `parent`; null unless target ⊆ parent. */
export function remap(parent: SliceLike, target: SliceLike): Uint32Array | null {
  return mergeRemap(parent, target, true);
}

/**
 * `remap` written into the caller's `out` (first `len(target)` words, returned); null unless
 * target ⊆ parent, in which case the contents of `out` are unspecified. `BufferTooSmall` as
 * `enumerateInto`.
 */
export function remapInto(parent: SliceLike, target: SliceLike, out?: Uint32Array): Uint32Array | null {
  return mergeRemap(parent, target, true, outBuffer(out, lenOf(target)));
}

/** Buffer lent by `withEnumerate`/`withRemap`, grown on demand and reused; `lent` while in use. */
let lendBuf = new Uint32Array(0);
let lent = false;

function lend<R>(n: number, fill: (buf: Uint32Array) => boolean, f: (view: Uint32Array) => R): R | null {
  if (lent) {
    // nested lend: the module buffer is in use by the outer callback, so this one gets its own
    const own = new Uint32Array(n);
    return fill(own) ? f(own) : null;
  }
  if (lendBuf.length < n) lendBuf = new Uint32Array(Math.max(n, lendBuf.length * 2));
  const view = lendBuf.length === n ? lendBuf : lendBuf.subarray(0, n);
  lent = true;
  try {
    return fill(view) ? f(view) : null;
  } finally {
    lent = false;
  }
}

/**
 * Calls `f` with the base ranks of `s` in a buffer this module owns and reuses: the view is valid
 * only inside `f` (the next call overwrites it) and must not escape; copy what you keep.
 */
export function withEnumerate<R>(s: SliceLike, f: (view: Uint32Array) => R): R {
  return lend(lenOf(s), (buf) => (enumerateAt(s, buf), true), f) as R;
}

/** `remap` lent like `withEnumerate`; null (and `f` not called) unless target ⊆ parent. */
export function withRemap<R>(parent: SliceLike, target: SliceLike, f: (view: Uint32Array) => R): R | null {
  return lend(lenOf(target), (buf) => mergeRemap(parent, target, true, buf) !== null, f);
}

const EMPTY = new Uint32Array(0);

/** Odometer carry over the outer dims: base rank of the next innermost run (coords updated). */
function carry(s: SliceLike, coords: number[], runBase: number): number {
  const { sizes, strides } = s;
  let b = runBase;
  for (let i = sizes.length - 2; i >= 0; i--) {
    const c = coords[i]! + 1;
    if (c < sizes[i]!) {
      coords[i] = c;
      return b + strides[i]!;
    }
    coords[i] = 0;
    b -= (sizes[i]! - 1) * strides[i]!;
  }
  return b;
}

/**
 * Rust's sorted merge over the runs of both slices (same algorithm as the kernel's `mergeRemap`:
 * closed-form skips and whole-run matches inside arithmetic innermost runs).
 */
function mergeRemap(parent: SliceLike, target: SliceLike, wantRanks: boolean, into?: Uint32Array): Uint32Array | null {
  const np = lenOf(parent);
  const nt = lenOf(target);
  const out = wantRanks ? (into ?? new Uint32Array(nt)) : EMPTY;
  if (nt === 0) return out;
  if (np === 0) return null;
  const pd = parent.sizes.length;
  const td = target.sizes.length;
  const pc = new Array<number>(pd).fill(0);
  const tc = new Array<number>(td).fill(0);
  const pSize = pd ? parent.sizes[pd - 1]! : 1;
  const ps = pd ? parent.strides[pd - 1]! : 0;
  const tSize = td ? target.sizes[td - 1]! : 1;
  const ts = td ? target.strides[td - 1]! : 0;
  const q = ps !== 0 && ts !== 0 && ts % ps === 0 ? ts / ps : 0;
  let pBase = parent.offset;
  let pv = pBase;
  let pLeft = pSize;
  let tBase = target.offset;
  let tv = tBase;
  let tLeft = tSize;
  let i = 0;
  let j = 0;
  for (;;) {
    if (tv < pv) return null;
    let pStep: number;
    if (tv === pv) {
      let m = 1;
      if (q !== 0) m = Math.min(tLeft, Math.floor((pLeft - 1) / q) + 1);
      if (wantRanks) for (let k = 0; k < m; k++) out[j + k] = i + k * q;
      j += m;
      if (j === nt) return out;
      tLeft -= m;
      if (tLeft === 0) {
        tBase = carry(target, tc, tBase);
        tv = tBase;
        tLeft = tSize;
      } else {
        tv += m * ts;
      }
      pStep = (m - 1) * q + 1;
    } else if (ps === 0) {
      pStep = pLeft;
    } else {
      pStep = Math.min(pLeft, Math.ceil((tv - pv) / ps));
    }
    i += pStep;
    if (i >= np) return null;
    pLeft -= pStep;
    if (pLeft === 0) {
      pBase = carry(parent, pc, pBase);
      pv = pBase;
      pLeft = pSize;
    } else {
      pv += pStep * ps;
    }
  }
}

/** The reference as a `SliceKernels` implementation. */
export const referenceKernels: SliceKernels = {
  name: 'ts-reference',
  enumerate,
  enumerateInto,
  withEnumerate,
  isSubset,
  remap,
  remapInto,
  withRemap,
};
