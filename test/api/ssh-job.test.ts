// SSHJob with a stand-in `ssh` on the PATH that runs the remote command on this machine (no sshd
// here): one worker per "host" (127.0.0.2 and 127.0.0.3, one port), the secret over ssh's stdin,
// reattach through the cache, kill() shuts the workers down and ends the ssh sessions.
// Pins docs/architecture.md HOST-2 (secret and advertised address rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSHJob, JobError } from '../../src/index.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { CLI, alive, freePort } from '../host/_workers.js';
import { eventually } from '../_support/eventually.js';

/** `ssh [options] host -- command...` → runs the command here. */
const STAND_IN = `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    *) shift ;;
  esac
done
exec sh -c "$*"
`;

test('SSHJob: a worker per host through ssh, the secret on stdin (not argv), reattach, kill', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'actormesh-ssh-'));
  const ssh = join(dir, 'ssh');
  writeFileSync(ssh, STAND_IN);
  chmodSync(ssh, 0o755);
  const spec = {
    meshes: { trainers: ['127.0.0.2', '127.0.0.3'] },
    port: await freePort(),
    bind: 'host' as const,
    workerCommand: [process.execPath, '--import', 'tsx', CLI],
  };
  const job = new SSHJob(spec, { dir: join(dir, 'job'), ssh, attach: { logs: 'off' } });
  try {
    const { trainers } = await job.state();
    assert.deepEqual(trainers!.hosts, [`tcp:127.0.0.2:${spec.port}`, `tcp:127.0.0.3:${spec.port}`]);
    const m = await (await trainers!.spawnProcs({ gpus: 1 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
    const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      who.map((x) => x[2]),
      trainers!.infos.map((i) => i.pid),
    );
    for (const pid of trainers!.infos.map((i) => i.pid)) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const secret = readFileSync(join(dir, 'job', 'secret'), 'utf8').trim();
      assert.ok(!cmdline.includes(secret), 'the secret is not on the worker command line');
    }
    await trainers!.stop();
    // A later client: the same workers.
    const again = await new SSHJob(spec, { dir: join(dir, 'job'), ssh, attach: { logs: 'off' } }).state();
    assert.deepEqual(
      again['trainers']!.infos.map((i) => i.pid),
      trainers!.infos.map((i) => i.pid),
    );
    await again['trainers']!.stop();
    const cache = JSON.parse(readFileSync(join(dir, 'job', 'job.json'), 'utf8')) as { pids: number[] };
    const workerPids = trainers!.infos.map((i) => i.pid);
    await job.kill();
    await eventually(() => [...cache.pids, ...workerPids].every((p) => !alive(p)), 'workers and ssh sessions are gone', 30_000, 50);
  } finally {
    await job.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an SSHJob spec without hosts, with a bad host or port is a JobError', () => {
  assert.throws(() => new SSHJob({ meshes: {} }), JobError);
  assert.throws(() => new SSHJob({ meshes: { a: [] } }), JobError);
  assert.throws(() => new SSHJob({ meshes: { a: ['bad host'] } }), JobError);
  assert.throws(() => new SSHJob({ meshes: { a: ['h'] }, port: 70000 }), JobError);
});
