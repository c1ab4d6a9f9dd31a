// Pins docs/architecture.md CORE-1 (codec round-trips).
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import assert from 'node:assert/strict';
import {
  DeserializationError,
  Rank,
  SerializationError,
  decode,
  decodeMessage,
  encode,
  encodeMessage,
  parseActorId,
  parsePortId,
  registerCodecClass,
} from '../../src/core/index.js';
import { OncePortRef, PortRef } from '../../src/actor/refs.js';
import { PortId } from '../../src/core/ids.js';

/** Fast-path messages start with 0xc1 0xc1 (see src/core/fast-codec.ts). */
const isFast = (b: Uint8Array): boolean => b[0] === 0xc1 && b[1] === 0xc1;

function fastRoundTrip(v: unknown): unknown {
  const bytes = encode(v);
  assert.ok(isFast(bytes), `expected the fast path for ${String(JSON.stringify(v))}`);
  return decode(bytes);
}

function slowRoundTrip(v: unknown): unknown {
  const bytes = encode(v);
  assert.ok(!isFast(bytes), 'expected the MessagePack path');
  return decode(bytes);
}

test('flat messages with numbers of every kind round-trip on the fast path', () => {
  const nums = [
    0,
    1,
    -1,
    127,
    128,
    -128,
    -129,
    255,
    256,
    0.5,
    -0.125,
    3.4028234663852886e38,
    1.401298464324817e-45,
    1e-45,
    0.1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    2 ** 32,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    -(2 ** 40),
    1.5,
    -0.1,
    1e300,
    Number.MIN_VALUE,
    Number.EPSILON,
    NaN,
    Infinity,
    -Infinity,
  ];
  for (const n of nums) assert.deepStrictEqual(fastRoundTrip({ type: 'n', v: n }), { type: 'n', v: n });
  // -0 becomes 0, exactly as on the MessagePack path.
  const d = fastRoundTrip({ type: 'z', v: -0 }) as { v: number };
  assert.ok(Object.is(d.v, 0));
  const slow = slowRoundTrip({ type: 'z', v: -0, nested: {} }) as { v: number };
  assert.ok(Object.is(slow.v, 0));
});

test('strings (ASCII, unicode, empty, long) round-trip on the fast path; huge strings fall back', () => {
  const strs = ['', 'inc', 'héllo ✓', '😀 emoji', '日本語のテキスト', 'x'.repeat(255), 'é'.repeat(200), 'y'.repeat(1000), 'bench[0].client[0]'];
  for (const s of strs) assert.deepStrictEqual(fastRoundTrip({ type: 's', s, again: s }), { type: 's', s, again: s });
  const huge = 'z'.repeat(5000);
  assert.deepStrictEqual(slowRoundTrip({ type: 's', s: huge }), { type: 's', s: huge });
});

test('lone surrogates fall back to MessagePack and decode as before', () => {
  const bytes = encode({ type: 's', s: 'a\ud800b' });
  assert.ok(!isFast(bytes));
  assert.equal(typeof (decode(bytes) as { s: string }).s, 'string');
});

test('booleans, null and undefined stay distinct on the fast path; arrays of them too', () => {
  const v = { t: true, f: false, n: null, u: undefined, a: [1, 'two', null, undefined, true, [2.5, []]] };
  const d = fastRoundTrip(v) as Record<string, unknown>;
  assert.deepStrictEqual(d, v);
  assert.ok('u' in d && d.u === undefined);
});

test('key order is preserved and objects of different shapes never mix', () => {
  const a = { type: 'a', x: 1, y: 2 };
  const b = { y: 2, type: 'a', x: 1 };
  const da = fastRoundTrip(a) as object;
  const db = fastRoundTrip(b) as object;
  assert.deepStrictEqual(Object.keys(da), ['type', 'x', 'y']);
  assert.deepStrictEqual(Object.keys(db), ['y', 'type', 'x']);
  // same keys as the last shape but a different count, and a prefix of it
  assert.deepStrictEqual(fastRoundTrip({ type: 'a', x: 1 }), { type: 'a', x: 1 });
  assert.deepStrictEqual(fastRoundTrip({ type: 'a', x: 1, y: 2, z: 3 }), { type: 'a', x: 1, y: 2, z: 3 });
});

test('key lists that join to the same text are never confused', () => {
  assert.deepStrictEqual(fastRoundTrip({ a: 1, b: 2 }), { a: 1, b: 2 });
  assert.deepStrictEqual(slowRoundTrip({ 'a,b': 3 }), { 'a,b': 3 });
  assert.deepStrictEqual(slowRoundTrip({ 'a,b': 3 }), { 'a,b': 3 });
  assert.deepStrictEqual(fastRoundTrip({ a: 1, b: 2 }), { a: 1, b: 2 });
});

test('more shapes than the caches hold all round-trip correctly', () => {
  const msgs: object[] = [];
  for (let i = 0; i < 1500; i++) msgs.push({ type: 't' + (i % 7), ['k' + i]: i, ['j' + (i % 13)]: 'v' + i });
  const encoded = msgs.map((m) => encode(m));
  for (let i = 0; i < msgs.length; i++) {
    assert.ok(isFast(encoded[i]!));
    assert.deepStrictEqual(decode(encoded[i]!), msgs[i]);
  }
  // decoding again, in reverse (shape caches already evicted older entries)
  for (let i = msgs.length - 1; i >= 0; i--) assert.deepStrictEqual(decode(encoded[i]!), msgs[i]);
});

test('encoded bytes stay valid after many later encodes (slab is append-only)', () => {
  const first = encode({ type: 'keep', n: 42, s: 'first' });
  const copy = Uint8Array.from(first);
  const all: Uint8Array[] = [];
  for (let i = 0; i < 20_000; i++) all.push(encode({ type: 'fill', i, pad: 'p'.repeat(i % 50) }));
  assert.deepStrictEqual(Uint8Array.from(first), copy);
  for (let i = 0; i < all.length; i += 997) assert.deepStrictEqual(decode(all[i]!), { type: 'fill', i, pad: 'p'.repeat(i % 50) });
});

test('nested objects, bigints, Maps, Dates, Buffers, other typed arrays and odd keys fall back and round-trip as before', () => {
  const cases: unknown[] = [
    { type: 'nested', inner: { a: 1 } },
    { type: 'big', v: 12n },
    { type: 'map', m: new Map([[1, 'a']]) },
    { type: 'date', d: new Date(5) },
    { type: 'buf', b: Buffer.from([1, 2, 3]) },
    { type: 'f32', b: new Float32Array([1.5, 2]) },
    { type: 'i8', b: new Int8Array([-1, 2]) },
    { '0': 'numeric key', type: 'x' },
    { 'with space': 1 },
    {},
    Array.from({ length: 100 }, (_, i) => i),
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => ['k' + i, i])),
  ];
  for (const c of cases) assert.deepStrictEqual(slowRoundTrip(c), c);
  // a Buffer comes back as a Buffer (MessagePack bin), not as a plain Uint8Array
  assert.ok(Buffer.isBuffer((slowRoundTrip({ type: 'buf', b: Buffer.from([1]) }) as { b: unknown }).b));
  // a null-prototype object comes back as a plain object (MessagePack map), as before
  assert.deepStrictEqual(slowRoundTrip(Object.assign(Object.create(null), { a: 1 })), { a: 1 });
  // __proto__ as an own key: MessagePack's handling applies (never sets a prototype)
  const proto = JSON.parse('{"__proto__": 1, "type": "p"}') as object;
  const bytes = encode(proto);
  assert.ok(!isFast(bytes));
  assert.equal(Object.getPrototypeOf(decode(bytes)), Object.prototype);
});

test('functions inside a flat message still fail with SerializationError', () => {
  assert.throws(
    () => encode({ type: 'f', cb: () => 1 }, 'my::F'),
    (e: unknown) => e instanceof SerializationError && e.typeName === 'my::F',
  );
  assert.throws(() => encodeMessage({ type: 'f', s: Symbol('s') }, 'M'), SerializationError);
});

test('top-level scalars, small arrays and registered instances take the fast path', () => {
  for (const v of [7, -3.25, 'reply', true, null, undefined, [1, 'a', [false]], parseActorId('w[1].a[2]')]) {
    const d = fastRoundTrip(v);
    if (v instanceof Object && 'equals' in v) assert.ok((v as { equals(o: unknown): boolean }).equals(d));
    else assert.deepStrictEqual(d, v);
  }
});

test('registered classes inside flat messages round-trip as their classes (OncePortRef, ids, PortRef)', () => {
  const actor = parseActorId('bench[0].client[0]');
  const once = new OncePortRef<number>(new PortId(actor, 1025n), 'reply', false);
  const d = fastRoundTrip({ type: 'get', reply: once, who: actor }) as { reply: OncePortRef<number>; who: unknown };
  assert.ok(d.reply instanceof OncePortRef);
  assert.ok(d.reply.portId.equals(once.portId));
  assert.equal(d.reply.typeName, 'reply');
  assert.equal(d.reply.returnUndeliverable, false);
  assert.ok(actor.equals(d.who));
  // a port index beyond 2^53 is a bigint in the payload: falls back, same result
  const far = new OncePortRef<number>(new PortId(actor, 2n ** 60n), 'reply');
  const bytes = encode({ type: 'get', reply: far });
  assert.ok(!isFast(bytes));
  assert.ok((decode(bytes) as { reply: OncePortRef<number> }).reply.portId.equals(far.portId));
  // PortRef is bindable: encodeMessage extracts it (slot in the data), encode writes it inline
  const port = new PortRef<number>(parsePortId('w[0].a[0][1030]'), 'count');
  const m = encodeMessage({ type: 'sub', to: port, rank: new Rank(3) });
  assert.ok(isFast(m.data));
  assert.deepStrictEqual(
    m.bindings.map((b) => b.tag),
    ['PortRef', 'rank'],
  );
  const dm = decodeMessage(m.data, m.bindings) as { to: PortRef<number>; rank: Rank };
  assert.ok(dm.to instanceof PortRef && dm.to.portId.equals(port.portId) && dm.to.typeName === 'count');
  assert.equal(dm.rank.value, 3);
  const inline = fastRoundTrip({ type: 'sub', to: port }) as { to: PortRef<number> };
  assert.ok(inline.to.portId.equals(port.portId));
});

test('a bail-out after a bindable value leaves no stray bindings', () => {
  const m = encodeMessage({ type: 'x', rank: new Rank(1), big: 5n });
  assert.ok(!isFast(m.data));
  assert.deepStrictEqual(
    m.bindings.map((b) => b.slot),
    [0],
  );
  assert.equal((decodeMessage(m.data, m.bindings) as { rank: Rank }).rank.value, 1);
});

test('subclasses of registered classes and classes whose value nests an encode stay exact', () => {
  class Base {
    constructor(readonly v: number) {}
  }
  class Derived extends Base {}
  registerCodecClass<Base>({ tag: 'test.fast.base', Class: Base, toValue: (b) => b.v, fromValue: (v) => new Base(v as number) });
  const d = slowRoundTrip({ type: 'sub', b: new Derived(4) }) as { b: Base };
  assert.ok(d.b instanceof Base && d.b.v === 4);
  assert.ok((fastRoundTrip({ type: 'base', b: new Base(5) }) as { b: Base }).b.v === 5);

  class Wrapped {
    constructor(readonly inner: unknown) {}
  }
  registerCodecClass<Wrapped>({
    tag: 'test.fast.wrapped',
    Class: Wrapped,
    toValue: (w) => encode(w.inner), // re-entrant encode from inside the fast path
    fromValue: (v) => new Wrapped(decode(v as Uint8Array)),
  });
  const w = decode(encode({ type: 'w', w: new Wrapped({ type: 'in', n: 1 }) })) as { w: Wrapped };
  assert.deepStrictEqual(w.w.inner, { type: 'in', n: 1 });
});

test('a Map inside a registered class value switches to record mode (Map kept)', () => {
  class Holder {
    constructor(readonly m: Map<string, number>) {}
  }
  registerCodecClass<Holder>({
    tag: 'test.fast.holder',
    Class: Holder,
    toValue: (h) => ({ m: h.m }),
    fromValue: (v) => new Holder((v as { m: Map<string, number> }).m),
  });
  const d = decode(encode({ type: 'h', h: new Holder(new Map([['a', 1]])) })) as { h: Holder };
  assert.ok(d.h.m instanceof Map && d.h.m.get('a') === 1);
});

test('plain Uint8Arrays of every size class round-trip on the fast path as independent copies', () => {
  for (const n of [0, 1, 16, 17, 64, 65, 1024, 4096, 4097, 12_000]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
    const bytes = encode({ type: 'data', data });
    assert.ok(isFast(bytes), `size ${n} should take the fast path`);
    const out = decode(bytes) as { type: string; data: Uint8Array };
    assert.equal(Object.getPrototypeOf(out.data), Uint8Array.prototype);
    assert.deepStrictEqual(out, { type: 'data', data });
    // a copy: changing the encoded bytes or the original does not change the decoded array
    bytes.fill(0);
    data.fill(0xaa);
    assert.equal(out.data.length, n);
    for (let i = 0; i < n; i++) assert.equal(out.data[i], (i * 7 + n) & 0xff);
  }
  // top level and inside small arrays too
  assert.deepStrictEqual(fastRoundTrip(Uint8Array.of(1, 2)), Uint8Array.of(1, 2));
  assert.deepStrictEqual(fastRoundTrip([Uint8Array.of(3), 'x']), [Uint8Array.of(3), 'x']);
  // too large for the fast path (beyond its 16 KiB message budget): MessagePack, same result
  const big = new Uint8Array(20_000).fill(9);
  assert.deepStrictEqual(slowRoundTrip({ type: 'data', data: big }), { type: 'data', data: big });
});

test('many decoded medium byte arrays keep their own contents (pooled copies are never rewritten)', () => {
  const outs: Uint8Array[] = [];
  for (let i = 0; i < 600; i++) outs.push((decode(encode({ type: 'd', data: new Uint8Array(1000).fill(i & 0xff) })) as { data: Uint8Array }).data);
  for (let i = 0; i < outs.length; i++) {
    const o = outs[i]!;
    assert.equal(o.length, 1000);
    assert.ok(
      o.every((b) => b === (i & 0xff)),
      `array ${i} changed`,
    );
  }
  // the shared pool is not detached by a transfer (it is copied instead), so neighbours survive
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(outs[0], [outs[0]!.buffer as ArrayBuffer]);
  port1.close();
  port2.close();
  assert.equal(outs[0]!.length, 1000);
  assert.ok(outs[1]!.every((b) => b === 1));
});

test('malformed fast-path bytes fail with DeserializationError', () => {
  const good = encode({ type: 'inc', by: 1, s: 'abc' });
  assert.ok(isFast(good));
  const bad = [
    good.subarray(0, 3),
    good.subarray(0, good.length - 1),
    Uint8Array.from([...good, 0]),
    Uint8Array.from([0xc1, 0xc1]),
    Uint8Array.from([0xc1, 0xc1, 0x00]),
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x7f]),
    Uint8Array.from([0xc1, 0xc1, 0x01, 0x01, 0x20, 0x01]), // key ' ' is not an identifier
    Uint8Array.from([0xc1, 0xc1, 0x02, 0x01, 0x61, 0x01, 0x61, 0x01, 0x01]), // duplicate key
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x06, 0x02, 0xff, 0xfe]), // invalid UTF-8
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x09, 0x04, 1, 0, 0, 0, 0x01]), // class tag not a string
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x09, 0x06, 0x01, 0x41, 0x01]), // unknown class tag
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00]), // binding slot without bindings
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0d, 0x05, 0x00, 0x00, 0x00, 1, 2]), // byte array runs past the end
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0d, 0x05, 0x00]), // truncated byte-array length
  ];
  for (const b of bad) {
    assert.throws(
      () => decode(b, 'my::Msg'),
      (e: unknown) => e instanceof DeserializationError && e.typeName === 'my::Msg',
      Buffer.from(b).toString('hex'),
    );
  }
  // and the good bytes still decode after all that
  assert.deepStrictEqual(decode(good), { type: 'inc', by: 1, s: 'abc' });
});

test('a key list that keeps falling back still round-trips, and fits again later', () => {
  for (let i = 0; i < 100; i++) {
    const v = { type: 'mix', body: { i } };
    assert.deepStrictEqual(decode(encode(v)), v);
  }
  // same keys, flat values: correct whichever path it takes, and the fast path comes back
  let fast = 0;
  for (let i = 0; i < 600; i++) {
    const v = { type: 'mix', body: i };
    const b = encode(v);
    if (isFast(b)) fast++;
    assert.deepStrictEqual(decode(b), v);
  }
  assert.ok(fast > 0);
});
