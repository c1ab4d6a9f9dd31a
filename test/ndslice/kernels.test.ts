// Pins docs/architecture.md WASM-1 (inputs validated, traps typed), WASM-3 (kernels equal their TS
// reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent, Region, Slice, sliceKernels, RankOverflow, InvalidInteger } from '../../src/ndslice/index.js';
import * as ref from '../../src/ndslice/reference.js';
import { WasmKernelError } from '../../src/base/errors.js';
import { int, prng, randomRegion, randomSlice } from './prng.js';

const wasm = sliceKernels();
const arr = (x: Uint32Array | null) => (x ? Array.from(x) : null);

/** Monarch's ndslice/src/view.rs `Region::is_subset`/`Region::remap` transcribed over plain arrays. */
function specRemap(parent: number[], target: number[]): number[] | null {
  let i = 0;
  const out: number[] = [];
  for (const v of target) {
    while (i < parent.length && parent[i]! < v) i++;
    if (i >= parent.length || parent[i] !== v) return null;
    out.push(i++);
  }
  return out;
}

test('WASM enumerate equals the TS reference and Slice.get for random slices (seeded)', () => {
  const rnd = prng(0xa11ce);
  for (let k = 0; k < 500; k++) {
    const s = randomSlice(rnd, 5, 7);
    const w = Array.from(wasm.enumerate(s));
    assert.deepEqual(w, Array.from(ref.enumerate(s)), String(s));
    assert.equal(w.length, s.len);
    for (let i = 0; i < w.length; i += Math.max(1, w.length >> 4)) {
      assert.equal(w[i], s.get(i));
      assert.equal(s.index(w[i]!), i);
    }
  }
});

test('WASM isSubset and remap equal the TS reference and the Monarch merge for random region pairs (seeded)', () => {
  const rnd = prng(0xb0b);
  let subsets = 0;
  for (let k = 0; k < 400; k++) {
    const parent = randomRegion(rnd);
    const target = rnd() < 0.6 ? randomRegion(rnd, parent) : randomRegion(rnd, Region.fromExtent(parent.extent()));
    const expect = specRemap(Array.from(ref.enumerate(parent.slice)), Array.from(ref.enumerate(target.slice)));
    assert.deepEqual(arr(parent.remap(target)), expect, `${parent} ⊇? ${target}`);
    assert.deepEqual(arr(ref.remap(parent.slice, target.slice)), expect);
    assert.equal(target.isSubset(parent), expect !== null);
    assert.equal(ref.isSubset(target.slice, parent.slice), expect !== null);
    if (expect) subsets++;
  }
  assert.ok(subsets > 100 && subsets < 400, `both outcomes exercised (${subsets} subsets)`);
});

test('WASM and TS merges equal the element-by-element Monarch merge on random non-ascending slices (seeded)', () => {
  const rnd = prng(0xc0de);
  for (let k = 0; k < 400; k++) {
    const a = randomSlice(rnd, 3, 4);
    const b = rnd() < 0.5 ? randomSlice(rnd, 3, 4) : a;
    const expect = specRemap(Array.from(ref.enumerate(a)), Array.from(ref.enumerate(b)));
    assert.deepEqual(arr(wasm.remap(a, b)), expect, `${a} ⊇? ${b}`);
    assert.deepEqual(arr(ref.remap(a, b)), expect);
    assert.equal(wasm.isSubset(b, a), expect !== null);
  }
});

test('the run-wise merge equals the Monarch merge on raw descriptors with zero, equal and overlapping strides (seeded)', () => {
  const rnd = prng(0xfeed);
  const raw = () => {
    const d = int(rnd, 0, 3);
    return {
      offset: int(rnd, 0, 12),
      sizes: Array.from({ length: d }, () => int(rnd, 0, 4)),
      strides: Array.from({ length: d }, () => (rnd() < 0.2 ? 0 : int(rnd, 1, 6))),
    };
  };
  /** A sub-lattice of `p`: a start coordinate, then per dim a step and a count that stay inside. */
  const subOf = (p: { offset: number; sizes: number[]; strides: number[] }) => {
    let offset = p.offset;
    const sizes: number[] = [];
    const strides: number[] = [];
    p.sizes.forEach((size, i) => {
      if (size === 0) return void (sizes.push(0), strides.push(p.strides[i]!));
      const c = int(rnd, 0, size - 1);
      const step = int(rnd, 1, 2);
      offset += c * p.strides[i]!;
      sizes.push(int(rnd, 1, Math.floor((size - 1 - c) / step) + 1));
      strides.push(p.strides[i]! * step);
    });
    return { offset, sizes, strides };
  };
  let subsets = 0;
  for (let k = 0; k < 3000; k++) {
    const p = raw();
    // targets drawn near the parent so that matches happen: same shape with a scaled last stride, or a sub-run
    const t = rnd() < 0.3 ? raw() : subOf(p);
    const expect = specRemap(Array.from(ref.enumerate(p)), Array.from(ref.enumerate(t)));
    assert.deepEqual(arr(wasm.remap(p, t)), expect, JSON.stringify({ p, t }));
    assert.deepEqual(arr(ref.remap(p, t)), expect, JSON.stringify({ p, t }));
    assert.equal(wasm.isSubset(t, p), expect !== null);
    if (expect && expect.length > 1) subsets++;
  }
  assert.ok(subsets > 200, `non-trivial subsets exercised (${subsets})`);
});

test('remap of a large strided sub-region gives the parent rank of every member', () => {
  const parent = Region.fromExtent(
    Extent.of([
      ['a', 64],
      ['b', 32],
      ['c', 32],
    ]),
  );
  const target = parent.range('a', [3, 60, 5]).range('c', [1, null, 2]);
  const m = parent.remap(target)!;
  assert.equal(m.length, target.numRanks);
  const base = target.baseRanks();
  for (let i = 0; i < m.length; i += 97) assert.equal(m[i], parent.slice.index(base[i]!));
});

test('slices with more dims than the kernel header holds fall back to the reference', () => {
  const d = wasm.maxDims + 3;
  const s = Slice.rowMajor(new Array(d).fill(1).map((_, i) => (i % 6 === 0 ? 2 : 1)));
  assert.deepEqual(Array.from(wasm.enumerate(s)), Array.from(ref.enumerate(s)));
  assert.deepEqual(
    arr(wasm.remap(s, s)),
    Array.from({ length: s.len }, (_, i) => i),
  );
});

test('base ranks that do not fit in u32 are rejected with RankOverflow before any kernel call', () => {
  assert.throws(
    () => wasm.enumerate(Slice.new(2 ** 32 - 2, [4], [1])),
    (e: unknown) => e instanceof RankOverflow && e.max === 2 ** 32 + 1,
  );
  assert.throws(() => Slice.new(0, [2, 2], [2 ** 33, 1]).enumerate(), RankOverflow);
  assert.throws(() => wasm.isSubset(Slice.new(0, [2], [2 ** 40]), Slice.rowMajor([2])), RankOverflow);
  assert.throws(() => wasm.enumerate({ offset: 0, sizes: [2.5], strides: [1] }), InvalidInteger);
});

test('base ranks up to 2^32 - 1 go through the kernels exactly', () => {
  const top = Slice.new(2 ** 32 - 7, [2, 3], [4, 1]);
  assert.deepEqual(Array.from(top.enumerate()), [2 ** 32 - 7, 2 ** 32 - 6, 2 ** 32 - 5, 2 ** 32 - 3, 2 ** 32 - 2, 2 ** 32 - 1]);
  assert.deepEqual(arr(wasm.remap(top, Slice.new(2 ** 32 - 3, [3], [1]))), [3, 4, 5]);
  assert.equal(wasm.isSubset(Slice.new(2 ** 32 - 2, [2], [1]), top), true);
});

test('empty and 0-d slices go through every kernel', () => {
  const empty = Slice.new(5, [0, 3], [3, 1]);
  const point = Slice.new(9, [], []);
  assert.deepEqual(Array.from(wasm.enumerate(empty)), []);
  assert.deepEqual(Array.from(wasm.enumerate(point)), [9]);
  assert.deepEqual(arr(wasm.remap(point, empty)), []);
  assert.equal(wasm.remap(empty, point), null);
  assert.deepEqual(arr(wasm.remap(Slice.rowMajor([10]), point)), [9]);
  assert.equal(int(prng(1), 0, 0), 0);
});

test('a result too large for wasm32 memory is a typed WasmKernelError, not a trap', () => {
  // 2^31 ranks fit in u32 but 8 GiB of results do not fit in linear memory
  assert.throws(
    () => wasm.enumerate(Slice.rowMajor([2 ** 16, 2 ** 15])),
    (e: unknown) => e instanceof WasmKernelError && /4 GiB/.test(e.message),
  );
});
