import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slice } from '../../src/ndslice/slice.js';
import { ValueNotInSlice } from '../../src/ndslice/errors.js';
import { ActormeshError } from '../../src/base/errors.js';
import {
  Selection,
  EvalOptions,
  SelectionTooDeep,
  SelectionDynamic,
  SelectionNotImplemented,
  NonContiguous,
  ofRanks,
  reifySlice,
  reifySlices,
  without,
  difference,
  selectionFrom,
  selectionFromOne,
} from '../../src/selection/index.js';
import { ofRanksBalanced } from '../../src/selection/reify.js';
import { prng, randomSelection, randomSlice, sorted } from './gen.js';

const S = Selection;
const zhg = Slice.new(0, [2, 4, 8], [32, 8, 1]);

test('a selection deeper than the slice throws SelectionTooDeep with the Rust message', () => {
  assert.throws(
    () => S.all(S.all(S.all(S.all()))).eval(zhg),
    (e: unknown) => e instanceof SelectionTooDeep && e.message === 'selection `all(all(all(all(true_()))))` exceeds dimensionality 3' && e.num_dim === 3,
  );
});

test('a shallower selection is completed with true', () => {
  assert.deepEqual(
    S.range(1).eval(zhg),
    Array.from({ length: 32 }, (_, i) => 32 + i),
  );
});

test('lenient eval drops empty and out-of-range ranges, strict eval rejects them', () => {
  const empty = S.all(S.range([3, 3]));
  const past = S.all(S.range([8, null]));
  assert.deepEqual(empty.eval(zhg), []);
  assert.deepEqual(past.eval(zhg), []);
  assert.throws(
    () => empty.eval(zhg, EvalOptions.strict()),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'EmptyRange',
  );
  assert.throws(
    () => past.eval(zhg, EvalOptions.strict()),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'EmptyRange',
  );
  assert.deepEqual(S.range([0, 100, 1]).eval(Slice.new(0, [3], [1]), EvalOptions.strict()), [0, 1, 2]);
});

test('disallowDynamic rejects any, otherwise any selects exactly one in-range rank', () => {
  assert.throws(() => S.all(S.any()).eval(zhg, { disallowDynamic: true }), SelectionDynamic);
  for (let k = 0; k < 20; k++) {
    const r = S.any(S.any(S.any())).eval(zhg);
    assert.equal(r.length, 1);
    assert.ok(r[0]! >= 0 && r[0]! < 64);
  }
});

test('first picks the smallest index with a non-empty continuation', () => {
  assert.deepEqual(S.first(S.first(S.false_())).eval(zhg), []);
  assert.deepEqual(S.first(S.range([2, 3])).eval(Slice.new(0, [3, 4], [4, 1])), [2]);
  assert.deepEqual(S.all(S.first()).eval(Slice.new(0, [2, 3], [3, 1])), [0, 3]);
});

test('0-d slices evaluate as one point at the offset', () => {
  const p = Slice.new(7, [], []);
  assert.deepEqual(S.true_().eval(p), [7]);
  assert.deepEqual(S.all().eval(p), [7]);
  assert.deepEqual(S.all(S.false_()).eval(p), []);
});

test('step 0 is rejected with a typed error, never a hang or RuntimeError', () => {
  assert.throws(
    () => S.range([0, null, 0]),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'InvalidStep',
  );
  assert.throws(
    () => S.fromJSON(['range', { start: 0, end: null, step: 0 }, ['true']]),
    (e: unknown) => e instanceof ActormeshError,
  );
});

test('contains follows the tree and throws NotImplemented for any and first', () => {
  assert.equal(S.all(S.true_()).contains([1, 2, 3]), true);
  assert.equal(S.intersection(S.range([1, 3]), S.range([2, 4])).contains([2, 0, 0]), true);
  assert.equal(S.range(0, S.range(0)).contains([0]), false);
  assert.equal(S.range([1, null]).contains([5, 0, 0]), false, 'open ranges resolve against coords.length (Rust quirk)');
  assert.throws(() => S.any().contains([0]), SelectionNotImplemented);
  assert.throws(() => S.first().contains([0]), SelectionNotImplemented);
});

test('union and intersection identities hold for random selections', () => {
  const r = prng(7);
  for (let k = 0; k < 200; k++) {
    const slice = randomSlice(r);
    const a = randomSelection(r, slice.numDim);
    const b = randomSelection(r, slice.numDim);
    const ea = new Set(a.eval(slice));
    const eb = new Set(b.eval(slice));
    assert.deepEqual(sorted(S.union(a, b).eval(slice)), sorted(new Set([...ea, ...eb])));
    assert.deepEqual(sorted(S.intersection(a, b).eval(slice)), sorted([...ea].filter((x) => eb.has(x))));
    assert.deepEqual(S.union(a, S.false_()).eval(slice), a.eval(slice));
    assert.deepEqual(S.intersection(a, S.true_()).eval(slice), a.eval(slice));
  }
});

test('ofRanks selects exactly the given ranks and rejects non-members', () => {
  const r = prng(11);
  for (let k = 0; k < 100; k++) {
    const slice = randomSlice(r);
    const members = slice.iter();
    const pick = members.filter(() => r() < 0.4);
    assert.deepEqual(sorted(ofRanks(slice, pick).eval(slice)), sorted(pick));
  }
  assert.ok(ofRanks(zhg, []).equals(S.false_()));
  assert.throws(() => ofRanks(Slice.new(0, [4], [1]), [0, 4]), ValueNotInSlice);
});

test('reifySlice selects the view members of a contiguous base', () => {
  const base = Slice.new(0, [4, 6], [6, 1]);
  const views = [Slice.new(7, [2, 2], [12, 2]), Slice.new(2, [4], [6]), Slice.new(1, [1, 5], [6, 1]), Slice.new(0, [4, 6], [6, 1])];
  for (const v of views) assert.deepEqual(sorted(reifySlice(base, v).eval(base)), sorted(v.iter()));
  assert.ok(reifySlice(base, Slice.new(0, [0], [1])).equals(S.false_()));
  assert.throws(() => reifySlice(Slice.new(0, [2, 2], [1, 2]), Slice.new(0, [1], [1])), NonContiguous);
  assert.deepEqual(sorted(reifySlices(base, views.slice(0, 2)).eval(base)), sorted(new Set([...views[0]!.iter(), ...views[1]!.iter()])));
  assert.ok(reifySlices(base, []).equals(S.false_()));
});

test('difference and without remove the excluded ranks', () => {
  const s = Slice.new(0, [5], [1]);
  assert.deepEqual(difference(S.true_(), s, [2, 4]), [0, 1, 3]);
  assert.deepEqual(without(S.all(), s, [0]).eval(s), [1, 2, 3, 4]);
});

test('selectionFrom constrains labelled dims and leaves the others all', () => {
  const shape = { labels: ['host', 'gpu'] };
  assert.ok(selectionFrom(shape, [['gpu', [0, 4]]]).equals(S.all(S.range([0, 4]))));
  assert.ok(selectionFromOne(shape, 'gpu', 2).equals(S.all(S.range(2))));
  assert.throws(
    () => selectionFrom(shape, [['zone', 0]]),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'InvalidLabels',
  );
});

test('fromJSON rejects malformed selections with InvalidSelection', () => {
  for (const bad of [null, 3, ['nope'], ['all'], ['range', null, ['true']], ['union', ['true']]]) {
    assert.throws(
      () => S.fromJSON(bad),
      (e: unknown) => e instanceof ActormeshError && e.variant !== undefined,
    );
  }
});

test('large rank sets stay shallow through ofRanksBalanced and absurdly deep trees fail with a typed error', () => {
  const mesh = Slice.rowMajor([1024, 8]);
  const ranks = Array.from({ length: 8192 }, (_, i) => (i * 7) % 8192);
  const s = ofRanksBalanced(mesh, ranks);
  assert.deepEqual(s.eval(mesh), sorted(ranks));
  let deep: Selection = S.range(0, S.range(0));
  for (let i = 1; i < 200_000; i++) deep = S.union(deep, S.range(0, S.range(0)));
  assert.throws(
    () => deep.eval(mesh),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'InvalidSelection',
  );
});
