import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Slice,
  InvalidDims,
  NonrectangularShape,
  NonuniqueStrides,
  StrideTooSmall,
  IndexOutOfRange,
  DimensionOutOfRange,
  SliceEmptyRange,
  SliceInvalidStep,
  ValueNotInSlice,
  IncompatibleView,
  InvalidInteger,
} from '../../src/ndslice/index.js';
import { ActormeshError } from '../../src/base/errors.js';

const fields = (e: unknown) => ({ ...(e as object) }) as Record<string, unknown>;

test('Slice.new rejects mismatched sizes/strides lengths with InvalidDims{expected, got}', () => {
  assert.throws(
    () => Slice.new(0, [2, 3], [1]),
    (e: unknown) => e instanceof InvalidDims && e.expected === 2 && e.got === 1 && /expected 2, got 1/.test(e.message),
  );
});

test('Slice.new rejects a stride that is too small for the space below it', () => {
  assert.throws(
    () => Slice.new(0, [2, 3], [2, 1]),
    (e: unknown) => e instanceof StrideTooSmall && e.stride === 2 && e.space === 3,
  );
});

test('Slice.new rejects stride 0 as StrideTooSmall{stride: 0, space: 1}', () => {
  assert.throws(
    () => Slice.new(0, [2], [0]),
    (e: unknown) => e instanceof StrideTooSmall && e.stride === 0 && e.space === 1,
  );
});

test('Slice.new rejects strides that are not multiples of each other as NonrectangularShape', () => {
  assert.throws(() => Slice.new(0, [2, 2], [3, 2]), NonrectangularShape);
});

test('Slice.new rejects a repeated stride when both sizes exceed 1, accepts it when one size is 1', () => {
  assert.throws(() => Slice.new(0, [2, 2], [1, 1]), NonuniqueStrides);
  assert.deepEqual(Slice.new(0, [1, 4], [1, 1]).iter(), [0, 1, 2, 3]);
});

test('Slice.new rejects negative, fractional and non-numeric parts with InvalidInteger naming the part', () => {
  assert.throws(
    () => Slice.new(-1, [2], [1]),
    (e: unknown) => e instanceof InvalidInteger && e.what === 'offset',
  );
  assert.throws(
    () => Slice.new(0, [2.5], [1]),
    (e: unknown) => e instanceof InvalidInteger && e.what === 'sizes[0]',
  );
  assert.throws(
    () => Slice.new(0, [2], ['1' as unknown as number]),
    (e: unknown) => e instanceof InvalidInteger && e.what === 'strides[0]',
  );
});

test('zero-size dims are accepted and make the slice empty', () => {
  const s = Slice.new(7, [0, 3], [3, 1]);
  assert.equal(s.len, 0);
  assert.deepEqual(s.iter(), []);
  assert.equal(s.enumerate().length, 0);
});

test('get walks the row-major index through unsorted strides and rejects index >= len', () => {
  const s = Slice.new(0, [2, 2, 2], [4, 32, 1]);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => s.get(i)),
    [0, 1, 32, 33, 4, 5, 36, 37],
  );
  assert.throws(
    () => s.get(8),
    (e: unknown) => e instanceof IndexOutOfRange && e.index === 8 && e.total === 8,
  );
});

test('iter of an offset slice enumerates base ranks in row-major order', () => {
  assert.deepEqual(Slice.new(10, [10, 2], [10, 5]).iter(), [10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 105]);
});

test('iter of a column-major slice is not ascending', () => {
  assert.deepEqual(Slice.new(0, [2, 3], [1, 2]).iter(), [0, 2, 4, 1, 3, 5]);
});

test('location does not bounds-check coordinates but checks their count', () => {
  const s = Slice.rowMajor([2, 3]);
  assert.equal(s.location([5, 5]), 20);
  assert.throws(
    () => s.location([1]),
    (e: unknown) => e instanceof InvalidDims && e.expected === 2 && e.got === 1,
  );
});

test('coordinates and index invert location and get for every member, and reject non-members', () => {
  const s = Slice.new(3, [3, 4], [1, 3]);
  for (let i = 0; i < s.len; i++) {
    const b = s.get(i);
    assert.equal(s.index(b), i);
    assert.equal(s.location(s.coordinates(b)), b);
  }
  assert.throws(
    () => s.coordinates(2),
    (e: unknown) => e instanceof ValueNotInSlice && e.value === 2,
  );
  assert.throws(
    () => s.index(3 + 12),
    (e: unknown) => e instanceof ValueNotInSlice && e.value === 15,
  );
  assert.equal(s.contains(14), true);
  assert.equal(s.contains(15), false);
});

test('at removes a dim, down to 0-d whose only location is the offset', () => {
  const s = Slice.rowMajor([2, 3, 4]).at(0, 1).at(0, 2).at(0, 3);
  assert.deepEqual(s.toJSON(), { offset: 23, sizes: [], strides: [] });
  assert.equal(s.location([]), 23);
  assert.deepEqual(s.iter(), [23]);
});

test('at reports a bad dim as DimensionOutOfRange and a bad index as IndexOutOfRange', () => {
  const s = Slice.rowMajor([2, 4]);
  assert.throws(
    () => s.at(2, 0),
    (e: unknown) => e instanceof DimensionOutOfRange && e.dim === 2 && e.ndims === 2,
  );
  assert.throws(
    () => s.at(1, 4),
    (e: unknown) => e instanceof IndexOutOfRange && e.index === 4 && e.total === 4,
  );
});

test('select reports a bad dim as IndexOutOfRange, an empty range as EmptyRange, step 0 as InvalidStep', () => {
  const s = Slice.rowMajor([2, 4]);
  assert.throws(
    () => s.select(2, 0, 1, 1),
    (e: unknown) => e instanceof IndexOutOfRange && e.index === 2 && e.total === 2,
  );
  assert.throws(
    () => s.select(1, 4, 5, 1),
    (e: unknown) => e instanceof IndexOutOfRange && e.index === 4 && e.total === 4,
  );
  assert.throws(
    () => s.select(1, 2, 2, 1),
    (e: unknown) => e instanceof SliceEmptyRange && e.variant === 'EmptyRange' && e.begin === 2,
  );
  assert.throws(
    () => s.select(1, 0, 4, 0),
    (e: unknown) => e instanceof SliceInvalidStep && e.step === 0,
  );
});

test('select rounds the size up and does not clamp end', () => {
  assert.deepEqual(Slice.rowMajor([10]).select(0, 0, 10, 3).toJSON(), { offset: 0, sizes: [4], strides: [3] });
  assert.deepEqual(Slice.rowMajor([4]).select(0, 2, 10, 1).toJSON(), { offset: 2, sizes: [8], strides: [1] });
});

test('view reshapes dense offset-0 slices and rejects count mismatch, offset and holes', () => {
  const s = Slice.rowMajor([2, 3, 4]);
  assert.deepEqual(s.view([6, 4]).toJSON(), { offset: 0, sizes: [6, 4], strides: [4, 1] });
  assert.deepEqual(s.view([24]).view([2, 12]).toJSON(), { offset: 0, sizes: [2, 12], strides: [12, 1] });
  assert.throws(
    () => s.view([5, 4]),
    (e: unknown) => e instanceof IncompatibleView && /count/.test(e.reason),
  );
  assert.throws(
    () => Slice.new(1, [2, 3], [6, 1]).view([3, 2]),
    (e: unknown) => e instanceof IncompatibleView && /offset/.test(e.reason),
  );
  assert.throws(
    () => Slice.new(0, [2, 3], [6, 1]).view([6]),
    (e: unknown) => e instanceof IncompatibleView && /not reachable/.test(e.reason),
  );
});

test('subview keeps strides, moves the offset and checks lengths and bounds', () => {
  const s = Slice.rowMajor([4, 4]);
  assert.deepEqual(s.subview([1, 1], [2, 2]).toJSON(), { offset: 5, sizes: [2, 2], strides: [4, 1] });
  assert.throws(
    () => s.subview([1], [2, 2, 2]),
    (e: unknown) => e instanceof InvalidDims && e.expected === 2 && e.got === 3,
  );
  assert.throws(
    () => s.subview([3, 0], [2, 1]),
    (e: unknown) => e instanceof IndexOutOfRange && e.index === 5 && e.total === 4,
  );
});

test('enforceEmbedding reports the first member outside the base', () => {
  const base = Slice.rowMajor([4, 4]);
  assert.doesNotThrow(() => Slice.new(5, [2, 2], [4, 1]).enforceEmbedding(base));
  assert.throws(
    () => Slice.new(14, [2, 2], [4, 1]).enforceEmbedding(base),
    (e: unknown) => e instanceof ValueNotInSlice && e.value === 18,
  );
});

test('isContiguous checks row-major strides and ignores the offset', () => {
  assert.equal(Slice.new(5, [2], [1]).isContiguous(), true);
  assert.equal(Slice.new(1, [3, 1], [3, 1]).isContiguous(), false);
});

test('dimIter yields coordinate prefixes in row-major order', () => {
  assert.deepEqual(Slice.rowMajor([2, 3]).dimIter(1), [[0], [1]]);
  assert.deepEqual(Slice.rowMajor([2, 2]).dimIter(2), [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]);
  assert.deepEqual(Slice.rowMajor([2, 2]).dimIter(0), [[]]);
});

test('equality is structural on offset, sizes and strides', () => {
  assert.ok(Slice.new(1, [2], [1]).equals(Slice.unchecked(1, [2], [1])));
  assert.ok(!Slice.new(0, [1], [1]).equals(Slice.new(0, [1], [2])));
});

test('every slice error is an ActormeshError with kind SliceError and the Rust variant', () => {
  try {
    Slice.new(0, [2, 3], [2, 1]);
    assert.fail('expected a throw');
  } catch (e) {
    assert.ok(e instanceof ActormeshError);
    assert.equal(e.kind, 'SliceError');
    assert.equal(e.variant, 'StrideTooSmall');
    assert.deepEqual(fields(e).stride, 2);
  }
});
