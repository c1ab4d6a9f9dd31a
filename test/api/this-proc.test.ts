// thisProc(cx): an actor spawns a typed child actor mesh on its own proc; the child mesh is owned
// by the actor and stops when the actor's mesh stops, the proc itself staying up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, thisProc, ApiUsageError } from '../../src/index.js';
import { Parent, Watcher, THIS_PROC_ACTORS } from './fixtures/this-proc-actors.js';

test('an actor spawns a child actor mesh on its own proc with thisProc(cx); stopping the actor stops the child, not the proc', async () => {
  const procs = await thisHost().spawnProcs({ gpus: 2 }, { modules: [THIS_PROC_ACTORS] });
  try {
    const parents = await procs.spawn('parent', Parent, undefined);
    const watchers = await procs.spawn('watcher', Watcher, undefined);
    const r = (await parents.spawnChild.call()).values() as Array<{ answers: string[]; parentProc: string; extent: string }>;
    for (const x of r) {
      assert.equal(x.extent, '{procs: 1}');
      assert.deepEqual(x.answers, [`kid on ${x.parentProc}`]);
    }
    const hasChild = (names: string[]) => names.some((n) => n.startsWith('child'));
    assert.ok(((await watchers.roots.call()).values() as string[][]).every(hasChild), 'each proc runs a child');
    await parents.stop();
    const gone = async () => ((await watchers.roots.call()).values() as string[][]).every((n) => !hasChild(n));
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await gone();
      if (!ok) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(ok, 'the child meshes stopped with their owner');
    assert.equal(((await watchers.roots.call()).values() as unknown[]).length, 2, 'the procs are still up');
  } finally {
    await procs.stop();
  }
});

test('thisProc(cx) outside a mesh proc is a typed error', () => {
  const cx = thisHost().rootClient.cx;
  assert.throws(
    () => thisProc(cx),
    (e: unknown) => e instanceof ApiUsageError && e.variant === 'NoProcAgent',
  );
});
