import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageEnvelope, encodePayload, returnHandleOf } from '../../src/mailbox/index.js';
import { MailboxMuxer } from '../../src/mailbox/routers.js';
import type { ReturnHandle } from '../../src/mailbox/sender.js';
import { testProc } from './_helpers.js';

/** An envelope from `from`'s mailbox to port 7 of `to`, with `ttl` hops left. */
function envTo(from: { self: import('../../src/core/ids.js').ActorId }, to: import('../../src/core/ids.js').ActorId, ttl: number): MessageEnvelope {
  const p = encodePayload({ n: 1 }, 'v');
  const e = MessageEnvelope.of({ sender: from.self, dest: to.port(7), data: p.data, typeName: 'v' });
  e.ttl = ttl;
  return e;
}

function returns(): { rh: ReturnHandle; got: MessageEnvelope[] } {
  const got: MessageEnvelope[] = [];
  return { rh: returnHandleOf((e) => got.push(e)), got };
}

test('same-proc delivery between mailboxes costs four TTL hops: sender mailbox, proc, muxer, destination mailbox', () => {
  const { proc } = testProc();
  const a = proc.instance('a');
  const b = proc.instance('b');
  const seen: number[] = [];
  b.mailbox.bind(7n, { once: false, sink: () => seen.push(1) });
  const { rh, got } = returns();

  const ok = envTo(a, b.self, 4);
  a.mailbox.post(ok, rh);
  assert.deepEqual([seen.length, ok.ttl, got.length], [1, 0, 0]);

  // One hop short: it fails at the destination mailbox's hop, exactly as without any shortcut.
  for (const ttl of [3, 2, 1, 0]) {
    const e = envTo(a, b.self, ttl);
    a.mailbox.post(e, rh);
    assert.equal(seen.length, 1, `ttl ${ttl} must not be delivered`);
    assert.equal(got.at(-1), e);
    assert.equal(e.errors[0]!.kind, 'TtlExpired');
    assert.equal(e.ttl, 0);
  }
  assert.equal(got.length, 4);
});

test('same-proc delivery to an unbound actor is Unroutable after the proc and muxer hops', () => {
  const { proc } = testProc();
  const a = proc.instance('a');
  const ghost = proc.id.actor('ghost', 0);
  const { rh, got } = returns();
  const e = envTo(a, ghost, 10);
  a.mailbox.post(e, rh);
  assert.equal(got.length, 1);
  assert.equal(e.errors[0]!.kind, 'Unroutable');
  assert.equal(e.ttl, 7);
});

test('a proc whose muxer routing is replaced is used hop by hop (no shortcut around overridden routing)', () => {
  const { proc } = testProc();
  const a = proc.instance('a');
  const b = proc.instance('b');
  const seen: number[] = [];
  b.mailbox.bind(7n, { once: false, sink: () => seen.push(1) });
  const mux = proc.muxer as MailboxMuxer;
  const routed: string[] = [];
  const original = mux.postUnchecked.bind(mux);
  mux.postUnchecked = (env, rh) => {
    routed.push(String(env.dest));
    original(env, rh);
  };
  const { rh, got } = returns();
  const e = envTo(a, b.self, 64);
  a.mailbox.post(e, rh);
  assert.deepEqual([routed.length, seen.length, e.ttl, got.length], [1, 1, 60, 0]);
});

test('an actor handles a long flood of serialized messages in order, then short bursts, with their headers', async () => {
  const { proc } = testProc();
  const { Actor } = await import('../../src/actor/index.js');
  type M = { type: 'n'; i: number };
  class Rec extends Actor<void, M> {
    static typeName = 'test::Rec';
    got: number[] = [];
    hdr: number[] = [];
    readonly handlers = {
      n: (cx: { headers: ReadonlyMap<string, Uint8Array> }, m: M) => {
        this.got.push(m.i);
        this.hdr.push(cx.headers.get('k')?.[0] ?? -1);
      },
    };
  }
  const h = await proc.spawn('rec', Rec, undefined);
  const client = proc.instance('client');
  const ref = h.bind();
  const N = 3000; // spans several queue chunks
  for (let i = 0; i < N; i++) ref.send(client, { type: 'n', i }, i % 7 === 0 ? { headers: new Map([['k', new Uint8Array([i % 251])]]) } : undefined);
  while (h.actor.got.length < N) await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    h.actor.got,
    Array.from({ length: N }, (_, i) => i),
  );
  assert.deepEqual(
    h.actor.hdr,
    Array.from({ length: N }, (_, i) => (i % 7 === 0 ? i % 251 : -1)),
  );
  for (let round = 0; round < 50; round++) {
    const base = h.actor.got.length;
    for (let i = 0; i < 3; i++) h.send({ type: 'n', i: round * 3 + i });
    while (h.actor.got.length < base + 3) await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(
    h.actor.got.slice(N),
    Array.from({ length: 150 }, (_, i) => i),
  );
  await proc.destroyAndWait(1000);
});
