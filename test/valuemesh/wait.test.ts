import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Status,
  StatusMesh,
  StatusMeshAccumulator,
  StatusOverlay,
  waitRankStatus,
  InvalidWaitArgument,
  type StatusSnapshot,
} from '../../src/valuemesh/index.js';
import { region1 } from './helpers.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('completes as soon as no rank is NotExist, failures counting as reported', async () => {
  const reg = region1(3);
  const acc = new StatusMeshAccumulator(reg);
  const st = acc.init();
  let released = false;
  async function* replies(): AsyncGenerator<StatusSnapshot> {
    try {
      for (const [rank, s] of [
        [2, Status.Running],
        [0, Status.failed('x')],
        [1, Status.Stopped],
      ] as const) {
        await sleep(1);
        acc.accumulate(st, StatusOverlay.single(rank, s));
        yield st;
      }
      await sleep(1000); // never reached: the wait returns first
    } finally {
      released = true;
    }
  }
  const before = timers();
  const r = await waitRankStatus(replies(), 3, 1000, reg);
  assert.equal(r.ok, true);
  assert.equal(r.reason, 'complete');
  assert.equal(r.updates, 3);
  assert.deepEqual(r.statuses.values().map(String), ['Failed(x)', 'Stopped', 'Running']);
  await sleep(0);
  assert.ok(released, 'the source iterator was released');
  assert.equal(timers(), before, 'no timer left behind');
  st.dispose();
});

test('the idle timeout is re-armed by every update, and unreported ranks become Timeout(elapsed)', async () => {
  const reg = region1(20);
  const acc = new StatusMeshAccumulator(reg);
  const st = acc.init();
  const maxIdle = 80;
  async function* replies(): AsyncGenerator<StatusSnapshot> {
    // 12 updates 10 ms apart: together longer than maxIdle, each gap far shorter
    for (let rank = 0; rank < 12; rank++) {
      await sleep(10);
      acc.accumulate(st, StatusOverlay.single(rank, Status.Running));
      yield st;
    }
    await new Promise(() => undefined); // then silence, without closing
  }
  const before = timers();
  const t0 = performance.now();
  const r = await waitRankStatus(replies(), 20, maxIdle, reg);
  const total = performance.now() - t0;
  assert.equal(r.ok, false);
  assert.equal(r.reason, 'timeout');
  assert.equal(r.updates, 12, 'every update arrived before the timeout');
  assert.ok(total > maxIdle, 'the wait outlived one idle period, so the alarm was re-armed');
  assert.equal(r.snapshot.countNotExist(), 8);
  const vals = r.statuses.values();
  assert.ok(vals.slice(0, 12).every((s) => s.equals(Status.Running)));
  for (const s of vals.slice(12)) {
    assert.equal(s.kind, 'Timeout');
    assert.ok(s.duration!.secs * 1000 + s.duration!.nanos / 1e6 >= r.elapsedMs - 1e-6);
  }
  assert.ok(r.elapsedMs >= maxIdle);
  assert.equal(timers(), before, 'no timer left behind');
  st.dispose();
});

test('a closed receiver ends the wait with the latest snapshot, not merged with earlier ones', async () => {
  const reg = region1(3);
  const items: (StatusSnapshot | null)[] = [
    StatusMesh.fromStatuses(reg, [Status.Running, Status.Running, Status.NotExist]),
    StatusMesh.fromStatuses(reg, [Status.NotExist, Status.NotExist, Status.Stopped]),
    null,
  ];
  const rx = { recv: async () => items.shift() ?? null };
  const before = timers();
  const r = await waitRankStatus(rx, 3, 1000, reg);
  assert.equal(r.reason, 'closed');
  assert.deepEqual(r.snapshot.values().map(String), ['NotExist', 'NotExist', 'Stopped']);
  assert.equal(r.statuses.get(0)!.kind, 'Timeout');
  assert.equal(timers(), before);
});

test('only the first numRanks ranks decide completion', async () => {
  const reg = region1(4);
  const snap = StatusMesh.fromStatuses(reg, [Status.Running, Status.Running, Status.NotExist, Status.NotExist]);
  async function* one() {
    yield snap;
  }
  const r = await waitRankStatus(one(), 2, 1000, reg);
  assert.equal(r.ok, true);
});

test('nothing arriving times out with every rank Timeout', async () => {
  const reg = region1(2);
  const r = await waitRankStatus({ recv: () => new Promise<null>(() => undefined) }, 2, 30, reg);
  assert.equal(r.reason, 'timeout');
  assert.equal(r.updates, 0);
  assert.deepEqual(
    r.statuses.values().map((s) => s.kind),
    ['Timeout', 'Timeout'],
  );
});

test('bad arguments are typed errors', async () => {
  const reg = region1(2);
  await assert.rejects(waitRankStatus({ recv: async () => null }, 2, -5, reg), InvalidWaitArgument);
  await assert.rejects(waitRankStatus({ recv: async () => null }, 2, NaN, reg), InvalidWaitArgument);
});
