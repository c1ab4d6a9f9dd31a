import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Actor, type Handlers, type Context, PortRef, OncePortRef, ActorRef } from '../../src/actor/index.js';
import { Accumulators, splitPort, statusAccumulator, STATUS_OVERLAY_REDUCER, encodePayload, decodePayload } from '../../src/mailbox/index.js';
import { Extent, Region } from '../../src/ndslice/index.js';
import { Status, StatusOverlay } from '../../src/valuemesh/index.js';
import { testProc, within } from './_helpers.js';

type WorkerMsg = { type: 'report'; to: PortRef<number>; values: number[] } | { type: 'status'; to: PortRef<StatusOverlay>; rank: number; failed?: string };
class Worker extends Actor<void, WorkerMsg> {
  static typeName = 'test::ports::Worker';
  readonly handlers: Handlers<WorkerMsg> = {
    report: (cx: Context, m) => {
      for (const v of m.values) m.to.send(cx, v);
    },
    status: (cx: Context, m) => m.to.send(cx, StatusOverlay.single(m.rank, m.failed ? Status.failed(m.failed) : Status.Running)),
  };
}

test('a PortRef inside a message is extracted as a binding and arrives as a working PortRef with its reducer spec', async () => {
  const { proc } = testProc();
  const client = proc.instance('client');
  const [h] = client.openAccumPort(Accumulators.sum<number>());
  const ref = h.bind();
  assert.deepEqual(ref.reducerSpec, { name: 'sum' });
  const p = encodePayload({ type: 'report', to: ref, values: [1] }, 'report');
  assert.equal(p.bindings.length, 1);
  assert.equal(p.bindings[0]!.tag, 'PortRef');
  const back = decodePayload(p.data, p.bindings, 'report') as { to: PortRef<number> };
  assert.ok(back.to instanceof PortRef);
  assert.ok(back.to.portId.equals(ref.portId));
  assert.deepEqual(back.to.reducerSpec, { name: 'sum' });
  const once = new OncePortRef<number>(ref.portId);
  const q = encodePayload({ r: once, a: new ActorRef(client.self) }, 'x');
  assert.equal(q.bindings.length, 0, 'once ports and actor refs are never split');
  const qb = decodePayload(q.data, q.bindings, 'x') as { r: OncePortRef<number>; a: ActorRef<any> };
  assert.ok(qb.r instanceof OncePortRef && qb.a instanceof ActorRef && qb.a.actorId.equals(client.self));
});

test('an accumulating port fed by an actor through a serialized PortRef yields only the newest sum', async () => {
  const { proc } = testProc();
  const w = await proc.spawn('w', Worker, undefined);
  const client = proc.instance('client');
  const [h, rx] = client.openAccumPort(Accumulators.max<number>());
  w.bind().send(client, { type: 'report', to: h.bind(), values: [4, 8, 1, 3] });
  await within(w.drainAndStop());
  assert.equal(await within(rx.recv()), 8);
  assert.equal(rx.tryRecv(), undefined);
});

test('status overlays from actors accumulate into a status state whose NotExist count reaches zero', async () => {
  const { proc } = testProc();
  const region = Region.fromExtent(Extent.of([['replica', 4]]));
  const client = proc.instance('client');
  const [h, rx] = client.openAccumPort(statusAccumulator(region));
  assert.deepEqual(h.bind().reducerSpec, { name: STATUS_OVERLAY_REDUCER });
  const ws = await Promise.all([0, 1, 2, 3].map((i) => proc.spawn(`w${i}`, Worker, undefined)));
  ws.forEach((w, i) => w.bind().send(client, { type: 'status', to: h.bind(), rank: i, failed: i === 2 ? 'boom' : undefined }));
  let state = await within(rx.recv());
  while (!state.isComplete()) state = await within(rx.recv());
  assert.equal(state.countNotExist(), 0);
  assert.equal(state.get(2)!.kind, 'Failed');
  assert.equal(state.get(3)!.kind, 'Running');
  state.dispose();
});

test('a split port with the status-overlay reducer pre-reduces overlays right-wins', async () => {
  const { proc } = testProc();
  const region = Region.fromExtent(Extent.of([['replica', 5]]));
  const client = proc.instance('client');
  const relay = proc.instance('relay');
  const [h, rx] = client.openAccumPort(statusAccumulator(region));
  const split = splitPort(relay.mailbox, h.portId, { reducer: { name: STATUS_OVERLAY_REDUCER } });
  const splitRef = new PortRef<StatusOverlay>(split, 'accum');
  const w = await proc.spawn('w', Worker, undefined);
  for (let r = 0; r < 5; r++) w.bind().send(client, { type: 'status', to: splitRef, rank: r });
  const state = await within(rx.recv());
  assert.equal(state.updates, 1, 'five overlays arrived as one reduced update');
  assert.ok(state.isComplete());
  state.dispose();
  await proc.destroyAndWait(500);
});

class HeaderProbe extends Actor<void, { type: 'probe' }> {
  static typeName = 'test::ports::HeaderProbe';
  seen: Array<Uint8Array | undefined> = [];
  readonly handlers: Handlers<{ type: 'probe' }> = {
    probe: (cx: Context) => {
      this.seen.push(cx.headers.get('x'));
    },
  };
}

test('a handler sees the headers of the envelope it is handling', async () => {
  const { proc } = testProc();
  const client = proc.instance('client');
  const a = await proc.spawn('probe', HeaderProbe, undefined);
  a.bind().send(client, { type: 'probe' }, { headers: new Map([['x', new Uint8Array([7])]]) });
  a.bind().send(client, { type: 'probe' });
  await within(a.drainAndStop());
  assert.deepEqual(a.actor.seen, [new Uint8Array([7]), undefined]);
});

test('a contramapped port maps local messages into the original port', async () => {
  const { proc } = testProc();
  const client = proc.instance('client');
  const [h, rx] = client.openPort<number>();
  const lengths = h.contramap((s: string) => s.length);
  lengths.sendLocal('four');
  h.send(7);
  assert.deepEqual([await rx.recv(), await rx.recv()], [4, 7]);
});
