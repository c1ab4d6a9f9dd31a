import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Extent,
  Point,
  ExtentDimMismatch,
  OverlappingLabel,
  PointDimMismatch,
  OutOfRangeIndex,
  OutOfRangeRank,
  CoordOutOfRange,
  ReorderedLabel,
  ExtentError,
} from '../../src/ndslice/index.js';

test('Extent.new rejects a label/size count mismatch with DimMismatch{num_labels, num_sizes}', () => {
  assert.throws(
    () => Extent.new(['x', 'y'], [2]),
    (e: unknown) => e instanceof ExtentDimMismatch && e.variant === 'DimMismatch' && e.num_labels === 2 && e.num_sizes === 1,
  );
});

test('Extent.of keeps the written order, even for integer-like labels', () => {
  const e = Extent.of([
    ['b', 2],
    ['1', 3],
    ['0', 4],
  ]);
  assert.deepEqual(e.labels, ['b', '1', '0']);
  assert.equal(e.numRanks, 24);
});

test('Extent.from rejects integer-like keys that JS would reorder, accepts identifiers in order', () => {
  assert.deepEqual(Extent.from({ zone: 2, host: 3 }).labels, ['zone', 'host']);
  assert.throws(
    () => Extent.from({ b: 2, 1: 3 }),
    (e: unknown) => e instanceof ReorderedLabel && e.label === '1',
  );
});

test('the 0-d extent is "empty" yet has exactly one rank and one point with no coordinates', () => {
  const u = Extent.unity();
  assert.equal(u.isEmpty, true);
  assert.equal(u.numRanks, 1);
  assert.deepEqual(
    Array.from(u.points(), (p) => p.coords()),
    [[]],
  );
  assert.equal(u.point([]).toString(), '');
});

test('a zero size gives zero ranks and no points', () => {
  const e = Extent.of([['r', 0]]);
  assert.equal(e.numRanks, 0);
  assert.equal(e.isEmpty, false);
  assert.deepEqual([...e.points()], []);
});

test('rankOfCoords checks the count and reports the last offending axis', () => {
  const e = Extent.of([
    ['x', 2],
    ['y', 3],
  ]);
  assert.equal(e.rankOfCoords([1, 2]), 5);
  assert.throws(
    () => e.rankOfCoords([1]),
    (e2: unknown) => e2 instanceof PointDimMismatch && e2.expected === 2 && e2.actual === 1,
  );
  assert.throws(
    () => e.rankOfCoords([2, 3]),
    (e2: unknown) => e2 instanceof OutOfRangeIndex && e2.size === 3 && e2.index === 3,
  );
});

test('pointOfRank(numRanks) fails with total = rank = numRanks', () => {
  const e = Extent.of([
    ['x', 2],
    ['y', 3],
  ]);
  assert.deepEqual(e.pointOfRank(4).coords(), [1, 1]);
  assert.throws(
    () => e.pointOfRank(6),
    (e2: unknown) => e2 instanceof OutOfRangeRank && e2.total === 6 && e2.rank === 6,
  );
});

test('points enumerate coordinates row-major, last dim fastest', () => {
  const e = Extent.of([
    ['x', 2],
    ['y', 3],
  ]);
  assert.deepEqual(
    Array.from(e.points(), (p) => p.coords()),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ],
  );
  assert.deepEqual(
    Array.from(e.points(), (p) => p.rank),
    [0, 1, 2, 3, 4, 5],
  );
});

test('Point.coord past the dims throws CoordOutOfRange instead of panicking', () => {
  const p = Extent.of([['x', 2]]).point([1]);
  assert.equal(p.coord(0), 1);
  assert.throws(
    () => p.coord(1),
    (e: unknown) => e instanceof CoordOutOfRange && e.dim === 1 && e.ndims === 1,
  );
});

test('point equality compares rank and extent', () => {
  const a = Extent.of([
    ['x', 2],
    ['y', 3],
  ]);
  const b = Extent.of([
    ['x', 2],
    ['z', 3],
  ]);
  assert.ok(a.point([1, 1]).equals(a.pointOfRank(4)));
  assert.ok(!a.point([1, 1]).equals(b.point([1, 1])));
});

test('concat names the first label of the right extent that is already on the left', () => {
  const xy = Extent.of([
    ['x', 2],
    ['y', 3],
  ]);
  assert.deepEqual(xy.concat(Extent.unity()).toJSON(), xy.toJSON());
  assert.deepEqual(Extent.unity().concat(xy).toJSON(), xy.toJSON());
  assert.equal(Extent.unity().concat(Extent.unity()).numRanks, 1);
  assert.throws(
    () => xy.concat(xy),
    (e: unknown) => e instanceof OverlappingLabel && e.label === 'x',
  );
  assert.throws(
    () =>
      xy.concat(
        Extent.of([
          ['z', 1],
          ['y', 3],
        ]),
      ),
    (e: unknown) => e instanceof OverlappingLabel && e.label === 'y',
  );
  const z = Extent.of([['z', 4]]);
  assert.ok(
    z
      .concat(xy)
      .concat(Extent.of([['w', 1]]))
      .equals(z.concat(xy.concat(Extent.of([['w', 1]])))),
  );
});

test('position and size look labels up, undefined when absent', () => {
  const e = Extent.of([
    ['zone', 3],
    ['host', 2],
    ['gpu', 4],
  ]);
  assert.equal(e.position('host'), 1);
  assert.equal(e.size('gpu'), 4);
  assert.equal(e.position('nope'), undefined);
  assert.equal(e.size('nope'), undefined);
});

test('Extent is a view whose items are its own ranks', () => {
  const e = Extent.of([
    ['x', 2],
    ['y', 2],
  ]);
  assert.deepEqual(Array.from(e.region().baseRanks()), [0, 1, 2, 3]);
  assert.equal(e.get(3), 3);
  assert.equal(e.get(4), undefined);
});

test('displays quote labels that are not plain identifiers', () => {
  const e = Extent.of([
    ['dim/0', 3],
    ['dim,1', 5],
  ]);
  assert.equal(e.toString(), '{"dim/0": 3, "dim,1": 5}');
  assert.equal(e.point([1, 2]).toString(), '"dim/0"=1/3,"dim,1"=2/5');
  assert.equal(
    Extent.of([
      ['x', 2],
      ['y', 3],
    ])
      .point([1, 2])
      .formatAsDict(),
    "{'x': 1/2, 'y': 2/3}",
  );
  assert.equal(Extent.of([['a"b', 2]]).toString(), '{"a\\"b": 2}');
});

test('Point.parse accepts spaces anywhere and quoted labels containing delimiters', () => {
  const p = Point.parse(' x = 1 / 4 , "dim/0,=" = 2 / 5 ');
  assert.deepEqual(p.extent.labels, ['x', 'dim/0,=']);
  assert.deepEqual(p.coords(), [1, 2]);
  assert.equal(Point.parse('   ').extent.numRanks, 1);
});
test('extent constructors given the wrong shape of argument throw ExtentError InvalidArgument naming what was expected', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => Extent.of({ hosts: 2 } as never), /Extent\.of: expected \[label, size\] pairs \(Extent\.from takes an object\), got an object/],
    [() => Extent.of([['hosts', 2], 'gpus'] as never), /Extent\.of: expected a \[label, size\] pair, got string "gpus"/],
    [() => Extent.from([['hosts', 2]] as never), /Extent\.from: expected an object of label: size, got an array/],
    [() => Extent.new('hosts' as never, [2]), /Extent\.new labels: expected an array of labels, got string "hosts"/],
  ];
  for (const [f, msg] of cases) {
    assert.throws(f, (e: unknown) => e instanceof ExtentError && e.variant === 'InvalidArgument' && msg.test(e.message));
  }
});
