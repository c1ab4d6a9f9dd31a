// FastEncoder / FastDecoder own their state: instances used interleaved (one mid-message while
// another works, or alternating over different buffers) never see each other's slab, position,
// shape caches or last actor id, and every instance writes the same bytes for the same value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FastDecoder, FastEncoder, NOT_REGISTERED, decodeShape, tryEncode, type ShapeClassHooks } from '../../src/core/fast-codec.js';
import { PortId, parseActorId } from '../../src/core/ids.js';
import { ActorRef, OncePortRef } from '../../src/actor/refs.js';

/** A registered-class stand-in: `Boxed` is written inline under the tag 'Boxed'. */
class Boxed {
  constructor(readonly v: unknown) {}
}

/** Hooks knowing only `Boxed`; `onWrite` / `onRead` run in the middle of its write / read. */
function hooks(onWrite: (b: Boxed) => void = () => {}, onRead: () => void = () => {}): ShapeClassHooks {
  return {
    tag: undefined,
    writeClass(obj: object): unknown {
      if (!(obj instanceof Boxed)) return NOT_REGISTERED;
      onWrite(obj);
      this.tag = 'Boxed';
      return obj.v;
    },
    readClass(tag: string, value: unknown): unknown {
      assert.equal(tag, 'Boxed');
      onRead();
      return new Boxed(value);
    },
    readSlot(): unknown {
      throw new Error('no bindings here');
    },
  };
}

const plain = hooks();

function encodeWith(enc: FastEncoder, v: unknown, h: ShapeClassHooks = plain): Uint8Array {
  const bytes = enc.tryEncode(v, h, null);
  assert.ok(bytes !== undefined, 'expected the fast path');
  return bytes;
}

test('an encoder used while another is mid-message writes its own message; both come out whole', () => {
  const outer = new FastEncoder();
  const inner = new FastEncoder();
  const innerOut: Uint8Array[] = [];
  // Each Boxed value written by `outer` has `inner` encode a message of another shape first.
  const h = hooks((b) => innerOut.push(encodeWith(inner, { kind: 'inner', of: b.v as number, at: [1, 2, 3] })));
  const msgs = Array.from({ length: 50 }, (_, i) => ({ type: 'outer', n: i, box: new Boxed(`v${i}`), tail: 'x'.repeat(i) }));
  const outerOut = msgs.map((m) => encodeWith(outer, m, h));
  assert.equal(innerOut.length, 50);
  const dec = new FastDecoder();
  for (let i = 0; i < 50; i++) {
    // Results stay valid after later messages (slabs are only appended to).
    assert.deepStrictEqual(dec.decode(outerOut[i]!, plain), { type: 'outer', n: i, box: new Boxed(`v${i}`), tail: 'x'.repeat(i) });
    assert.deepStrictEqual(dec.decode(innerOut[i]!, plain), { kind: 'inner', of: `v${i}`, at: [1, 2, 3] });
    // Same bytes as a fresh encoder writes alone (no state leaked between the two).
    assert.deepStrictEqual([...outerOut[i]!], [...encodeWith(new FastEncoder(), msgs[i]!, plain)]);
  }
});

test('an encoder re-entered while it is mid-message declines (MessagePack takes over); another does not', () => {
  const enc = new FastEncoder();
  const other = new FastEncoder();
  let reentered: Uint8Array | undefined | null = null;
  let elsewhere: Uint8Array | undefined;
  const h = hooks(() => {
    reentered = enc.tryEncode({ type: 'nested' }, plain, null);
    elsewhere = other.tryEncode({ type: 'nested' }, plain, null);
  });
  const out = encodeWith(enc, { type: 't', b: new Boxed(1) }, h);
  assert.equal(reentered, undefined);
  assert.ok(elsewhere !== undefined);
  assert.deepStrictEqual(new FastDecoder().decode(elsewhere, plain), { type: 'nested' });
  assert.deepStrictEqual(new FastDecoder().decode(out, plain), { type: 't', b: new Boxed(1) });
});

test('encoders with small slabs alternating shapes and actor ids keep every result and agree byte for byte', () => {
  const a = new FastEncoder(1024); // (a slab always has room for one whole message)
  const b = new FastEncoder(1024);
  const ids = ['w[0].aaaa[0]', 'w[0].abba[0]', 'w[1].aaaa[0]'].map(parseActorId);
  const make = (i: number): unknown =>
    i % 3 === 0
      ? { type: 'get', reply: new OncePortRef<number>(new PortId(ids[i % ids.length]!, 1024 + i), 'reply', i % 2 === 0) }
      : i % 3 === 1
        ? { type: 'hello', from: new ActorRef(ids[(i + 1) % ids.length]!), data: new Uint8Array(200).fill(i & 0xff) }
        : [i, 'text', null, new ActorRef(ids[(i + 2) % ids.length]!)];
  const outA: Uint8Array[] = [];
  const outB: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    outA.push(encodeWith(a, make(i)));
    outB.push(encodeWith(b, make(300 - i))); // b walks the values in the other order
  }
  const dec = new FastDecoder();
  for (let i = 0; i < 300; i++) {
    assert.deepStrictEqual(dec.decode(outA[i]!, plain), make(i));
    assert.deepStrictEqual(dec.decode(outB[i]!, plain), make(300 - i));
    if (i > 0) assert.deepStrictEqual([...outA[i]!], [...outB[300 - i]!]); // make(i), from each encoder
  }
  // And the default encoder (the one codec.ts uses) writes the same bytes.
  assert.deepStrictEqual([...tryEncode(make(7), plain, null)!], [...outA[7]!]);
});

test('a decoder used while another is mid-message reads its own buffer; both results are exact', () => {
  const enc = new FastEncoder();
  const inner = new FastDecoder();
  const outer = new FastDecoder();
  const innerBufs = [0, 1, 2].map((i) => encodeWith(enc, { kind: 'inner', i, ref: new ActorRef(parseActorId(`w[${i}].x[0]`)) }).slice());
  const innerGot: unknown[] = [];
  let k = 0;
  // `outer`, mid-message (reading a Boxed value), has `inner` decode a message of another shape.
  const h = hooks(undefined, () => innerGot.push(inner.decode(innerBufs[k++ % 3]!, plain)));
  const outerBuf = encodeWith(enc, { type: 'outer', a: new Boxed(1), b: new Boxed([2, 'two']), c: new ActorRef(parseActorId('w[9].y[1]')) }).slice();
  for (let round = 0; round < 3; round++) {
    const got = outer.decode(outerBuf, h) as Record<string, unknown>;
    assert.deepStrictEqual(got.a, new Boxed(1));
    assert.deepStrictEqual(got.b, new Boxed([2, 'two']));
    assert.equal((got.c as ActorRef<never>).actorId.key, 'w[9].y[1]');
  }
  assert.equal(innerGot.length, 6);
  innerGot.forEach((g, j) => {
    const d = g as { kind: string; i: number; ref: ActorRef<never> };
    assert.equal(d.kind, 'inner');
    assert.equal(d.i, j % 3);
    assert.equal(d.ref.actorId.key, `w[${j % 3}].x[0]`);
  });
});

test('decoders alternating over different buffers keep their own caches (last shape, last actor id, strings)', () => {
  const enc = new FastEncoder();
  const x = parseActorId('w[0].aaaa[0]');
  const y = parseActorId('w[0].abba[0]'); // same length, first and last bytes as x
  const bufX = encodeWith(enc, { type: 'a', to: new ActorRef(x), s: 'same-length-1' }).slice();
  const bufY = encodeWith(enc, { kind: 'b', to: new ActorRef(y), s: 'same-length-2' }).slice();
  const dx = new FastDecoder();
  const dy = new FastDecoder();
  for (let i = 0; i < 20; i++) {
    const gx = dx.decode(bufX, plain) as { type: string; to: ActorRef<never>; s: string };
    const gy = dy.decode(bufY, plain) as { kind: string; to: ActorRef<never>; s: string };
    assert.deepStrictEqual(Object.keys(gx), ['type', 'to', 's']);
    assert.deepStrictEqual(Object.keys(gy), ['kind', 'to', 's']);
    assert.equal(gx.to.actorId.key, x.key);
    assert.equal(gy.to.actorId.key, y.key);
    assert.equal(gx.s, 'same-length-1');
    assert.equal(gy.s, 'same-length-2');
    // The default decoder (codec.ts's) in between changes neither.
    assert.deepStrictEqual(Object.keys(decodeShape(i % 2 ? bufX : bufY, plain) as object), i % 2 ? ['type', 'to', 's'] : ['kind', 'to', 's']);
  }
});

test('a malformed message in one decoder leaves another mid-message decoder unharmed', () => {
  const enc = new FastEncoder();
  const good = encodeWith(enc, { type: 'ok', n: 300, s: 'fine' }).slice();
  const bad = good.slice(0, good.length - 2); // truncated
  const dGood = new FastDecoder();
  const dBad = new FastDecoder();
  const h = hooks(undefined, () => assert.throws(() => dBad.decode(bad, plain), /malformed fast-path message/));
  const withBox = encodeWith(enc, { type: 'ok', b: new Boxed('in'), after: 7 }).slice();
  assert.deepStrictEqual(dGood.decode(withBox, h), { type: 'ok', b: new Boxed('in'), after: 7 });
  assert.deepStrictEqual(dBad.decode(good, plain), { type: 'ok', n: 300, s: 'fine' });
});
