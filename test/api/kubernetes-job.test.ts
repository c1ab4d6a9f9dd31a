// KubernetesJob against a fake API server (test/_support/fake-kube.ts: no cluster can run here)
// whose pods are real `actormesh worker` processes on loopback IPs (in their own network
// namespaces: kubernetes-job-netns.test.ts): provisioning (StatefulSet + headless Service +
// Secret) end to end with a second client and the CLI, attach-only by label,
// golden manifests, readiness flapping, a watch that ends early, a timeout naming the missing
// ranks, API errors as typed errors, kubeconfig and service-account credentials, and an
// out-of-cluster client through (stand-in) `kubectl port-forward`.
//
// Golden manifests: test/fixtures/kubernetes/*.json; after an intended change, regenerate them
// with `ACTORMESH_UPDATE_GOLDEN=1 node scripts/test.mjs test/api/kubernetes-job.test.ts`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubernetesJob } from '../../src/api/kubernetes-job.js';
import { KubeApiError, KubeClient, KubeConfigError, inClusterConnection, kubeconfigConnection } from '../../src/api/kube-client.js';
import { headlessService, meshSecret, statefulSet, type MeshManifestInput } from '../../src/api/kube-manifests.js';
import { PodsNotReadyError, formatReadyProgress, type ReadyProgress } from '../../src/api/kube-pods.js';
import { parseYamlDocuments } from '../../src/api/kube-yaml.js';
import { JobError } from '../../src/api/job.js';
import { FakeKube } from '../_support/fake-kube.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { CLI, alive, childrenOf, freePort, runCli, startWorker, stopAll, type Worker } from '../host/_workers.js';
import { eventually } from '../_support/eventually.js';

const GOLDEN = fileURLToPath(new URL('../fixtures/kubernetes/', import.meta.url));
const REATTACH = fileURLToPath(new URL('./fixtures/kube-reattach.ts', import.meta.url));
const STAND_IN = fileURLToPath(new URL('./fixtures/kubectl-stand-in.mjs', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/kubernetes.md', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const workerCommand = [process.execPath, '--import', 'tsx', CLI];

after(async () => {
  await stopAll();
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'actormesh-kube-'));
}

/** Runs `body` against a fresh fake API server and a temporary job directory; afterwards stops
 * every worker started here, closes the fake (its pods' workers with it) and removes the directory. */
async function withFake(firstIp: number, body: (fake: FakeKube, dir: string) => Promise<void>): Promise<void> {
  const fake = await new FakeKube({ firstIp }).start();
  const dir = tempDir();
  try {
    await body(fake, dir);
  } finally {
    await stopAll();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Progress reports of a job, and a wait for one that satisfies `pred`. */
function progressLog() {
  const seen: ReadyProgress[] = [];
  const waiters: Array<{ pred: (p: ReadyProgress) => boolean; resolve: () => void }> = [];
  return {
    seen,
    onProgress: (p: ReadyProgress) => {
      seen.push(p);
      for (const w of [...waiters])
        if (w.pred(p)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    },
    until: (pred: (p: ReadyProgress) => boolean) => (seen.some(pred) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pred, resolve }))),
  };
}

/** Attach-only pods backed by workers this test starts (one per IP), all with `labels` and the pod-index label. */
async function workerPods(
  fake: FakeKube,
  ns: string,
  prefix: string,
  ips: string[],
  secret: string,
  labels: Record<string, string>,
  ready = true,
): Promise<Worker[]> {
  const port = await freePort();
  const ws = await Promise.all(ips.map((ip) => startWorker(['--listen', `tcp:${ip}:${port}`], { ACTORMESH_SECRET: secret })));
  ws.forEach((w, i) => fake.addPod(ns, `${prefix}-${i}`, { ...labels, 'apps.kubernetes.io/pod-index': String(i) }, ips[i], ready, w));
  return ws;
}

async function addSecret(fake: FakeKube, ns: string, name: string, secret: string): Promise<void> {
  await new KubeClient(kubeconfigConnection(fake.kubeconfig(ns))).create(`/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    data: { secret: Buffer.from(secret).toString('base64') },
  });
}

// --- manifests ------------------------------------------------------------------------------

const GOLDEN_INPUTS: Record<string, MeshManifestInput> = {
  trainers: {
    job: 'actormesh',
    mesh: 'trainers',
    namespace: 'default',
    replicas: 2,
    image: 'ghcr.io/example/trainer:1.0',
    port: 26600,
    secretName: 'actormesh-secret',
  },
  'eval-template': {
    job: 'exp7',
    mesh: 'eval',
    namespace: 'ml',
    replicas: 3,
    port: 27000,
    secretName: 'exp7-secret',
    labels: { team: 'research' },
    workerCommand: ['node', '/app/node_modules/actormesh/dist/bundle/cli.js'],
    modules: ['/app/dist/actors.js'],
    podTemplate: {
      metadata: { annotations: { 'prometheus.io/scrape': 'false' } },
      spec: {
        nodeSelector: { 'nvidia.com/gpu.present': 'true' },
        containers: [
          { name: 'worker', image: 'ghcr.io/example/eval:2.1', resources: { limits: { 'nvidia.com/gpu': 1 } } },
          { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', 'infinity'] },
        ],
      },
    },
  },
};

test('generated manifests match the golden files byte for byte (StatefulSet, headless Service, Secret)', () => {
  const update = process.env['ACTORMESH_UPDATE_GOLDEN'] === '1';
  if (update) mkdirSync(GOLDEN, { recursive: true });
  for (const [name, input] of Object.entries(GOLDEN_INPUTS)) {
    const objs = [statefulSet(input), headlessService(input), meshSecret(input.job, input.namespace, input.secretName, 'golden-secret')];
    const text = `${JSON.stringify(objs, null, 2)}\n`;
    const file = join(GOLDEN, `${name}.json`);
    if (update) writeFileSync(file, text);
    assert.equal(text, readFileSync(file, 'utf8'), `${file} differs (regenerate with ACTORMESH_UPDATE_GOLDEN=1 if the change is intended)`);
  }
  const sts = statefulSet(GOLDEN_INPUTS['trainers']!) as {
    spec: { podManagementPolicy: string; template: { spec: { containers: Array<{ command: string[]; env: unknown[] }> } } };
  };
  assert.equal(sts.spec.podManagementPolicy, 'Parallel');
  const c = sts.spec.template.spec.containers[0]!;
  assert.deepEqual(c.command.slice(-4), ['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:$(POD_IP):26600'], 'the worker advertises its pod IP');
  assert.ok(!JSON.stringify(sts).includes('golden-secret'), 'the secret is not in the pod spec');
});

test('mesh and job names follow RFC 1123; bad specs are JobErrors', () => {
  const job = new KubernetesJob({ namespace: 'default' });
  assert.throws(() => job.addMesh('Trainers', { replicas: 1 }), JobError);
  assert.throws(() => job.addMesh('a_b', { replicas: 1 }), JobError);
  assert.throws(() => job.addMesh('x'.repeat(60), { replicas: 1 }), JobError);
  assert.throws(() => job.addMesh('ok', { replicas: 0 }), JobError);
  assert.throws(() => job.addMesh('ok', { replicas: 1, image: 'x', labelSelector: 'a=b' }), JobError);
  assert.throws(() => new KubernetesJob({ namespace: 'Bad_NS' }), JobError);
  job.addMesh('ok', { replicas: 1 });
  assert.throws(() => job.addMesh('ok', { replicas: 1 }), JobError);
});

// --- credentials ------------------------------------------------------------------------------

test('kubeconfig: current-context or a named one, token, client certificate and CA (data or files); plugins are refused', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'ca.crt'), 'CA PEM\n');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    writeFileSync(
      join(dir, 'config'),
      `apiVersion: v1
kind: Config
current-context: one   # the default
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ${b64('CA ONE')}
- name: c2
  cluster:
    server: "https://k8s.example:443"
    certificate-authority: ca.crt
contexts:
- name: one
  context:
    cluster: c1
    user: u1
- name: two
  context:
    cluster: c2
    user: u2
    namespace: ml
users:
- name: u1
  user:
    token: abc.def
- name: u2
  user:
    client-certificate-data: ${b64('CERT')}
    client-key-data: ${b64('KEY')}
- name: u3
  user:
    exec:
      command: aws
`,
    );
    const one = kubeconfigConnection(join(dir, 'config'));
    assert.deepEqual(one, { server: 'https://10.0.0.1:6443', token: 'abc.def', ca: 'CA ONE' });
    const two = kubeconfigConnection(join(dir, 'config'), 'two');
    assert.deepEqual(two, { server: 'https://k8s.example:443', ca: 'CA PEM\n', cert: 'CERT', key: 'KEY', namespace: 'ml' });
    writeFileSync(join(dir, 'plugin'), readFileSync(join(dir, 'config'), 'utf8').replace('user: u1', 'user: u3'));
    assert.throws(
      () => kubeconfigConnection(join(dir, 'plugin')),
      (e: unknown) => e instanceof KubeConfigError && /exec or auth-provider plugin/.test(e.message),
    );
    assert.throws(() => kubeconfigConnection(join(dir, 'config'), 'three'), KubeConfigError);
    // Inside a pod: the service account.
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    writeFileSync(join(dir, 'namespace'), 'jobs\n');
    assert.deepEqual(inClusterConnection(dir, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }), {
      server: 'https://10.96.0.1:443',
      token: 'sa-token',
      ca: 'CA PEM',
      namespace: 'jobs',
    });
    assert.throws(() => inClusterConnection(dir, {}), KubeConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- provisioning end to end ------------------------------------------------------------------------

test('provisioning: StatefulSet + Service + Secret, workers Ready, spawn and call, a second client and the CLI reattach, kill deletes all', async () => {
  await withFake(40, async (fake, dir) => {
    const port = await freePort();
    const spec = { namespace: 'default', kubeconfig: fake.kubeconfig(), name: 'am' };
    const job = new KubernetesJob(spec, { dir, attach: { logs: 'off' }, onProgress: () => undefined }).addMesh('trainers', {
      replicas: 2,
      image: 'example/trainer:1',
      port,
      workerCommand,
    });
    try {
      const { trainers } = await job.state();
      assert.equal(trainers!.size, 2);
      assert.deepEqual(fake.names('statefulsets', 'default'), ['am-trainers']);
      assert.deepEqual(fake.names('services', 'default'), ['am-trainers']);
      assert.deepEqual(fake.names('secrets', 'default'), ['am-secret']);
      // Rank i is pod am-trainers-i, at its pod IP.
      const podIp = (i: number) => (fake.pods.get(`default/am-trainers-${i}`)!.obj['status'] as { podIP: string }).podIP;
      assert.deepEqual(trainers!.hosts, [`tcp:${podIp(0)}:${port}`, `tcp:${podIp(1)}:${port}`]);
      const m = await (await trainers!.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
      const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
      const pids = trainers!.infos.map((i) => i.pid);
      assert.deepEqual(
        who.map((x) => x[2]),
        pids,
      );
      assert.deepEqual(fake.workerPids().sort(), [...pids].sort());
      const cache = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as { kind: string; secretFile: string; workers: Record<string, string[]> };
      assert.equal(cache.kind, 'KubernetesJob');
      assert.deepEqual(cache.workers, { trainers: trainers!.hosts });
      assert.ok(!JSON.stringify(cache).includes(readFileSync(cache.secretFile, 'utf8').trim()), 'the secret is not in the cache');
      await trainers!.stop();
      // Another client process finds the same workers through the cache (asynchronously: the fake
      // API server runs in this process).
      const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', REATTACH, dir], { encoding: 'utf8', timeout: 60_000 });
      assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { trainers: pids });
      const st = await runCli(['job', 'state', '--dir', dir, '--json']);
      assert.equal(st.code, 0, st.stderr);
      assert.deepEqual(JSON.parse(st.stdout.trim()), {
        running: true,
        kind: 'KubernetesJob',
        workers: cache.workers,
        createdAt: JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')).createdAt,
      });
      // `actormesh job kill` deletes what the job made; the pods' workers end.
      const kill = await runCli(['job', 'kill', '--dir', dir]);
      assert.equal(kill.code, 0, kill.stderr);
      assert.deepEqual(
        [fake.names('statefulsets', 'default'), fake.names('services', 'default'), fake.names('secrets', 'default'), fake.names('pods', 'default')],
        [[], [], [], []],
      );
      await eventually(() => pids.every((p) => !alive(p)), 'no worker is left', 30_000, 50);
      assert.ok(!existsSync(join(dir, 'job.json')));
    } finally {
      await job.kill().catch(() => undefined);
    }
  });
});

// --- attach-only ---------------------------------------------------------------------------------

test('attach-only: pods found by label, rank from pod-index (or the name), the secret from a Secret; kill leaves the pods', async () => {
  await withFake(60, async (fake, dir) => {
    const labels = { 'app.kubernetes.io/name': 'actormesh-worker', 'actormesh.dev/mesh': 'trainers' };
    await addSecret(fake, 'ml', 'mesh-secret', 's3cret');
    const port = await freePort();
    const [w0, w1] = await Promise.all(
      ['127.0.0.60', '127.0.0.61'].map((ip) => startWorker(['--listen', `tcp:${ip}:${port}`], { ACTORMESH_SECRET: 's3cret' })),
    );
    // Rank 1 from its pod-index label, rank 0 from its name; a pod of another mesh is not selected.
    fake.addPod('ml', 'trainers-b', { ...labels, 'apps.kubernetes.io/pod-index': '1' }, '127.0.0.61', true, w1);
    fake.addPod('ml', 'trainers-0', labels, '127.0.0.60', true, w0);
    fake.addPod('ml', 'eval-0', { ...labels, 'actormesh.dev/mesh': 'eval' }, '127.0.0.62', true);
    const job = new KubernetesJob({ namespace: 'ml', kubeconfig: fake.kubeconfig('ml'), secretName: 'mesh-secret' }, { dir, attach: { logs: 'off' } }).addMesh(
      'trainers',
      { replicas: 2, port },
    );
    const { trainers } = await job.state();
    assert.deepEqual(
      trainers!.infos.map((i) => i.pid),
      [w0!.pid, w1!.pid],
    );
    assert.equal(readFileSync(join(dir, 'secret'), 'utf8').trim(), 's3cret');
    await trainers!.stop();
    await job.kill();
    assert.ok(alive(w0!.pid) && alive(w1!.pid), 'attach-only pods are not the job to end');
    assert.equal(fake.names('pods', 'ml').length, 3);
    assert.ok(!existsSync(join(dir, 'job.json')));
  });
});

/**
 * Attach-only pods w-0 and w-1 (not Ready yet) backed by workers at `ips`, the mesh secret in a
 * Secret, and a job for mesh w (2 replicas) whose progress reports are recorded.
 */
async function twoPodMesh(fake: FakeKube, dir: string, ips: [string, string], secret: string) {
  const labels = { 'app.kubernetes.io/name': 'actormesh-worker', 'actormesh.dev/mesh': 'w' };
  await addSecret(fake, 'default', 'mesh-secret', secret);
  const ws = await workerPods(fake, 'default', 'w', ips, secret, labels, false);
  const progress = progressLog();
  const job = new KubernetesJob(
    { namespace: 'default', kubeconfig: fake.kubeconfig(), secretName: 'mesh-secret' },
    { dir, attach: { logs: 'off' }, onProgress: progress.onProgress },
  ).addMesh('w', {
    replicas: 2,
    port: Number(/:(\d+)$/.exec(ws[0]!.addr)![1]),
  });
  return { ws, progress, job };
}

test('readiness flapping: a rank that turns NotReady is given back, and the job waits until every rank is Ready at once', async () => {
  await withFake(70, async (fake, dir) => {
    const { ws, progress, job } = await twoPodMesh(fake, dir, ['127.0.0.70', '127.0.0.71'], 'flap');
    fake.setReady('default', 'w-0', true);
    let settled = false;
    const applied = job.apply().finally(() => (settled = true));
    await progress.until((p) => p.ready.join() === '0');
    await fake.watchOpened();
    fake.setReady('default', 'w-0', false);
    await progress.until((p) => p.ready.length === 0);
    fake.setReady('default', 'w-1', true);
    await progress.until((p) => p.ready.join() === '1');
    assert.equal(settled, false, 'rank 0 is NotReady: the job does not take it');
    fake.setReady('default', 'w-0', true);
    await applied;
    assert.deepEqual(
      progress.seen.filter((p) => p.event === 'ready-changed').map((p) => p.ready.join('+')),
      ['0', '', '1', '0+1'],
    );
    const { w } = await job.state();
    assert.deepEqual(
      w!.infos.map((i) => i.pid),
      ws.map((x) => x.pid),
    );
    await w!.stop();
    await job.kill();
  });
});

test('a watch that ends early is resumed from its last resourceVersion, and the report of its end names the missing ranks', async () => {
  await withFake(80, async (fake, dir) => {
    const { progress, job } = await twoPodMesh(fake, dir, ['127.0.0.80', '127.0.0.81'], 'resume');
    fake.endWatchesAfter = 1; // every watch stream ends after its first event
    const applied = job.apply();
    await fake.watchOpened();
    fake.setReady('default', 'w-0', true);
    await progress.until((p) => p.ready.join() === '0');
    fake.setReady('default', 'w-1', true);
    await applied;
    const watches = fake.requests.filter((r) => r.includes('watch=1'));
    assert.ok(watches.length >= 2, `the watch was resumed: ${watches.join(' | ')}`);
    const rvs = watches.map((r) => Number(new URLSearchParams(r.split('?')[1]).get('resourceVersion')));
    assert.ok(rvs[1]! > rvs[0]!, `resumed from a later resourceVersion: ${rvs.join(', ')}`);
    // Each early end was reported with the ranks still awaited and what their pods are doing.
    const ended = progress.seen.filter((p) => p.event === 'watch-ended');
    assert.ok(ended.length >= 1, 'the early end of the watch was reported');
    assert.deepEqual(ended[0]!.missing, [1]);
    assert.deepEqual(ended[0]!.why, ['w-1: Running, not Ready']);
    assert.match(
      formatReadyProgress(ended[0]!),
      /^mesh w: the API server ended the watch, resuming; 1\/2 pods Ready after \d+ s; waiting for ranks \[1\] \(w-1: Running, not Ready\)$/,
    );
    await job.kill();
  });
});

test('a timeout names the missing ranks and what their pods are doing; nothing is cached', async () => {
  await withFake(90, async (fake, dir) => {
    const labels = { 'app.kubernetes.io/name': 'actormesh-worker', 'actormesh.dev/mesh': 'big' };
    await addSecret(fake, 'default', 'mesh-secret', 'late');
    fake.addPod('default', 'big-0', { ...labels, 'apps.kubernetes.io/pod-index': '0' }, '127.0.0.90', true);
    fake.addPod('default', 'big-1', { ...labels, 'apps.kubernetes.io/pod-index': '1' }, undefined, false);
    const job = new KubernetesJob(
      { namespace: 'default', kubeconfig: fake.kubeconfig(), secretName: 'mesh-secret' },
      { dir, startTimeoutMs: 1500, onProgress: () => undefined },
    ).addMesh('big', { replicas: 3 });
    const err = await job.apply().then(
      () => assert.fail('rank 1 and 2 are never Ready'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PodsNotReadyError && err instanceof JobError, String(err));
    assert.deepEqual(err.missing, { big: [1, 2] });
    assert.match(err.message, /mesh big: 1\/3 ranks Ready; missing ranks \[1, 2\] \(big-1: Pending, not Ready; rank 2: no pod\)/);
    assert.ok(!existsSync(join(dir, 'job.json')));
  });
});

test('API errors are KubeApiErrors with the API message: 409 on create (what was created is deleted again), 403 on list, 404 secret, 401', async () => {
  await withFake(100, async (fake, dir) => {
    fake.failNext('POST', /\/statefulsets$/, 409, 'AlreadyExists', 'statefulsets.apps "am-w" already exists');
    const job = new KubernetesJob({ namespace: 'default', kubeconfig: fake.kubeconfig(), name: 'am' }, { dir, onProgress: () => undefined }).addMesh('w', {
      replicas: 1,
      image: 'x',
      workerCommand,
    });
    const conflict = await job.apply().then(
      () => assert.fail('conflict'),
      (e: unknown) => e,
    );
    assert.ok(conflict instanceof KubeApiError, String(conflict));
    assert.equal(conflict.variant, 'Conflict');
    assert.equal(conflict.status, 409);
    assert.equal(conflict.apiMessage, 'statefulsets.apps "am-w" already exists');
    assert.match(conflict.message, /POST \/apis\/apps\/v1\/namespaces\/default\/statefulsets: 409 AlreadyExists: statefulsets.apps "am-w" already exists/);
    assert.deepEqual([fake.names('secrets', 'default'), fake.names('services', 'default')], [[], []], 'no partial job');

    fake.failNext('GET', /\/pods$/, 403, 'Forbidden', 'pods is forbidden: User "system:serviceaccount:default:x" cannot list resource "pods"');
    await addSecret(fake, 'default', 'mesh-secret', 'x');
    const forbidden = await new KubernetesJob({ namespace: 'default', kubeconfig: fake.kubeconfig(), secretName: 'mesh-secret' }, { dir })
      .addMesh('w', { replicas: 1 })
      .apply()
      .then(
        () => assert.fail('forbidden'),
        (e: unknown) => e,
      );
    assert.ok(forbidden instanceof KubeApiError && forbidden.variant === 'Forbidden', String(forbidden));
    assert.match(forbidden.message, /cannot list resource "pods".*expected RBAC/);

    const missing = await new KubernetesJob({ namespace: 'default', kubeconfig: fake.kubeconfig(), secretName: 'nope' }, { dir })
      .addMesh('w', { replicas: 1 })
      .apply()
      .then(
        () => assert.fail('no such secret'),
        (e: unknown) => e,
      );
    assert.ok(missing instanceof KubeApiError && missing.variant === 'NotFound' && /secrets "nope" not found/.test(missing.message), String(missing));

    const cfg = fake.kubeconfig();
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(fake.token, 'wrong'));
    const denied = await new KubeClient(kubeconfigConnection(cfg)).list('/api/v1/namespaces/default/pods').then(
      () => assert.fail('bad token'),
      (e: unknown) => e,
    );
    assert.ok(denied instanceof KubeApiError && denied.variant === 'Unauthorized', String(denied));
  });
});

// --- out of cluster ----------------------------------------------------------------------------

test('out of cluster: the client reaches each worker through its own kubectl port-forward (a stand-in kubectl)', async () => {
  await withFake(110, async (fake, dir) => {
    const kubectl = join(dir, 'kubectl');
    writeFileSync(kubectl, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(STAND_IN)} "$@"\n`);
    chmodSync(kubectl, 0o755);
    const logs = join(dir, 'forwards');
    mkdirSync(logs);
    process.env['KUBECTL_STAND_IN_DIR'] = logs;
    const port = await freePort();
    const job = new KubernetesJob(
      { namespace: 'default', kubeconfig: fake.kubeconfig(), name: 'pf' },
      { dir: join(dir, 'job'), attach: { logs: 'off' }, portForward: { kubectl }, onProgress: () => undefined },
    ).addMesh('w', { replicas: 2, image: 'x', port, workerCommand });
    try {
      const { w } = await job.state();
      assert.deepEqual(w!.hosts, [`tcp:127.0.0.110:${port}`, `tcp:127.0.0.111:${port}`], 'the workers keep their pod addresses');
      const m = await (await w!.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
      assert.equal(((await m.whoami.call()).values() as unknown[]).length, 2);
      const files = readdirSync(logs).sort();
      assert.deepEqual(files, ['pf-w-0.log', 'pf-w-1.log']);
      const forwarders = files.map((f) => Number(/pid (\d+)/.exec(readFileSync(join(logs, f), 'utf8'))![1]));
      for (const f of files) assert.match(readFileSync(join(logs, f), 'utf8'), /connection/, `${f}: the client's connection went through the forward`);
      await w!.stop();
      await job.kill();
      await eventually(() => forwarders.every((p) => !alive(p)), 'the port-forwards ended with kill()', 30_000, 50);
      assert.deepEqual(fake.names('statefulsets', 'default'), []);
    } finally {
      delete process.env['KUBECTL_STAND_IN_DIR'];
      await job.kill().catch(() => undefined);
    }
  });
});

// --- the documented manifest -------------------------------------------------------------------

test('README and docs/kubernetes.md: the manifest, applied as written, gives pods an attach-only KubernetesJob attaches to', async () => {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf('\n## Across machines\n');
  assert.ok(start >= 0, 'README has a section ## Across machines');
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  const block = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(block !== undefined, "README's Across machines has a yaml block");
  const docs = readFileSync(DOCS, 'utf8');
  assert.equal(/```yaml\n([\s\S]*?)```/.exec(docs)?.[1], block, "docs/kubernetes.md's first yaml block is the README's manifest");
  const objs = parseYamlDocuments(block, 'README.md') as Array<{ kind: string; apiVersion: string; metadata: { name: string; namespace?: string } }>;
  assert.deepEqual(objs.map((o) => o.kind).sort(), ['Secret', 'Service', 'StatefulSet']);
  await withFake(120, async (fake, dir) => {
    const port = await freePort();
    const client = new KubeClient(kubeconfigConnection(fake.kubeconfig()));
    for (const o of objs) {
      // As written, but with this test's worker command (node from the sources) and a free port.
      const patched = JSON.parse(
        JSON.stringify(o)
          .replaceAll('26600', String(port))
          .replace(/"command":\["npx","actormesh",/, `"command":${JSON.stringify(workerCommand).slice(0, -1)},`),
      ) as typeof o & { stringData?: Record<string, string>; data?: Record<string, string> };
      const ns = patched.metadata.namespace ?? 'default';
      const plural = { StatefulSet: 'statefulsets', Service: 'services', Secret: 'secrets' }[patched.kind]!;
      await client.create(`/${patched.apiVersion === 'v1' ? 'api/v1' : `apis/${patched.apiVersion}`}/namespaces/${ns}/${plural}`, patched);
    }
    const snippet = /new KubernetesJob\(\{ namespace: '(\w+)', secretName: '([\w-]+)' \}\)\s*\.addMesh\('(\w+)', \{ replicas: (\d+) \}\)/.exec(text);
    assert.ok(snippet !== null, 'the README shows the attach-only client');
    assert.ok(docs.includes(snippet[0]), 'docs/kubernetes.md shows the same client');
    const [, ns, secretName, mesh, replicas] = snippet;
    const job = new KubernetesJob(
      { namespace: ns!, kubeconfig: fake.kubeconfig(), secretName: secretName! },
      { dir, attach: { logs: 'off' }, onProgress: () => undefined },
    ).addMesh(mesh!, {
      replicas: Number(replicas),
      port,
    });
    const state = await job.state();
    assert.equal(state[mesh!]!.size, Number(replicas));
    await state[mesh!]!.stop();
    await job.kill();
  });
});

test('no process started by these tests is left', async () => {
  await stopAll();
  // Children of this process other than the TypeScript loader's esbuild service.
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
});
