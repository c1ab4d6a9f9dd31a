// Proc meshes over ProcessAlloc: one real child Node process per rank (Monarch
// hyperactor_mesh/src/v1/proc_mesh.rs test_spawn_actor, test_failing_spawn_actor, actor states after a process died).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent } from '../../src/ndslice/index.js';
import { GET_ACTOR_STATE_MAX_IDLE, MESSAGE_DELIVERY_TIMEOUT, config } from '../../src/core/config.js';
import { Rank } from '../../src/core/bindings.js';
import { ProcessAllocator } from '../../src/mesh/alloc/index.js';
import { AllocatedProcMesh, ActorSpawnError, castDirect } from '../../src/mesh/index.js';
import { TestActor, FailingCreateTestActor, type RankInfo } from './fixtures/actors.js';

async function processMesh(extent: Record<string, number>) {
  const client = AllocatedProcMesh.createClient();
  const alloc = await new ProcessAllocator().allocate({ extent: Extent.from(extent), transport: 'unix' });
  const mesh = await AllocatedProcMesh.allocate(client.cx, alloc, 'proc');
  return {
    mesh,
    cx: client.cx,
    async close() {
      await mesh.stop();
      await client.close();
    },
  };
}

test('child-process meshes: spawn on {replicas: 4, hosts: 2} has that shape across 8 processes, and a failing constructor fails all 8 ranks', async (t) => {
  const { mesh, cx, close } = await processMesh({ replicas: 4, hosts: 2 });
  try {
    await t.test('spawning gives an actor mesh of shape {replicas: 4, hosts: 2}, one actor per child process, ranks rebound per destination', async () => {
      const am = await mesh.spawn(cx, 'test', TestActor, undefined);
      assert.equal(am.region().extent().toString(), Extent.from({ replicas: 4, hosts: 2 }).toString());
      const ids = await Promise.all(am.actorRefs().map((r) => r.ask(cx, { type: 'GetActorId' }, { timeoutMs: 10_000 })));
      assert.deepEqual(
        ids,
        am.actorRefs().map((r) => String(r.actorId)),
      );
      // A direct cast: every actor sees its own rank and point.
      const [h, rx] = cx.openPort<RankInfo>();
      castDirect(cx, String(am.name), mesh.ref.targets(am.name), { type: 'GetRank', rank: new Rank(), reply: h.bind() } as never);
      const got = [];
      for (let i = 0; i < 8; i++) got.push(await rx.recv(10_000));
      rx.close();
      got.sort((a, b) => a.rank! - b.rank!);
      assert.deepEqual(
        got.map((g) => g.rank),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.deepEqual(
        got.map((g) => g.point),
        [...Extent.from({ replicas: 4, hosts: 2 }).points()].map(String),
      );
      assert.equal(new Set(got.map((g) => g.pid)).size, 8, 'eight distinct processes');
      assert.ok(
        got.every((g) => g.sender === String(cx.self)),
        'CAST_ORIGINATING_SENDER is the caster',
      );
      assert.ok(!got.some((g) => g.pid === process.pid));
      await am.stop(cx);
    });
    await t.test('a failing actor constructor gives ActorSpawnError with statuses exactly (0..8, Failed(test failure))', async () => {
      const err = await mesh.spawn(cx, 'failing', FailingCreateTestActor, undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ActorSpawnError, String(err));
      assert.deepEqual(
        err.statuses.intervals().map((r) => [r.start, r.end, String(r.value)]),
        [[0, 8, 'Failed(test failure)']],
      );
      assert.equal(err.message, `error spawning actor mesh ${err.message.split(' ')[4]} Failed(test failure)=0..8`);
    });
  } finally {
    await close();
  }
});

test('actorStates after a child process was SIGKILLed pads the dead rank with Timeout and a synthetic Stopped event', async () => {
  const restore = config.override(GET_ACTOR_STATE_MAX_IDLE, 1000);
  // The client's channel to the dead child gives up after this (instead of 30 s) at close.
  const restoreDelivery = config.override(MESSAGE_DELIVERY_TIMEOUT, 1500);
  const { mesh, cx, close } = await processMesh({ replicas: 3 });
  try {
    const am = await mesh.spawn(cx, 'victim', TestActor, undefined);
    const pid = (await am.actorRef(1).ask(cx, { type: 'GetRank', rank: new Rank() }, { timeoutMs: 10_000 })).pid;
    process.kill(pid, 'SIGKILL');
    // Wait until the alloc reports the child stopped (killed by signal 9).
    for (let i = 0; i < 100 && !mesh.events.some((e) => e.kind === 'Stopped'); i++) await new Promise((r) => setTimeout(r, 50));
    const stopped = mesh.events.find((e) => e.kind === 'Stopped');
    assert.ok(stopped && stopped.kind === 'Stopped' && stopped.reason.kind === 'Killed' && stopped.reason.signal === 9, 'the alloc reports Killed(9)');
    const states = (await mesh.actorStates(cx, am.name)).values();
    assert.deepEqual(
      states.map((s) => s.status.kind),
      ['Running', 'Timeout', 'Running'],
    );
    const dead = states[1]!;
    assert.equal(String(dead.state!.actorId), String(mesh.ranks[1]!.agent.actorId), 'padded with the agent id of that rank');
    assert.equal(dead.state!.createRank, 1);
    assert.deepEqual(
      dead.state!.supervisionEvents.map((e) => e.status),
      ['Stopped'],
    );
    // The slice without the dead rank still answers fully.
    const live = mesh.range('replicas', [0, 1]);
    assert.deepEqual(
      (await live.actorStates(cx, am.name)).values().map((s) => String(s.status)),
      ['Running'],
    );
  } finally {
    restore.restore();
    await close();
    restoreDelivery.restore();
  }
});
