import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent, Region } from '../../src/ndslice/index.js';
import { InvalidRankCardinality, ValueMesh, ValueOverlay } from '../../src/valuemesh/index.js';
import { densify, int, naiveApply, prng, randomDense, randomRuns, region1 } from './helpers.js';

const grid = (x: number, y: number) => Region.fromExtent(Extent.new(['x', 'y'], [x, y]));

test('new checks the value count against the region', () => {
  assert.deepEqual(ValueMesh.new(grid(2, 3), [0, 1, 2, 3, 4, 5]).values(), [0, 1, 2, 3, 4, 5]);
  assert.throws(
    () => ValueMesh.new(grid(2, 3), [1]),
    (e: unknown) => e instanceof InvalidRankCardinality && e.expected === 6 && e.actual === 1,
  );
});

test('empty() is one dimension of size zero, Dense', () => {
  const m = ValueMesh.empty<number>();
  assert.equal(m.numRanks, 0);
  assert.deepEqual(m.extent().labels, ['r']);
  assert.equal(m.rep.kind, 'dense');
});

test('buildIndexed: last write wins, out-of-bounds reports rank+1, missing reports distinct ranks', () => {
  assert.deepEqual(
    ValueMesh.buildIndexed(region1(3), [
      [2, 'c'],
      [0, 'a'],
      [1, 'x'],
      [1, 'b'],
    ]).values(),
    ['a', 'b', 'c'],
  );
  assert.throws(
    () =>
      ValueMesh.buildIndexed(region1(4), [
        [0, 1],
        [4, 9],
      ]),
    (e: unknown) => e instanceof InvalidRankCardinality && e.actual === 5,
  );
  assert.throws(
    () =>
      ValueMesh.buildIndexed(region1(2), [
        [0, 1],
        [0, 2],
      ]),
    (e: unknown) => e instanceof InvalidRankCardinality && e.actual === 1,
  );
});

test('equality is representation-sensitive; fromSingle equals fromDefault', () => {
  const r = region1(4);
  const dense = ValueMesh.new(r, [7, 7, 7, 7]);
  const single = ValueMesh.fromSingle(r, 7);
  assert.deepEqual(dense.values(), single.values());
  assert.equal(dense.equals(single), false);
  assert.ok(single.equals(ValueMesh.fromDefault(r, 7)));
  assert.ok(
    dense
      .clone()
      .compress()
      .equals(ValueMesh.fromDense(r, [7, 7, 7, 7])),
  );
});

test('compressed get answers by binary search and is undefined past the end', () => {
  const m = ValueMesh.fromDense(region1(6), [1, 1, 2, 2, 3, 3]);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((r) => m.get(r)),
    [1, 1, 2, 2, 3, 3, undefined],
  );
  assert.equal(m.get(-1), undefined);
  assert.equal(m.get(1.5), undefined);
});

test('fromRangesWithDefault: default at table id 0, adjacent equal overrides kept apart, errors as in Monarch', () => {
  const m = ValueMesh.fromRangesWithDefault(region1(5), 0, [
    [1, 2, 7],
    [2, 4, 7],
  ]);
  assert.ok(m.rep.kind === 'compressed');
  if (m.rep.kind === 'compressed') {
    assert.deepEqual(m.rep.table, [0, 7]);
    assert.equal(m.rep.runs.length, 4);
  }
  assert.throws(
    () => ValueMesh.fromRangesWithDefault(region1(5), 0, [[3, 3, 1]]),
    (e: unknown) => e instanceof InvalidRankCardinality && e.actual === 0,
  );
  assert.throws(
    () => ValueMesh.fromRangesWithDefault(region1(5), 0, [[3, 6, 1]]),
    (e: unknown) => e instanceof InvalidRankCardinality && e.actual === 6,
  );
  assert.throws(
    () =>
      ValueMesh.fromRangesWithDefault(region1(5), 0, [
        [2, 4, 1],
        [1, 3, 2],
      ]),
    (e: unknown) => e instanceof InvalidRankCardinality && e.actual === 2,
  );
});

test('sliced and range re-index a sub-region densely', () => {
  const m = ValueMesh.fromDense(grid(2, 3), [0, 1, 2, 3, 4, 5]);
  const col = m.range('y', 1);
  assert.equal(col.rep.kind, 'dense');
  assert.deepEqual(col.values(), [1, 4]);
  assert.deepEqual(col.extent().sizes, [2, 1]);
  const sub = m.range('x', 1).range('y', [1, 3]);
  assert.deepEqual(sub.values(), [4, 5]);
  assert.deepEqual(
    [...m.iter()].map(([p, v]) => [p.coords(), v]),
    [
      [[0, 0], 0],
      [[0, 1], 1],
      [[0, 2], 2],
      [[1, 0], 3],
      [[1, 1], 4],
      [[1, 2], 5],
    ],
  );
});

test('mergeFromOverlay always leaves a Compressed mesh with a globally de-duplicated table', () => {
  const m = ValueMesh.new(region1(4), [1, 2, 1, 2]).mergeFromOverlay(new ValueOverlay<number>());
  assert.equal(m.rep.kind, 'compressed');
  if (m.rep.kind === 'compressed') assert.deepEqual(m.rep.table, [1, 2]);
  assert.deepEqual(m.values(), [1, 2, 1, 2]);
});

test('right-wins merge: a mesh [5,5,7,7,7,7] merged with [(1..6,5)] is all 5 (true right-wins)', () => {
  const m = ValueMesh.fromDense(region1(6), [5, 5, 7, 7, 7, 7]).mergeFromOverlay(ValueOverlay.tryFromRuns([[1, 6, 5]]));
  assert.deepEqual(m.values(), [5, 5, 5, 5, 5, 5]);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((r) => m.get(r)),
    [5, 5, 5, 5, 5, 5],
  );
});

test('random meshes merged with random overlays equal a naive rank-by-rank apply (seeded)', () => {
  const rnd = prng(1234);
  for (let iter = 0; iter < 300; iter++) {
    const n = int(rnd, 1, 50);
    const dense = randomDense(rnd, n, 4);
    const overlays = Array.from({ length: int(rnd, 1, 4) }, () => randomRuns(rnd, n, 4, 0.3));
    const m = rnd() < 0.5 ? ValueMesh.new(region1(n), dense) : ValueMesh.fromDense(region1(n), dense);
    let expect = dense;
    for (const o of overlays) {
      m.mergeFromOverlay(ValueOverlay.tryFromRuns(o));
      expect = naiveApply(expect, o);
    }
    assert.deepEqual(m.values(), expect);
    assert.deepEqual(
      expect.map((_, r) => m.get(r)),
      expect,
    );
    if (m.rep.kind === 'compressed') {
      // runs cover 0..n exactly, in order, coalesced
      const rs = m.rep.runs;
      assert.equal(rs[0]!.start, 0);
      assert.equal(rs[rs.length - 1]!.end, n);
      for (let i = 1; i < rs.length; i++) {
        assert.equal(rs[i - 1]!.end, rs[i]!.start);
        assert.notEqual(rs[i - 1]!.id, rs[i]!.id);
      }
      assert.equal(new Set(m.rep.table).size, m.rep.table.length);
      assert.deepEqual(densify(m.materializedRuns(), n), expect);
    }
  }
});

test('serde keeps dense dense and compressed compressed', () => {
  const d = ValueMesh.new(region1(2), [1, 2]).toJSON();
  assert.equal(d.rep.rep, 'dense');
  const c = ValueMesh.fromSingle(region1(2), 3).toJSON();
  assert.deepEqual(c.rep, { rep: 'compressed', table: [3], runs: [{ start: 0, end: 2, id: 0 }] });
});
