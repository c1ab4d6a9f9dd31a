// Where supervision learns that a proc is dead: from the process (its exit, observed by the
// allocator), at once and with the real reason; never from a proc that is merely too busy to
// answer a supervision poll in time.
// Pins docs/architecture.md MESH-5 (dead means exited).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, SupervisionError } from '../../src/index.js';
import { Tally, LIVENESS_ACTORS } from './fixtures/liveness-actors.js';
import { failureRecorder } from '../_support/failure-recorder.js';

after(() => thisHost().shutdown());

test('a worker too busy to answer supervision polls for 5 s is not reported dead', { timeout: 60_000 }, async () => {
  const procs = await thisHost().spawnProcs({ gpus: 2 }, { modules: [LIVENESS_ACTORS] });
  try {
    const c = failureRecorder();
    // Polls every 200 ms, each waiting at most 2 s: a worker blocked 5 s misses several.
    const mesh = await procs.spawn('busy', Tally, {}, { monitorIntervalMs: 200, onSupervise: c.onSupervise });
    const spinning = mesh.slice({ gpus: 1 }).spin.callOne(5000);
    await new Promise((r) => setTimeout(r, 3500));
    // By now a poll went unanswered for its whole 2 s: noted slow, not failed.
    assert.match(mesh.health.slow.get(1) ?? '', /did not answer a supervision poll within 2000 ms/);
    assert.equal(await spinning, 1);
    await new Promise((r) => setTimeout(r, 1000)); // the polls after the spin answer again
    assert.deepEqual(
      c.failures.map((x) => String(x.f)),
      [],
      'a slow proc is not a dead proc',
    );
    assert.ok(mesh.health.healthy);
    assert.deepEqual(
      procs.procMesh.events.map((e) => e.kind),
      [],
    );
    assert.deepEqual((await mesh.rank.call()).values(), [0, 1]);
  } finally {
    await procs.stop();
  }
});

test('a SIGKILLed worker reaches onSupervise from its exit, with polling off, as ProcStopped with Killed(9)', { timeout: 60_000 }, async (t) => {
  const procs = await thisHost().spawnProcs({ gpus: 4 }, { modules: [LIVENESS_ACTORS] });
  try {
    const c = failureRecorder();
    // No polling at all: the death must come from the process exit, not from a poll.
    const mesh = await procs.spawn('victims', Tally, {}, { monitorIntervalMs: 0, onSupervise: c.onSupervise });
    const pids = (await mesh.pid.call()).values();
    const t0 = Date.now();
    process.kill(pids[2]!, 'SIGKILL');
    const { at, f } = await c.first(30_000);
    t.diagnostic(`reported ${at - t0} ms after the kill`);
    assert.equal(f.kind, 'ProcStopped');
    assert.equal(f.rank, 2);
    assert.match(f.error, /Killed\(9\)/);
    assert.doesNotMatch(f.error, /did not answer/);
    assert.match(String(f), /its proc died: .*Killed\(9\)/);
    // The failure is also what the alloc saw, and casts covering the dead rank fail fast.
    assert.deepEqual(procs.stoppedProcs.get(2), { kind: 'Killed', signal: 9, coreDumped: false });
    assert.throws(
      () => mesh.add.broadcast(1),
      (e: unknown) => e instanceof SupervisionError && /Killed\(9\)/.test((e as Error).message),
    );
    assert.deepEqual((await mesh.slice({ gpus: [0, 2] }).rank.call()).values(), [0, 1]);
    assert.equal(c.failures.length, 1, 'reported once');
  } finally {
    await procs.stop();
  }
});
