import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Extent,
  Region,
  Slice,
  Range,
  InvalidDim,
  ViewEmptyRange,
  ViewInvalidStep,
  InvalidRange,
  InvalidPoint,
  OutOfRangeBaseRank,
  RegionDimMismatch,
  RangeInvalidStep,
  viewIter,
  viewValues,
  rangeView,
  groupByView,
  type View,
} from '../../src/ndslice/index.js';

const full = (...pairs: [string, number][]) => Region.fromExtent(Extent.of(pairs));
const ranks = (r: Region) => Array.from(r.baseRanks());

test('range on one dim, on two dims and on the same dim twice composes', () => {
  const r = full(['x', 4], ['y', 4]);
  assert.deepEqual(ranks(r.range('x', [0, 2])), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(ranks(r.range('x', [1, 2]).range('y', [2])), [6, 7]);
  const r3 = full(['x', 8], ['y', 4]);
  assert.deepEqual(ranks(r3.range('x', [0, null, 2]).range('x', [2, null]).range('y', 1)), [17, 25]);
});

test('range with step 2 on an odd-sized dim keeps the ceiling', () => {
  assert.deepEqual(ranks(full(['x', 3]).range('x', [0, null, 2])), [0, 2]);
});

test('range rejects an unknown label with InvalidDim and an empty resolved range with EmptyRange', () => {
  const r = full(['x', 4]);
  assert.throws(
    () => r.range('nope', 0),
    (e: unknown) => e instanceof InvalidDim && e.dim === 'nope',
  );
  assert.throws(
    () => r.range('x', [5, 6]),
    (e: unknown) => e instanceof ViewEmptyRange && e.variant === 'EmptyRange' && e.dim === 'x' && e.size === 4 && e.range === '5:6:1',
  );
});

test('range rejects steps Rust panics on: step 0 at Range construction, a step that breaks the slice as InvalidStep', () => {
  assert.throws(() => new Range(0, null, 0), RangeInvalidStep);
  assert.throws(
    () => full(['x', 2], ['y', 3]).range('y', [0, null, 4]),
    (e: unknown) => e instanceof ViewInvalidStep && e.step === 4 && e.dim === 'y',
  );
  assert.deepEqual(ranks(full(['x', 2], ['y', 3]).range('y', [0, null, 3])), [0, 3]);
});

test('range on a column-major region fails the subset check with InvalidRange (QUIRK of the sorted merge)', () => {
  const col = new Region(['x', 'y'], Slice.new(0, [2, 3], [1, 2]));
  assert.throws(
    () => col.range('y', [0, 2]),
    (e: unknown) => e instanceof InvalidRange && e.base === 'x=2/1,y=3/2' && e.selected === 'x=2/1,y=2/2',
  );
});

test('groupBy the first dim gives one group, the last dim one group per row', () => {
  const r = full(['zone', 4], ['host', 4], ['gpu', 8]);
  assert.equal(r.groupBy('zone').length, 1);
  const g = r.groupBy('gpu');
  assert.equal(g.length, 16);
  assert.deepEqual(ranks(g[1]!), [8, 9, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual(g[1]!.labels, ['gpu']);
  const h = full(['zone', 4], ['host', 2], ['gpu', 8]).groupBy('host');
  assert.equal(h.length, 4);
  assert.deepEqual(h[1]!.extent().toJSON(), { labels: ['host', 'gpu'], sizes: [2, 8] });
  assert.equal(h[1]!.baseRank(0), 16);
});

test('isSubset holds for nested ranges and fails for overlapping ones', () => {
  const r = full(['x', 5], ['y', 4]);
  assert.ok(r.range('x', [1, 4]).range('y', [1, 3]).isSubset(r));
  assert.ok(
    r
      .range('x', [1, 4])
      .range('y', [1, 3])
      .isSubset(r.range('x', [1, 4])),
  );
  assert.ok(!r.range('x', [0, 2]).isSubset(r.range('x', [1, 4])));
  assert.ok(!r.isSubset(r.range('x', 0)));
});

test('isSubset keeps the sorted-merge QUIRK: a column-major region is not a subset of its hull', () => {
  const col = new Region(['x', 'y'], Slice.new(0, [2, 3], [1, 2]));
  assert.equal(col.isSubset(full(['n', 6])), false);
});

test('remap gives identity for the region itself and parent ranks after ranging, null for non-subsets', () => {
  const r = full(['x', 4], ['y', 4]);
  assert.deepEqual(
    Array.from(r.remap(r)!),
    Array.from({ length: 16 }, (_, i) => i),
  );
  assert.deepEqual(Array.from(r.remap(r.range('x', [2, null])!.range('y', 1))!), [9, 13]);
  const parent = full(['replica', 8], ['gpu', 4]).range('replica', 1);
  assert.deepEqual(Array.from(parent.remap(parent.range('gpu', [1, 3]))!), [1, 2]);
  assert.equal(r.range('x', 0).remap(r.range('x', 1)), null);
});

test('base rank and point conversions go both ways and reject foreign extents and non-members', () => {
  const r = full(['replicas', 4], ['gpus', 2]).range('replicas', [1, 3]);
  const e = r.extent();
  assert.equal(r.baseRankOfPoint(e.pointOfRank(1)), 3);
  assert.equal(r.pointOfBaseRank(5).rank, 3);
  assert.throws(
    () =>
      r.baseRankOfPoint(
        Extent.of([
          ['replicas', 4],
          ['gpus', 2],
        ]).pointOfRank(1),
      ),
    InvalidPoint,
  );
  assert.throws(
    () => r.pointOfBaseRank(6),
    (e2: unknown) => e2 instanceof OutOfRangeBaseRank && e2.rank === 6,
  );
  for (let k = 0; k < r.numRanks; k++) assert.equal(r.pointOfBaseRank(r.baseRank(k)).rank, k);
});

test('relative point ranks of a 3-dim strided selection', () => {
  const r = new Region(['replicas', 'hosts', 'gpus'], Slice.new(4, [2, 2, 2], [48, 8, 2]));
  assert.deepEqual(
    [4, 6, 12, 14, 52, 54, 60, 62].map((b) => r.pointOfBaseRank(b).rank),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
});

test('a Region whose label count differs from its slice dims is rejected at construction', () => {
  assert.throws(
    () => new Region(['x'], Slice.rowMajor([2, 2])),
    (e: unknown) => e instanceof RegionDimMismatch && e.num_labels === 1 && e.num_dims === 2,
  );
});

test('viewIter yields points of the view extent with items; values follow rank order', () => {
  const r = full(['x', 4], ['y', 4]).range('x', [1, 2]).range('y', [2]);
  assert.deepEqual(
    Array.from(viewIter(r), ([p, v]) => [p.coords(), v]),
    [
      [[0, 0], 6],
      [[0, 1], 7],
    ],
  );
  assert.deepEqual([...viewValues(r)], [6, 7]);
});

test('rangeView and groupByView route through the view subset method', () => {
  class Squares implements View<number> {
    constructor(
      readonly r: Region,
      readonly base: Region,
    ) {}
    region() {
      return this.r;
    }
    get(rank: number) {
      const b = this.r.get(rank);
      return b === undefined ? undefined : b * b;
    }
    subset(sub: Region) {
      if (!sub.isSubset(this.r)) throw new Error('not a subset');
      return new Squares(sub, this.base);
    }
  }
  const base = full(['x', 2], ['y', 3]);
  const v = new Squares(base, base);
  assert.deepEqual([...viewValues(rangeView(v, 'y', [1, null]))], [1, 4, 16, 25]);
  assert.deepEqual(
    groupByView(v, 'y').map((g) => [...viewValues(g)]),
    [
      [0, 1, 4],
      [9, 16, 25],
    ],
  );
});

test('at fixes a coordinate and drops the dim; range with an index keeps it as size 1', () => {
  const r = full(['zone', 2], ['host', 3], ['gpu', 4]);
  const a = r.at('host', 2);
  assert.deepEqual(a.labels, ['zone', 'gpu']);
  assert.deepEqual(ranks(a), [8, 9, 10, 11, 20, 21, 22, 23]);
  assert.ok(a.isSubset(r));
  assert.deepEqual(r.range('host', 2).extent().sizes, [2, 1, 4]);
  assert.throws(
    () => r.at('host', 3),
    (e: unknown) => e instanceof ViewEmptyRange && e.range === '3:4:1',
  );
  assert.throws(() => r.at('rack', 0), InvalidDim);
});

test('Region display prints the offset only when nonzero and quotes labels', () => {
  assert.equal(full(['replica', 2], ['host', 2]).toString(), 'replica=2/2,host=2/1');
  assert.equal(full(['replica', 2], ['host', 2]).range('replica', 1).toString(), '2+replica=1/2,host=2/1');
  assert.equal(new Region(['dim/0', 'dim,1'], Slice.new(8, [4, 5], [1, 4])).toString(), '8+"dim/0"=4/1,"dim,1"=5/4');
});
