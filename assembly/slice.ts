// Slice kernels: batch operations over ndslice slices, one call per region (spec hotpath.md §16).
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

/** Chunk size (words) of the resumable enumerations used by the merge. */
const CHUNK: u32 = 4096;
export function chunkWords(): u32 {
  return CHUNK;
}

// Cursor state (u32 words): [next value, left in the current innermost run, run base, remaining].
const CUR_P: usize = memory.data(16, 16);
const CUR_T: usize = memory.data(16, 16);

function cursorInit(desc: usize, cur: usize, cp: usize): void {
  const d = dOf(desc);
  for (let i: u32 = 0; i < d; i++) store<u32>(cp + (<usize>i << 2), 0);
  const off = load<u32>(desc);
  store<u32>(cur, off);
  store<u32>(cur, d ? sizeOf(desc, d - 1) : 1, 4);
  store<u32>(cur, off, 8);
  store<u32>(cur, count(desc), 12);
}

/** Writes up to `max` next base ranks of the cursor to `buf`; returns how many. */
function fill(desc: usize, cur: usize, cp: usize, buf: usize, max: u32): u32 {
  const remaining = load<u32>(cur, 12);
  const n = remaining < max ? remaining : max;
  const d = dOf(desc);
  const lastSize: u32 = d ? sizeOf(desc, d - 1) : 1;
  const lastStride: u32 = d ? strideOf(desc, d - 1) : 0;
  let v = load<u32>(cur);
  let left = load<u32>(cur, 4);
  let base = load<u32>(cur, 8);
  let p = buf;
  let k: u32 = 0;
  while (k < n) {
    const want = n - k;
    const run = left < want ? left : want;
    p = writeRun(p, v, lastStride, run);
    v += run * lastStride;
    k += run;
    left -= run;
    if (left == 0) {
      base = carry(desc, cp, base);
      v = base;
      left = lastSize;
    }
  }
  store<u32>(cur, v);
  store<u32>(cur, left, 4);
  store<u32>(cur, base, 8);
  store<u32>(cur, remaining - n, 12);
  return n;
}

/**
 * Rust's sorted merge (`Region::is_subset` / `remap`): is the slice at `target` a subset of the
 * slice at `parent`? Both are enumerated lazily, CHUNK base ranks at a time, into two buffers at
 * `work` (2 × CHUNK words), and the merge stops as soon as the target is exhausted (as Rust's
 * iterators do). When `wantRanks`, writes the parent rank of each target base rank to `out`
 * (count(target) words). Returns 1 (subset) or 0. QUIRK kept: correct only when both enumerate in
 * ascending order.
 */
export function mergeRemap(parent: usize, target: usize, work: usize, out: usize, wantRanks: i32): i32 {
  const np = count(parent);
  const nt = count(target);
  if (nt == 0) return 1;
  if (np == 0) return 0;
  const pb = work;
  const tb = work + (<usize>CHUNK << 2);
  cursorInit(parent, CUR_P, COORDS);
  cursorInit(target, CUR_T, COORDS_T);
  let pp = pb; // next parent value in the chunk
  let pEnd = pb;
  let tp = tb; // next target value in the chunk
  let tEnd = tb;
  let pFirst: u32 = 0; // parent rank of pb[0]
  let pFilled: u32 = 0; // parent ranks enumerated so far
  let tFilled: u32 = 0;
  let op = out;
  while (true) {
    if (tp == tEnd) {
      if (tFilled == nt) return 1;
      const k = fill(target, CUR_T, COORDS_T, tb, CHUNK);
      tFilled += k;
      tp = tb;
      tEnd = tb + (<usize>k << 2);
    }
    if (pp == pEnd) {
      if (pFilled == np) return 0;
      const k = fill(parent, CUR_P, COORDS, pb, CHUNK);
      pFirst = pFilled;
      pFilled += k;
      pp = pb;
      pEnd = pb + (<usize>k << 2);
    }
    // two copies of the loop so the common isSubset path has no output test; a branch-free
    // variant (conditional increments) measured ~2× slower: it chains every step on the loads
    if (wantRanks) {
      while (pp < pEnd && tp < tEnd) {
        const tv = load<u32>(tp);
        const pv = load<u32>(pp);
        if (tv < pv) return 0;
        if (tv == pv) {
          store<u32>(op, pFirst + <u32>((pp - pb) >> 2));
          op += 4;
          tp += 4;
        }
        pp += 4;
      }
    } else {
      while (pp < pEnd && tp < tEnd) {
        const tv = load<u32>(tp);
        const pv = load<u32>(pp);
        if (tv < pv) return 0;
        if (tv == pv) tp += 4;
        pp += 4;
      }
    }
  }
  return 0;
}
