import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

test('the README quickstart is examples/quickstart.ts verbatim', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Quickstart'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'README has no ts block under ## Quickstart');
  assert.equal(block[1]!.trim(), readFileSync('examples/quickstart.ts', 'utf8').trim());
});

test('the README SLURM session is examples/slurm.ts verbatim', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('**SLURM session**'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'README has no ts block under **SLURM session**');
  assert.equal(block[1]!.trim(), readFileSync('examples/slurm.ts', 'utf8').trim());
});

test('the quickstart runs as written: calls, slices, reduces, and survives a member failure', () => {
  // It imports 'actormesh' (the built package, dist/), as a user's program would.
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /incr -> \[ 11, 11, 11, 11 \]/);
  assert.match(r.stdout, /odd incr -> \[ 16, 16 \]/);
  assert.match(r.stdout, /one member -> 111/);
  assert.match(r.stdout, /sum over the mesh -> 154/);
  assert.match(r.stdout, /supervision: actor .* \(rank 2 of mesh counter_\w+\): it failed: out of memory \(simulated\)/);
  assert.match(r.stdout, /call on the whole mesh failed fast/);
  assert.match(r.stdout, /healthy slice still works -> \[ 112, 17 \]/);
});

test('the proc-mesh demo allocates {hosts: 2, gpus: 4} child processes, prints the status mesh and stops cleanly', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /\(8 child processes\)/);
  assert.match(r.stdout, /8 replies from 8 distinct processes/);
  assert.match(r.stdout, /status mesh: StatusMesh\(hosts=2\/4,gpus=4\/1: 0\.\.8=Running\)/);
  assert.match(r.stdout, /after stop: Stopped=0\.\.8/);
});

test('the multihost example runs as the README shows: two workers from `npm run worker`, the client attaching to them; both workers exit 0', async () => {
  const { startWorker, stopAll } = await import('./host/_workers.js');
  try {
    const env = { ACTORMESH_SECRET: 's3cret' };
    const ws = await Promise.all([0, 1].map(() => startWorker(['--listen', 'tcp:127.0.0.1:0'], env)));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/multihost.ts', ...ws.map((w) => w.addr)], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...env },
    });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /attached 2 hosts: trainers-\S+:tcp:127\.0\.0\.1:\d+,tcp:127\.0\.0\.1:\d+@hosts=2/);
    assert.match(r.stdout, /procs: \{hosts: 2, gpus: 2\}/);
    assert.match(r.stdout, /step -> \[ 1, 1, 1, 1 \]/);
    assert.match(r.stdout, /host 1 only -> \[ 2, 2 \]/);
    assert.match(r.stdout, /shutdown ok=true missing=\[\]/);
    for (const w of ws) assert.equal((await w.exited).code, 0);
  } finally {
    await stopAll();
  }
});
