// Pins docs/architecture.md MB-2 (TTL per hop), MB-3 (undeliverables return to the sender).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcId, WorldId, parseActorId, parseReference } from '../../src/core/ids.js';
import {
  Mailbox,
  MailboxMuxer,
  MailboxRouter,
  DialMailboxRouter,
  QueueingSender,
  MessageEnvelope,
  BaseMailboxSender,
  type MailboxSender,
  type ReturnHandle,
  encodePayload,
  decodePayload,
  returnHandleOf,
  bounceEnvelope,
  decodeBounced,
  remoteReturnHandle,
  UNDELIVERABLE_PORT,
} from '../../src/mailbox/index.js';

/** A real sender that records what reaches it (a terminal hop). */
class Collect extends BaseMailboxSender {
  got: MessageEnvelope[] = [];
  constructor(readonly name = 'collect') {
    super();
  }
  postUnchecked(env: MessageEnvelope): void {
    this.got.push(env);
  }
}
function env(dest: string, value: unknown = 1, ttl?: number): MessageEnvelope {
  const p = encodePayload(value, 'v');
  const e = MessageEnvelope.of({ sender: parseActorId('client[0].me[0]'), dest: parseActorId(dest).port(7), data: p.data, typeName: 'v' });
  if (ttl !== undefined) e.ttl = ttl;
  return e;
}
function returns(): { rh: ReturnHandle; got: MessageEnvelope[] } {
  const got: MessageEnvelope[] = [];
  return { rh: returnHandleOf((e) => got.push(e)), got };
}

test('the muxer delivers by exact actor id and returns unknown actors as Unroutable', () => {
  const mux = new MailboxMuxer();
  const a = new Collect();
  assert.equal(mux.bind(parseActorId('w[0].a[0]'), a), true);
  assert.equal(mux.bind(parseActorId('w[0].a[0]'), a), false);
  const { rh, got } = returns();
  mux.post(env('w[0].a[0]'), rh);
  mux.post(env('w[0].b[0]'), rh);
  assert.equal(a.got.length, 1);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.errors[0]!.kind, 'Unroutable');
});

test('the prefix router picks the longest matching prefix, then the fallback, else Unroutable', () => {
  const world = new Collect('world');
  const proc1 = new Collect('proc1');
  const actor = new Collect('actor');
  const fallback = new Collect('fallback');
  const r = new MailboxRouter();
  r.bind(new WorldId('w'), world);
  r.bind(ProcId.ranked('w', 1), proc1);
  r.bind(parseActorId('w[1].special[0]'), actor);
  const { rh, got } = returns();
  r.post(env('w[0].x[0]'), rh);
  r.post(env('w[1].x[0]'), rh);
  r.post(env('w[1].special[0]'), rh);
  r.post(env('w[2].x[0]'), rh);
  r.post(env('v[0].x[0]'), rh);
  assert.deepEqual([world.got.length, proc1.got.length, actor.got.length], [2, 1, 1]);
  assert.equal(got.length, 1, 'no route and no fallback: Unroutable');
  assert.equal(got[0]!.errors[0]!.kind, 'Unroutable');
  r.fallback = fallback;
  r.post(env('v[0].x[0]'), rh);
  assert.equal(fallback.got.length, 1);
});

test('router prefixes() lists only covering prefixes', () => {
  const r = new MailboxRouter();
  assert.deepEqual(r.prefixes(), []);
  const s = new Collect();
  for (const ref of ['w[1]', 'w', 'w[2].a[0]', 'v[0]', 'v[0].x[0]', 'u[3]']) r.bind(parseReference(ref), s);
  assert.deepEqual(r.prefixes().map(String), ['u[3]', 'v[0]', 'w']);
});

test('DialMailboxRouter: longest-prefix address book, one client per address, explicit binding beats the embedded address, unbind by prefix', () => {
  const dialed: string[] = [];
  const clients = new Map<string, Collect>();
  const router = new DialMailboxRouter({
    dialer: (addr) => {
      dialed.push(addr);
      const c = new Collect(addr);
      clients.set(addr, c);
      return c;
    },
  });
  router.bind(new WorldId('w'), 'unix:/tmp/w.sock');
  router.bind(ProcId.ranked('w', 1), 'unix:/tmp/w1.sock');
  const { rh, got } = returns();
  for (let i = 0; i < 3; i++) router.post(env('w[0].a[0]', i), rh);
  router.post(env('w[1].a[0]'), rh);
  assert.deepEqual(dialed, ['unix:/tmp/w.sock', 'unix:/tmp/w1.sock']);
  assert.equal(clients.get('unix:/tmp/w.sock')!.got.length, 3);
  assert.deepEqual(
    clients.get('unix:/tmp/w.sock')!.got.map((e) => decodePayload(e.data, [], 'v')),
    [0, 1, 2],
  );
  // Direct proc ids are dialed at their embedded address unless bound explicitly.
  router.post(env('tcp:127.0.0.1:9000,p,a[0]'), rh);
  assert.equal(dialed.at(-1), 'tcp:127.0.0.1:9000');
  router.bind(ProcId.direct('tcp:127.0.0.1:9000', 'p'), 'unix:/tmp/backend.sock');
  router.post(env('tcp:127.0.0.1:9000,p,a[0]'), rh);
  assert.equal(dialed.at(-1), 'unix:/tmp/backend.sock');
  // Unbinding the world removes its procs too; unknown ranked destinations are Unroutable.
  router.unbind(new WorldId('w'));
  assert.equal(router.lookup(parseActorId('w[1].a[0]')), undefined);
  router.post(env('w[1].a[0]'), rh);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.errors[0]!.kind, 'Unroutable');
  assert.equal(router.clientCount, 2, 'evicted the clients of removed addresses');
});

test('the queueing sender holds posts until configured, then delivers in order; a second configure is refused', () => {
  const q = new QueueingSender();
  const target = new Collect();
  const { rh } = returns();
  for (const v of [5, 6]) q.post(env('w[0].a[0]', v), rh);
  assert.equal(target.got.length, 0);
  assert.equal(q.configure(target), true);
  for (const v of [7, 8]) q.post(env('w[0].a[0]', v), rh);
  assert.deepEqual(
    target.got.map((e) => decodePayload(e.data, [], 'v')),
    [5, 6, 7, 8],
  );
  assert.equal(q.configure(new Collect()), false);
});

test('a forwarding loop exhausts the TTL and returns the envelope with its payload intact', () => {
  const r1 = new MailboxRouter();
  const r2 = new MailboxRouter();
  r1.bind(new WorldId('w'), r2);
  r2.bind(new WorldId('w'), r1);
  const { rh, got } = returns();
  const e = env('w[0].a[0]', { big: 'payload', n: [1, 2, 3] }, 10);
  r1.post(e, rh);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.errors[0]!.kind, 'TtlExpired');
  assert.equal(got[0]!.ttl, 0);
  assert.deepEqual(decodePayload(got[0]!.data, [], 'v'), { big: 'payload', n: [1, 2, 3] });
});

test('local delivery decrements the TTL once per hop', () => {
  const mux = new MailboxMuxer();
  const mb = new Mailbox(parseActorId('w[0].a[0]'), mux);
  mux.bind(mb.actorId, mb);
  const seen: number[] = [];
  mb.bind(7n, { once: false, sink: () => seen.push(1) });
  const { rh, got } = returns();
  const e = env('w[0].a[0]', 1, 2);
  mux.post(e, rh);
  assert.deepEqual([seen.length, e.ttl, got.length], [1, 0, 0]);
  const e2 = env('w[0].a[0]', 1, 1);
  mux.post(e2, rh);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.errors[0]!.kind, 'TtlExpired');
});

test('returnUndeliverable=false drops an undeliverable envelope silently', () => {
  const r = new MailboxRouter();
  const { rh, got } = returns();
  const e = env('w[0].a[0]');
  e.returnUndeliverable = false;
  r.post(e, rh);
  assert.equal(got.length, 0);
  assert.equal(e.errors.length, 1);
});

test('a remote hop bounces an undeliverable to the sender`s undeliverable port, never bouncing a bounce', () => {
  const toSender = new Collect();
  const rh = remoteReturnHandle(toSender as MailboxSender);
  const e = env('w[0].a[0]', 'hello');
  e.returnUndeliverable = true;
  new MailboxRouter().post(e, rh);
  assert.equal(toSender.got.length, 1);
  const bounce = toSender.got[0]!;
  assert.equal(bounce.dest.index, UNDELIVERABLE_PORT);
  assert.ok(bounce.dest.actor.equals(e.sender));
  assert.equal(bounce.returnUndeliverable, false);
  const original = decodeBounced(bounce.data);
  assert.equal(original.dest.key, e.dest.key);
  assert.equal(original.errors[0]!.kind, 'Unroutable');
  assert.deepEqual(decodePayload(original.data, [], 'v'), 'hello');
  assert.deepEqual(
    decodeBounced(bounceEnvelope(original).data).errors.map((x) => x.kind),
    ['Unroutable'],
  );
});
