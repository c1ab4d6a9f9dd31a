// Pins docs/architecture.md MB-3 (undeliverables return to the sender), ACT-3 (late ask replies
// dropped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Actor, type Handlers, type Context, type ActorRef, PortRef, OncePortRef } from '../../src/actor/index.js';
import { UndeliverableMessageError, type MessageEnvelope } from '../../src/mailbox/index.js';
import { testProc, within, sleep } from './_helpers.js';

type SinkMsg = { type: 'hello'; n: number } | { type: 'ping'; reply: OncePortRef<string> };
class Sink extends Actor<void, SinkMsg> {
  static typeName = 'test::Sink';
  got: number[] = [];
  readonly handlers: Handlers<SinkMsg> = {
    hello: (_cx, m) => {
      this.got.push(m.n);
    },
    ping: (cx, m) => m.reply.send(cx, 'pong'),
  };
}

type SenderMsg =
  | { type: 'sendTo'; target: ActorRef<Sink> }
  | { type: 'sendToQuietly'; target: ActorRef<Sink> }
  | { type: 'sendVia'; port: PortRef<Extract<SinkMsg, { type: 'hello' }>> }
  | { type: 'tick' };
class Sender extends Actor<{ tolerate: boolean }, SenderMsg> {
  static typeName = 'test::Sender';
  ticks = 0;
  returned: MessageEnvelope[] = [];
  tolerate: boolean;
  constructor(p: { tolerate: boolean }) {
    super();
    this.tolerate = p.tolerate;
  }
  readonly handlers: Handlers<SenderMsg> = {
    sendTo: (cx: Context, m) => m.target.send(cx, { type: 'hello', n: 1 }),
    sendToQuietly: (cx: Context, m) => m.target.send(cx, { type: 'hello', n: 1 }, { returnUndeliverable: false }),
    sendVia: (cx: Context, m) => m.port.send(cx, { type: 'hello', n: 2 }),
    tick: () => {
      this.ticks++;
    },
  };
  override handleUndeliverable(cx: Context, env: MessageEnvelope): void | Promise<void> {
    this.returned.push(env);
    if (!this.tolerate) return super.handleUndeliverable(cx, env);
  }
}

test('a message to a stopped actor comes back and fails the sender with DeliveryFailure', async () => {
  const { proc, nextEvent } = testProc();
  const sink = await proc.spawn('sink', Sink, undefined);
  const sender = await proc.spawn('sender', Sender, { tolerate: false });
  await sink.stop();
  sender.send({ type: 'sendTo', target: sink.bind() });
  const ev = await within(nextEvent(), 30_000, 'supervision event');
  assert.ok(ev.actorId.equals(sender.actorId));
  assert.ok(ev.status.kind === 'Failed');
  const cause = ev.status.error.cause;
  assert.ok(cause instanceof UndeliverableMessageError, `cause is ${cause}`);
  assert.equal(cause.variant, 'DeliveryFailure');
  assert.match(
    ev.status.error.message,
    new RegExp(`^a message from ${escape(String(sender.actorId))} to ${escape(String(sink.actorId))}\\[\\d+<hello>\\] was undeliverable and returned`),
  );
  assert.equal((await sender.wait()).kind, 'Failed');
});

test('a message sent with returnUndeliverable off to a stopped actor does not fail the sender', async () => {
  const { proc, events } = testProc();
  const sink = await proc.spawn('sink', Sink, undefined);
  const sender = await proc.spawn('sender', Sender, { tolerate: false });
  const port = sink.bind().port('hello').withReturnUndeliverable(false);
  await sink.stop();
  sender.send({ type: 'sendVia', port });
  sender.send({ type: 'sendToQuietly', target: sink.bind() });
  sender.send({ type: 'tick' });
  await sleep(20);
  sender.send({ type: 'tick' });
  await within(sender.drainAndStop(), 30_000, 'drain');
  assert.equal(sender.actor.ticks, 2);
  assert.equal(sender.actor.returned.length, 0);
  assert.equal(events.length, 0);
  assert.equal(sender.status.kind, 'Stopped');
});

test('an actor that overrides handleUndeliverable survives and sees the delivery error', async () => {
  const { proc, events } = testProc();
  const sink = await proc.spawn('sink', Sink, undefined);
  const sender = await proc.spawn('sender', Sender, { tolerate: true });
  await sink.stop();
  sender.send({ type: 'sendTo', target: sink.bind() });
  await within(
    (async () => {
      while (sender.actor.returned.length === 0) await sleep(1);
    })(),
    30_000,
    'return',
  );
  const env = sender.actor.returned[0]!;
  assert.equal(env.errors[0]!.kind, 'Unroutable');
  assert.ok(env.dest.actor.equals(sink.actorId));
  assert.equal(events.length, 0);
  assert.notEqual(sender.status.kind, 'Failed');
  await proc.destroyAndWait(1000);
});

test('undeliverables returned to a client instance are queued on its undeliverables receiver', async () => {
  const { proc } = testProc();
  const sink = await proc.spawn('sink', Sink, undefined);
  const client = proc.instance('client');
  await sink.stop();
  sink.bind().send(client, { type: 'hello', n: 3 });
  const env = await within(client.undeliverables!.recv(), 30_000, 'client undeliverable');
  assert.equal(env.typeName, 'hello');
  assert.equal(env.errors.length, 1);
});

test('an ask to a stopped actor rejects with a typed TimeoutError instead of hanging', async () => {
  const { proc } = testProc();
  const sink = await proc.spawn('sink', Sink, undefined);
  const client = proc.instance('client');
  assert.equal(await sink.bind().ask(client, { type: 'ping' }, { timeoutMs: 30_000 }), 'pong');
  await sink.stop();
  await assert.rejects(sink.bind().ask(client, { type: 'ping' }, { timeoutMs: 30 }), (e: Error & { variant?: string }) => {
    assert.equal(e.name, 'TimeoutError');
    assert.equal(e.variant, 'Timeout');
    return true;
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type SlowMsg = { type: 'slowPing'; ms: number; reply: OncePortRef<string> };
class Slow extends Actor<void, SlowMsg> {
  static typeName = 'test::Slow';
  replied = 0;
  readonly handlers: Handlers<SlowMsg> = {
    slowPing: async (cx, m) => {
      await sleep(m.ms);
      m.reply.send(cx, 'late');
      this.replied++;
    },
  };
}

test('a reply that arrives after the ask timed out is dropped and does not fail the replying actor', async () => {
  const { proc, events } = testProc();
  const s = await proc.spawn('slow', Slow, undefined);
  const client = proc.instance('client');
  await assert.rejects(s.bind().ask(client, { type: 'slowPing', ms: 40 }, { timeoutMs: 10 }), /timed out/);
  await within(
    (async () => {
      while (s.actor.replied === 0) await sleep(2);
    })(),
  );
  await sleep(10);
  assert.equal(s.status.kind === 'Idle' || s.status.kind === 'Processing', true, `status ${s.status.kind}`);
  assert.equal(events.length, 0);
  assert.equal(client.undeliverables!.tryRecv(), undefined);
});
