import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ReducerOperandMismatch,
  WatermarkUpdate,
  lowWatermarkAccumulator,
  maxStateAccumulator,
  maxReducer,
  minStateAccumulator,
  minReducer,
  sumStateAccumulator,
  sumReducer,
  watermarkReducer,
} from '../../src/valuemesh/index.js';

test('numeric reducers fold numbers and bigints', () => {
  assert.equal(
    [-123, 33, 110].reduce((l, r) => sumReducer.reduce(l, r) as number),
    20,
  );
  assert.equal(
    [-123, 33, 110].reduce((l, r) => maxReducer.reduce(l, r) as number),
    110,
  );
  assert.equal(
    [-123, 33, 110].reduce((l, r) => minReducer.reduce(l, r) as number),
    -123,
  );
  assert.equal(sumReducer.reduce(2n ** 64n, 1n), 2n ** 64n + 1n);
});

test('numeric accumulators start empty and keep a running aggregate', () => {
  const s = sumStateAccumulator();
  assert.equal(
    [1, 2, 3].reduce((st, u) => s.accumulate(st, u), s.init()),
    6,
  );
  const mx = maxStateAccumulator();
  assert.equal(mx.init(), undefined);
  assert.equal(
    [4, 9, 2].reduce((st, u) => mx.accumulate(st, u), mx.init()),
    9,
  );
  const mn = minStateAccumulator();
  assert.equal(
    [4, 9, 2].reduce((st, u) => mn.accumulate(st, u), mn.init()),
    2,
  );
});

test('mixing numbers and bigints is a typed error', () => {
  assert.throws(() => sumReducer.reduce(1, 2n), ReducerOperandMismatch);
  assert.throws(() => maxReducer.reduce('1' as unknown as number, 2), ReducerOperandMismatch);
});

test('the watermark reducer keeps the latest value per rank, not the minimum', () => {
  const ups = [
    [0, 2],
    [1, 1],
    [0, 5],
    [1, -10],
    [0, 3],
  ].map(([r, v]) => WatermarkUpdate.of(r!, v!));
  assert.deepEqual(ups.reduce((l, r) => watermarkReducer.reduce(l, r)).entries(), [
    [0, 3],
    [1, -10],
  ]);
});

test('the low watermark is the minimum over the latest value of each rank', () => {
  const acc = lowWatermarkAccumulator<number>();
  let st = acc.init();
  assert.equal(st.get(), undefined);
  const seen = [
    [0, 1003],
    [1, 1002],
    [0, 100],
    [1, 1100],
    [0, 1200],
  ].map(([r, v]) => (st = acc.accumulate(st, WatermarkUpdate.of(r!, v!))).get());
  assert.deepEqual(seen, [1003, 1002, 100, 100, 1100]);
});
