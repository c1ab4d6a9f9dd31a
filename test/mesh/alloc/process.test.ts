// ProcessAlloc with real child Node processes (booted through tsx from the TS sources).
// Pins docs/architecture.md MESH-6 (no orphans).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Extent } from '../../../src/ndslice/index.js';
import { ActorRef, registeredActorModules } from '../../../src/actor/index.js';
import { config, MESSAGE_ACK_TIME_INTERVAL, MESSAGE_TTL_DEFAULT, PROCESS_EXIT_TIMEOUT } from '../../../src/core/config.js';
import {
  ProcessAllocator,
  ProcessAlloc,
  initialize,
  ProcStopReason,
  AllocOtherError,
  type AllocatedProc,
  type ProcState,
} from '../../../src/mesh/alloc/index.js';
import { TestAgent } from './fixtures/agent.js';
import { Greeter } from './fixtures/greeter.js';
import { clientProc, within } from './fixtures/client.js';
import { dial } from '../../../src/channel/index.js';
import { encode } from '../../../src/core/codec.js';

const agentType = TestAgent.typeName;
const agentModule = new URL('./fixtures/agent.ts', import.meta.url).href;
const greeterModule = new URL('./fixtures/greeter.ts', import.meta.url).href;

async function allocate(replicas: number, extra: { modules?: string[]; forwardStderr?: boolean; transport?: 'unix' | 'tcp' } = {}): Promise<ProcessAlloc> {
  // Children ack channel messages every 20 ms (shipped in the config snapshot), so closing a
  // test client never waits long for acks from a child that exits right after a message.
  const ack = config.override(MESSAGE_ACK_TIME_INTERVAL, 20);
  try {
    return await new ProcessAllocator({ forwardStderr: extra.forwardStderr ?? true }).allocate({
      extent: Extent.from({ replica: replicas }),
      transport: extra.transport ?? 'unix',
      agentType,
      modules: [agentModule, ...(extra.modules ?? [])],
    });
  } finally {
    ack.restore();
  }
}

async function nextEvent(alloc: ProcessAlloc, what: string): Promise<ProcState | null> {
  return within(alloc.next(), 30_000, what);
}

/** Drains the alloc to its end, returning the Stopped events by create key. */
async function drain(alloc: ProcessAlloc): Promise<Map<string, ProcStopReason>> {
  const out = new Map<string, ProcStopReason>();
  for (;;) {
    const e = await nextEvent(alloc, 'a Stopped event or the end');
    if (e === null) return out;
    if (e.kind === 'Stopped') out.set(e.createKey.toString(), e.reason);
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

test('process alloc of {replica: 4} runs 4 child processes covering points 0..3, then Stopped(Stopped) each and end of stream', async () => {
  const alloc = await allocate(4);
  assert.equal(alloc.isLocal, false);
  const events: ProcState[] = [];
  while (events.filter((e) => e.kind === 'Running').length < 4) {
    const e = await nextEvent(alloc, 'Created/Running');
    assert.ok(e !== null);
    assert.ok(e.kind === 'Created' || e.kind === 'Running', `unexpected ${e.kind}`);
    events.push(e);
  }
  const created = events.flatMap((e) => (e.kind === 'Created' ? [e] : []));
  const running = events.flatMap((e) => (e.kind === 'Running' ? [e] : []));
  assert.deepEqual(created.map((e) => e.point.rank).sort(), [0, 1, 2, 3]);
  const pids = created.map((e) => e.pid);
  assert.equal(new Set(pids).size, 4);
  assert.ok(!pids.includes(process.pid));
  const client = await clientProc();
  try {
    for (const r of running) {
      client.bind(r);
      assert.ok(r.procId.kind === 'ranked' && r.procId.world.name === alloc.worldId.name, 'all procs in the alloc world');
      const pong = await ActorRef.attest<TestAgent>(r.agent.actorId).ask(client.cx, { type: 'ping' }, { timeoutMs: 30_000 });
      const c = created.find((e) => e.createKey.equals(r.createKey))!;
      assert.equal(pong.pid, c.pid, 'the proc runs in the child process announced by Created');
      assert.equal(pong.procId, `${alloc.worldId}[${c.point.rank}]`);
    }
  } finally {
    await client.close();
  }
  await alloc.stop();
  const stopped = await drain(alloc);
  assert.equal(stopped.size, 4);
  for (const c of created) assert.deepEqual(stopped.get(c.createKey.toString()), ProcStopReason.stopped());
  assert.equal(await alloc.next(), null);
  assert.equal(await alloc.next(), null, 'end of stream is final');
  for (const pid of pids) assert.ok(gone(pid), `child ${pid} exited`);
});

test('a child SIGKILLed is reported as Stopped(Killed(9)) while the others keep running', async () => {
  const alloc = await allocate(2, { transport: 'tcp' });
  const procs = await within(initialize(alloc), 30_000, 'initialize');
  assert.ok(
    procs.every((p) => p.addr.startsWith('tcp:')),
    'procs serve on the spec transport',
  );
  const victim = alloc.pids[1]!;
  process.kill(victim, 'SIGKILL');
  const e = await nextEvent(alloc, 'Stopped of the killed child');
  assert.ok(e !== null && e.kind === 'Stopped');
  assert.ok(e.createKey.equals(procs[1]!.createKey));
  assert.deepEqual(e.reason, ProcStopReason.killed(9));
  assert.equal(ProcStopReason.format(e.reason), 'killed by signal 9');
  await alloc.stop();
  const rest = await drain(alloc);
  assert.deepEqual([...rest.values()], [ProcStopReason.stopped()]);
});

test('a child exiting with code 3 is reported as Exited(3) with the tail of its stderr', async () => {
  const alloc = await allocate(1, { forwardStderr: false });
  const [p] = await within(initialize(alloc), 30_000, 'initialize');
  const client = await clientProc();
  try {
    client.router.bind(p!.procId, p!.addr);
    ActorRef.attest<TestAgent>(p!.agent.actorId).send(client.cx, { type: 'exit', code: 3, stderr: 'first line\nfatal: disk on fire\n' });
    const e = await nextEvent(alloc, 'Stopped of the exiting child');
    assert.ok(e !== null && e.kind === 'Stopped');
    assert.equal(e.reason.kind, 'Exited');
    if (e.reason.kind === 'Exited') {
      assert.equal(e.reason.code, 3);
      assert.deepEqual(e.reason.stderrTail.slice(-2), ['first line', 'fatal: disk on fire']);
    }
    assert.match(ProcStopReason.format(e.reason), /exited with code 3; last stderr lines:\n(.|\n)*fatal: disk on fire/);
  } finally {
    await client.close();
  }
  await alloc.stop();
  assert.equal((await drain(alloc)).size, 0);
});

test('children that do not exit after stop are signalled by the watchdog and reported as Watchdog', async () => {
  const restore = config.override(PROCESS_EXIT_TIMEOUT, 300);
  try {
    const alloc = await allocate(2);
    const procs = await within(initialize(alloc), 30_000, 'initialize');
    const client = await clientProc();
    try {
      procs.forEach((p: AllocatedProc) => client.router.bind(p.procId, p.addr));
      // rank 0 blocks its event loop and ignores SIGTERM (needs SIGKILL); rank 1 just blocks.
      ActorRef.attest<TestAgent>(procs[0]!.agent.actorId).send(client.cx, { type: 'hang', ignoreSigterm: true });
      ActorRef.attest<TestAgent>(procs[1]!.agent.actorId).send(client.cx, { type: 'hang', ignoreSigterm: false });
      await new Promise((r) => setTimeout(r, 150)); // let the hang messages land
    } finally {
      await client.close();
    }
    const t0 = Date.now();
    await alloc.stop();
    const stopped = await drain(alloc);
    assert.equal(stopped.size, 2);
    for (const r of stopped.values()) assert.deepEqual(r, ProcStopReason.watchdog());
    assert.ok(Date.now() - t0 >= 300, 'the watchdog waited PROCESS_EXIT_TIMEOUT first');
    for (const pid of alloc.pids) assert.ok(gone(pid!));
  } finally {
    restore.restore();
  }
});

test("a child gets the client's config snapshot and spawns a user actor class by name from its module", async () => {
  const restore = config.override(MESSAGE_TTL_DEFAULT, 17);
  // Greeter's module is not in spec.modules: the child imports it because registerActor recorded it.
  assert.ok(registeredActorModules().includes(greeterModule));
  const alloc = await allocate(1).finally(() => restore.restore());
  try {
    const [p] = await within(initialize(alloc), 30_000, 'initialize');
    const client = await clientProc();
    try {
      client.router.bind(p!.procId, p!.addr);
      const agent = ActorRef.attest<TestAgent>(p!.agent.actorId);
      assert.equal(await agent.ask(client.cx, { type: 'config', key: 'MESSAGE_TTL_DEFAULT' }, { timeoutMs: 30_000 }), '17');
      assert.equal(config.get(MESSAGE_TTL_DEFAULT), 64, 'the override was only in force at allocation');
      const id = await agent.ask(
        client.cx,
        { type: 'spawn', typeName: Greeter.typeName, name: 'greeter', params: { greeting: 'hello' } },
        { timeoutMs: 30_000 },
      );
      const greeting = await ActorRef.attest<Greeter>(id).ask(client.cx, { type: 'greet', who: 'parent' }, { timeoutMs: 30_000 });
      assert.equal(greeting, `hello, parent (from pid ${alloc.pids[0]})`);
    } finally {
      await client.close();
    }
  } finally {
    await alloc.stopAndWait();
  }
});

test('when the parent process is SIGKILLed no child survives it', async () => {
  const script = fileURLToPath(new URL('./fixtures/parent.ts', import.meta.url));
  const parent = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await within(
      new Promise<string>((resolve, reject) => {
        let buf = '';
        parent.stdout!.setEncoding('utf8');
        parent.stdout!.on('data', (d: string) => {
          buf += d;
          const nl = buf.indexOf('\n');
          if (nl >= 0) resolve(buf.slice(0, nl));
        });
        parent.on('exit', (code) => reject(new Error(`parent exited early with ${code}`)));
      }),
      30_000,
      'parent allocation',
    );
    const pids = (JSON.parse(line) as { pids: number[] }).pids;
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(!gone(pid), 'children run before the parent dies');
    parent.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (pids.some((p) => !gone(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      pids.filter((p) => !gone(p)),
      [],
      'no orphaned child',
    );
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a child that cannot start its proc is reported as Exited(1) with the reason, and initialize fails', async () => {
  const alloc = await new ProcessAllocator({ forwardStderr: false }).allocate({
    extent: Extent.from({ replica: 1 }),
    transport: 'unix',
    agentType: 'no::SuchAgent',
  });
  const err = await within(initialize(alloc), 30_000, 'initialize').then(
    () => assert.fail('expected initialize to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AllocOtherError);
  assert.equal(err.event?.kind, 'Stopped');
  if (err.event?.kind === 'Stopped') {
    assert.equal(err.event.reason.kind, 'Exited');
    if (err.event.reason.kind === 'Exited') assert.equal(err.event.reason.code, 1);
  }
  assert.match(err.message, /exited with code 1; last stderr lines:(.|\n)*no::SuchAgent/);
  await alloc.stopAndWait();
});

test('a malformed frame on the bootstrap channel is dropped and the alloc carries on', async () => {
  const alloc = await allocate(1, { forwardStderr: false });
  const tx = dial(alloc.bootstrapAddr);
  await tx.send(new Uint8Array([0xc1, 0xff, 0x00]));
  await tx.send(encode({ index: 99, msg: { type: 'Hello', addr: 'unix:/nonexistent' } }));
  await tx.close();
  const [p] = await within(initialize(alloc), 30_000, 'initialize');
  assert.equal(p!.rank, 0);
  await alloc.stopAndWait();
});

test('ProcessAllocator rejects the local transport', async () => {
  await assert.rejects(
    new ProcessAllocator().allocate({ extent: Extent.from({ replica: 1 }), transport: 'local' }),
    (e: unknown) => e instanceof AllocOtherError && /transport "local" is not supported.*expected one of unix, tcp/.test(e.message),
  );
});
