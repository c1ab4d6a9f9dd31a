import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent } from '../../../src/ndslice/index.js';
import { ActorRef } from '../../../src/actor/index.js';
import {
  LocalAllocator,
  initialize,
  AllocOtherError,
  AllocIncompleteError,
  AllocatorError,
  ProcStopReason,
  type ProcState,
} from '../../../src/mesh/alloc/index.js';
import { TestAgent } from './fixtures/agent.js';
import { clientProc, within } from './fixtures/client.js';

const agentType = TestAgent.typeName;

async function take(alloc: { next(): Promise<ProcState | null> }, n: number): Promise<ProcState[]> {
  const out: ProcState[] = [];
  for (let i = 0; i < n; i++) {
    const e = await within(alloc.next(), 30_000, `event ${i}`);
    assert.ok(e !== null, `expected event ${i}, got end of stream`);
    out.push(e);
  }
  return out;
}

test('local alloc of {replica: 4} yields Created and Running for points 0..3 in one world, then Stopped(Stopped) each and end of stream', async () => {
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from({ replica: 4 }), transport: 'unix', agentType });
  assert.equal(alloc.isLocal, true);
  const events = await take(alloc, 8);
  const created = events.filter((e) => e.kind === 'Created');
  const running = events.filter((e) => e.kind === 'Running');
  assert.deepEqual(created.map((e) => e.point.rank).sort(), [0, 1, 2, 3]);
  assert.ok(created.every((e) => e.pid === process.pid));
  assert.equal(running.length, 4);
  const keys = new Set(created.map((e) => e.createKey.toString()));
  for (const r of running) {
    assert.ok(keys.has(r.createKey.toString()));
    assert.equal(r.procId.kind, 'ranked');
    if (r.procId.kind === 'ranked') assert.equal(r.procId.world.name, alloc.worldId.name);
    assert.match(r.addr, /^unix:/);
    assert.equal(r.agent.actorId.name, 'mesh');
  }
  // The agents are real actors reachable over the served channels.
  const client = await clientProc();
  try {
    for (const r of running) client.bind(r);
    for (const r of running) {
      const ref = ActorRef.attest<TestAgent>(r.agent.actorId);
      const pong = await ref.ask(client.cx, { type: 'ping' }, { timeoutMs: 30_000 });
      assert.equal(pong.procId, r.procId.toString());
    }
  } finally {
    await client.close();
  }
  await alloc.stop();
  const stopped: ProcState[] = [];
  for await (const e of alloc) stopped.push(e); // iteration ends with the stream
  assert.deepEqual(
    stopped.map((e) => e.kind),
    ['Stopped', 'Stopped', 'Stopped', 'Stopped'],
  );
  assert.deepEqual(new Set(stopped.map((e) => (e.kind === 'Stopped' ? e.createKey.toString() : ''))), keys);
  for (const e of stopped) if (e.kind === 'Stopped') assert.deepEqual(e.reason, ProcStopReason.stopped());
  assert.equal(await alloc.next(), null);
  assert.equal(await alloc.next(), null, 'end of stream is final');
});

test('initialize returns the local procs in rank order with their agents, on the local transport too', async () => {
  const alloc = await new LocalAllocator().allocate({
    extent: Extent.from({ host: 2, gpu: 3 }),
    transport: 'local',
    agentType,
    agentParams: { hello: 'agent' },
  });
  try {
    const procs = await within(initialize(alloc), 30_000, 'initialize');
    assert.equal(procs.length, 6);
    procs.forEach((p, i) => {
      assert.equal(p.rank, i);
      assert.equal(p.procId.toString(), `${alloc.worldId}[${i}]`);
      assert.match(p.addr, /^local:/);
    });
    const client = await clientProc();
    try {
      for (const p of procs) client.router.bind(p.procId, p.addr);
      const pong = await ActorRef.attest<TestAgent>(procs[5]!.agent.actorId).ask(client.cx, { type: 'ping' }, { timeoutMs: 30_000 });
      assert.deepEqual(pong.params, { hello: 'agent' }, 'agent params reach the agent');
    } finally {
      await client.close();
    }
  } finally {
    await within(alloc.stopAndWait(), 30_000, 'stopAndWait');
  }
  assert.equal(await alloc.next(), null);
});

test('an alloc whose agent type is not registered fails initialization with a typed error and still stops', async () => {
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from({ replica: 2 }), transport: 'local', agentType: 'no::SuchAgent' });
  const err = await initialize(alloc).then(
    () => assert.fail('expected initialize to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AllocOtherError && err instanceof AllocatorError);
  assert.equal(err.variant, 'Other');
  assert.equal(err.event?.kind, 'Failed');
  assert.match(err.message, /no::SuchAgent/);
  await within(alloc.stopAndWait(), 30_000, 'stopAndWait');
  assert.equal(await alloc.next(), null);
});

test('a proc stopped during initialization makes initialize fail; a stream that ends early is Incomplete', async () => {
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from({ replica: 3 }), transport: 'local', agentType });
  const first = await take(alloc, 2); // Created + Running of rank 0
  assert.equal(first[1]!.kind, 'Running');
  assert.equal(await alloc.chaosMonkey(0), true);
  const err = await initialize(alloc).then(
    () => assert.fail('expected initialize to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AllocOtherError);
  assert.match(err.message, /killed by signal 9/);
  await alloc.stopAndWait();

  const early = await new LocalAllocator().allocate({ extent: Extent.from({ replica: 2 }), transport: 'local', agentType });
  await early.stop();
  const inc = await initialize(early).then(
    () => assert.fail('expected Incomplete'),
    (e: unknown) => e,
  );
  assert.ok(inc instanceof AllocIncompleteError);
  assert.equal(inc.variant, 'Incomplete');
  assert.equal(inc.extent.numRanks, 2);
});

test('a local alloc with procName gives direct-addressed procs named after their served address', async () => {
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from({ replica: 2 }), transport: 'unix', procName: 'worker', agentType });
  try {
    const procs = await within(initialize(alloc), 30_000, 'initialize');
    for (const p of procs) {
      assert.equal(p.procId.kind, 'direct');
      assert.equal(p.procId.toString(), `${p.addr},worker`);
      assert.equal(p.agent.actorId.toString(), `${p.addr},worker,mesh[0]`);
    }
    assert.notEqual(procs[0]!.addr, procs[1]!.addr);
  } finally {
    await alloc.stopAndWait();
  }
});

test('bad alloc specs are rejected with messages naming the problem', async () => {
  const a = new LocalAllocator();
  await assert.rejects(
    a.allocate({ extent: Extent.from({ replica: 1 }), transport: 'carrier-pigeon' as never }),
    (e: unknown) => e instanceof AllocOtherError && /transport "carrier-pigeon".*expected one of local, unix, tcp/.test(e.message),
  );
  await assert.rejects(
    a.allocate({ extent: { replica: 4 } as never, transport: 'local' }),
    (e: unknown) => e instanceof AllocOtherError && /not an Extent/.test(e.message),
  );
  await assert.rejects(
    a.allocate({ extent: Extent.from({ replica: 1 }), transport: 'local', agentParams: () => 1 }),
    (e: unknown) => e instanceof AllocOtherError && /agentParams cannot be serialized/.test(e.message),
  );
});

test('stop reasons read as text', () => {
  assert.equal(ProcStopReason.format(ProcStopReason.stopped()), 'stopped');
  assert.equal(ProcStopReason.format(ProcStopReason.killed(9)), 'killed by signal 9');
  assert.equal(ProcStopReason.format(ProcStopReason.exited(3, ['boom'])), 'exited with code 3; last stderr lines:\nboom');
  assert.match(ProcStopReason.format(ProcStopReason.watchdog()), /watchdog/);
});
