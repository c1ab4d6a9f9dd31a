// Supervision to the mesh owner: actor failures and proc deaths reach the owner's handler, later
// casts fail fast with SupervisionError, and meshes stop with their owner.
// Pins docs/architecture.md MESH-4 (fail fast after a failure), MESH-7 (endpoint errors).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, SupervisionError, Actor, type Handlers, type Context } from '../../src/index.js';
import { TestActor, FIXTURE_MODULE } from './_cast-fixture.js';
import { failureRecorder } from '../_support/failure-recorder.js';
import type { ActorMeshOf } from '../../src/index.js';
import { MESSAGE_DELIVERY_TIMEOUT, config } from '../../src/core/config.js';

// Channel clients wait up to the delivery timeout for acks from the SIGKILLed proc before the
// process can exit (30 s by default); keep that short here.
config.override(MESSAGE_DELIVERY_TIMEOUT, 5000);

after(() => thisHost().shutdown());

test('an actor that throws without a reply port reaches the owner with its actor id and rank', async () => {
  const procs = await thisHost().spawnProcs({ gpus: 3 }, { alloc: 'local' });
  const w = failureRecorder();
  const mesh = await procs.spawn('failing', TestActor, { tag: 'x' }, { onSupervise: w.onSupervise, monitorIntervalMs: 100 });
  mesh.slice({ gpus: 1 }).boom.broadcast('kaboom at rank 1');
  const { f } = await w.first();
  assert.equal(f.kind, 'ActorFailed');
  assert.equal(f.rank, 1);
  assert.equal(f.meshName, mesh.name);
  assert.match(f.actorId, new RegExp(`${mesh.name}\\[0\\]`));
  assert.match(f.error, /kaboom at rank 1/);
  assert.match(String(f), /rank 1 of mesh/);
  // Casts covering the failed rank fail fast; a slice of healthy ranks still works.
  assert.throws(() => mesh.record.broadcast(1), SupervisionError);
  await assert.rejects(mesh.times.call(1), SupervisionError);
  assert.deepEqual((await mesh.slice({ gpus: [0, 1] }).times.call(1)).values(), [1]);
  assert.deepEqual(await mesh.slice({ gpus: 2 }).times.callOne(1), 3);
  await procs.stop();
});

test('a SIGKILLed proc reaches the owner as a proc failure and pending calls fail fast', async () => {
  const procs = await thisHost().spawnProcs({ gpus: 2 }, { modules: [FIXTURE_MODULE] });
  const w = failureRecorder();
  const mesh = await procs.spawn('victims', TestActor, { tag: 'x' }, { onSupervise: w.onSupervise, monitorIntervalMs: 200 });
  const pids = (await mesh.pid.call()).values();
  assert.equal(pids.length, 2);
  assert.notEqual(pids[0], process.pid);
  const pending = mesh.slice({ gpus: 1 }).slow.call(60_000);
  process.kill(pids[1]!, 'SIGKILL');
  const { f } = await w.first(30_000);
  assert.equal(f.kind, 'ProcStopped');
  assert.equal(f.rank, 1);
  await assert.rejects(pending, SupervisionError);
  assert.throws(
    () => mesh.record.broadcast(0),
    (e: unknown) => e instanceof SupervisionError && /rank 1/.test((e as Error).message),
  );
  assert.deepEqual((await mesh.slice({ gpus: 0 }).times.call(2)).values(), [2]);
  await procs.stop();
});

type OwnerMsg = { type: 'spawn'; reply: { send(cx: Context, v: string): void } };
let ownedMesh: ActorMeshOf<TestActor> | undefined;

class Owner extends Actor<{ procs: Awaited<ReturnType<ReturnType<typeof thisHost>['spawnProcs']>> }, OwnerMsg> {
  static readonly typeName = 'test::mesh::Owner';
  constructor(readonly p: { procs: Awaited<ReturnType<ReturnType<typeof thisHost>['spawnProcs']>> }) {
    super();
  }
  readonly handlers: Handlers<OwnerMsg> = {
    spawn: async (cx) => {
      ownedMesh = await this.p.procs.spawn('owned', TestActor, { tag: 'o' }, { owner: cx, monitorIntervalMs: 0 });
    },
  };
}

test('an actor mesh stops when its owning actor stops (controller clean-up)', async () => {
  const procs = await thisHost().spawnProcs({ gpus: 2 }, { alloc: 'local' });
  const owner = await procs.client.proc.spawn(`owner${Date.now()}`, Owner, { procs });
  owner.send({ type: 'spawn' } as OwnerMsg);
  for (let i = 0; i < 100 && ownedMesh === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  const mesh = ownedMesh!;
  assert.deepEqual((await mesh.times.call(1)).values(), [1, 2]);
  await owner.stop();
  const states = await procs.procMesh.actorStates(procs.client.cx, mesh.name);
  for (const s of states.values()) assert.ok(s.status.isTerminating(), `member should be stopped, is ${s.status}`);
  assert.throws(
    () => mesh.record.broadcast(0),
    (e: unknown) => e instanceof SupervisionError && e.variant === 'MeshStopped',
  );
  await procs.stop();
});
