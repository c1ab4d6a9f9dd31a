// The tree shape of ofRanks, pinned against literal trees. Monarch's `Selection::of_ranks`
// (ndslice/src/selection.rs) takes the ranks as a BTreeSet (ascending, no duplicates), maps each
// rank to `slice.coordinates(i)` folded from the last dimension into
// `range(c0..=c0, range(c1..=c1, … true))`, and joins them with `reduce(dsl::union)`: a
// left-associated chain `union(union(r0, r1), r2)`, or `false_()` for no ranks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slice } from '../../src/ndslice/slice.js';
import { ValueNotInSlice } from '../../src/ndslice/errors.js';
import { ofRanks, reifySlices } from '../../src/selection/index.js';
import { ofRanksBalanced } from '../../src/selection/reify.js';
import type { SelectionJSON } from '../../src/selection/selection.js';

const T: SelectionJSON = ['true'];
const at = (i: number, inner: SelectionJSON = T): SelectionJSON => ['range', { start: i, end: i + 1, step: 1 }, inner];
const union = (l: SelectionJSON, r: SelectionJSON): SelectionJSON => ['union', l, r];

test('ofRanks folds ascending, deduplicated ranks left by union, as Monarch of_ranks', () => {
  const line = Slice.new(0, [6], [1]);
  assert.deepEqual(ofRanks(line, [3, 1, 3]).toJSON(), union(at(1), at(3)));
  assert.deepEqual(ofRanks(line, [5, 0, 2, 4]).toJSON(), union(union(union(at(0), at(2)), at(4)), at(5)));
  assert.deepEqual(ofRanks(line, [4]).toJSON(), at(4));
});

test('ofRanks on a 2-d slice, derived by hand from ndslice/src/selection.rs Selection::of_ranks', () => {
  // Slice 0 + [2, 3] row-major, ranks {5, 0, 4}: the BTreeSet iterates 0, 4, 5 with coordinates
  // (0,0), (1,1), (1,2); each is range(r..=r, range(c..=c, true_())); reduce(union) gives
  // union(union(p0, p4), p5).
  const grid = Slice.new(0, [2, 3], [3, 1]);
  assert.deepEqual(ofRanks(grid, [5, 0, 4]).toJSON(), union(union(at(0, at(0)), at(1, at(1))), at(1, at(2))));
  // A strided, offset slice: coordinates are those of the slice, not of the base ranks.
  const strided = Slice.new(10, [2, 2], [20, 2]);
  assert.deepEqual(ofRanks(strided, [32, 10, 30]).toJSON(), union(union(at(0, at(0)), at(1, at(0))), at(1, at(1))));
});

test('ofRanks: no ranks is false, a 0-d slice is true, the smallest non-member throws', () => {
  assert.deepEqual(ofRanks(Slice.new(0, [4], [1]), []).toJSON(), ['false']);
  assert.deepEqual(ofRanks(Slice.new(7, [], []), [7]).toJSON(), T);
  assert.throws(
    () => ofRanks(Slice.new(0, [5], [1]), [9, 2, 7]),
    (e: unknown) => e instanceof ValueNotInSlice && e.value === 7,
  );
});

test('ofRanksBalanced selects the same ranks with a shallow tree; reifySlices folds left', () => {
  const line = Slice.new(0, [6], [1]);
  assert.deepEqual(ofRanksBalanced(line, [5, 0, 2, 4]).toJSON(), union(union(at(0), at(2)), union(at(4), at(5))));
  assert.deepEqual(ofRanksBalanced(line, []).toJSON(), ['false']);
  const views = [Slice.new(0, [1], [1]), Slice.new(2, [0], [1]), Slice.new(3, [1], [1]), Slice.new(5, [1], [1])];
  assert.deepEqual(reifySlices(line, views).toJSON(), union(union(at(0), at(3)), at(5)));
});
