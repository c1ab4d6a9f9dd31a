// Host meshes across network namespaces (tier B): each worker in its own network namespace with
// its own IP on a bridge, the client in the root namespace. Needs root on Linux with `ip`
// (iproute2); skipped otherwise with how to enable it. `.ci/run` runs it as root.
// Covers: workers advertise their namespace's IP; a worker whose hostname resolves to loopback
// refuses to advertise it (Monarch #4394); a 3 s link cut loses nothing; a cut longer than
// MESH_HOST_UNRESPONSIVE_TIMEOUT fails that host's ranks, and the client attaches again after it heals.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { HostMesh } from '../../src/index.js';
import { config, MESH_HOST_LINK_TIMEOUT, MESH_HOST_UNRESPONSIVE_TIMEOUT, MESH_KEEPALIVE_INTERVAL } from '../../src/core/index.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { runCli, startWorker, stopAll } from '../host/_workers.js';
import { eventually } from '../_support/eventually.js';
import { failureRecorder } from '../_support/failure-recorder.js';
import { NetnsBridge, ip, netnsSkip } from '../_support/netns.js';

const skip = netnsSkip();

const SECRET = 'netns-secret-0123456789';
// Bridge amtbr0 on 10.77.2.0/24, namespaces amt1 and amt2 (10.77.2.11, 10.77.2.12).
const net = new NetnsBridge({ bridge: 'amtbr0', prefix: 'amt', subnet: '10.77.2' });
const NS = ['amt1', 'amt2'];
const ipOf = (i: number) => net.ipOf(i + 1);

before(() => {
  if (skip !== false) return;
  net.up();
  // The Debian trap of Monarch #4394: the machine's own name maps to 127.0.1.1.
  [1, 2].forEach((n) => net.add(n, { hosts: `127.0.0.1 localhost\n127.0.1.1 host${n}\n` }));
});

after(async () => {
  await stopAll();
  if (skip === false) net.down();
});

const inNs = (ns: string) => ['ip', 'netns', 'exec', ns];

test('workers in their own network namespaces advertise their own IP; procs run there; a hostname resolving to loopback is refused', { skip }, async () => {
  const refused = await runCli(
    ['worker', '--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:host1:26600'],
    { ACTORMESH_SECRET: SECRET },
    30_000,
    inNs(NS[0]!),
  );
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /advertised address tcp:host1:26600 resolves to 127\.0\.1\.1 \(loopback\) but the worker listens on tcp:0\.0\.0\.0:26600/);
  const ws = await Promise.all(NS.map((ns) => startWorker(['--listen', 'tcp:0.0.0.0:26600'], { ACTORMESH_SECRET: SECRET }, inNs(ns))));
  assert.deepEqual(
    ws.map((w) => w.addr),
    [`tcp:${ipOf(0)}:26600`, `tcp:${ipOf(1)}:26600`],
  );
  const hosts = await HostMesh.attach(
    ws.map((w) => w.addr),
    { secret: SECRET, logs: 'off' },
  );
  const m = await (await hosts.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
  const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
  assert.deepEqual(
    who.map((x) => x[0]),
    [0, 1, 2, 3],
  );
  assert.deepEqual(await hosts.shutdown(), { ok: true, missingHosts: [] });
  for (const w of ws) assert.equal((await w.exited).code, 0);
});

test(
  'a 3 s link cut loses nothing; a cut longer than MESH_HOST_UNRESPONSIVE_TIMEOUT fails that host, and after it heals the client attaches again',
  { skip },
  async () => {
    const restore = [
      config.override(MESH_HOST_UNRESPONSIVE_TIMEOUT, 8000),
      config.override(MESH_HOST_LINK_TIMEOUT, 2000),
      config.override(MESH_KEEPALIVE_INTERVAL, 200),
    ];
    try {
      const ws = await Promise.all(NS.map((ns) => startWorker(['--listen', 'tcp:0.0.0.0:26600'], { ACTORMESH_SECRET: SECRET }, inNs(ns))));
      const rec = failureRecorder();
      const hosts = await HostMesh.attach(
        ws.map((w) => w.addr),
        { secret: SECRET, logs: 'off' },
      );
      const m = await (
        await hosts.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })
      ).spawn('p', Probe, undefined, {
        onSupervise: rec.onSupervise,
      });
      // Short cut: calls made while host 1's link is down complete once it is back, exactly once each.
      ip('link', 'set', `${NS[1]}a`, 'down');
      const during = Array.from({ length: 5 }, (_, i) => m.say.call(`during cut ${i}`));
      await new Promise((r) => setTimeout(r, 3000));
      ip('link', 'set', `${NS[1]}a`, 'up');
      const results = await Promise.all(during);
      assert.deepEqual(
        results.map((r) => r.values()),
        Array.from({ length: 5 }, () => [true, true]),
      );
      assert.deepEqual(rec.seen(), [], 'a 3 s cut is not a failure');
      // Let the worker's own link (its keepalive answers) recover from TCP's retransmission backoff.
      await new Promise((r) => setTimeout(r, 3000));
      assert.deepEqual((await m.slice({ hosts: 1 }).say.call('after the short cut')).values(), [true]);
      assert.deepEqual(rec.seen(), []);
      // Long cut: host 1's rank fails; host 0 keeps answering.
      ip('link', 'set', `${NS[1]}a`, 'down');
      const t0 = Date.now();
      await eventually(() => rec.seen().length > 0, 'the long cut became a supervision failure', 20_000, 50);
      const took = Date.now() - t0;
      assert.ok(took >= 5000, `failed after ${took} ms, before MESH_HOST_UNRESPONSIVE_TIMEOUT: ${rec.seen().map(String).join('; ')}`);
      assert.deepEqual([...new Set(rec.seen().map((f) => f.rank))], [1]);
      assert.deepEqual((await m.slice({ hosts: 0 }).say.call('still here')).values(), [true]);
      ip('link', 'set', `${NS[1]}a`, 'up');
      const r = await hosts.shutdown();
      assert.deepEqual(r.missingHosts, [ws[1]!.addr]);
      // Healed: the worker is still up and a new attach works.
      const again = await HostMesh.attach([ws[1]!.addr], { secret: SECRET, logs: 'off' });
      const m2 = await (await again.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
      assert.deepEqual(((await m2.whoami.call()).values() as unknown[]).length, 1);
      assert.deepEqual(await again.shutdown(), { ok: true, missingHosts: [] });
    } finally {
      for (const o of restore) o.restore();
    }
  },
);
