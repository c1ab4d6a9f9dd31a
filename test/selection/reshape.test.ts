import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slice } from '../../src/ndslice/slice.js';
import { ActormeshError } from '../../src/base/errors.js';
import {
  Selection,
  factorDims,
  reshapeWithLimit,
  expandLabels,
  reshapeShapeWithLimit,
  reshapeSelection,
  compileRoute,
  WasmRouter,
} from '../../src/selection/index.js';
import { prng, randomSelection, int, sorted } from './gen.js';

const S = Selection;

test('factorDims factors every dim above the limit greedily from the limit down', () => {
  assert.deepEqual(factorDims([1024], 8), [[8, 8, 8, 2]]);
  assert.deepEqual(factorDims([30], 5), [[5, 3, 2]]);
  assert.deepEqual(factorDims([7], 4), [[7]]);
  assert.deepEqual(factorDims([6], 2), [[2, 3]]);
  assert.deepEqual(factorDims([12, 18, 20], 4), [
    [4, 3],
    [3, 3, 2],
    [4, 5],
  ]);
  assert.deepEqual(factorDims([2, 12, 64], 8), [[2], [6, 2], [8, 8]]);
  assert.throws(
    () => factorDims([4], 0),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'InvalidInteger',
  );
});

test('reshapeWithLimit preserves every location and the enumeration order', () => {
  const r = prng(5);
  for (let k = 0; k < 100; k++) {
    const nd = int(r, 1, 3);
    const sizes = Array.from({ length: nd }, () => int(r, 1, 30));
    const strides = new Array<number>(nd);
    let acc = int(r, 1, 3);
    for (let i = nd - 1; i >= 0; i--) {
      strides[i] = acc;
      acc *= sizes[i]! * int(r, 1, 2);
    }
    const slice = Slice.new(int(r, 0, 50), sizes, strides);
    const limit = int(r, 2, 5);
    const reshaped = reshapeWithLimit(slice, limit);
    assert.ok(
      reshaped.sizes.every((s) => s <= limit || factorDims([s], limit)[0]!.length === 1),
      `${reshaped}`,
    );
    assert.deepEqual(reshaped.iter(), slice.iter());
    assert.equal(reshaped.offset, slice.offset);
  }
  const s = reshapeWithLimit(Slice.new(12, [1, 3, 4], [12, 4, 1]), 2);
  assert.deepEqual(s.toJSON(), { offset: 12, sizes: [1, 3, 2, 2], strides: [12, 4, 2, 1] });
  assert.deepEqual(reshapeWithLimit(Slice.new(5, [], []), 8).toJSON(), { offset: 5, sizes: [], strides: [] });
});

test('expandLabels names split dims label/0, label/1, …', () => {
  assert.deepEqual(
    expandLabels([
      ['x', [2]],
      ['gpu', [2, 2, 2]],
    ]),
    ['x', 'gpu/0', 'gpu/1', 'gpu/2'],
  );
  assert.deepEqual(reshapeShapeWithLimit(['host', 'gpu'], Slice.rowMajor([16, 8]), 4).labels, ['host/0', 'host/1', 'gpu/0', 'gpu/1']);
});

test('reshapeSelection selects the same ranks on the reshaped slice', () => {
  const r = prng(8);
  for (let k = 0; k < 300; k++) {
    const nd = int(r, 1, 3);
    const sizes = Array.from({ length: nd }, () => int(r, 1, 40));
    const slice = Slice.rowMajor(sizes);
    const limit = int(r, 2, 6);
    const bigRange = (dims: number, depth: number): Selection => {
      if (depth >= dims) return S.true_();
      const x = r();
      const size = sizes[depth]!;
      if (x < 0.2) return S.all(bigRange(dims, depth + 1));
      if (x < 0.3) return S.union(bigRange(dims, depth), bigRange(dims, depth));
      if (x < 0.35) return S.intersection(bigRange(dims, depth), bigRange(dims, depth));
      const start = int(r, 0, size);
      const end = r() < 0.2 ? null : start + int(r, 0, size);
      return S.range([start, end, int(r, 1, 12)], bigRange(dims, depth + 1));
    };
    const sel = r() < 0.3 ? randomSelection(r, nd) : bigRange(nd, 0);
    const re = reshapeSelection(sel, slice, limit);
    assert.deepEqual(sorted(re.eval(reshapeWithLimit(slice, limit))), sorted(sel.eval(slice)), `${sel} on ${slice} limit ${limit} → ${re}`);
  }
  const slice = Slice.rowMajor([12, 10]);
  assert.ok(reshapeSelection(S.all(S.all()), slice, 4).equals(S.true_()));
  assert.ok(reshapeSelection(S.all(S.range([0, 10])), slice, 4).equals(S.all(S.all(S.all(S.all())))));
});

test('reshapeSelection keeps strided and contiguous ranges compact', () => {
  const mesh = Slice.rowMajor([1024, 8]);
  const re = reshapeSelection(S.range([0, null, 2], S.range([0, 4])), mesh, 8);
  assert.equal(re.toString(), 'all(all(all(range(0:1:1, range(0:4:1, true_())))))');
  const block = reshapeSelection(S.range([100, 900]), mesh, 8);
  assert.ok(block.toString().length < 400, block.toString());
  assert.deepEqual(sorted(block.eval(reshapeWithLimit(mesh, 8))), sorted(S.range([100, 900]).eval(mesh)));
});

test('routing over a reshaped mesh delivers the same ranks with fan-out bounded by the limit', () => {
  const slice = Slice.rowMajor([64, 8]);
  const limit = 4;
  const reshaped = reshapeWithLimit(slice, limit);
  for (const sel of [S.all(S.all()), S.range([0, null, 2], S.range([0, 4]))]) {
    const re = reshapeSelection(sel, slice, limit);
    const route = new WasmRouter(compileRoute(reshaped, re)).routeAll();
    assert.deepEqual(sorted(route.delivered), sorted(sel.eval(slice)));
    const children = new Map<number, number>();
    for (let i = 0; i < route.parents.length; i += 2) children.set(route.parents[i + 1]!, (children.get(route.parents[i + 1]!) ?? 0) + 1);
    const maxFanOut = Math.max(...[...children.entries()].filter(([p]) => p >= 0).map(([, c]) => c));
    assert.ok(maxFanOut <= (limit - 1) * reshaped.numDim, `fan-out ${maxFanOut}`);
  }
});
