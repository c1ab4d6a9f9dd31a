// 200 000 broadcasts in one synchronous loop, then a call, on a 4-proc mesh of child processes:
// everything is delivered exactly once, no proc is stopped, no supervision failure is raised
// although the client's event loop was blocked for the whole loop and the workers' agents answer
// polls late while they work through the backlog. The client's RSS is reported before, at the
// peak and after (only loose sanity is asserted: it is released, never a timing).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { thisHost, type MeshFailure } from '../../src/api/index.js';
import { Tally, LIVENESS_ACTORS } from './fixtures/liveness-actors.js';

after(() => thisHost().shutdown());

const N = 200_000;
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('200k broadcasts in one synchronous loop then a call: each handled once, no proc stopped, client memory released', { timeout: 170_000 }, async (t) => {
  const procs = await thisHost().spawnProcs({ gpus: 4 }, { modules: [LIVENESS_ACTORS] });
  try {
    const failures: MeshFailure[] = [];
    const mesh = await procs.spawn('flood', Tally, {}, {
      monitorIntervalMs: 200,
      onSupervise: (f) => {
        failures.push(f);
        return true;
      },
    });
    await mesh.totals.call(); // warm: every link up
    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const t0 = Date.now();
    for (let i = 0; i < N; i++) mesh.add.broadcast(1);
    const loopMs = Date.now() - t0;
    peak = Math.max(peak, process.memoryUsage().rss);
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    let totals: Array<{ sum: number; count: number }>;
    try {
      totals = (await mesh.totals.withOptions({ timeoutMs: 120_000 }).call()).values();
    } finally {
      clearInterval(sampler);
    }
    const callMs = Date.now() - t0;
    assert.deepEqual(totals, Array(4).fill({ sum: N, count: N }), 'every broadcast handled exactly once by every member');
    assert.deepEqual(failures.map(String), [], 'no supervision failure');
    assert.deepEqual(procs.procMesh.events.map((e) => e.kind), [], 'no proc stopped');
    assert.equal(procs.stoppedProcs.size, 0);

    // Let acks and replies settle, then collect garbage.
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    await new Promise((r) => setTimeout(r, 200));
    gc();
    const afterRss = process.memoryUsage().rss;
    t.diagnostic(`${N} broadcasts: loop ${loopMs} ms, call answered after ${callMs} ms; client RSS before ${mb(before)}, peak ${mb(peak)}, after ${mb(afterRss)}`);
    assert.ok(peak < before + 3 * 1024 ** 3, `peak RSS ${mb(peak)} should stay bounded (before: ${mb(before)})`);
    assert.ok(afterRss <= peak, `RSS after (${mb(afterRss)}) should not exceed the peak (${mb(peak)})`);
    // The mesh still works normally afterwards.
    assert.deepEqual((await mesh.rank.call()).values(), [0, 1, 2, 3]);
  } finally {
    await procs.stop();
  }
});
