// Pins docs/architecture.md VM-2 (exact NotExist count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OutOfBounds,
  StateDisposed,
  Status,
  StatusMesh,
  StatusMeshAccumulator,
  StatusOverlay,
  ValueMesh,
  ValueMeshAccumulator,
  ValueOverlay,
} from '../../src/valuemesh/index.js';
import { RefDenseCodeState } from '../../src/valuemesh/reference.js';
import { int, prng, region1 } from './helpers.js';

const palette = [Status.NotExist, Status.Initializing, Status.Running, Status.Stopped, Status.failed('boom'), Status.failed('other'), Status.timeout(30_000)];

function randomOverlay(rnd: () => number, n: number): { start: number; end: number; value: Status }[] {
  if (rnd() < 0.6) {
    const r = int(rnd, 0, n - 1);
    return [{ start: r, end: r + 1, value: palette[int(rnd, 0, palette.length - 1)]! }];
  }
  const out: { start: number; end: number; value: Status }[] = [];
  let at = int(rnd, 0, 3);
  while (at < n) {
    const end = Math.min(n, at + int(rnd, 1, 5));
    out.push({ start: at, end, value: palette[int(rnd, 0, palette.length - 1)]! });
    at = end + int(rnd, 0, 4);
  }
  return out;
}

test('the NotExist count stays exact through random overlays, duplicates and NotExist re-reports (seeded)', () => {
  const rnd = prng(2024);
  for (let iter = 0; iter < 40; iter++) {
    const n = int(rnd, 1, 64);
    const reg = region1(n);
    const acc = new StatusMeshAccumulator(reg);
    const state = acc.init();
    const generic = new ValueMeshAccumulator<Status>(ValueMesh.fromSingle(reg, Status.NotExist));
    let gstate = generic.init();
    const mesh = StatusMesh.fromSingle(reg);
    for (let u = 0; u < 30; u++) {
      const runs = randomOverlay(rnd, n);
      acc.accumulate(state, StatusOverlay.tryFromRuns(runs));
      gstate = generic.accumulate(gstate, ValueOverlay.tryFromRuns(runs));
      mesh.mergeFromOverlay(StatusOverlay.tryFromRuns(runs));
      const values = gstate.values();
      const scan = values.filter((s) => s.isNotExist()).length;
      assert.equal(state.countNotExist(), scan, 'accumulator count == full scan');
      assert.equal(mesh.countNotExist(), scan, 'merged mesh count == full scan');
      assert.equal(state.isComplete(), scan === 0);
      const snap = state.snapshot();
      assert.deepEqual(snap.values().map(String), values.map(String));
      assert.ok(snap.equals(mesh));
      assert.deepEqual(mesh.values().map(String), values.map(String));
    }
    state.dispose();
  }
});

test('a spawn of n single-rank replies in shuffled order completes exactly at the last new rank', () => {
  const n = 1000;
  const rnd = prng(11);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = int(rnd, 0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const acc = new StatusMeshAccumulator(region1(n));
  const st = acc.init();
  const ref = new RefDenseCodeState(n, 0);
  let completedAt = -1;
  order.forEach((rank, k) => {
    const s = k % 97 === 0 ? Status.failed(`rank ${rank}`) : Status.Running;
    acc.accumulate(st, StatusOverlay.single(rank, s));
    ref.applyOne(rank, rank + 1, s.code, 0);
    if (k === 10) acc.accumulate(st, StatusOverlay.single(order[3]!, Status.Running)); // duplicate reply
    if (completedAt < 0 && st.isComplete()) completedAt = k;
  });
  assert.equal(completedAt, n - 1);
  assert.equal(st.countNotExist(), 0);
  assert.equal(st.get(order[0]!)!.toString(), `Failed(rank ${order[0]})`);
  st.dispose();
});

test('an out-of-bounds update throws OutOfBounds and leaves the state and its count unchanged', () => {
  const acc = new StatusMeshAccumulator(region1(4));
  const st = acc.init();
  acc.accumulate(st, StatusOverlay.single(1, Status.Running));
  assert.throws(
    () => acc.accumulate(st, StatusOverlay.tryFromRuns([[2, 5, Status.Stopped]])),
    (e: unknown) => e instanceof OutOfBounds && e.region_len === 4,
  );
  assert.equal(st.countNotExist(), 3);
  assert.deepEqual(st.snapshot().values().map(String), ['NotExist', 'Running', 'NotExist', 'NotExist']);
  st.dispose();
  assert.throws(() => st.get(0), StateDisposed);
  st.dispose(); // idempotent
});

test('the generic accumulator replaces the empty state by the template on the first update, even a failing one', () => {
  const reg = region1(3);
  const acc = new ValueMeshAccumulator<Status>(ValueMesh.fromSingle(reg, Status.NotExist));
  const st = acc.init();
  assert.equal(st.numRanks, 0);
  assert.throws(() => acc.accumulate(st, ValueOverlay.tryFromRuns([[0, 9, Status.Running]])), OutOfBounds);
  assert.equal(st.numRanks, 3);
  assert.deepEqual(st.values().map(String), ['NotExist', 'NotExist', 'NotExist']);
});

test('snapshots are independent of later updates', () => {
  const acc = new StatusMeshAccumulator(region1(2));
  const st = acc.init();
  acc.accumulate(st, StatusOverlay.single(0, Status.Running));
  const snap = st.snapshot();
  acc.accumulate(st, StatusOverlay.single(1, Status.Stopped));
  assert.deepEqual(snap.values().map(String), ['Running', 'NotExist']);
  assert.deepEqual(st.snapshot().values().map(String), ['Running', 'Stopped']);
  st.dispose();
});
