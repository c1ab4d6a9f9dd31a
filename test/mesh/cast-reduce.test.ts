import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localMesh, TestActor } from './_cast-fixture.js';
import { sumAccumulator, maxAccumulator } from '../../src/mailbox/accum.js';
import { SPLIT_MAX_BUFFER_SIZE, config } from '../../src/core/config.js';
import { CommActor } from '../../src/mesh/comm-actor.js';

test("reduce sums every member's reply through split ports pre-reducing on each hop", async () => {
  const { mesh, comms } = await localMesh({ x: 4, y: 4, z: 4 }, TestActor, { tag: 't' });
  const total = await mesh.times.reduce(sumAccumulator(), 1);
  assert.equal(total, (64 * 65) / 2);
  const max = await mesh.slice({ x: 1 }).times.reduce(maxAccumulator(), 2);
  assert.equal(max, 2 * 32);
  // Every comm actor on the tree split the reply port once per cast.
  for (const c of comms) assert.ok(c.stats.splits >= 1);
  await mesh.stop();
});

test('test_cast_and_accum: a sum accumulator port in a cast sees the total of 100 updates per actor', async () => {
  const o = config.override(SPLIT_MAX_BUFFER_SIZE, 1);
  try {
    const { mesh, client } = await localMesh({ x: 4, y: 4, z: 4 }, TestActor, { tag: 't' });
    const [h, rx] = client.openAccumPort(sumAccumulator());
    const owners = (await mesh.burst.call(h.bind(), 100)).values();
    // The port each actor saw is a split port on its own proc's comm actor.
    const ids = mesh.actorIds();
    owners.forEach((o, r) => assert.equal(o, `${ids[r]!.proc.key}.comm[0]`));
    const perActor = (99 * 100) / 2;
    let last = 0;
    // Each recv is bounded: the loop ends on the full sum or on a recv that times out.
    while (last !== 64 * perActor) last = await rx.recv(30_000);
    assert.equal(last, 64 * perActor);
    await mesh.stop();
  } finally {
    o.restore();
  }
});

test('test_cast_and_reply: a plain reply port is split per hop and per-actor reply order is kept', async () => {
  const { mesh, client } = await localMesh({ x: 2, y: 2, z: 2 }, TestActor, { tag: 't' }, { perProc: 2 });
  const [h, rx] = client.openPort<number>();
  await mesh.burst.call(h.bind(), 100);
  const got: number[] = [];
  while (got.length < 16 * 100) got.push(await rx.recv(30_000));
  // 16 actors each sent 0..99: every value appears 16 times and the stream per actor is ordered,
  // so the running count of value i never exceeds the count of value i-1.
  const counts = new Array<number>(100).fill(0);
  for (const v of got) {
    counts[v]!++;
    if (v > 0) assert.ok(counts[v]! <= counts[v - 1]!, `reply ${v} overtook ${v - 1}`);
  }
  assert.ok(counts.every((c) => c === 16));
  await mesh.stop();
});

test('comm actors keep a bounded number of split reply ports across many calls', async () => {
  const prev = CommActor.maxLiveSplitPorts;
  CommActor.maxLiveSplitPorts = 8;
  try {
    const { mesh, comms } = await localMesh({ x: 2, y: 2 }, TestActor, { tag: 't' });
    for (let i = 0; i < 30; i++) assert.deepEqual((await mesh.times.call(1)).values(), [1, 2, 3, 4]);
    for (const c of comms) {
      assert.ok(c.stats.splits >= 30);
      assert.ok(c.liveSplitPorts <= 8, `comm actor keeps ${c.liveSplitPorts} split ports`);
    }
    await mesh.stop();
  } finally {
    CommActor.maxLiveSplitPorts = prev;
  }
});
