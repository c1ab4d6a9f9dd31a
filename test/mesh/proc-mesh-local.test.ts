// Proc meshes over LocalAlloc (procs in this process, `local` channels): the tests of Monarch's
// hyperactor_mesh/src/v1/proc_mesh.rs (test_proc_mesh_allocate, test_spawn_actor, ...) plus the agent protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent, Region } from '../../src/ndslice/index.js';
import { Actor, type Handlers, OncePortRef } from '../../src/actor/index.js';
import { Status, StatusOverlay } from '../../src/valuemesh/index.js';
import { Rank } from '../../src/core/bindings.js';
import { LocalAllocator } from '../../src/mesh/alloc/index.js';
import {
  AllocatedProcMesh,
  ActorSpawnError,
  ActorTypeNotRegistered,
  InvalidRankCardinality,
  NotExist,
  ProcMeshRef,
  UnroutableMesh,
  type State,
  type ActorState,
} from '../../src/mesh/index.js';
import { TestActor, FailingCreateTestActor } from './fixtures/actors.js';
import { Proc } from '../../src/actor/index.js';
import { ProcId } from '../../src/core/ids.js';
import { decode, encode } from '../../src/core/codec.js';

async function localMesh(extent: Record<string, number>) {
  const client = AllocatedProcMesh.createClient();
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from(extent), transport: 'local' });
  const mesh = await AllocatedProcMesh.allocate(client.cx, alloc, 'test');
  return {
    client,
    mesh,
    cx: client.cx,
    async close() {
      await mesh.stop();
      await client.close();
    },
  };
}

test('allocating {replica: 4} gives a 4-rank mesh whose agents are all configured and alive', async () => {
  const { mesh, cx, client, close } = await localMesh({ replica: 4 });
  try {
    assert.equal(mesh.extent().toString(), Extent.from({ replica: 4 }).toString());
    assert.equal(mesh.numRanks, 4);
    assert.ok(client.router.prefixes().length > 0, 'the client router has routes to the procs');
    const st = await mesh.status(cx);
    assert.deepEqual(st.values(), [true, true, true, true]);
    assert.match(String(mesh), /^test_[1-9A-HJ-NP-Za-km-z]{12}\{replica=4\/1\}$/);
  } finally {
    await close();
  }
});

test('spawning on {replicas: 4, hosts: 2} gives an actor mesh of that shape, each rank answering with its own actor id', async () => {
  const { mesh, cx, close } = await localMesh({ replicas: 4, hosts: 2 });
  try {
    const am = await mesh.spawn(cx, 'test', TestActor, undefined);
    assert.equal(am.region().toString(), mesh.region().toString());
    assert.equal(am.numRanks, 8);
    const ids = await Promise.all(am.actorRefs().map((r) => r.ask(cx, { type: 'GetActorId' }, { timeoutMs: 30_000 })));
    assert.deepEqual(
      ids,
      am.actorRefs().map((r) => String(r.actorId)),
    );
    assert.equal(new Set(ids).size, 8);
  } finally {
    await close();
  }
});

test('a failing actor constructor gives ActorSpawnError with Failed(test failure) on all 8 ranks', async () => {
  const { mesh, cx, close } = await localMesh({ replicas: 4, hosts: 2 });
  try {
    const err = await mesh.spawn(cx, 'failing', FailingCreateTestActor, undefined).then(
      () => assert.fail('spawn should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ActorSpawnError, String(err));
    assert.equal(err.variant, 'ActorSpawnError');
    assert.deepEqual(
      err.statuses.intervals().map((r) => [r.start, r.end, String(r.value)]),
      [[0, 8, 'Failed(test failure)']],
    );
    assert.match(err.message, /Failed\(test failure\)=0\.\.8/);
  } finally {
    await close();
  }
});

test('spawning a type nobody registered gives ActorTypeNotRegistered', async () => {
  class Unregistered extends Actor<void, { type: 'x' }> {
    static typeName = 'test::mesh::NobodyRegisteredThis';
    readonly handlers: Handlers<{ type: 'x' }> = { x: () => {} };
  }
  const { mesh, cx, close } = await localMesh({ replica: 2 });
  try {
    await assert.rejects(
      mesh.spawn(cx, 'u', Unregistered, undefined),
      (e: unknown) => e instanceof ActorTypeNotRegistered && /NobodyRegisteredThis/.test(e.message),
    );
    await assert.rejects(mesh.spawn(cx, 'u', 'test::mesh::AlsoUnknown', undefined as never), ActorTypeNotRegistered);
  } finally {
    await close();
  }
});

test('stopping an actor mesh stops every actor; their states then read Stopped', async () => {
  const { mesh, cx, close } = await localMesh({ replica: 3 });
  try {
    const am = await mesh.spawn(cx, 'stopme', TestActor, undefined);
    const before = await mesh.actorStates(cx, am.name);
    assert.deepEqual(
      before.values().map((s) => String(s.status)),
      ['Running', 'Running', 'Running'],
    );
    assert.deepEqual(
      before.values().map((s) => s.state?.createRank),
      [0, 1, 2],
    );
    await am.stop(cx);
    const after = await mesh.actorStates(cx, am.name);
    assert.deepEqual(
      after.values().map((s) => String(s.status)),
      ['Stopped', 'Stopped', 'Stopped'],
    );
    await assert.rejects(am.actorRef(0).ask(cx, { type: 'GetActorId' }, { timeoutMs: 300, returnUndeliverable: false }));
  } finally {
    await close();
  }
});

test('slicing a proc mesh keeps the root region, and spawning on the slice reaches only its procs with slice ranks', async () => {
  const { mesh, cx, close } = await localMesh({ replicas: 4, hosts: 2 });
  try {
    const sl = mesh.range('replicas', [1, 3]);
    assert.equal(sl.numRanks, 4);
    assert.equal(String(sl.rootRegion), String(mesh.region()));
    assert.deepEqual(
      sl.ranks.map((r) => r.createRank),
      [2, 3, 4, 5],
    );
    assert.equal(String(sl), `${mesh.name}{${sl.region()}}`);
    const one = mesh.slice({ hosts: 1 });
    assert.deepEqual(
      one.ranks.map((r) => r.createRank),
      [1, 3, 5, 7],
    );
    assert.deepEqual(one.region().labels, ['replicas']);

    const am = await sl.spawn(cx, 'sliced', TestActor, undefined);
    const states = await sl.actorStates(cx, am.name);
    assert.deepEqual(
      states.values().map((s) => String(s.status)),
      ['Running', 'Running', 'Running', 'Running'],
    );
    // The actors exist on the slice's procs only.
    await assert.rejects(mesh.actorStates(cx, am.name), NotExist);
    const ids = await Promise.all(am.actorRefs().map((r) => r.ask(cx, { type: 'GetActorId' }, { timeoutMs: 30_000 })));
    assert.deepEqual(
      ids,
      sl.ranks.map((r) => String(r.actorId(am.name))),
    );
    await am.stop(cx);
  } finally {
    await close();
  }
});

test('CreateOrUpdate is idempotent by name; GetRankStatus of an unknown name is an empty overlay', async () => {
  const { mesh, cx, close } = await localMesh({ replica: 2 });
  try {
    const am = await mesh.spawnService(cx, 'svc', TestActor, undefined);
    assert.equal(String(am.name), 'svc');
    // Spawning the same reserved name again is a no-op that succeeds (the entry exists).
    const again = await mesh.spawnService(cx, 'svc', TestActor, undefined);
    assert.equal(String(again.actorId(1)), String(am.actorId(1)));
    const [h, rx] = cx.openPort<StatusOverlay>();
    mesh.ranks[0]!.agent.send(cx, { type: 'GetRankStatus', name: 'nobody', reply: h.bind() } as never);
    mesh.ranks[0]!.agent.send(cx, { type: 'GetRankStatus', name: 'svc', reply: h.bind(), rank: new Rank(1) } as never);
    const a = await rx.recv(30_000);
    const b = await rx.recv(30_000);
    assert.ok(a.isEmpty());
    assert.deepEqual(
      b.runs().map((r) => [r.start, r.end, String(r.value)]),
      [[1, 2, 'Running']],
    );
    rx.close();
  } finally {
    await close();
  }
});

test('an actor failure is recorded by its agent: its state turns Failed with the event and new spawns on that proc are refused', async () => {
  const { mesh, cx, close } = await localMesh({ replica: 2 });
  try {
    const am = await mesh.spawn(cx, 'fragile', TestActor, undefined);
    am.actorRef(1).send(cx, { type: 'Fail', why: 'boom' });
    let states: State<ActorState>[] = [];
    for (let i = 0; i < 50; i++) {
      states = (await mesh.actorStates(cx, am.name)).values();
      if (states[1]!.status.kind === 'Failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(String(states[0]!.status), 'Running');
    assert.equal(states[1]!.status.kind, 'Failed');
    assert.match(states[1]!.status.message!, /because of supervision events: .*boom/);
    assert.equal(states[1]!.state!.supervisionEvents.length, 1);
    const err = await mesh.spawn(cx, 'after', TestActor, undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ActorSpawnError);
    assert.deepEqual(
      err.statuses.intervals().map((r) => String(r.value)),
      ['Running', 'Failed(Cannot spawn new actors on mesh with supervision events)'],
    );
  } finally {
    await close();
  }
});

test('a proc mesh ref round-trips through the codec and rejects a rank count that does not match its region', () => {
  const region = Region.fromExtent(Extent.from({ x: 2 }));
  assert.throws(() => new ProcMeshRef(undefined as never, region, []), InvalidRankCardinality);
});

test('allocating from a proc whose forwarder is not a router fails with UnroutableMesh', async () => {
  const proc = new Proc(ProcId.ranked('lonely', 0));
  const cx = proc.instance('c');
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from({ x: 1 }), transport: 'local' });
  try {
    await assert.rejects(AllocatedProcMesh.allocate(cx, alloc), UnroutableMesh);
  } finally {
    await alloc.stopAndWait();
    await proc.destroyAndWait(100);
  }
});

test('a proc mesh ref survives serialization with its ranks and root region', async () => {
  const { mesh, close } = await localMesh({ a: 2, b: 2 });
  try {
    const sl = mesh.range('a', 1);
    const back = decode(encode(sl)) as ProcMeshRef;
    assert.ok(back instanceof ProcMeshRef);
    assert.equal(String(back), String(sl));
    assert.equal(String(back.rootRegion), String(mesh.region()));
    assert.deepEqual(
      back.ranks.map((r) => String(r.agent.actorId)),
      sl.ranks.map((r) => String(r.agent.actorId)),
    );
    void Status;
    void OncePortRef;
  } finally {
    await close();
  }
});

test('an agent accepts Configure once: a second Configure is answered with -1 and changes nothing', async () => {
  const { mesh, cx, close } = await localMesh({ replica: 2 });
  try {
    const [h, rx] = cx.openPort<number>();
    mesh.ranks[1]!.agent.send(cx, {
      type: 'Configure',
      rank: 7,
      forwarder: 'local:999999',
      addressBook: [],
      configured: h.bind(),
      recordSupervisionEvents: true,
      exitOnStopAll: false,
    } as never);
    assert.equal(await rx.recv(30_000), -1);
    rx.close();
    assert.deepEqual((await mesh.status(cx)).values(), [true, true], 'still configured with rank 1, still routable');
  } finally {
    await close();
  }
});

test('StopAll on in-process procs destroys their actors and agents; the procs then stop answering', async () => {
  const { GET_ACTOR_STATE_MAX_IDLE, config } = await import('../../src/core/config.js');
  const restore = config.override(GET_ACTOR_STATE_MAX_IDLE, 300);
  const { mesh, cx, close } = await localMesh({ replica: 2 });
  try {
    const am = await mesh.spawn(cx, 'doomed', TestActor, undefined);
    mesh.ref.castToAgents(cx, { type: 'StopAll' });
    let alive = [true, true];
    for (let i = 0; i < 20 && alive.some(Boolean); i++) alive = (await mesh.status(cx)).values();
    assert.deepEqual(alive, [false, false]);
    const states = (await mesh.actorStates(cx, am.name)).values();
    assert.deepEqual(
      states.map((s) => s.status.kind),
      ['Timeout', 'Timeout'],
    );
  } finally {
    restore.restore();
    await close();
  }
});

test('Stop of a name that was never spawned is a no-op: stopActorByName then times out on every rank', async () => {
  const { ACTOR_SPAWN_MAX_IDLE, config } = await import('../../src/core/config.js');
  const restore = config.override(ACTOR_SPAWN_MAX_IDLE, 200);
  const { mesh, cx, close } = await localMesh({ replica: 2 });
  try {
    const { ActorStopError } = await import('../../src/mesh/index.js');
    const err = await mesh.stopActorByName(cx, 'ghost').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ActorStopError, String(err));
    assert.deepEqual(
      err.statuses.intervals().map((r) => [r.start, r.end, r.value.kind]),
      [[0, 2, 'Timeout']],
    );
    assert.match(err.message, /^error stopping actor mesh ghost: Timeout\(\d+(\.\d+)?ms\)=0\.\.2$/);
  } finally {
    restore.restore();
    await close();
  }
});

test('a 256-proc mesh allocated from a bare Proc spawns and stops an actor mesh on every rank', async () => {
  const client = AllocatedProcMesh.createClient();
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from({ hosts: 16, gpus: 16 }), transport: 'local' });
  const mesh = await AllocatedProcMesh.allocate(client.proc, alloc, 'big');
  try {
    const am = await mesh.spawn(client.cx, 'many', TestActor, undefined);
    const st = await mesh.statuses(client.cx, am.name);
    assert.equal(st.numRanks, 256);
    assert.equal(String(st), 'StatusMesh(hosts=16/16,gpus=16/1: 0..256=Running)');
    await am.stop(client.cx);
    assert.equal(String(await mesh.statuses(client.cx, am.name)), 'StatusMesh(hosts=16/16,gpus=16/1: 0..256=Stopped)');
  } finally {
    await mesh.stop();
    await client.close();
  }
});
