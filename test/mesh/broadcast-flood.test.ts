// 200 000 broadcasts in one synchronous loop, then a call, on a 4-proc mesh of child processes:
// everything is delivered exactly once, no proc is stopped, no supervision failure is raised
// although the client's event loop was blocked for the whole loop and the workers' agents answer
// polls late while they work through the backlog. The client's heap is released afterwards: after
// a GC it is back within before + 25% of what the flood added + 50 MB (RSS is reported, never a
// timing asserted).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, type MeshFailure } from '../../src/index.js';
import { Tally, LIVENESS_ACTORS } from './fixtures/liveness-actors.js';
import { MemoryWatch } from '../_support/memory.js';

after(() => thisHost().shutdown());

const N = 200_000;

test('200k broadcasts in one synchronous loop then a call: each handled once, no proc stopped, client heap released', { timeout: 170_000 }, async (t) => {
  const procs = await thisHost().spawnProcs({ gpus: 4 }, { modules: [LIVENESS_ACTORS] });
  try {
    const failures: MeshFailure[] = [];
    const mesh = await procs.spawn(
      'flood',
      Tally,
      {},
      {
        monitorIntervalMs: 200,
        onSupervise: (f) => {
          failures.push(f);
          return true;
        },
      },
    );
    await mesh.totals.call(); // warm: every link up
    const mem = MemoryWatch.start();
    const t0 = Date.now();
    for (let i = 0; i < N; i++) mesh.add.broadcast(1);
    const loopMs = Date.now() - t0;
    mem.sample();
    mem.startSampling();
    let totals: Array<{ sum: number; count: number }>;
    try {
      totals = (await mesh.totals.withOptions({ timeoutMs: 120_000 }).call()).values();
    } finally {
      mem.stopSampling();
    }
    const callMs = Date.now() - t0;
    assert.deepEqual(totals, Array(4).fill({ sum: N, count: N }), 'every broadcast handled exactly once by every member');
    assert.deepEqual(failures.map(String), [], 'no supervision failure');
    assert.deepEqual(
      procs.procMesh.events.map((e) => e.kind),
      [],
      'no proc stopped',
    );
    assert.equal(procs.stoppedProcs.size, 0);

    await mem.settle();
    t.diagnostic(`${N} broadcasts: loop ${loopMs} ms, call answered after ${callMs} ms; client ${mem}`);
    assert.ok(mem.peak.rss < mem.before.rss + 3 * 1024 ** 3, `peak RSS should stay bounded: ${mem}`);
    assert.ok(mem.heapReleased, `the client heap should be released after the flood: ${mem}`);
    // The mesh still works normally afterwards.
    assert.deepEqual((await mesh.rank.call()).values(), [0, 1, 2, 3]);
  } finally {
    await procs.stop();
  }
});
