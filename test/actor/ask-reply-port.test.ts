import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Actor, type Handlers, OncePortRef } from '../../src/actor/index.js';
import { encode, decode } from '../../src/core/codec.js';
import { DeserializationError, SerializationError } from '../../src/core/codec-errors.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { decodeEnvelopePayload } from '../../src/mailbox/payload.js';
import { bounceEnvelope, decodeBounced } from '../../src/mailbox/undeliverable.js';
import { EnvelopeDecoder, EnvelopeEncoder } from '../../src/mailbox/envelope-codec.js';
import { FrameEncoder, FrameKind, decodeFrame } from '../../src/wire/frames.js';
import * as flatbuffers from 'flatbuffers';
import { Envelope } from '../../src/wire/generated/actormesh/wire/envelope.js';
import { testProc, within } from './_helpers.js';

type Msg = { type: 'get'; n: number; reply: OncePortRef<unknown> };
class Echo extends Actor<void, Msg> {
  static typeName = 'test::ReplyPortEcho';
  seen: Msg[] = [];
  readonly handlers: Handlers<Msg> = {
    get: (cx, m) => {
      this.seen.push(m);
      m.reply.send(cx, { n: m.n, keys: Object.keys(m) });
    },
  };
}

test('an ask hands the handler a reply OncePortRef to the asker (typeName reply, no return), after the other keys', async () => {
  const { proc } = testProc();
  const h = await proc.spawn('echo', Echo, undefined);
  const client = proc.instance('asker');
  const r = await within(h.bind().ask(client, { type: 'get', n: 7 }, { timeoutMs: 30_000 }), 30_000, 'ask');
  assert.deepStrictEqual(r, { n: 7, keys: ['type', 'n', 'reply'] });
  const m = h.actor.seen[0]!;
  assert.ok(m.reply instanceof OncePortRef);
  assert.ok(m.reply.portId.actor.equals(client.self), `${m.reply.portId} is a port of ${client.self}`);
  assert.equal(m.reply.typeName, 'reply');
  assert.equal(m.reply.returnUndeliverable, false);
  // a second ask gets a port of its own
  await h.bind().ask(client, { type: 'get', n: 8 }, { timeoutMs: 30_000 });
  assert.notEqual(h.actor.seen[1]!.reply.portId.smallIndex, m.reply.portId.smallIndex);
});

test('an ask whose message already has a reply field gets that field replaced in place', async () => {
  const { proc } = testProc();
  const h = await proc.spawn('echo', Echo, undefined);
  const client = proc.instance('asker');
  const msg = { type: 'get', reply: 'stale', n: 3 } as unknown as { type: 'get'; n: number };
  const r = await within(h.bind().ask(client, msg, { timeoutMs: 30_000 }), 30_000, 'ask');
  assert.deepStrictEqual(r, { n: 3, keys: ['type', 'reply', 'n'] });
  assert.ok(h.actor.seen[0]!.reply instanceof OncePortRef);
});

/** An ask envelope as `ActorRef.ask` builds it: the payload without `reply`, the port index in the envelope. */
async function askEnvelope(): Promise<{ env: MessageEnvelope; asker: ReturnType<ReturnType<typeof testProc>['proc']['instance']> }> {
  const { proc } = testProc();
  const h = await proc.spawn('echo', Echo, undefined);
  const asker = proc.instance('asker');
  const env = new MessageEnvelope(asker.self, h.bind().portId('get'), encode({ type: 'get', n: 1 }), 'get');
  env.replyPort = 1234;
  return { env, asker };
}

test('decodeEnvelopePayload rebuilds reply from the sender and reply port; without one the message is unchanged', async () => {
  const { env, asker } = await askEnvelope();
  const m = decodeEnvelopePayload(env) as Msg;
  assert.deepStrictEqual(Object.keys(m), ['type', 'n', 'reply']);
  assert.equal(m.reply.portId.key, `${asker.self.key}[1234]`);
  assert.equal(m.reply.returnUndeliverable, false);
  env.replyPort = -1;
  assert.deepStrictEqual(decodeEnvelopePayload(env), { type: 'get', n: 1 });
});

test('a reply port on a payload that is not an object fails with DeserializationError', async () => {
  const { env } = await askEnvelope();
  for (const v of [5, 'text', null, [1, 2]]) {
    const bad = new MessageEnvelope(env.sender, env.dest, encode(v), 'get');
    bad.replyPort = 1;
    assert.throws(
      () => decodeEnvelopePayload(bad),
      (e: unknown) => e instanceof DeserializationError && /reply port 1/.test((e as Error).message),
    );
  }
});

test('an ask envelope keeps its reply port through clone, bounce records and the wire codec', async () => {
  const { env } = await askEnvelope();
  assert.equal(env.clone().replyPort, 1234);
  assert.match(String(env), /reply=.*\[1234\]/);
  const back = decodeBounced(bounceEnvelope(env).data);
  assert.equal(back.replyPort, 1234);
  assert.equal((decodeEnvelopePayload(back) as Msg).reply.portId.smallIndex, 1234);
  // the wire: in one Messages frame among envelopes of the same route (which travel
  // route-shared) — an ask envelope travels whole and keeps its port, its neighbours get none
  const enc = new EnvelopeEncoder();
  const dec = new EnvelopeDecoder();
  const plain = new MessageEnvelope(env.sender, env.dest, encode({ type: 'get', n: 2 }), 'get');
  const seq = [plain, env, plain, plain, env, env, plain];
  const msgs = seq.map((e) => enc.encode(e));
  const total = msgs.reduce((n, m) => n + m.length, 0);
  const frame = decodeFrame(new FrameEncoder(64).messages(0, msgs, 0, msgs.length, total).slice());
  assert.equal(frame.kind, FrameKind.Messages);
  const outs = (frame.kind === FrameKind.Messages ? frame.messages : []).map((m) => dec.decode(m));
  assert.deepStrictEqual(
    outs.map((o) => o.replyPort),
    seq.map((e) => e.replyPort),
  );
  assert.ok(outs.every((o) => o.sender.equals(env.sender) && o.dest.equals(env.dest)));
  assert.deepStrictEqual(decode(outs[1]!.data), { type: 'get', n: 1 });
  assert.deepStrictEqual(decode(outs[2]!.data), { type: 'get', n: 2 });
});

test('an envelope with a reply port to a raw port is refused back to the sender, never delivered without its reply', async () => {
  const { proc } = testProc();
  const asker = proc.instance('asker');
  const returned: MessageEnvelope[] = [];
  let delivered = 0;
  const index = asker.mailbox.allocateIndex();
  asker.mailbox.bind(index, { once: false, sink: () => {}, raw: () => void delivered++ });
  const env = new MessageEnvelope(asker.self, asker.self.port(index), encode({ type: 'get' }), 'get');
  env.replyPort = 1500;
  asker.mailbox.post(env, { returnUndeliverable: (e) => void returned.push(e) });
  assert.equal(delivered, 0);
  assert.equal(returned.length, 1);
  assert.match(returned[0]!.error!.message, /takes no asks/);
});

test('the hand-laid ask envelope is a valid FlatBuffer: the generated accessors read every field, and earlier outputs survive later encodes', async () => {
  const { env } = await askEnvelope();
  const enc = new EnvelopeEncoder();
  const outs: Array<[Uint8Array, Uint8Array, number]> = [];
  for (let i = 0; i < 3000; i++) {
    // payload sizes 0..40 (string and payload padding), ports up to 2^32 - 2, both flag values
    const e = new MessageEnvelope(env.sender, env.dest, new Uint8Array(i % 41).fill(i & 255), 'get');
    e.replyPort = i === 2999 ? 0xfffffffe : i * 7919;
    e.ttl = i % 256;
    e.returnUndeliverable = i % 2 === 0;
    const bytes = enc.encode(e);
    outs.push([bytes, bytes.slice(), e.replyPort]);
  }
  const dec = new EnvelopeDecoder();
  outs.forEach(([bytes, copy, rp], i) => {
    assert.deepEqual(Buffer.from(bytes), Buffer.from(copy), `output ${i} was not rewritten`);
    const fb = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(copy));
    assert.equal(fb.replyPort(), rp);
    assert.equal(fb.sender(), env.sender.key);
    assert.equal(fb.dest(), env.dest.key);
    assert.equal(fb.typeName(), 'get');
    assert.equal(fb.ttl(), i % 256);
    assert.equal(fb.flags(), i % 2 === 0 ? 1 : 0);
    assert.deepEqual(Buffer.from(fb.payloadArray() ?? new Uint8Array(0)), Buffer.from(new Uint8Array(i % 41).fill(i & 255)));
    const d = dec.decode(bytes);
    assert.equal(d.replyPort, rp);
    assert.equal(d.ttl, i % 256);
  });
  // a reply port that does not fit the u32 field is refused, not truncated
  const bad = new MessageEnvelope(env.sender, env.dest, new Uint8Array(1), 'get');
  bad.replyPort = 2 ** 32;
  assert.throws(
    () => enc.encode(bad),
    (e: unknown) => e instanceof SerializationError && /reply port 4294967296/.test(e.message),
  );
});
