import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OutOfBounds,
  OverlappingRanges,
  OverlayEmptyRange,
  Status,
  StatusMesh,
  StatusOverlay,
  ValueMesh,
  ValueOverlay,
  reduceOverlays,
  reduceStatusOverlays,
  InvalidRankValue,
} from '../../src/valuemesh/index.js';
import { ActormeshError } from '../../src/base/errors.js';
import { int, prng, randomDense, randomRuns, region1 } from './helpers.js';

const runs = <T>(o: { runs(): { start: number; end: number; value: T }[] }) => o.runs().map((r) => [r.start, r.end, r.value]);

test('in-order pushes append, and touching equal runs coalesce', () => {
  const o = new ValueOverlay<number>();
  o.pushRun({ start: 0, end: 3 }, 1);
  o.pushRun({ start: 3, end: 5 }, 1);
  o.pushRun({ start: 7, end: 8 }, 2);
  assert.deepEqual(runs(o), [
    [0, 5, 1],
    [7, 8, 2],
  ]);
});

test('unsorted pushes are sorted and coalesced', () => {
  const o = new ValueOverlay<number>();
  o.pushRun({ start: 10, end: 12 }, 3);
  o.pushRun({ start: 5, end: 8 }, 2);
  o.pushRun({ start: 8, end: 10 }, 2);
  assert.deepEqual(runs(o), [
    [5, 10, 2],
    [10, 12, 3],
  ]);
});

test('an overlapping push throws OverlappingRanges naming both runs and empties the overlay (Monarch quirk)', () => {
  const o = new ValueOverlay<number>();
  o.pushRun({ start: 0, end: 3 }, 1);
  o.pushRun({ start: 5, end: 7 }, 2);
  assert.throws(
    () => o.pushRun({ start: 2, end: 4 }, 9),
    (e: unknown) =>
      e instanceof OverlappingRanges &&
      e.variant === 'OverlappingRanges' &&
      e.prev.start === 0 &&
      e.prev.end === 3 &&
      e.next.start === 2 &&
      e.next.end === 4 &&
      /0\.\.3/.test(e.message) &&
      /2\.\.4/.test(e.message),
  );
  assert.equal(o.isEmpty(), true);
  o.pushRun({ start: 8, end: 9 }, 3);
  assert.deepEqual(runs(o), [[8, 9, 3]]);
});

test('an empty run is rejected with EmptyRange naming it', () => {
  const o = new ValueOverlay<number>();
  assert.throws(
    () => o.pushRun({ start: 4, end: 4 }, 1),
    (e: unknown) => e instanceof OverlayEmptyRange && e.variant === 'EmptyRange' && e.range.start === 4,
  );
  assert.throws(
    () =>
      ValueOverlay.tryFromRuns([
        [0, 2, 1],
        [5, 3, 1],
      ]),
    OverlayEmptyRange,
  );
  assert.throws(() => StatusOverlay.tryFromRuns([[1, 1, Status.Running]]), OverlayEmptyRange);
});

test('tryFromRuns sorts, coalesces and rejects overlaps (same start counts as overlap)', () => {
  assert.deepEqual(
    runs(
      ValueOverlay.tryFromRuns([
        [8, 10, 2],
        [5, 8, 2],
        [12, 14, 3],
      ]),
    ),
    [
      [5, 10, 2],
      [12, 14, 3],
    ],
  );
  assert.throws(
    () =>
      ValueOverlay.tryFromRuns([
        [3, 6, 1],
        [5, 8, 2],
      ]),
    OverlappingRanges,
  );
  assert.throws(
    () =>
      ValueOverlay.tryFromRuns([
        [2, 4, 1],
        [2, 3, 1],
      ]),
    OverlappingRanges,
  );
  assert.throws(
    () =>
      StatusOverlay.tryFromRuns([
        [0, 3, Status.Running],
        [2, 5, Status.Stopped],
      ]),
    OverlappingRanges,
  );
});

test('non-integer or negative run bounds are typed errors, never a RangeError', () => {
  const o = new ValueOverlay<number>();
  for (const bad of [-1, 1.5, NaN, 2 ** 32, '3' as unknown as number]) {
    assert.throws(() => o.pushRun({ start: bad, end: 10 }, 1), InvalidRankValue);
    assert.throws(() => StatusOverlay.single(bad, Status.Running), InvalidRankValue);
  }
});

test('an overlay run past the region is OutOfBounds and leaves the mesh unchanged', () => {
  const reg = region1(8);
  const m = ValueMesh.fromDense(reg, [1, 1, 1, 2, 2, 2, 3, 3]);
  const before = m.clone();
  assert.throws(
    () => m.mergeFromOverlay(ValueOverlay.tryFromRuns([[6, 9, 5]])),
    (e: unknown) => e instanceof OutOfBounds && e.region_len === 8 && e.range.start === 6 && e.range.end === 9,
  );
  assert.ok(m.equals(before));
  const s = StatusMesh.fromSingle(reg);
  assert.throws(() => s.mergeFromOverlay(StatusOverlay.single(8, Status.Running)), OutOfBounds);
  assert.equal(s.countNotExist(), 8);
});

test('merging composes with the reducer and is idempotent: m⊕a⊕b = m⊕reduce(a,b), m⊕o⊕o = m⊕o (seeded)', () => {
  const rnd = prng(42);
  for (let iter = 0; iter < 200; iter++) {
    const n = int(rnd, 1, 40);
    const reg = region1(n);
    const dense = randomDense(rnd, n, 3);
    const a = ValueOverlay.tryFromRuns(randomRuns(rnd, n, 3, 0.3));
    const b = ValueOverlay.tryFromRuns(randomRuns(rnd, n, 3, 0.3));
    const m1 = ValueMesh.new(reg, dense).mergeFromOverlay(a).mergeFromOverlay(b);
    const m2 = ValueMesh.new(reg, dense).mergeFromOverlay(reduceOverlays(a, b));
    assert.deepEqual(m1.values(), m2.values());
    const m3 = ValueMesh.new(reg, dense).mergeFromOverlay(a);
    assert.ok(m3.clone().mergeFromOverlay(a).equals(m3));
  }
});

test('status overlays reduce in WASM exactly like generic overlays of statuses (seeded)', () => {
  const rnd = prng(5);
  const palette = [Status.NotExist, Status.Running, Status.Stopped, Status.failed('boom'), Status.timeout(1500)];
  for (let iter = 0; iter < 200; iter++) {
    const n = int(rnd, 1, 40);
    const mk = () => randomRuns(rnd, n, palette.length, 0.3).map((r) => ({ ...r, value: palette[r.value]! }));
    const ra = mk();
    const rb = mk();
    const generic = reduceOverlays(ValueOverlay.tryFromRuns(ra), ValueOverlay.tryFromRuns(rb)).runs();
    const wasm = reduceStatusOverlays(StatusOverlay.tryFromRuns(ra), StatusOverlay.tryFromRuns(rb)).runs();
    assert.equal(wasm.length, generic.length);
    wasm.forEach((r, i) => {
      assert.equal(r.start, generic[i]!.start);
      assert.equal(r.end, generic[i]!.end);
      assert.ok(r.value.equals(generic[i]!.value));
    });
  }
});

test('every overlay error is an ActormeshError with the Monarch variant name', () => {
  const cases: [() => unknown, string][] = [
    [() => ValueOverlay.tryFromRuns([[0, 0, 1]]), 'EmptyRange'],
    [
      () =>
        ValueOverlay.tryFromRuns([
          [0, 3, 1],
          [2, 5, 2],
        ]),
      'OverlappingRanges',
    ],
    [() => ValueMesh.fromSingle(region1(2), 0).mergeFromOverlay(ValueOverlay.tryFromRuns([[0, 3, 1]])), 'OutOfBounds'],
  ];
  for (const [f, variant] of cases) assert.throws(f, (e: unknown) => e instanceof ActormeshError && e.variant === variant);
});

test('status overlays round-trip through their wire form and reject malformed input with typed errors', () => {
  const o = StatusOverlay.tryFromRuns([
    [0, 2, Status.Running],
    [4, 5, Status.failed('x')],
    [5, 6, Status.timeout(1500)],
  ]);
  const back = StatusOverlay.fromJSON(JSON.parse(JSON.stringify(o)));
  assert.ok(back.equals(o));
  assert.deepEqual(JSON.parse(JSON.stringify(o)), [
    [0, 2, 'Running'],
    [4, 5, { Failed: 'x' }],
    [5, 6, { Timeout: { secs: 1, nanos: 500000000 } }],
  ]);
  for (const bad of [
    null,
    {},
    [[0, 1]],
    [[0, 1, 'Nope']],
    [[2, 1, 'Running']],
    [
      [0, 3, 'Running'],
      [1, 2, 'Running'],
    ],
  ]) {
    assert.throws(() => StatusOverlay.fromJSON(bad), ActormeshError);
  }
});
