// KubernetesJob against the fake API server (test/_support/fake-kube.ts) with pods in their own
// network namespaces (test/_support/netns.ts): each pod's worker runs inside its namespace,
// listening on 0.0.0.0 as the container says and advertising its pod IP (10.77.3.x); the client
// in the root namespace reaches the pods through the bridge. Needs root on Linux with `ip`
// (iproute2); skipped otherwise with how to enable it. `.ci/run` runs it as root.
//
// Bridge amkbr0 on 10.77.3.0/24 and namespaces amk<n>: distinct from host-mesh-netns.test.ts
// (amtbr0, amt<n>, 10.77.2.0/24), so the two can run at the same time.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesJob } from '../../src/api/kubernetes-job.js';
import { FakeKube } from '../_support/fake-kube.js';
import { NetnsBridge, netnsSkip, type NetnsBridgeOptions } from '../_support/netns.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { CLI, alive, childrenOf, stopAll } from '../host/_workers.js';
import { eventually } from '../_support/eventually.js';

const skip = netnsSkip();
const NETNS: NetnsBridgeOptions = { bridge: 'amkbr0', prefix: 'amk', subnet: '10.77.3' };
const PORT = 26600;
const workerCommand = [process.execPath, '--import', 'tsx', CLI];

after(async () => {
  await stopAll();
  if (skip === false) new NetnsBridge(NETNS).down();
});

/** The network namespace inode of a process (`/proc/<pid>/ns/net` → `net:[<inode>]`). */
function netnsOf(pid: number): number {
  return Number(/^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]);
}

test(
  'provisioned pods in their own network namespaces: pod IPs on the bridge, spawn and call every rank, kill deletes the objects, workers and namespaces',
  { skip },
  async (t) => {
    const fake = new FakeKube({ netns: NETNS });
    const bridge = fake.bridge!;
    const dir = mkdtempSync(join(tmpdir(), 'actormesh-kube-netns-'));
    let job: KubernetesJob | undefined;
    // Whatever happens: the job's objects deleted, the workers stopped, the namespaces and the bridge removed.
    t.after(async () => {
      try {
        await job?.kill().catch(() => undefined);
        await fake.close();
      } finally {
        bridge.down();
        rmSync(dir, { recursive: true, force: true });
      }
    });
    await fake.start();
    assert.equal(fake.podNetwork, 'netns');
    job = new KubernetesJob(
      { namespace: 'default', kubeconfig: fake.kubeconfig(), name: 'nn' },
      { dir, attach: { logs: 'off' }, onProgress: () => undefined },
    ).addMesh('pods', { replicas: 3, image: 'example/worker:1', port: PORT, workerCommand });

    const { pods } = await job.state();
    assert.equal(pods!.size, 3);
    assert.deepEqual(
      [fake.names('statefulsets', 'default'), fake.names('services', 'default'), fake.names('secrets', 'default')],
      [['nn-pods'], ['nn-pods'], ['nn-secret']],
    );
    // Each pod has its own namespace and IP (reported as status.podIP); every worker listens on the
    // same port, each in its own namespace, and rank i is pod nn-pods-i at its pod IP.
    const podIps = [0, 1, 2].map((i) => (fake.pods.get(`default/nn-pods-${i}`)!.obj['status'] as { podIP: string }).podIP);
    assert.deepEqual([...podIps].sort(), ['10.77.3.11', '10.77.3.12', '10.77.3.13']);
    assert.deepEqual(
      pods!.hosts,
      podIps.map((ip) => `tcp:${ip}:${PORT}`),
    );
    const namespaces = bridge.namespaces().sort();
    assert.deepEqual(namespaces, ['amk1', 'amk2', 'amk3']);
    const pids = pods!.infos.map((i) => i.pid);
    assert.deepEqual(fake.workerPids().sort(), [...pids].sort());
    const inodes = pids.map(netnsOf);
    assert.deepEqual([...inodes].sort(), namespaces.map((n) => bridge.inode(n)).sort(), 'each worker runs in its own pod namespace');
    assert.ok(!inodes.includes(netnsOf(process.pid)), 'no worker runs in the root namespace');

    // Procs on every pod: a call reaches every rank, and each answers from a proc of its pod's worker.
    const m = await (await pods!.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
    const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      who.map((x) => [x[0], x[2]]),
      pids.map((p, i) => [i, p]),
    );
    for (let i = 0; i < 3; i++) assert.deepEqual((await m.slice({ hosts: i }).say.call(`to rank ${i}`)).values(), [true]);
    assert.deepEqual(
      who.map((x) => netnsOf(x[1])),
      inodes,
      'each proc runs in the namespace of its worker',
    );
    await pods!.stop();

    // kill(): the StatefulSet, Service and Secret are deleted, the workers end, and the pods'
    // namespaces and veth pairs are removed; closing the fake removes the bridge.
    await job.kill();
    assert.deepEqual(
      [fake.names('statefulsets', 'default'), fake.names('services', 'default'), fake.names('secrets', 'default'), fake.names('pods', 'default')],
      [[], [], [], []],
    );
    await eventually(() => [...pids, ...who.map((x) => x[1])].every((p) => !alive(p)), 'no worker or proc is left', 30_000, 50);
    assert.deepEqual(bridge.namespaces(), []);
    assert.deepEqual(bridge.links(), ['amkbr0'], 'only the bridge is left until the fake closes');
    await fake.close();
    assert.deepEqual(bridge.links(), []);
    // Nothing else started by this test is left (other than the TypeScript loader's esbuild service).
    const left = () =>
      childrenOf(process.pid)
        .map((p) => `${p} ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ')}`)
        .filter((c) => !/esbuild/.test(c));
    await eventually(
      () => left().length === 0,
      () => `left: ${left().join('; ')}`,
      30_000,
      50,
    );
  },
);
