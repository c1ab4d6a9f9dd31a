// SlurmJob on a real SLURM cluster on this machine: 4 nodes from several slurmd daemons (SLURM's
// multiple-slurmd mode, one NodeAddr, so worker ports come from SLURM_NODEID), brought up by
// test/_support/slurm-cluster.sh (the recipe of the project's SLURM notes) and torn down after.
// Needs root and Debian's slurmctld, slurmd, slurm-client and munge; skipped otherwise (`bash
// .ci/run` installs them). The parsers are also checked against recorded scheduler output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SlurmJob, JobError } from '../../src/index.js';
import { parseHostnames, parseNodeAddr, parseSqueueJson, parseSqueueLine } from '../../src/api/slurm.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { CLI, alive } from '../host/_workers.js';
import { eventually } from '../_support/eventually.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const skip =
  isRoot && ['sbatch', 'slurmctld', 'slurmd', 'munged', 'runuser'].every(has)
    ? false
    : 'needs root and SLURM: apt-get install slurmctld slurmd slurm-client munge (bash .ci/run installs them and runs this test)';
const CLUSTER = fileURLToPath(new URL('../_support/slurm-cluster.sh', import.meta.url));
let base = '';

before(() => {
  if (skip !== false) return;
  base = mkdtempSync(join(tmpdir(), 'actormesh-slurm-'));
  chmodSync(base, 0o755); // slurmctld (user slurm) must reach its state directory
  execFileSync('bash', [CLUSTER, 'up-multi', '4'], { env: { ...process.env, AM_SLURM_DIR: base }, stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
  process.env['SLURM_CONF'] = join(base, 'slurm.conf');
});

after(() => {
  if (skip !== false || base === '') return;
  spawnSync('bash', [CLUSTER, 'down'], { env: { ...process.env, AM_SLURM_DIR: base }, stdio: 'ignore', timeout: 90_000 });
  rmSync(base, { recursive: true, force: true });
});

const workerCommand = [process.execPath, '--import', import.meta.resolve('tsx'), CLI];

test('SlurmJob: sbatch, attach to the workers of 3 nodes, spawn, call, reattach from a new job object, kill leaves no worker', { skip }, async () => {
  const dir = join(base, 'job');
  const spec = { meshes: { trainers: 2, data: 1 }, port: 23000, workerCommand, partition: 'debug', timeLimit: '00:10:00' };
  const job = new SlurmJob(spec, { dir, jobStartTimeoutMs: 60_000, attach: { logs: 'off' } });
  try {
    const { trainers, data } = await job.state();
    assert.deepEqual(trainers!.hosts, ['tcp:127.0.0.1:23000', 'tcp:127.0.0.1:23001']);
    assert.deepEqual(data!.hosts, ['tcp:127.0.0.1:23002']);
    const m = await (await trainers!.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
    const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      who.map((x) => x[2]),
      [trainers!.infos[0]!.pid, trainers!.infos[0]!.pid, trainers!.infos[1]!.pid, trainers!.infos[1]!.pid],
    );
    const cache = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as { schedulerJobId: string };
    assert.match(cache.schedulerJobId, /^\d+$/);
    await trainers!.stop();
    await data!.stop();
    const again = await new SlurmJob(spec, { dir, attach: { logs: 'off' } }).state();
    assert.deepEqual(
      again['trainers']!.infos.map((i) => i.pid),
      trainers!.infos.map((i) => i.pid),
    );
    for (const h of Object.values(again)) await h.stop();
    const pids = [...trainers!.infos, ...data!.infos].map((i) => i.pid);
    await job.kill();
    await eventually(() => pids.every((p) => !alive(p)), 'the workers are gone within KillWait + 1 s', 5000 + 1000, 50);
    const q = execFileSync('squeue', ['-h', '-j', cache.schedulerJobId, '-o', '%T'], { encoding: 'utf8' }).trim();
    assert.ok(q === '' || q === 'CANCELLED' || q === 'COMPLETING', `job state after kill: ${q}`);
  } finally {
    await job.kill();
  }
});

test('a SlurmJob that cannot start (more nodes than the cluster has) fails naming PENDING and the reason, and is cancelled', { skip }, async () => {
  const job = new SlurmJob({ meshes: { big: 9 }, workerCommand }, { dir: join(base, 'big'), jobStartTimeoutMs: 3000 });
  const t0 = Date.now();
  const err = await job.apply().then(
    () => assert.fail('the job cannot run'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof JobError, String(err));
  assert.match(err.message, /did not start within 3000 ms: state PENDING, reason \w+/);
  assert.ok(Date.now() - t0 < 3000 + 35_000);
  const id = /SLURM job (\d+)/.exec(err.message)![1]!;
  const q = execFileSync('squeue', ['-h', '-j', id, '-o', '%T'], { encoding: 'utf8' }).trim();
  assert.ok(q === '' || q === 'CANCELLED', `job state after the failure: ${q}`);
});

test('SlurmJob batch mode: the client runs inside the allocation, attaches to its workers, and the job ends with it', { skip }, async () => {
  const dir = join(base, 'batch');
  const job = new SlurmJob({ meshes: { w: 2 }, port: 23500, workerCommand }, { dir });
  const client = [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./fixtures/slurm-batch-client.ts', import.meta.url)), dir];
  const id = await job.applyWithClient(client);
  const state = () => execFileSync('squeue', ['-h', '-j', id, '-o', '%T'], { encoding: 'utf8' }).trim();
  await eventually(
    () => ['', 'COMPLETED'].includes(state()),
    () => `the job ended (state ${state()})`,
    90_000,
    200,
  );
  const out = readFileSync(join(dir, 'logs', `slurm_${id}.out`), 'utf8');
  assert.match(out, new RegExp(`batch client: 2 members in job ${id}`));
  assert.match(execFileSync('scontrol', ['show', 'job', id], { encoding: 'utf8' }), /ExitCode=0:0/);
  const pids = readdirSync(join(dir, 'logs', id)).map((f) => Number(/pid=(\d+)/.exec(readFileSync(join(dir, 'logs', id, f), 'utf8'))![1]));
  assert.equal(pids.length, 2);
  await eventually(() => pids.every((p) => !alive(p)), 'the workers ended with the job', 30_000, 50);
});

test('examples/slurm.ts runs as the README shows: 4 members on 2 nodes answer, then the job is cancelled and no worker or proc is left', { skip }, async () => {
  // As written: from the repository root (tsx and the tsconfig paths resolve from there), its job in
  // the default .actormesh/ there, its workers on the default port 22222 + the node's index.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const jobDir = join(root, '.actormesh');
  assert.ok(!existsSync(join(jobDir, 'job.json')), `${jobDir}/job.json exists: the example would reuse or replace that job`);
  const hadDir = existsSync(jobDir);
  let id: string | undefined;
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/slurm.ts', 'debug'], {
      cwd: root,
      env: { ...process.env, SLURM_CONF: join(base, 'slurm.conf') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^2 workers ready: tcp:127\.0\.0\.1:22222 tcp:127\.0\.0\.1:22223$/m);
    assert.match(r.stdout, /^procs: \{hosts: 2, gpus: 2\}$/m);
    const members = [...r.stdout.matchAll(/^ {2}rank (\d) on (node\d) \(host \S+, SLURM job (\d+)\) pid (\d+), worker pid (\d+)$/gm)].map(
      ([, rank, node, job, pid, worker]) => ({ rank: Number(rank), node: node!, job: job!, pid: Number(pid), worker: Number(worker) }),
    );
    assert.deepEqual(
      members.map((m) => m.rank),
      [0, 1, 2, 3],
      r.stdout,
    );
    id = members[0]!.job;
    assert.ok(
      members.every((m) => m.job === id),
      'one SLURM job',
    );
    assert.match(r.stderr, new RegExp(`actormesh job: SLURM job ${id} \\w+, workers ready \\d/2`), 'progress on stderr while the workers start');
    // Two procs on each of 2 nodes, each node's procs children of its own worker.
    assert.equal(members[0]!.node, members[1]!.node);
    assert.equal(members[2]!.node, members[3]!.node);
    assert.notEqual(members[0]!.node, members[2]!.node);
    assert.equal(members[0]!.worker, members[1]!.worker);
    assert.equal(members[2]!.worker, members[3]!.worker);
    assert.equal(new Set(members.map((m) => m.pid)).size, 4);
    assert.match(r.stdout, /\njob killed\n$/);
    const pids = [...new Set(members.flatMap((m) => [m.pid, m.worker]))];
    await eventually(() => pids.every((p) => !alive(p)), 'the workers and their procs are gone', 30_000, 50);
    const q = execFileSync('squeue', ['-h', '-j', id, '-o', '%T'], { encoding: 'utf8' }).trim();
    assert.ok(q === '' || q === 'CANCELLED' || q === 'COMPLETING', `job state after kill: ${q}`);
    assert.ok(!existsSync(join(jobDir, 'job.json')), 'kill() removed the cache');
  } finally {
    // A run that failed after submitting leaves its job in the cache: cancel it.
    if (existsSync(join(jobDir, 'job.json')))
      spawnSync('scancel', [(JSON.parse(readFileSync(join(jobDir, 'job.json'), 'utf8')) as { schedulerJobId: string }).schedulerJobId]);
    if (!hadDir) rmSync(jobDir, { recursive: true, force: true });
    else if (id !== undefined) for (const f of [`slurm_${id}.out`, `slurm_${id}.err`, id]) rmSync(join(jobDir, 'logs', f), { recursive: true, force: true });
  }
});

test(
  'SlurmJob on 3 nodes in network namespaces with their own IPs: workers advertise 10.77.1.11-13, the client attaches from the bridge, kill leaves none',
  { skip },
  async () => {
    // Replace the multiple-slurmd cluster by the namespace one (the same controller port).
    execFileSync('bash', [CLUSTER, 'down'], { env: { ...process.env, AM_SLURM_DIR: base }, stdio: 'ignore', timeout: 90_000 });
    execFileSync('bash', [CLUSTER, 'up-netns', '3'], { env: { ...process.env, AM_SLURM_DIR: base }, stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
    const job = new SlurmJob(
      { meshes: { w: 3 }, port: 25000, workerCommand },
      { dir: join(base, 'netns'), jobStartTimeoutMs: 60_000, attach: { logs: 'off' } },
    );
    try {
      const { w } = await job.state();
      assert.deepEqual(w!.hosts, ['tcp:10.77.1.11:25000', 'tcp:10.77.1.12:25001', 'tcp:10.77.1.13:25002']);
      assert.deepEqual(
        w!.infos.map((i) => i.hostname),
        ['host1', 'host2', 'host3'],
      );
      const m = await (await w!.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
      assert.deepEqual(
        ((await m.whoami.call()).values() as Array<readonly [number, number, number]>).map((x) => x[0]),
        [0, 1, 2],
      );
      await w!.stop();
      const pids = w!.infos.map((i) => i.pid);
      await job.kill();
      await eventually(() => pids.every((p) => !alive(p)), 'the workers are gone', 30_000, 50);
    } finally {
      await job.kill();
    }
  },
);

test('scheduler output parsing: squeue -o lines, scontrol lines, and squeue --json of 22.05 (every job listed, string nodes) and of the 24.11 layout', () => {
  assert.deepEqual(parseSqueueLine('RUNNING|node[1-2]|None\n'), { state: 'RUNNING', nodes: 'node[1-2]', reason: 'None' });
  assert.deepEqual(parseSqueueLine('PENDING||PartitionConfig'), { state: 'PENDING', nodes: '', reason: 'PartitionConfig' });
  assert.equal(parseSqueueLine('\n'), undefined);
  assert.throws(() => parseSqueueLine('slurm_load_jobs error: Invalid job id'), JobError);
  assert.equal(parseNodeAddr('NodeName=node1 Arch=x86_64 CoresPerSocket=1 CPUAlloc=0 NodeAddr=127.0.0.1 NodeHostName=vm Version=22.05.8'), '127.0.0.1');
  assert.equal(parseNodeAddr('NodeName=host2 NodeAddr=10.77.1.12 NodeHostName=host2'), '10.77.1.12');
  assert.deepEqual(parseHostnames('node1\nnode2\n'), ['node1', 'node2']);
  // Recorded on Slurm 22.05.8 (`squeue --json -j 2`, trimmed to the fields read): all three jobs come back.
  const v2205 = readFileSync(new URL('../fixtures/slurm/squeue-json-22.05.json', import.meta.url), 'utf8');
  assert.deepEqual(parseSqueueJson(v2205, '2'), { state: 'RUNNING', nodes: 'node[1-2]', reason: 'None' });
  assert.deepEqual(parseSqueueJson(v2205, '3'), { state: 'PENDING', nodes: '', reason: 'PartitionConfig' });
  assert.equal(parseSqueueJson(v2205, '99'), undefined);
  // The 24.11 layout (state as a flag list, nodes under job_resources), written from its documented schema.
  const v2411 = JSON.stringify({
    jobs: [{ job_id: 7, job_state: ['RUNNING'], state_reason: 'None', job_resources: { nodes: { allocation: [{ name: 'node1' }, { name: 'node2' }] } } }],
  });
  assert.deepEqual(parseSqueueJson(v2411, '7'), { state: 'RUNNING', nodes: 'node1,node2', reason: 'None' });
  assert.throws(() => parseSqueueJson('not json', '1'), JobError);
});
