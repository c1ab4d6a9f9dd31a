// Pins docs/architecture.md MB-1 (routing header read without the payload).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ActorId, RankedProcId, WorldId, DirectProcId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { EnvelopeEncoder, EnvelopeDecoder, readRoute } from '../../src/mailbox/envelope-codec.js';
import { FrameError } from '../../src/channel/errors.js';
import * as flatbuffers from 'flatbuffers';
import { Envelope } from '../../src/wire/generated/actormesh/wire/envelope.js';

const a = new ActorId(new RankedProcId(new WorldId('w'), 3), 'trainer', 0);
const b = new ActorId(new DirectProcId('tcp:127.0.0.1:5000', 'p1'), 'worker_abc', 2);

test('an envelope round-trips with payload, bindings, headers, errors, ttl and flags', () => {
  const env = new MessageEnvelope(
    a,
    b.port(1025n),
    new Uint8Array([1, 2, 3, 250]),
    'my.Type',
    [{ tag: 'PortRef', bytes: new Uint8Array([9, 9]) }],
    new Map([['SEND_TIMESTAMP', new Uint8Array([7])]]),
    200,
    false,
    [{ kind: 'TtlExpired', message: 'loop' }],
  );
  const bytes = new EnvelopeEncoder().encode(env);
  const out = new EnvelopeDecoder().decode(bytes);
  assert.equal(out.sender.key, a.key);
  assert.equal(out.dest.key, b.port(1025n).key);
  assert.deepEqual([...out.data], [1, 2, 3, 250]);
  assert.equal(out.typeName, 'my.Type');
  assert.deepEqual(
    out.bindings.map((x) => [x.tag, [...x.bytes]]),
    [['PortRef', [9, 9]]],
  );
  assert.deepEqual(
    [...out.headers].map(([k, v]) => [k, [...v]]),
    [['SEND_TIMESTAMP', [7]]],
  );
  assert.deepEqual(out.errors, [{ kind: 'TtlExpired', message: 'loop' }]);
  assert.equal(out.ttl, 200);
  assert.equal(out.returnUndeliverable, false);
});

test('defaults survive the wire: ttl 64 and returnUndeliverable true', () => {
  const env = new MessageEnvelope(a, b.port(7n), new Uint8Array(0), 'T');
  const out = new EnvelopeDecoder().decode(new EnvelopeEncoder().encode(env));
  assert.equal(out.ttl, env.ttl);
  assert.equal(out.returnUndeliverable, true);
  assert.equal(out.errors.length, 0);
});

test('the routing header is read without decoding the payload', () => {
  const env = new MessageEnvelope(a, b.port(9n), randomBytes(1000), 'T');
  env.ttl = 5;
  const r = readRoute(new EnvelopeEncoder().encode(env));
  assert.deepEqual(r, { sender: a.key, dest: b.port(9n).key, ttl: 5, returnUndeliverable: true });
});

test('malformed envelope bytes give FrameError and bad ids give a parse error', () => {
  const dec = new EnvelopeDecoder();
  for (let i = 0; i < 2000; i++) {
    try {
      dec.decode(randomBytes(Math.floor(Math.random() * 100)));
    } catch (e) {
      assert.ok(e instanceof Error && ['FrameError', 'IdParseError', 'InvalidIdError'].includes(e.name), String(e));
    }
  }
  const good = new EnvelopeEncoder().encode(new MessageEnvelope(a, b.port(9n), new Uint8Array(3), 'T'));
  for (let cut = 0; cut < good.length - 16; cut += 3) assert.throws(() => dec.decode(good.subarray(0, cut)), FrameError);
});

test('the hand-laid fast encoding is a valid FlatBuffer: the generated accessors read it, and it decodes like the Builder output', () => {
  const enc = new EnvelopeEncoder();
  for (const [ttl, ret, size] of [
    [64, true, 0],
    [0, false, 1],
    [255, true, 1000],
    [3, false, 7],
  ] as const) {
    const env = new MessageEnvelope(a, b.port(1025n), randomBytes(size), 'some::Type');
    env.ttl = ttl;
    env.returnUndeliverable = ret;
    const fast = enc.encodeFast(env);
    const gen = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(fast));
    assert.equal(gen.sender(), a.key);
    assert.equal(gen.dest(), b.port(1025n).key);
    assert.equal(gen.typeName(), 'some::Type');
    assert.equal(gen.ttl(), ttl);
    assert.equal(gen.flags(), ret ? 1 : 0);
    assert.deepEqual(Buffer.from(gen.payloadArray() ?? new Uint8Array(0)), Buffer.from(env.data));
    assert.equal(gen.bindingsLength(), 0);
    const viaFast = new EnvelopeDecoder().decode(fast);
    const viaBuilder = new EnvelopeDecoder().decode(enc.encodeBuilder(env));
    for (const e of [viaFast, viaBuilder]) {
      assert.equal(e.ttl, ttl);
      assert.equal(e.returnUndeliverable, ret);
      assert.deepEqual(Buffer.from(e.data), Buffer.from(env.data));
      assert.equal(e.dest.key, env.dest.key);
    }
  }
});

test('a stream of envelopes with the same route decodes through the template fast path exactly like the verified path', () => {
  const enc = new EnvelopeEncoder();
  const fast = new EnvelopeDecoder();
  const slow = new EnvelopeDecoder();
  for (let i = 0; i < 200; i++) {
    const env = new MessageEnvelope(a, b.port(1025n), randomBytes(i % 17), 'T');
    env.ttl = i % 256;
    env.returnUndeliverable = i % 3 !== 0;
    const bytes = enc.encode(env);
    const x = fast.decode(bytes);
    const y = slow.decodeVerified(bytes);
    assert.equal(x.sender.key, y.sender.key);
    assert.equal(x.dest.key, y.dest.key);
    assert.equal(x.typeName, y.typeName);
    assert.equal(x.ttl, y.ttl);
    assert.equal(x.returnUndeliverable, y.returnUndeliverable);
    assert.deepEqual(Buffer.from(x.data), Buffer.from(y.data));
  }
  // A message that matches the template but whose payload overruns the buffer is still rejected.
  const good = enc.encode(new MessageEnvelope(a, b.port(1025n), new Uint8Array(40), 'T'));
  assert.throws(() => fast.decode(good.subarray(0, good.length - 10)), FrameError);
  // Another route after the template was set decodes correctly (and replaces it).
  const other = fast.decode(enc.encode(new MessageEnvelope(b, a.port(5n), new Uint8Array([1]), 'U')));
  assert.equal(other.dest.key, a.port(5n).key);
  assert.equal(other.typeName, 'U');
});
