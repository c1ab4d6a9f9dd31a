// Host meshes across machines, on loopback (tier A): real `actormesh worker` processes, a client
// that attaches to them, procs spawned on them, stop / shutdown, and each failure mode.
// Pins docs/architecture.md HOST-1 (one port per machine), HOST-3 (procs belong to a host mesh),
// API-1 (attach fails closed), API-2 (a host is lost only through its link), API-5 (a host mesh
// belongs to the worker incarnations it attached to).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  HostMesh,
  HostMeshRef,
  AttachError,
  HostMeshStoppedError,
  NotOwnedError,
  HostMeshRefParseError,
  ConfigurationError,
  Actor,
  type Handlers,
  type PortRef,
} from '../../src/index.js';
import { config, MESH_HOST_LINK_TIMEOUT, MESH_HOST_UNRESPONSIVE_TIMEOUT, MESH_KEEPALIVE_INTERVAL, MESH_TAIL_LOG_LINES, ProcId } from '../../src/core/index.js';
import { Proc } from '../../src/actor/index.js';
import { DialMailboxRouter, serveMailbox } from '../../src/mailbox/index.js';
import { serve, formatAddr } from '../../src/channel/index.js';
import { channelDialer } from '../../src/mailbox/client.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { alive, childrenOf, freePort, runCli, startWorker, stopAll, type Worker } from '../host/_workers.js';
import { eventually } from '../_support/eventually.js';
import { failureRecorder } from '../_support/failure-recorder.js';

const SECRET = 'test-secret-0123456789';
const ENV = { ACTORMESH_SECRET: SECRET };

config.override(MESH_HOST_LINK_TIMEOUT, 2000);
config.override(MESH_KEEPALIVE_INTERVAL, 200);

after(stopAll);

async function workers(n: number): Promise<Worker[]> {
  return Promise.all(Array.from({ length: n }, () => startWorker(['--listen', 'tcp:127.0.0.1:0'], ENV)));
}

test('actormesh worker prints one ready line with its address, pid, version and protocol, and exits 143 after SIGTERM', async () => {
  const w = await startWorker(['--listen', 'tcp:127.0.0.1:0'], ENV);
  assert.match(w.addr, /^tcp:127\.0\.0\.1:\d+$/);
  assert.notEqual(w.addr, 'tcp:127.0.0.1:0');
  assert.equal(w.pid, w.child.pid);
  process.kill(w.pid, 'SIGTERM');
  const { code } = await w.exited;
  assert.equal(code, 143);
});

test('actormesh worker refuses to serve off loopback without a secret or TLS, and a bad --listen, with exit 2', async () => {
  const open = await runCli(['worker', '--listen', 'tcp:0.0.0.0:0'], { ACTORMESH_SECRET: '', ACTORMESH_SECRET_FILE: '' });
  assert.equal(open.code, 2);
  assert.match(open.stderr, /refusing to serve tcp:0\.0\.0\.0:0 without --secret-file/);
  const bad = await runCli(['worker', '--listen', 'tcp:nowhere'], ENV);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--listen/);
  const help = await runCli(['worker', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /actormesh worker --listen/);
});

test('attach to 3 workers on distinct loopback IPs with one port, spawn 2 procs per host: 6 procs, each a child of its own worker, ranks 0..5 once', async () => {
  // The same port on 127.0.0.2 and 127.0.0.3 (all of 127/8 is loopback): pick a free one first.
  const first = await startWorker(['--listen', 'tcp:127.0.0.1:0'], ENV);
  const port = Number(first.addr.split(':').pop());
  const others = await Promise.all(['127.0.0.2', '127.0.0.3'].map((ip) => startWorker(['--listen', `tcp:${ip}:${port}`], ENV)));
  const ws = [first, ...others];
  const hosts = await HostMesh.attach(
    ws.map((w) => w.addr),
    { secret: SECRET, name: 'trio', logs: 'off' },
  );
  try {
    assert.deepEqual(hosts.extent().toString(), '{hosts: 3}');
    assert.deepEqual(
      hosts.infos.map((i) => i.pid),
      ws.map((w) => w.pid),
    );
    const procs = await hosts.spawnProcs({ gpus: 2 }, { name: 'trio', modules: [HOST_ACTORS_MODULE] });
    assert.equal(procs.extent().toString(), '{hosts: 3, gpus: 2}');
    const probes = await procs.spawn('probe', Probe, undefined);
    const who = (await probes.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      who.map((w) => w[0]),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal(new Set(who.map((w) => w[1])).size, 6, 'six distinct proc processes');
    who.forEach(([rank, , ppid]) => assert.equal(ppid, ws[Math.floor(rank / 2)]!.pid, `rank ${rank} runs under worker ${Math.floor(rank / 2)}`));
    // A slice of the actor mesh: host 1 only.
    const mid = (await probes.slice({ hosts: 1 }).whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      mid.map((w) => w[1]),
      [who[2]![1], who[3]![1]],
    );
    // A slice of the host mesh spawns on those hosts only.
    const one = await hosts.slice({ hosts: [2, 3] }).spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] });
    const p1 = await one.spawn('probe1', Probe, undefined);
    const w1 = (await p1.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.equal(w1.length, 1);
    assert.equal(w1[0]![2], ws[2]!.pid);
  } finally {
    const r = await hosts.shutdown();
    assert.deepEqual(r, { ok: true, missingHosts: [] });
  }
  for (const w of ws) assert.deepEqual(await w.exited, { code: 0, signal: null });
});

test('attach fails closed: a port nobody listens on is Unreachable after connectTimeoutMs, a wrong secret is Unauthorized at once', async () => {
  const [w] = await workers(1);
  const dead = 'tcp:127.0.0.1:9'; // discard port: nothing listens there
  const t0 = Date.now();
  const e1 = await HostMesh.attach([w!.addr, dead], { secret: SECRET, connectTimeoutMs: 1000, logs: 'off' }).then(
    () => assert.fail('attach should fail'),
    (e: unknown) => e,
  );
  assert.ok(e1 instanceof AttachError, String(e1));
  assert.deepEqual(
    e1.failures.map((f) => [f.host, f.reason]),
    [[dead, 'Unreachable']],
  );
  assert.ok(Date.now() - t0 < 1000 + 1500, `took ${Date.now() - t0} ms`);
  const t1 = Date.now();
  const e2 = await HostMesh.attach([w!.addr], { secret: 'wrong-secret', logs: 'off' }).then(
    () => assert.fail('attach should fail'),
    (e: unknown) => e,
  );
  assert.ok(e2 instanceof AttachError, String(e2));
  assert.deepEqual(
    e2.failures.map((f) => [f.host, f.reason]),
    [[w!.addr, 'Unauthorized']],
  );
  assert.ok(Date.now() - t1 < 2000, `a wrong secret took ${Date.now() - t1} ms`);
  assert.match(e2.message, /attach failed on 1 of 1 host\(s\):\n {2}- tcp:127\.0\.0\.1:\d+: Unauthorized/);
  // The worker is fine afterwards.
  const ok = await HostMesh.attach([w!.addr], { secret: SECRET, logs: 'off' });
  await ok.shutdown();
});

test('stop() ends only this host mesh procs: workers stay up, another host mesh on the same workers keeps working, a new attach works', async () => {
  const ws = await workers(2);
  const addrs = ws.map((w) => w.addr);
  const a = await HostMesh.attach(addrs, { secret: SECRET, logs: 'off' });
  const b = await HostMesh.attach(addrs, { secret: SECRET, logs: 'off' });
  const pa = await (await a.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('pa', Probe, undefined);
  const pb = await (await b.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('pb', Probe, undefined);
  const pidsA = ((await pa.whoami.call()).values() as Array<readonly [number, number, number]>).map((x) => x[1]);
  await a.stop();
  await eventually(() => pidsA.every((p) => !alive(p)), 'procs of the stopped host mesh are gone', 30_000, 50);
  assert.ok(
    ws.every((w) => alive(w.pid)),
    'workers stay up',
  );
  assert.equal(((await pb.whoami.call()).values() as unknown[]).length, 2, 'the other host mesh still answers');
  await assert.rejects(a.spawnProcs({ gpus: 1 }), HostMeshStoppedError);
  const c = await HostMesh.attach(addrs, { secret: SECRET, logs: 'off' });
  const pc = await (await c.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('pc', Probe, undefined);
  assert.equal(((await pc.whoami.call()).values() as unknown[]).length, 2);
  await c.stop();
  const r = await b.shutdown();
  assert.deepEqual(r.missingHosts, []);
  for (const w of ws) assert.equal((await w.exited).code, 0);
});

test('shutdown() on a slice or a parsed ref is NotOwned; the ref text parses back; a parsed ref can spawn', async () => {
  const ws = await workers(2);
  const hosts = await HostMesh.attach(
    ws.map((w) => w.addr),
    { secret: SECRET, name: 'pair', logs: 'off' },
  );
  try {
    const text = String(hosts.ref);
    assert.match(text, /^pair-[^:]+:tcp:127\.0\.0\.1:\d+,tcp:127\.0\.0\.1:\d+@hosts=2$/);
    const parsed = HostMeshRef.parse(text);
    assert.equal(String(parsed), text);
    assert.deepEqual(parsed.hosts, hosts.hosts);
    await assert.rejects(hosts.slice({ hosts: 0 }).shutdown(), NotOwnedError);
    await assert.rejects(parsed.stop(), NotOwnedError);
    assert.throws(() => HostMeshRef.parse('pair:tcp:127.0.0.1:1@hosts=2'), HostMeshRefParseError);
    assert.throws(() => HostMeshRef.parse('no-hosts'), HostMeshRefParseError);
    assert.throws(() => HostMeshRef.parse('x:tcp:nowhere@hosts=1'), HostMeshRefParseError);
    await assert.rejects(hosts.spawnProcs({ hosts: 2 }), ConfigurationError);
    const procs = await parsed.slice({ hosts: 1 }).spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] });
    const m = await procs.spawn('p', Probe, undefined);
    const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      who.map((w) => w[2]),
      [ws[1]!.pid, ws[1]!.pid],
    );
  } finally {
    assert.deepEqual((await hosts.shutdown()).missingHosts, []);
  }
  await assert.rejects(hosts.spawnProcs({ gpus: 1 }), HostMeshStoppedError);
});

test('the client config reaches the procs on every worker, and proc output comes back prefixed with host and point', async () => {
  const restore = config.override(MESH_TAIL_LOG_LINES, 7);
  const lines: Array<{ source: string; stream: string; text: string }> = [];
  let hosts: HostMesh | undefined;
  try {
    const ws = await workers(2);
    hosts = await HostMesh.attach(
      ws.map((w) => w.addr),
      { secret: SECRET, logs: (l) => lines.push(l) },
    );
    const procs = await hosts.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] });
    const m = await procs.spawn('p', Probe, undefined);
    assert.deepEqual((await m.tailLines.call()).values(), [7, 7, 7, 7]);
    await m.say.call('hello from a proc');
    await eventually(
      () => lines.filter((l) => l.text === 'hello from a proc').length === 4,
      () => JSON.stringify(lines),
      30_000,
      50,
    );
    assert.deepEqual(
      lines
        .filter((l) => l.text === 'hello from a proc')
        .map((l) => l.source)
        .sort(),
      ['host0 gpus=0', 'host0 gpus=1', 'host1 gpus=0', 'host1 gpus=1'],
    );
    assert.ok(lines.some((l) => l.stream === 'stderr' && l.source === 'host1 gpus=1' && l.text === 'rank 3 says hello from a proc'));
  } finally {
    restore.restore();
    await hosts?.shutdown();
  }
});

test('a worker killed with SIGKILL: its ranks fail in onSupervise, a call waiting on them rejects, the other host answers, shutdown lists it missing', async () => {
  const ws = await workers(2);
  const rec = failureRecorder();
  const hosts = await HostMesh.attach(
    ws.map((w) => w.addr),
    { secret: SECRET, logs: 'off' },
  );
  const procs = await hosts.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] });
  const m = await procs.spawn('p', Probe, undefined, {
    onSupervise: rec.onSupervise,
  });
  await m.whoami.call();
  const pending = m.slice({ hosts: 1 }).slow.call(60_000);
  const t0 = Date.now();
  process.kill(-ws[1]!.pid, 'SIGKILL');
  await assert.rejects(pending);
  const rejectedAfter = Date.now() - t0;
  await eventually(
    () => rec.seen().length >= 2,
    () => `failures: ${rec.seen().map(String).join('; ')}`,
    15_000,
    50,
  );
  assert.ok(Date.now() - t0 < 15_000);
  assert.ok(rejectedAfter < 15_000, `the pending call rejected after ${rejectedAfter} ms`);
  const failedRanks = [...new Set(rec.seen().map((f) => f.rank))].sort();
  assert.deepEqual(failedRanks, [2, 3]);
  assert.deepEqual(
    ((await m.slice({ hosts: 0 }).whoami.call()).values() as Array<readonly [number, number, number]>).map((x) => x[2]),
    [ws[0]!.pid, ws[0]!.pid],
  );
  const r = await hosts.shutdown();
  assert.deepEqual(r, { ok: false, missingHosts: [ws[1]!.addr] });
  assert.equal((await ws[0]!.exited).code, 0);
});

test('HostMesh.process starts local workers in their own process group and shutdown() leaves none', async () => {
  const hosts = await HostMesh.process(2, { logs: 'off' });
  const pids = hosts.infos.map((i) => i.pid);
  const procs = await hosts.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] });
  const m = await procs.spawn('p', Probe, undefined);
  const procPids = ((await m.whoami.call()).values() as Array<readonly [number, number, number]>).map((x) => x[1]);
  assert.deepEqual(
    ((await m.whoami.call()).values() as Array<readonly [number, number, number]>).map((x) => x[2]),
    pids,
  );
  await hosts.shutdown();
  await eventually(() => [...pids, ...procPids].every((p) => !alive(p)), 'condition', 30_000, 50);
  assert.deepEqual(pids.flatMap(childrenOf), []);
});

test('a client killed with SIGKILL: the worker reaps its procs after the orphan timeout and stays up for the next client', async () => {
  const [w] = await workers(1);
  const client = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/orphan-client.ts', import.meta.url)), w!.addr], {
    env: { ...process.env, ...ENV, HYPERACTOR_MESH_ORPHAN_TIMEOUT: '2s' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => client.once('exit', r));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: client.stdout! }).once('line', resolve);
    client.once('exit', (code) => reject(new Error(`the client exited with ${code} before printing its procs`)));
  });
  const { pids } = JSON.parse(line) as { pids: number[] };
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));
  client.kill('SIGKILL');
  await exited;
  const t0 = Date.now();
  await eventually(() => pids.every((p) => !alive(p)), 'orphaned procs are reaped', 30_000, 50);
  assert.ok(Date.now() - t0 < 8000);
  assert.ok(alive(w!.pid), 'the worker stays up');
  const next = await HostMesh.attach([w!.addr], { secret: SECRET, logs: 'off' });
  const m = await (await next.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
  assert.equal(((await m.whoami.call()).values() as unknown[]).length, 1);
  assert.deepEqual((await next.shutdown()).missingHosts, []);
});

test('a worker restarted on the same address: a long-lived client attaches again and spawns (a fresh session, never the old one)', async () => {
  const port = await freePort();
  const w1 = await startWorker(['--listen', `tcp:127.0.0.1:${port}`], ENV);
  const h1 = await HostMesh.attach([w1.addr], { secret: SECRET, logs: 'off' });
  // The killed worker's proc fails (at once if the restart takes longer than the link timeout):
  // an expected failure, taken by the owner instead of exiting the test process.
  const rec = failureRecorder();
  const m1 = await (await h1.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined, { onSupervise: rec.onSupervise });
  await m1.whoami.call();
  process.kill(-w1.pid, 'SIGKILL');
  await w1.exited;
  const w2 = await startWorker(['--listen', `tcp:127.0.0.1:${port}`], ENV);
  assert.equal(w2.addr, w1.addr);
  const h2 = await HostMesh.attach([w2.addr], { secret: SECRET, logs: 'off' });
  assert.equal(h2.infos[0]!.pid, w2.pid);
  assert.notEqual(h2.infos[0]!.incarnation, h1.infos[0]!.incarnation);
  const m2 = await (await h2.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
  const who = (await m2.whoami.call()).values() as Array<readonly [number, number, number]>;
  assert.deepEqual(
    who.map((x) => x[2]),
    [w2.pid, w2.pid],
  );
  // The old host mesh's shutdown reports its lost worker at once, and never reaches the new
  // worker at the same address, which keeps serving the new host mesh.
  assert.deepEqual((await h1.shutdown()).missingHosts, [w1.addr]);
  assert.ok(alive(w2.pid), 'the new worker is untouched by the old host mesh shutdown');
  assert.deepEqual(
    ((await m2.whoami.call()).values() as Array<readonly [number, number, number]>).map((x) => x[2]),
    [w2.pid, w2.pid],
  );
  assert.deepEqual((await h2.shutdown()).missingHosts, []);
});

test('the connect timeout counts from the attach: a worker coming up on an address whose link has been down for longer is attached', async () => {
  // The host stays watched (not declared lost) while its link is down, so nothing redials it.
  const restore = [config.override(MESH_HOST_LINK_TIMEOUT, 600_000), config.override(MESH_HOST_UNRESPONSIVE_TIMEOUT, 600_000)];
  const port = await freePort();
  const w1 = await startWorker(['--listen', `tcp:127.0.0.1:${port}`], ENV);
  const h1 = await HostMesh.attach([w1.addr], { secret: SECRET, logs: 'off' });
  try {
    process.kill(-w1.pid, 'SIGKILL');
    await w1.exited;
    // The link to the address is now down (retrying) for longer than the next attach's connect
    // timeout; that attach starts before the new worker listens, and must wait for it.
    const connectTimeoutMs = 8000;
    await new Promise((r) => setTimeout(r, connectTimeoutMs + 500));
    const attaching = HostMesh.attach([w1.addr], { secret: SECRET, logs: 'off', connectTimeoutMs });
    const w2 = await startWorker(['--listen', `tcp:127.0.0.1:${port}`], ENV);
    const h2 = await attaching;
    assert.equal(h2.infos[0]!.pid, w2.pid);
    assert.deepEqual((await h2.shutdown()).missingHosts, []);
  } finally {
    for (const r of restore) r.restore();
    await h1.shutdown();
  }
});

/** Runs the forgetful client to its end (it must exit by itself); its JSON line. */
async function forgetfulClient(args: string[]): Promise<{ code: number | null; procs: number[]; workers: number[]; ms: number }> {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/forgetful-client.ts', import.meta.url)), ...args], {
    env: { ...process.env, ...ENV },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line !== undefined, `no JSON line; status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
  return { code: r.status, ...(JSON.parse(line) as { procs: number[]; workers: number[] }), ms: Date.now() - t0 };
}

test('a script without shutdown() exits by itself: its local workers (HostMesh.process) are shut down, attached workers stay up without its procs', async () => {
  const local = await forgetfulClient([]);
  assert.equal(local.code, 0);
  await eventually(() => [...local.procs, ...local.workers].every((p) => !alive(p)), 'local workers and procs are gone', 30_000, 50);
  const [w] = await workers(1);
  const attached = await forgetfulClient([w!.addr]);
  assert.equal(attached.code, 0);
  assert.deepEqual(attached.workers, [w!.pid]);
  await eventually(() => attached.procs.every((p) => !alive(p)), 'its procs are stopped', 30_000, 50);
  assert.ok(alive(w!.pid), 'the attached worker stays up');
});

/** A worker of another protocol version, as far as attach can tell: a host agent answering `protocol`. */
class OldHostAgent extends Actor<number, { type: 'SetClientConfig'; reply: PortRef<unknown> }> {
  static readonly typeName = 'test.OldHostAgent';
  constructor(private readonly protocol: number) {
    super();
  }
  readonly handlers: Handlers<{ type: 'SetClientConfig'; reply: PortRef<unknown> }> = {
    SetClientConfig: (cx, m) =>
      m.reply.send(
        cx,
        { addr: String(cx.proc.id), pid: process.pid, version: '0.0.1', protocol: this.protocol, incarnation: 'old', hostname: 'old' },
        { returnUndeliverable: false },
      ),
  };
  override handleUndeliverable(): void {}
}

test('a worker speaking another protocol fails attach with ProtocolMismatch, naming both versions', async () => {
  const [bound, rx] = await serve('tcp:127.0.0.1:0', { secret: SECRET, log: () => {} });
  const addr = formatAddr(bound);
  const proc = new Proc(ProcId.direct(addr, 'service'), new DialMailboxRouter({ directAddressedRemoteOnly: true, dialer: channelDialer({ secret: SECRET }) }));
  const server = serveMailbox(rx, proc, { log: () => {} });
  await proc.spawn('host_agent', OldHostAgent, 999);
  try {
    const e = await HostMesh.attach([addr], { secret: SECRET, logs: 'off' }).then(
      () => assert.fail('attach should fail'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof AttachError, String(e));
    assert.deepEqual(
      e.failures.map((f) => [f.host, f.reason]),
      [[addr, 'ProtocolMismatch']],
    );
    assert.match(e.failures[0]!.detail, /protocol 999 \(actormesh 0\.0\.1\), this client 1/);
  } finally {
    await server.stop();
    await proc.destroyAndWait(500);
  }
});

test('a client blocked longer than MESH_HOST_UNRESPONSIVE_TIMEOUT does not take its live workers for lost', async () => {
  const restore = config.override(MESH_HOST_UNRESPONSIVE_TIMEOUT, 1500);
  const [w] = await workers(1);
  const rec = failureRecorder();
  const hosts = await HostMesh.attach([w!.addr], { secret: SECRET, logs: 'off' });
  try {
    const m = await (
      await hosts.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })
    ).spawn('p', Probe, undefined, {
      onSupervise: rec.onSupervise,
    });
    const end = Date.now() + 4000;
    while (Date.now() < end) {
      /* this process is busy: keepalive answers wait unread in its socket */
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(rec.seen(), []);
    assert.equal(((await m.whoami.call()).values() as unknown[]).length, 1);
  } finally {
    restore.restore();
    assert.deepEqual((await hosts.shutdown()).missingHosts, []);
  }
});

test('proc output can go to files, one per proc and stream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'actormesh-logs-'));
  try {
    const [w] = await workers(1);
    const hosts = await HostMesh.attach([w!.addr], { secret: SECRET, logs: { dir } });
    const m = await (await hosts.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
    await m.say.call('to a file');
    await hosts.shutdown();
    assert.deepEqual(readdirSync(dir).sort(), ['host0_gpus_0.stderr.log', 'host0_gpus_0.stdout.log', 'host0_gpus_1.stderr.log', 'host0_gpus_1.stdout.log']);
    assert.equal(readFileSync(join(dir, 'host0_gpus_1.stdout.log'), 'utf8'), 'to a file\n');
    assert.equal(readFileSync(join(dir, 'host0_gpus_1.stderr.log'), 'utf8'), 'rank 1 says to a file\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a proc killed on a worker: its rank fails with the kill reason, the worker and the other ranks carry on', async () => {
  const ws = await workers(2);
  const rec = failureRecorder();
  const hosts = await HostMesh.attach(
    ws.map((w) => w.addr),
    { secret: SECRET, logs: 'off' },
  );
  try {
    const m = await (
      await hosts.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] })
    ).spawn('p', Probe, undefined, {
      onSupervise: rec.onSupervise,
    });
    const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
    process.kill(who[3]![1], 'SIGKILL');
    await eventually(() => rec.seen().length > 0, 'the owner is told', 30_000, 50);
    assert.deepEqual([...new Set(rec.seen().map((f) => f.rank))], [3]);
    assert.match(String(rec.seen()[0]), /Killed\(9\)/);
    assert.ok(ws.every((w) => alive(w.pid)));
    assert.equal(((await m.slice({ hosts: 0 }).whoami.call()).values() as unknown[]).length, 2);
    assert.equal(((await m.slice({ hosts: 1, gpus: 0 }).whoami.call()).values() as unknown[]).length, 1);
  } finally {
    assert.deepEqual((await hosts.shutdown()).missingHosts, []);
  }
});

test('a worker listed twice fails attach at once, naming the duplicate', async () => {
  const [w] = await workers(1);
  const e = await HostMesh.attach([w!.addr, w!.addr.replace(/^tcp:/, 'tcp://')], { secret: SECRET, logs: 'off' }).then(
    () => assert.fail('attach should fail'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof AttachError, String(e));
  assert.deepEqual(
    e.failures.map((f) => [f.host, f.reason]),
    [[w!.addr, 'InvalidAddress']],
  );
  assert.match(e.failures[0]!.detail, /listed more than once/);
});

test('a script whose attach failed exits by itself', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/failed-attach-client.ts', import.meta.url))], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stderr}`);
  assert.match(r.stdout, /attach failed: AttachError/);
});

test('streams of casts through the workers (full and route-shared envelopes) reach every member exactly once and in order', async () => {
  const ws = await workers(2);
  const hosts = await HostMesh.attach(
    ws.map((w) => w.addr),
    { secret: SECRET, logs: 'off' },
  );
  try {
    const m = await (await hosts.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
    for (let i = 0; i < 3000; i++) m.next.broadcast(i);
    assert.deepEqual((await m.tally.call()).values(), [
      [3000, 0],
      [3000, 0],
      [3000, 0],
      [3000, 0],
    ]);
    // One member: consecutive envelopes share their route (route-shared runs in a frame), which
    // the worker decodes while it forwards full envelopes as received; both kinds interleave.
    const one = m.slice({ hosts: 1, gpus: 1 });
    for (let i = 3000; i < 6000; i++) one.next.broadcast(i);
    m.slice({ hosts: 1 }).next.broadcast(6000);
    assert.deepEqual((await m.tally.call()).values(), [
      [3000, 0],
      [3000, 0],
      [3001, 1],
      [3001 + 3000, 0],
    ]);
  } finally {
    assert.deepEqual((await hosts.shutdown()).missingHosts, []);
  }
});
