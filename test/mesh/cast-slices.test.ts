import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localMesh, TestActor } from './_cast-fixture.js';
import { EndpointError, EndpointUsageError } from '../../src/mesh/endpoint.js';
import { InvalidMeshArgument } from '../../src/mesh/errors.js';
import { ActormeshError } from '../../src/base/errors.js';

test('a cast to the whole mesh reaches every member once with its own rank and the client as sender', async () => {
  const { mesh, client } = await localMesh({ hosts: 2, gpus: 4 }, TestActor, { tag: 't' });
  const vm = await mesh.info.call();
  assert.equal(vm.numRanks, 8);
  const infos = vm.values();
  assert.equal(new Set(infos.map((i) => i.self)).size, 8);
  infos.forEach((info, r) => {
    assert.equal(info.castRank, r);
    assert.equal(info.meshRank, r);
    assert.deepEqual(info.castLabels, ['hosts', 'gpus']);
    assert.equal(info.sender, client.self.key);
  });
  assert.deepEqual(
    mesh.actorIds().map(String),
    infos.map((i) => i.self),
  );
  await mesh.stop();
});

test('a cast to a slice rebinds ranks to the slice while members keep their mesh rank', async () => {
  const { mesh } = await localMesh({ hosts: 2, gpus: 4 }, TestActor, { tag: 't' });
  const host1 = mesh.slice({ hosts: 1 });
  assert.equal(host1.size, 4);
  const a = (await host1.info.call()).values();
  assert.deepEqual(
    a.map((i) => i.castRank),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    a.map((i) => i.meshRank),
    [4, 5, 6, 7],
  );
  assert.deepEqual(a[0]!.castLabels, ['gpus']);

  const strided = mesh.slice({ gpus: [1, 4, 2] });
  assert.deepEqual(strided.sizes, { hosts: 2, gpus: 2 });
  const b = (await strided.info.call()).values();
  assert.deepEqual(
    b.map((i) => i.castRank),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    b.map((i) => i.meshRank),
    [1, 3, 5, 7],
  );

  const nested = strided.slice({ hosts: [1, 2] });
  const c = (await nested.times.call(10)).values();
  assert.deepEqual(c, [60, 80]);
  await mesh.stop();
});

test('several actors per proc form an innermost dimension that slices like any other', async () => {
  const { mesh } = await localMesh({ procs: 3 }, TestActor, { tag: 't' }, { perProc: 4 });
  assert.deepEqual(mesh.sizes, { procs: 3, actors: 4 });
  const all = (await mesh.info.call()).values();
  assert.equal(new Set(all.map((i) => i.self)).size, 12);
  const odd = mesh.slice({ actors: [1, 4, 2] });
  const v = (await odd.info.call()).values();
  assert.deepEqual(
    v.map((i) => i.meshRank),
    [1, 3, 5, 7, 9, 11],
  );
  assert.deepEqual(
    v.map((i) => i.castRank),
    [0, 1, 2, 3, 4, 5],
  );
  await mesh.stop();
});

test('choose calls exactly one random member and reports its rank in a 0-d region', async () => {
  const { mesh } = await localMesh({ replicas: 6 }, TestActor, { tag: 't' });
  const seen = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const info = await mesh.info.choose();
    assert.equal(info.castRank, 0);
    assert.deepEqual(info.castLabels, []);
    seen.add(info.meshRank);
  }
  assert.ok(seen.size >= 3, `choose should spread over members, saw ${[...seen]}`);
  for (const r of seen) assert.ok(r >= 0 && r < 6);
  await mesh.stop();
});

test("callOne needs a one-member mesh and returns that member's result", async () => {
  const { mesh } = await localMesh({ hosts: 2, gpus: 2 }, TestActor, { tag: 't' });
  assert.equal(await mesh.slice({ hosts: 1, gpus: 0 }).times.callOne(5), 15);
  await assert.rejects(mesh.times.callOne(5), (e: unknown) => e instanceof EndpointUsageError && /exactly one actor/.test((e as Error).message));
  await mesh.stop();
});

test("stream yields every member's result with its point as it arrives", async () => {
  const { mesh } = await localMesh({ hosts: 2, gpus: 2 }, TestActor, { tag: 't' });
  const got: Array<[number, number]> = [];
  for await (const [p, v] of mesh.slow.stream(5)) got.push([p.rank, v]);
  assert.equal(got.length, 4);
  assert.deepEqual(got.map(([r]) => r).sort(), [0, 1, 2, 3]);
  for (const [r, v] of got) assert.equal(v, r);
  await mesh.stop();
});

test('an endpoint that throws rejects the call with an EndpointError naming the actor and rank', async () => {
  const { mesh } = await localMesh({ hosts: 1, gpus: 3 }, TestActor, { tag: 't' });
  await assert.rejects(mesh.slice({ gpus: 2 }).boom.call('bad input'), (e: unknown) => {
    assert.ok(e instanceof EndpointError);
    assert.equal(e.rank, 0);
    assert.match(e.message, /bad input/);
    assert.match(e.actor, /mesh\d+\[0\]/);
    return true;
  });
  // The actor keeps running.
  assert.deepEqual((await mesh.times.call(1)).values(), [1, 2, 3]);
  await mesh.stop();
});

test('slicing with an unknown dimension or a bad index is rejected with a typed error', async () => {
  const { mesh } = await localMesh({ hosts: 2, gpus: 2 }, TestActor, { tag: 't' });
  assert.throws(
    () => mesh.slice({ gpu: 0 }),
    (e: unknown) => e instanceof InvalidMeshArgument && /unknown dimension 'gpu'.*hosts, gpus/.test((e as Error).message),
  );
  assert.throws(
    () => mesh.slice({ gpus: 5 }),
    (e: unknown) => e instanceof ActormeshError,
  );
  assert.throws(() => mesh.slice({ gpus: 'x' as unknown as number }), InvalidMeshArgument);
  assert.throws(
    () => mesh.get(9),
    (e: unknown) => e instanceof ActormeshError,
  );
  await mesh.stop();
});

test('a mesh ref sent in a message can be bound by an actor and cast to from inside the mesh', async () => {
  const { mesh } = await localMesh({ hosts: 1, gpus: 4 }, TestActor, { tag: 't' });
  const target = mesh.slice({ gpus: [1, 4, 2] });
  assert.equal(await mesh.slice({ gpus: 0 }).relay.callOne(target, 42), 2);
  // The relayed cast is on the relaying actor's stream; wait until it landed.
  for (let i = 0; i < 50; i++) {
    const logs = (await mesh.getLog.call()).values();
    if (logs[1]!.length > 0 && logs[3]!.length > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual((await mesh.getLog.call()).values(), [[], [42], [], [42]]);
  await mesh.stop();
});
