// A ProcMesh slice is a view: spawning on it puts actors on those procs only, ranked in the slice;
// a proc death reaches meshes on slices with the slice's rank; a slice cannot stop the procs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, ApiUsageError } from '../../src/index.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { eventually } from '../_support/eventually.js';
import { failureRecorder } from '../_support/failure-recorder.js';

test('spawn on a ProcMesh slice: actors on those procs only, slice ranks, proc deaths mapped to the slice, stop refused', async () => {
  const procs = await thisHost().spawnProcs({ gpus: 4 }, { modules: [HOST_ACTORS_MODULE] });
  try {
    const all = await procs.spawn('all', Probe, undefined, { onSupervise: () => true });
    const pids = ((await all.whoami.call()).values() as Array<readonly [number, number, number]>).map((x) => x[1]);
    const odd = procs.slice({ gpus: [1, 4, 2] });
    assert.equal(String(odd.extent()), '{gpus: 2}');
    assert.equal(odd.size, 2);
    const rec = failureRecorder();
    const m = await odd.spawn('odd', Probe, undefined, {
      onSupervise: rec.onSupervise,
    });
    const first = await procs.slice({ gpus: 0 }).spawn('first', Probe, undefined, { onSupervise: () => true });
    const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      who.map((x) => x[0]),
      [0, 1],
    );
    assert.deepEqual(
      who.map((x) => x[1]),
      [pids[1], pids[3]],
    );
    process.kill(pids[3]!, 'SIGKILL');
    await eventually(() => rec.seen().length > 0, 'the slice mesh is told', 30_000, 50);
    assert.deepEqual([...new Set(rec.seen().map((f) => f.rank))], [1]);
    assert.deepEqual(((await first.whoami.call()).values() as Array<readonly [number, number, number]>)[0]![1], pids[0]);
    await assert.rejects(odd.stop(), (e: unknown) => e instanceof ApiUsageError && e.variant === 'NotOwned');
  } finally {
    await procs.stop();
  }
});
