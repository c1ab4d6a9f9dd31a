// Failures no owner handles go to the unhandled-fault hook; the default one exits the client with
// a message naming the actor, its rank and the error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MeshHealth, MeshFailure, setUnhandledFaultHook } from '../../src/index.js';

test('the default unhandled-fault hook exits the client naming the actor, rank and error', () => {
  const script = fileURLToPath(new URL('./_unhandled-fault-main.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1, `exit status ${r.status}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /still alive/);
  assert.match(r.stderr, /unhandled mesh failure: actor \S+doomed_\w+\[0\] \(rank 1 of mesh doomed_\w+\): it failed: .*disk on fire/);
  assert.match(r.stderr, /exiting the client/);
});

test('a failure the owner does not handle goes to the installed unhandled-fault hook once', () => {
  const seen: MeshFailure[] = [];
  const prev = setUnhandledFaultHook((f) => seen.push(f));
  try {
    const h = new MeshHealth('m');
    h.supervise = () => false; // not handled
    const f = new MeshFailure('m', 3, 'w[1].m[0]', 'ActorFailed', 'boom');
    assert.equal(h.fail([3], f), true);
    assert.equal(h.fail([3], f), false);
    assert.deepEqual(seen, [f]);
    assert.equal(h.healthy, false);
  } finally {
    setUnhandledFaultHook(prev);
  }
});
