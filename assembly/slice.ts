// Slice kernels: batch operations over ndslice slices, one call per region (docs/architecture.md).
//
// Memory layout (no managed objects; runtime stub):
// - a static header area (`header()`) holding two slice descriptors, A at header() and B at
//   header() + DESC_BYTES, each `[offset u32, d u32, sizes u32[MAXD], strides u32[MAXD]]`, followed
//   by odometer scratch for 2 × MAXD coordinates;
// - a scratch area starting at __heap_base, grown with memory.grow by `reserve(bytes)` and reused
//   from call to call, so memory stays flat once it has reached the largest request.
// Invariant: callers (src/ndslice/kernels.ts) validate first: d <= MAXD, every base rank and the
// rank count fit in u32, and the scratch area was reserved for the outputs of the call.

const MAXD: u32 = 16;
const DESC_WORDS: u32 = 2 + 2 * MAXD;
const DESC_BYTES: u32 = DESC_WORDS * 4;
const HDR: usize = memory.data(<i32>(2 * DESC_BYTES + 2 * MAXD * 4), 16);
const COORDS: usize = HDR + 2 * <usize>DESC_BYTES;

export function header(): usize {
  return HDR;
}
export function descBytes(): u32 {
  return DESC_BYTES;
}
export function maxDims(): u32 {
  return MAXD;
}

/** Start of the scratch area (16-aligned). */
export function scratch(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Ensures `bytes` of scratch; returns its start, or 0 when memory cannot grow. */
export function reserve(bytes: usize): usize {
  const start = scratch();
  const need: u64 = <u64>start + <u64>bytes;
  const have: u64 = <u64>memory.size() << 16;
  if (need > have) {
    const pages = <i32>((need - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  return start;
}

@inline function dOf(desc: usize): u32 {
  return load<u32>(desc, 4);
}
@inline function sizeOf(desc: usize, i: u32): u32 {
  return load<u32>(desc + 8 + (<usize>i << 2));
}
@inline function strideOf(desc: usize, i: u32): u32 {
  return load<u32>(desc + 8 + (<usize>MAXD << 2) + (<usize>i << 2));
}

/** Number of base ranks of a descriptor (validated by the caller to fit in u32). */
export function count(desc: usize): u32 {
  const d = dOf(desc);
  let n: u32 = 1;
  for (let i: u32 = 0; i < d; i++) n *= sizeOf(desc, i);
  return n;
}

/** Writes `n` values `v, v+stride, …` at `p` (unrolled by four); returns the end pointer. */
@inline function writeRun(p: usize, v: u32, stride: u32, n: u32): usize {
  const s2 = stride * 2;
  const s3 = stride * 3;
  const s4 = stride * 4;
  for (let q: u32 = n >> 2; q > 0; q--) {
    store<u32>(p, v);
    store<u32>(p, v + stride, 4);
    store<u32>(p, v + s2, 8);
    store<u32>(p, v + s3, 12);
    v += s4;
    p += 16;
  }
  for (let r: u32 = n & 3; r > 0; r--) {
    store<u32>(p, v);
    v += stride;
    p += 4;
  }
  return p;
}

/** Writes the base ranks of the slice at `desc` in row-major order to `out`; returns the count. */
export function enumerate(desc: usize, out: usize): u32 {
  const d = dOf(desc);
  const offset = load<u32>(desc);
  const n = count(desc);
  if (n == 0) return 0;
  if (d == 0) {
    store<u32>(out, offset);
    return 1;
  }
  const lastSize = sizeOf(desc, d - 1);
  const lastStride = strideOf(desc, d - 1);
  for (let i: u32 = 0; i < d; i++) store<u32>(COORDS + (<usize>i << 2), 0);
  let base = offset;
  let p = out;
  const l2 = lastStride * 2;
  const l3 = lastStride * 3;
  const l4 = lastStride * 4;
  const quads = lastSize >> 2;
  const rest = lastSize & 3;
  while (true) {
    // innermost dimension, unrolled by four (SIMD is not enabled in asconfig.json)
    let v = base;
    for (let q: u32 = 0; q < quads; q++) {
      store<u32>(p, v);
      store<u32>(p, v + lastStride, 4);
      store<u32>(p, v + l2, 8);
      store<u32>(p, v + l3, 12);
      v += l4;
      p += 16;
    }
    for (let j: u32 = 0; j < rest; j++) {
      store<u32>(p, v);
      v += lastStride;
      p += 4;
    }
    // odometer over the outer dimensions
    let i = <i32>d - 2;
    for (; i >= 0; i--) {
      const cp = COORDS + (<usize>i << 2);
      const c = load<u32>(cp) + 1;
      const size = sizeOf(desc, <u32>i);
      const stride = strideOf(desc, <u32>i);
      if (c < size) {
        store<u32>(cp, c);
        base += stride;
        break;
      }
      store<u32>(cp, 0);
      base -= (size - 1) * stride;
    }
    if (i < 0) break;
  }
  return n;
}

const COORDS_T: usize = COORDS + (<usize>MAXD << 2); // second half of the coordinate scratch

/**
 * Odometer carry over the outer dims (all but the last) of the slice at `desc`, coordinates at
 * `cp`: returns the base rank of the next innermost run given the start of the current one.
 */
function carry(desc: usize, cp: usize, runBase: u32): u32 {
  let b = runBase;
  for (let i = <i32>dOf(desc) - 2; i >= 0; i--) {
    const p = cp + (<usize>i << 2);
    const c = load<u32>(p) + 1;
    const size = sizeOf(desc, <u32>i);
    const stride = strideOf(desc, <u32>i);
    if (c < size) {
      store<u32>(p, c);
      return b + stride;
    }
    store<u32>(p, 0);
    b -= (size - 1) * stride;
  }
  return b;
}

/**
 * Rust's sorted merge (`Region::is_subset` / `remap`) over the runs of both slices: is the slice
 * at `target` a subset of the slice at `parent`? When `wantRanks`, writes the parent rank of each
 * target base rank to `out` (count(target) words). Returns 1 (subset) or 0.
 *
 * Same result as the element-by-element merge (advance the parent while it is below the target
 * value; equal → next of both; below → not a subset), but inside one innermost run of each side,
 * which are arithmetic progressions, it steps in closed form: parent values below the target value
 * are skipped by a division, and when the target stride is a multiple q of the parent stride a
 * whole target run matches every q-th parent element at once. Runs are walked with odometers, so
 * the cost is O(matched ranks + runs) and it stops when the target is exhausted (as Rust's
 * iterators do). QUIRK kept: the answer is the merge's, i.e. only meaningful for ascending
 * enumerations (a column-major region is not a subset of its own hull).
 */
export function mergeRemap(parent: usize, target: usize, out: usize, wantRanks: i32): i32 {
  const np = count(parent);
  const nt = count(target);
  if (nt == 0) return 1;
  if (np == 0) return 0;
  const pd = dOf(parent);
  const td = dOf(target);
  for (let k: u32 = 0; k < pd; k++) store<u32>(COORDS + (<usize>k << 2), 0);
  for (let k: u32 = 0; k < td; k++) store<u32>(COORDS_T + (<usize>k << 2), 0);
  const pSize: u32 = pd ? sizeOf(parent, pd - 1) : 1;
  const ps: u32 = pd ? strideOf(parent, pd - 1) : 0;
  const tSize: u32 = td ? sizeOf(target, td - 1) : 1;
  const ts: u32 = td ? strideOf(target, td - 1) : 0;
  const fast = ps != 0 && ts != 0 && ts % ps == 0;
  const q: u32 = fast ? ts / ps : 0;
  let pBase = load<u32>(parent);
  let pv = pBase;
  let pLeft = pSize; // parent elements left in the current run, pv included
  let tBase = load<u32>(target);
  let tv = tBase;
  let tLeft = tSize;
  let i: u32 = 0; // parent rank of pv
  let j: u32 = 0; // target rank of tv
  while (true) {
    if (tv < pv) return 0;
    let pStep: u32;
    if (tv == pv) {
      let m: u32 = 1;
      if (fast) {
        const cap = (pLeft - 1) / q + 1;
        m = tLeft < cap ? tLeft : cap;
      }
      if (wantRanks) writeRun(out + (<usize>j << 2), i, q, m);
      j += m;
      if (j == nt) return 1;
      tLeft -= m;
      if (tLeft == 0) {
        tBase = carry(target, COORDS_T, tBase);
        tv = tBase;
        tLeft = tSize;
      } else {
        tv += m * ts;
      }
      pStep = (m - 1) * q + 1;
    } else if (ps == 0) {
      pStep = pLeft;
    } else {
      const k = <u32>((<u64>(tv - pv) + <u64>ps - 1) / <u64>ps);
      pStep = k < pLeft ? k : pLeft;
    }
    i += pStep;
    if (i >= np) return 0;
    pLeft -= pStep;
    if (pLeft == 0) {
      pBase = carry(parent, COORDS, pBase);
      pv = pBase;
      pLeft = pSize;
    } else {
      pv += pStep * ps;
    }
  }
  return 0;
}
