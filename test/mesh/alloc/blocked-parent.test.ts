// A worker's life depends on its parent process being alive, never on the parent answering in
// time: a client that blocks its event loop in synchronous work (here 10 s, past the 5 s control
// link timeout and the 6 s poll timeout this runtime used to have) finds every worker alive
// afterwards, and the next call answers. `npm run loadtest -- liveness` blocks for 30 s.
// Pins docs/architecture.md CH-4 (a busy process is not taken for dead).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, type MeshFailure } from '../../../src/index.js';
import { Tally, LIVENESS_ACTORS } from '../fixtures/liveness-actors.js';

after(() => thisHost().shutdown());

const BLOCK_MS = 10_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a client blocked 10 s in synchronous work right after sending keeps every worker, and the next call answers', { timeout: 90_000 }, async () => {
  const procs = await thisHost().spawnProcs({ gpus: 4 }, { modules: [LIVENESS_ACTORS] });
  try {
    const failures: MeshFailure[] = [];
    const onSupervise = (f: MeshFailure) => {
      failures.push(f);
      return true;
    };
    // One mesh without polling (the reported case), one polled often, so that polls and their
    // replies are in flight when the client blocks.
    const quiet = await procs.spawn('quiet', Tally, {}, { monitorIntervalMs: 0, onSupervise });
    const polled = await procs.spawn('polled', Tally, {}, { monitorIntervalMs: 200, onSupervise });
    const pids = (await quiet.pid.call()).values();
    assert.equal(pids.length, 4);

    // Send, answer a call (its reply's ack is then due while we block), and block at once.
    for (let i = 0; i < 1000; i++) quiet.add.broadcast(1);
    await polled.rank.call();
    for (let i = 0; i < 1000; i++) polled.add.broadcast(2);
    const until = Date.now() + BLOCK_MS;
    while (Date.now() < until) {
      /* synchronous work */
    }

    const totals = (await quiet.totals.call()).values();
    assert.deepEqual(totals, Array(4).fill({ sum: 1000, count: 1000 }));
    assert.deepEqual((await polled.totals.call()).values(), Array(4).fill({ sum: 2000, count: 1000 }));
    // Give a late supervision poll (or a late control-link timeout) the time to misfire.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(pids.map(alive), [true, true, true, true], 'every worker process must still be alive');
    assert.deepEqual(
      procs.procMesh.events.map((e) => e.kind),
      [],
      'the alloc must report no proc event (no Stopped)',
    );
    assert.deepEqual(failures.map(String), [], 'no supervision failure');
    assert.deepEqual((await quiet.rank.call()).values(), [0, 1, 2, 3]);
  } finally {
    await procs.stop();
  }
});
