// ProcessJob: local workers per mesh, a JSON cache a later client reattaches through, kill() that
// leaves no process, and the `actormesh job` commands.
// Pins docs/architecture.md API-4 (job cache reuse, apply all or nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessJob, JobError } from '../../src/index.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { alive, runCli } from '../host/_workers.js';
import { eventually } from '../_support/eventually.js';
import { SPEC } from './fixtures/jobs.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/jobs.ts', import.meta.url));

test('ProcessJob: state() starts the meshes, a second client reattaches through the cache, kill() leaves no process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'actormesh-job-'));
  const job = new ProcessJob(SPEC, { dir, attach: { logs: 'off' } });
  try {
    const state = await job.state();
    assert.deepEqual(Object.keys(state).sort(), ['a', 'b']);
    assert.equal(state['a']!.size, 2);
    assert.equal(state['b']!.size, 1);
    const pids = { a: state['a']!.infos.map((i) => i.pid), b: state['b']!.infos.map((i) => i.pid) };
    const m = await (await state['a']!.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
    assert.equal(((await m.whoami.call()).values() as unknown[]).length, 2);
    const cache = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as { kind: string; secretFile: string };
    assert.equal(cache.kind, 'ProcessJob');
    assert.ok(!JSON.stringify(cache).includes(readFileSync(cache.secretFile, 'utf8').trim()), 'the secret is not in the cache');
    for (const h of Object.values(state)) await h.stop();
    // Another client process finds the same workers.
    const r = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, 'reattach', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), pids);
    await job.kill();
    const all = [...pids.a, ...pids.b];
    assert.ok(
      all.every((p) => !alive(p)),
      'no worker is left',
    );
    assert.ok(!existsSync(join(dir, 'job.json')), 'the cache is gone');
    // A new state() after kill() starts new workers.
    const again = await job.state();
    assert.ok(again['a']!.infos.every((i) => !all.includes(i.pid)));
    for (const h of Object.values(again)) await h.stop();
  } finally {
    await job.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('actormesh job apply / state / kill', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'actormesh-job-'));
  try {
    const env = { TEST_JOB_DIR: dir };
    const apply = await runCli(['job', 'apply', `${FIXTURE}#job`, '--dir', dir, '--json'], env, 60_000);
    assert.equal(apply.code, 0, apply.stderr);
    const st = await runCli(['job', 'state', '--dir', dir, '--json'], env);
    const state = JSON.parse(st.stdout.trim()) as { running: boolean; kind: string; workers: Record<string, string[]> };
    assert.equal(state.running, true);
    assert.equal(state.kind, 'ProcessJob');
    assert.deepEqual(
      Object.entries(state.workers).map(([k, v]) => [k, v.length]),
      [
        ['a', 2],
        ['b', 1],
      ],
    );
    const cache = JSON.parse(readFileSync(join(dir, 'job.json'), 'utf8')) as { pids: number[] };
    assert.ok(cache.pids.every(alive));
    const kill = await runCli(['job', 'kill', '--dir', dir], env);
    assert.equal(kill.code, 0, kill.stderr);
    await eventually(() => cache.pids.every((p) => !alive(p)), 'condition', 30_000, 50);
    const none = await runCli(['job', 'state', '--dir', dir]);
    assert.match(none.stdout, /no job in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a ProcessJob spec with no meshes, a bad name or a bad count is a JobError', () => {
  assert.throws(() => new ProcessJob({ meshes: {} }), JobError);
  assert.throws(() => new ProcessJob({ meshes: { '1x': 1 } }), JobError);
  assert.throws(() => new ProcessJob({ meshes: { a: 0 } }), JobError);
});
