import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localMesh, TestActor } from './_cast-fixture.js';
import { HEADER } from '../../src/mailbox/envelope.js';
import { CastUndeliverableError } from '../../src/mesh/supervision.js';

test('a cast delivery that bounces comes back to the original sender with a Multicast error', async () => {
  const { mesh, client, procs } = await localMesh({ hosts: 1, gpus: 3 }, TestActor, { tag: 't' });
  const victim = mesh.get(1).actorId;
  await procs[1]!.stopActor(victim);
  mesh.record.broadcast(7);
  const env = await client.undeliverables!.recv(30_000);
  assert.equal(String(env.dest.actor), String(victim));
  assert.equal(env.sender.key, client.self.key);
  assert.equal(env.error?.kind, 'Multicast');
  assert.match(env.error!.message, /undeliverable/);
  assert.ok(env.headers.has(HEADER.CAST_POINT));
  // The other members got the cast; the comm actors are still running.
  assert.deepEqual(await mesh.slice({ gpus: 0 }).getLog.callOne(), [7]);
  assert.deepEqual(await mesh.slice({ gpus: 2 }).getLog.callOne(), [7]);
  await mesh.stop();
});

test('calling an endpoint the actors do not have fails fast with CastUndeliverableError', async () => {
  const { mesh } = await localMesh({ hosts: 1, gpus: 2 }, TestActor, { tag: 't' });
  // A call timeout far longer than the test's own: the call must end on the bounce, not on it.
  const nope = (mesh as unknown as Record<string, { withOptions(o: { timeoutMs: number }): { call(): Promise<unknown> } }>)['noSuchEndpoint']!.withOptions({
    timeoutMs: 600_000,
  });
  await assert.rejects(nope.call(), (e: unknown) => {
    assert.ok(e instanceof CastUndeliverableError);
    assert.equal(e.typeName, 'ep:noSuchEndpoint');
    assert.match(e.message, /port not bound/);
    return true;
  });
  // The mesh is still healthy.
  assert.deepEqual((await mesh.times.call(1)).values(), [1, 2]);
  await mesh.stop();
});
