// Pins docs/architecture.md ACT-1 (handlers one at a time, in arrival order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Actor, type Handlers, type Context, OncePortRef, type ActorRef } from '../../src/actor/index.js';
import { testProc, within, sleep } from './_helpers.js';

type LogMsg = { type: 'rec'; sender: number; seq: number } | { type: 'slow'; id: number; ms: number } | { type: 'count'; reply: OncePortRef<number> };

class Recorder extends Actor<void, LogMsg> {
  static typeName = 'test::Recorder';
  log: Array<[number, number]> = [];
  events: string[] = [];
  active = 0;
  maxActive = 0;
  readonly handlers: Handlers<LogMsg> = {
    rec: (_cx, m) => {
      this.log.push([m.sender, m.seq]);
    },
    slow: async (_cx, m) => {
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      this.events.push(`start ${m.id}`);
      await sleep(m.ms);
      this.events.push(`end ${m.id}`);
      this.active--;
    },
    count: (cx, m) => m.reply.send(cx, this.log.length),
  };
}

type SenderMsg = { type: 'blast'; target: ActorRef<Recorder>; id: number; n: number };
class Blaster extends Actor<void, SenderMsg> {
  static typeName = 'test::Blaster';
  readonly handlers: Handlers<SenderMsg> = {
    blast: (cx: Context, m) => {
      for (let i = 0; i < m.n; i++) m.target.send(cx, { type: 'rec', sender: m.id, seq: i });
    },
  };
}

test('messages from each sender arrive in send order under load (serialized path, 4 senders x 5000)', async () => {
  const { proc } = testProc();
  const rec = await proc.spawn('rec', Recorder, undefined);
  const senders = await Promise.all([0, 1, 2, 3].map((i) => proc.spawn(`blaster${i}`, Blaster, undefined)));
  const client = proc.instance('client');
  const N = 5000;
  senders.forEach((s, i) => s.bind().send(client, { type: 'blast', target: rec.bind(), id: i, n: N }));
  // Interleave a client sender too.
  for (let i = 0; i < N; i++) rec.bind().send(client, { type: 'rec', sender: 99, seq: i });
  for (;;) {
    const n = await within(rec.bind().ask(client, { type: 'count' }), 30_000, 'count');
    if (n === 5 * N) break;
    await sleep(5);
  }
  const bySender = new Map<number, number[]>();
  for (const [s, q] of rec.actor.log) {
    if (!bySender.has(s)) bySender.set(s, []);
    bySender.get(s)!.push(q);
  }
  assert.equal(bySender.size, 5);
  for (const [s, seqs] of bySender) {
    assert.equal(seqs.length, N, `sender ${s} count`);
    for (let i = 0; i < N; i++) if (seqs[i] !== i) assert.fail(`sender ${s}: position ${i} holds seq ${seqs[i]}`);
  }
  await proc.destroyAndWait(1000);
});

test('local handle sends and ref sends from one sender keep their relative order', async () => {
  const { proc } = testProc();
  const rec = await proc.spawn('rec', Recorder, undefined);
  for (let i = 0; i < 1000; i++) rec.send({ type: 'rec', sender: 1, seq: i });
  await within(rec.drainAndStop(), 30_000, 'drain');
  assert.deepEqual(
    rec.actor.log.map(([, q]) => q),
    Array.from({ length: 1000 }, (_, i) => i),
  );
});

test('async handlers run strictly one at a time, in arrival order', async () => {
  const { proc } = testProc();
  const rec = await proc.spawn('rec', Recorder, undefined);
  const client = proc.instance('client');
  rec.send({ type: 'slow', id: 1, ms: 30 });
  rec.bind().send(client, { type: 'slow', id: 2, ms: 5 });
  rec.send({ type: 'slow', id: 3, ms: 15 });
  rec.send({ type: 'slow', id: 4, ms: 0 });
  await within(rec.drainAndStop(), 30_000, 'drain');
  assert.equal(rec.actor.maxActive, 1);
  assert.deepEqual(rec.actor.events, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4']);
});

type PingMsg = { type: 'ping'; peer: import('../../src/actor/index.js').ActorHandle<Pinger>; n: number };
class Pinger extends Actor<void, PingMsg> {
  static typeName = 'test::Pinger';
  count = 0;
  readonly handlers: Handlers<PingMsg> = {
    ping: (_cx, m) => {
      this.count++;
      m.peer.send({ type: 'ping', peer: this.self!, n: m.n + 1 });
    },
  };
  self: import('../../src/actor/index.js').ActorHandle<Pinger> | undefined;
}

test('actors ping-ponging forever do not starve timers or I/O', async () => {
  const { proc } = testProc();
  const a = await proc.spawn('a', Pinger, undefined);
  const b = await proc.spawn('b', Pinger, undefined);
  a.actor.self = a;
  b.actor.self = b;
  a.send({ type: 'ping', peer: b, n: 0 });
  await within(sleep(20), 30_000, 'a 20 ms timer while actors ping-pong');
  assert.ok(a.actor.count + b.actor.count > 100, `exchanged ${a.actor.count + b.actor.count}`);
  await within(Promise.all([a.stop(), b.stop()]));
});
