import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Region,
  Shape,
  Slice,
  Range,
  InvalidLabels,
  OutOfRange,
  ShapeEmptyRange,
  ShapeSliceError,
  DimSliceMismatch,
  ShapeParseError,
} from '../../src/ndslice/index.js';

const hostGpu = () =>
  Shape.of([
    ['host', 2],
    ['gpu', 8],
  ]);

test('Shape.new rejects a label count that differs from the slice dims', () => {
  assert.throws(
    () => Shape.new(['x'], Slice.rowMajor([2, 2])),
    (e: unknown) => e instanceof DimSliceMismatch && e.num_labels === 1 && e.slice_dims === 2,
  );
});

test('select by index, range, open range and two dims keeps every dim', () => {
  assert.deepEqual(hostGpu().select('gpu', new Range(2)).slice.iter(), [2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual(hostGpu().select('gpu', [3, 5]).slice.iter(), [3, 4, 11, 12]);
  assert.deepEqual(hostGpu().select('gpu', [3, 5]).select('host', 1).slice.iter(), [11, 12]);
  assert.deepEqual(hostGpu().select('gpu', 1).labels, ['host', 'gpu']);
});

test('select rounds the size up: 0..10 step 3 has 4 elements', () => {
  assert.deepEqual(
    Shape.of([['x', 10]])
      .select('x', [0, 10, 3])
      .slice.toJSON(),
    { offset: 0, sizes: [4], strides: [3] },
  );
});

test('select reports a begin past the end as OutOfRange, an unknown label as InvalidLabels', () => {
  assert.throws(
    () => hostGpu().select('gpu', [8, 9]),
    (e: unknown) => e instanceof OutOfRange && e.dim === 'gpu' && e.size === 8 && e.range === '8:9:1',
  );
  assert.throws(
    () => hostGpu().select('nope', 0),
    (e: unknown) => e instanceof InvalidLabels && e.labels[0] === 'nope',
  );
});

test('select reports an empty range as ShapeError EmptyRange', () => {
  assert.throws(
    () => hostGpu().select('gpu', [3, 3]),
    (e: unknown) => e instanceof ShapeEmptyRange && e.kind === 'ShapeError' && e.range === '3:3:1',
  );
});

test('at removes the first, middle or last dim and rejects a bad index or label', () => {
  const s = Shape.of([
    ['zone', 2],
    ['host', 5],
    ['gpu', 7],
  ]);
  assert.deepEqual(s.at('host', 3).toJSON(), { labels: ['zone', 'gpu'], slice: { offset: 21, sizes: [2, 7], strides: [35, 1] } });
  assert.deepEqual(s.at('zone', 1).toJSON().labels, ['host', 'gpu']);
  assert.deepEqual(s.at('gpu', 6).toJSON().slice.offset, 6);
  assert.throws(
    () => s.at('zone', 2),
    (e: unknown) => e instanceof OutOfRange && e.size === 2 && e.range === '2:3:1',
  );
  assert.throws(() => s.at('nope', 0), InvalidLabels);
  assert.deepEqual(
    s
      .index([
        ['zone', 1],
        ['gpu', 2],
      ])
      .toJSON(),
    { labels: ['host'], slice: { offset: 37, sizes: [5], strides: [7] } },
  );
});

test('selectIter keeps leading dims as size 1 and rejects k outside 0 < k < d', () => {
  const s = Shape.of([
    ['replica', 2],
    ['host', 2],
    ['gpu', 8],
  ]);
  assert.deepEqual(
    s.selectIter(2).map((x) => x.slice.offset),
    [0, 8, 16, 24],
  );
  assert.deepEqual(s.selectIter(2)[1]!.slice.sizes, [1, 1, 8]);
  assert.throws(
    () => s.selectIter(3),
    (e: unknown) => e instanceof ShapeSliceError && e.inner === 'IndexOutOfRange',
  );
  assert.throws(() => s.selectIter(0), ShapeSliceError);
});

test('coordinates take a base rank and wrap ValueNotInSlice as ShapeError SliceError', () => {
  assert.deepEqual(hostGpu().coordinates(9), [
    ['host', 1],
    ['gpu', 1],
  ]);
  assert.throws(
    () => hostGpu().coordinates(16),
    (e: unknown) => e instanceof ShapeSliceError && e.variant === 'SliceError' && e.inner === 'ValueNotInSlice',
  );
});

test('a Region built from a Shape keeps its labels and slice', () => {
  const s = hostGpu().select('gpu', [0, null, 2]);
  const r = Region.fromShape(s);
  assert.deepEqual(r.toJSON(), s.toJSON());
  assert.deepEqual(Array.from(r.baseRanks()), s.slice.iter());
});

test('display never quotes labels and parse accepts spaces, rejects malformed lists', () => {
  assert.equal(
    Shape.of([
      ['batch', 10],
      ['height', 224],
    ]).toString(),
    '{batch=10,height=224}',
  );
  assert.equal(Shape.unity().toString(), '{}');
  assert.deepEqual(Shape.parse('{ host = 2 , gpu = 8 }').toJSON(), hostGpu().toJSON());
  for (const bad of ['host=2,gpu=8', '{host=2,gpu=8', '{host=2,gpu=}', '{host=2=3,gpu=8}', '{host=abc,gpu=8}', '{host=2,}', '{=2}', '{host=-1}']) {
    assert.throws(
      () => Shape.parse(bad),
      (e: unknown) => e instanceof ShapeParseError && e.reason.length > 0,
      bad,
    );
  }
});
