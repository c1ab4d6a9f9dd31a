// An endpoint that throws during a call rejects the caller with `EndpointError` carrying what was
// thrown on the member: its class name (`remoteName`, also for user-defined classes), message and
// stack (naming the remote function), with the remote stack appended to `.stack` after
// "Caused by". The same through the comm tree and point to point, across child processes; the
// member keeps running.
// Pins docs/architecture.md MESH-7 (endpoint errors).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, EndpointError, type ProcMesh } from '../../src/index.js';
import { ENDPOINT_ACTORS } from './fixtures/endpoint-actors.js';
import { CAST_MODES, spawnProbe } from './_endpoint-modes.js';

let procs: ProcMesh;
before(async () => {
  procs = await thisHost().spawnProcs({ gpus: 2 }, { modules: [ENDPOINT_ACTORS] });
});
after(() => thisHost().shutdown());

/** Asserts `e` is the EndpointError of `endpoint` on `actor` (cast rank `rank`) for the remote throw described. */
function assertRemote(e: unknown, want: { endpoint: string; actor: string; rank: number; name: string; message: string; fn: RegExp }): true {
  assert.ok(e instanceof EndpointError, `expected an EndpointError, got ${String(e)}`);
  assert.equal(e.endpoint, want.endpoint);
  assert.equal(e.actor, want.actor);
  assert.equal(e.rank, want.rank);
  assert.equal(e.remoteName, want.name);
  assert.equal(e.remoteMessage, want.message);
  assert.match(e.remoteStack, want.fn, 'the remote stack names the function that threw');
  assert.ok(e.remoteStack.includes(want.message), 'the remote stack starts with the remote message');
  assert.ok(e.message.includes(`${want.name}: ${want.message}`), e.message);
  const [local, cause] = e.stack!.split('\nCaused by');
  assert.ok(cause !== undefined, `.stack has a "Caused by" part: ${e.stack}`);
  assert.match(local!, /EndpointError/);
  assert.match(cause, want.fn);
  assert.ok(cause.includes(`on ${want.actor}, rank ${want.rank}`), cause);
  return true;
}

for (const mode of CAST_MODES) {
  test(`a remote throw reaches the caller as EndpointError with the remote class name, message and stack (${mode})`, async () => {
    const mesh = await spawnProbe(procs, `errors-${mode}`, mode);
    const ids = mesh.actorIds().map(String);
    const range = { endpoint: 'failRange', name: 'RangeError', message: 'shard index 9 is outside 0..7', fn: /checkShardIndex/ };
    const err = await mesh.failRange.call(9).then(
      () => assert.fail('call resolved'),
      (e: unknown) => e as EndpointError,
    );
    assertRemote(err, { ...range, actor: ids[err.rank]!, rank: err.rank });

    // A user-defined error class, on a slice (cast rank 0 is mesh rank 1).
    const one = mesh.slice({ gpus: 1 });
    await assert.rejects(one.failCustom.callOne('s7'), (e) =>
      assertRemote(e, {
        endpoint: 'failCustom',
        actor: ids[1]!,
        rank: 0,
        name: 'ShardMissingError',
        message: 'shard s7 is not on this member',
        fn: /loadMissingShard/,
      }),
    );
    // Through stream and choose too.
    await assert.rejects(
      (async () => {
        for await (const _ of mesh.failRange.stream(-1)) assert.fail('no member answers');
      })(),
      (e) => assertRemote(e, { ...range, message: 'shard index -1 is outside 0..7', actor: ids[(e as EndpointError).rank]!, rank: (e as EndpointError).rank }),
    );
    await assert.rejects(mesh.failRange.choose(8), (e) =>
      assertRemote(e, {
        ...range,
        message: 'shard index 8 is outside 0..7',
        actor: ids.find((id) => id === (e as EndpointError).actor) ?? 'a member of the mesh',
        rank: 0,
      }),
    );

    // The members keep running.
    assert.deepEqual((await mesh.times.call(2)).values(), [2000, 2001]);
    assert.deepEqual((await mesh.failRange.call(5)).values(), [5, 5]);
  });
}
