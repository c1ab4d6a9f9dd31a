import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rleMemoryStats, Status, StatusMeshAccumulator, StatusOverlay, StatusMesh, reduceStatusOverlays } from '../../src/valuemesh/index.js';
import { mergeCodeRuns } from '../../src/valuemesh/kernels.js';
import { ActormeshError } from '../../src/base/errors.js';
import { region1 } from './helpers.js';

test('10M operations in a loop leave the rle kernel memory flat', () => {
  const n = 4096;
  const acc = new StatusMeshAccumulator(region1(n));
  const st = acc.init();
  const palette = [Status.Running, Status.Stopped, Status.NotExist, Status.failed('x')];
  // single ranks (written from JS), 32-rank runs (one applyOne kernel call), 3-run overlays
  // (one applyRuns kernel call)
  const overlays = Array.from({ length: 64 }, (_, i) => {
    const s = palette[i & 3]!;
    const at = (i * 61) % (n - 200);
    if (i % 3 === 0) return StatusOverlay.single(at, s);
    if (i % 3 === 1) return StatusOverlay.tryFromRuns([[at, at + 32, s]]);
    return StatusOverlay.tryFromRuns([
      [at, at + 2, s],
      [at + 5, at + 9, palette[(i + 1) & 3]!],
      [at + 20, at + 21, s],
    ]);
  });
  const left = new Uint32Array(3 * 64);
  for (let i = 0; i < 64; i++) left.set([i * 2, i * 2 + 2, i % 3], i * 3);
  const right = Uint32Array.of(5, 40, 1, 50, 90, 2);
  // warm up: sizes every scratch block once
  mergeCodeRuns(left, 64, right, 2, 0);
  st.snapshot();
  const before = rleMemoryStats();
  const ops = 10_000_000;
  for (let k = 0; k < ops; k++) {
    if ((k & 1023) === 0) {
      mergeCodeRuns(left, 64, right, 2, 0);
      st.snapshot();
    } else {
      acc.accumulate(st, overlays[k & 63]!);
    }
  }
  const after = rleMemoryStats();
  assert.equal(after.committed, before.committed, 'no memory.grow');
  assert.equal(after.live, before.live, 'no leaked blocks');
  st.dispose();
  assert.equal(rleMemoryStats().live, before.live - Math.max(64, 2 ** Math.ceil(Math.log2(n * 4))));
});

test('many short-lived accumulation states reuse freed blocks', () => {
  const reg = region1(1000);
  const s0 = new StatusMeshAccumulator(reg).init();
  s0.dispose();
  const before = rleMemoryStats();
  for (let i = 0; i < 10_000; i++) {
    const st = new StatusMeshAccumulator(reg).init();
    st.apply(StatusOverlay.single(i % 1000, Status.Running));
    st.dispose();
  }
  assert.deepEqual(rleMemoryStats(), before);
});

test('no RuntimeError reaches a caller: bad inputs to the kernel-backed API are typed errors', () => {
  const reg = region1(8);
  const bad: (() => unknown)[] = [
    () => StatusMesh.fromSingle(reg).mergeFromOverlay(StatusOverlay.tryFromRuns([[0, 2 ** 31, Status.Running]])),
    () => new StatusMeshAccumulator(reg).init().apply(StatusOverlay.single(8, Status.Running)),
    () => StatusOverlay.single(-3, Status.Running),
    () =>
      StatusOverlay.tryFromRuns([
        [0, 4, Status.Running],
        [3, 5, Status.Stopped],
      ]),
    () => StatusOverlay.tryFromRuns([[0, 4, 'Bogus' as unknown as Status]]),
    () => reduceStatusOverlays(StatusOverlay.single(1, Status.Running), StatusOverlay.tryFromRuns([[5, 5, Status.Running]])),
    () => StatusMesh.fromStatuses(reg, [Status.Running]),
  ];
  for (const f of bad) {
    assert.throws(f, (e: unknown) => e instanceof ActormeshError && (e as Error).name !== 'RuntimeError');
  }
});

test('accumulation states stay correct when another state grows the kernel memory', () => {
  const a = new StatusMeshAccumulator(region1(10)).init();
  a.apply(StatusOverlay.single(3, Status.Running));
  const before = rleMemoryStats().committed;
  const big = new StatusMeshAccumulator(region1(1 << 20)).init(); // 4 MiB: forces memory.grow
  assert.ok(rleMemoryStats().committed > before);
  a.apply(StatusOverlay.single(4, Status.Stopped));
  a.apply(StatusOverlay.tryFromRuns([[5, 7, Status.failed('late')]]));
  big.apply(StatusOverlay.tryFromRuns([[0, 1 << 20, Status.Running]]));
  assert.equal(big.isComplete(), true);
  assert.deepEqual(a.snapshot().values().map(String).slice(2, 8), ['NotExist', 'Running', 'Stopped', 'Failed(late)', 'Failed(late)', 'NotExist']);
  assert.equal(a.countNotExist(), 6);
  big.dispose();
  a.dispose();
});
