// Pins docs/architecture.md MESH-2 (tree casts in stream order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localMesh, TestActor } from './_cast-fixture.js';
import { castBody } from '../../src/mesh/cast.js';
import { RoutingFrame } from '../../src/selection/routing.js';
import { Selection } from '../../src/selection/selection.js';
import { ActorId, PortId } from '../../src/core/ids.js';
import { portIndexOf } from '../../src/core/typeinfo.js';
import { endpointMessage, MODE_NONE } from '../../src/mesh/endpoint.js';

test('100 casts on one stream arrive in order at every actor', async () => {
  const { mesh, members } = await localMesh({ hosts: 2, gpus: 4 }, TestActor, { tag: 't' });
  for (let i = 0; i < 100; i++) mesh.record.broadcast(i);
  const logs = (await mesh.getLog.call()).values();
  const expected = Array.from({ length: 100 }, (_, i) => i);
  for (const l of logs) assert.deepEqual(l, expected);
  assert.equal(members.length, 8);
  await mesh.stop();
});

for (const viaRootComm of [false, true]) {
  test(`casts to slices that skip comm nodes keep per-stream order at every actor (${viaRootComm ? 'root comm actor numbers the stream' : 'the sender numbers the stream'})`, async () => {
    const { mesh, comms } = await localMesh({ hosts: 3, gpus: 4 }, TestActor, { tag: 't' }, { viaRootComm });
    // Rotate through slices that skip whole hosts, strided gpus and single members.
    const slices = [mesh, mesh.slice({ hosts: [1, 3] }), mesh.slice({ gpus: [1, 4, 2] }), mesh.slice({ hosts: 2, gpus: 3 }), mesh.slice({ hosts: [0, 3, 2] })];
    const expected: number[][] = Array.from({ length: 12 }, () => []);
    for (let i = 0; i < 100; i++) {
      const s = slices[i % slices.length]!;
      s.record.broadcast(i);
      for (const b of s.region.slice.iter()) expected[b]!.push(i);
    }
    const logs = (await mesh.getLog.call()).values();
    assert.deepEqual(logs, expected);
    assert.equal(
      comms.reduce((a, c) => a + c.stats.duplicates, 0),
      0,
    );
    await mesh.stop();
  });
}

test('a comm actor reorders forwards by seq and last_seq and drops duplicates', async () => {
  // Casts through the root comm actor, so the client's getLog below queues behind the injected
  // forwards at comm 0.
  const { mesh, client, comms, members } = await localMesh({ hosts: 1, gpus: 2 }, TestActor, { tag: 't' }, { viaRootComm: true });
  const target = mesh.target();
  const root = RoutingFrame.root(Selection.fromJSON(Selection.true_().toJSON()), target.root.slice);
  // Another stream than the client's own casts (same mesh, a different originating sender).
  const injector = new ActorId(client.self.proc, 'injector', 0);
  const body = (i: number) => ({ ...castBody(client, target, endpointMessage('record', [i], MODE_NONE, null)), sender: injector });
  const fwd = (seq: number, lastSeq: number, i: number) =>
    client.mailbox.sendMessage(new PortId(target.rootComm!, portIndexOf('comm.forward')), 'comm.forward', {
      type: 'comm.forward',
      from: 0,
      seq,
      lastSeq,
      frames: [root.toJSON()],
      body: body(i),
    });
  fwd(3, 2, 30);
  fwd(2, 1, 20);
  fwd(1, 0, 10);
  fwd(2, 1, 99); // duplicate
  const logs = (await mesh.getLog.call()).values();
  assert.deepEqual(logs, [
    [10, 20, 30],
    [10, 20, 30],
  ]);
  assert.equal(comms[0]!.stats.buffered, 2);
  assert.equal(comms[0]!.stats.duplicates, 1);
  assert.equal(members[1]!.log.length, 3);
  await mesh.stop();
});

test('casts sent before the comm actors are configured are queued and delivered in order', async () => {
  const { mesh, comms } = await localMesh({ hosts: 2, gpus: 2 }, TestActor, { tag: 't' }, { configureLate: true });
  assert.equal(comms[0]!.configured, false);
  for (let i = 0; i < 10; i++) mesh.record.broadcast(i);
  const logs = (await mesh.getLog.call()).values();
  for (const l of logs) assert.deepEqual(l, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(comms[0]!.configured, true);
  await mesh.stop();
});

test('malformed casts and forwards are dropped without failing the comm actor or stalling the stream', async () => {
  const { mesh, client, comms } = await localMesh({ hosts: 1, gpus: 2 }, TestActor, { tag: 't' }, { viaRootComm: true });
  const target = mesh.target();
  const root = RoutingFrame.root(Selection.fromJSON(Selection.true_().toJSON()), target.root.slice);
  const injector = new ActorId(client.self.proc, 'injector', 0);
  const body = (i: number) => ({ ...castBody(client, target, endpointMessage('record', [i], MODE_NONE, null)), sender: injector });
  const send = (type: string, m: object) => client.mailbox.sendMessage(new PortId(target.rootComm!, portIndexOf(type)), type, { type, ...m });
  const err = console.error;
  console.error = () => {};
  try {
    send('comm.forward', { from: 0, seq: 1, lastSeq: 0, frames: [{ here: [9, 9], dim: 7 }], body: body(1) }); // bad frame, seq 1
    send('comm.forward', { from: 0, seq: 2, lastSeq: 1, frames: [root.toJSON()], body: body(2) });
    send('comm.forward', { from: 0, seq: 'x', lastSeq: 0, frames: [], body: body(3) }); // bad seq
    send('comm.cast', { body: 5, selection: {} }); // bad body
    mesh.record.broadcast(4);
    const logs = (await mesh.getLog.call()).values();
    assert.deepEqual(logs, [
      [2, 4],
      [2, 4],
    ]);
    assert.equal(comms[0]!.stats.rejected, 3);
  } finally {
    console.error = err;
  }
  await mesh.stop();
});
