// Actor meshes on real proc meshes through the user API: LocalAlloc (in-process procs over local
// channels) and ProcessAlloc (child processes over unix sockets).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, sumAccumulator, SupervisionError } from '../../src/index.js';
import { TestActor } from './_cast-fixture.js';
import { CAST_POINT_TO_POINT_THRESHOLD, config } from '../../src/core/config.js';

after(() => thisHost().shutdown());

test('procs from thisHost().spawnProcs cast through the comm tree to every actor and to slices', async () => {
  const procs = await thisHost().spawnProcs({ hosts: 2, gpus: 3 }, { alloc: 'local' });
  assert.ok(procs.procMesh.ref.rootCommActor !== undefined, 'the mesh has a root comm actor');
  const mesh = await procs.spawn('tester', TestActor, { tag: 'x' }, { monitorIntervalMs: 0 });
  const infos = (await mesh.info.call()).values();
  assert.deepEqual(
    infos.map((i) => i.castRank),
    [0, 1, 2, 3, 4, 5],
  );
  assert.deepEqual(
    infos.map((i) => i.meshRank),
    [0, 1, 2, 3, 4, 5],
  );
  const s = (await mesh.slice({ gpus: 2 }).info.call()).values();
  assert.deepEqual(
    s.map((i) => [i.castRank, i.meshRank]),
    [
      [0, 2],
      [1, 5],
    ],
  );
  assert.equal(await mesh.times.reduce(sumAccumulator(), 1), 21);
  await mesh.stop();
  assert.throws(
    () => mesh.record.broadcast(1),
    (e: unknown) => e instanceof SupervisionError && e.variant === 'MeshStopped',
  );
  await procs.stop();
});

test('several actors per proc on a proc mesh are addressed as an innermost dimension', async () => {
  const procs = await thisHost().spawnProcs({ hosts: 2 }, { alloc: 'local' });
  const mesh = await procs.spawn('multi', TestActor, { tag: 'x' }, { perProc: 3, monitorIntervalMs: 0 });
  assert.deepEqual(mesh.sizes, { hosts: 2, actors: 3 });
  const infos = (await mesh.slice({ actors: 1 }).info.call()).values();
  assert.deepEqual(
    infos.map((i) => i.meshRank),
    [1, 4],
  );
  assert.equal(new Set((await mesh.info.call()).values().map((i) => i.self)).size, 6);
  await procs.stop();
});

test('agent casts of a proc mesh (spawn, states, stop) travel the comm tree above the point-to-point threshold, on slices too', async (t) => {
  const { castDirect } = await import('../../src/mesh/cast-direct.js');
  const threshold = config.override(CAST_POINT_TO_POINT_THRESHOLD, 0);
  t.after(() => threshold.restore());
  const procs = await thisHost().spawnProcs({ hosts: 2, gpus: 2 }, { alloc: 'local' });
  const ref = procs.procMesh.ref;
  assert.notEqual(ref.caster, castDirect);
  const mesh = await procs.spawn('agents', TestActor, { tag: 'x' }, { monitorIntervalMs: 0 });
  const states = (await ref.slice({ hosts: 1 }).actorStates(procs.client.cx, mesh.name)).values();
  assert.deepEqual(
    states.map((s) => [s.rank, String(s.status)]),
    [
      [0, 'Running'],
      [1, 'Running'],
    ],
  );
  await ref.slice({ gpus: 1 }).stopActorByName(procs.client.cx, mesh.name);
  const after = (await ref.actorStates(procs.client.cx, mesh.name)).values().map((s) => s.status.isTerminating());
  assert.deepEqual(after, [false, true, false, true]);
  await procs.stop();
});
