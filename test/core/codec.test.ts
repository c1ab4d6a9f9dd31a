// Pins docs/architecture.md CORE-1 (codec round-trips), CORE-2 (bindings keep their slots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BindingError,
  DeserializationError,
  Name,
  Rank,
  SerializationError,
  ShortUuid,
  decode,
  decodeBindings,
  decodeMessage,
  encode,
  encodeBindings,
  encodeMessage,
  parseActorId,
  parsePortId,
  parseProcId,
  parseReference,
  rebind,
  rebindRanks,
  rebindTag,
  registerBindable,
  registerCodecClass,
  type Binding,
} from '../../src/core/index.js';

function roundTrip(v: unknown): unknown {
  return decode(encode(v));
}

test('plain values, objects and arrays round-trip', () => {
  const values: unknown[] = [
    0,
    1,
    -1,
    2 ** 31,
    2 ** 53 - 1,
    -(2 ** 40),
    1.5,
    NaN,
    Infinity,
    -Infinity,
    true,
    false,
    null,
    '',
    'héllo ✓',
    [],
    [1, 'a', null],
    { kind: 'ping', seq: 42, from: 'w[1].trainer[0]', ok: true, loss: 0.125 },
    { values: Array.from({ length: 300 }, (_, i) => i * 1.5) },
    Array.from({ length: 100 }, (_, i) => ({ ['k' + i]: i, nested: { ['n' + i]: [i] } })),
    new Date(1234567),
  ];
  for (const v of values) assert.deepStrictEqual(roundTrip(v), v);
});

test('randomly generated nested values of every supported kind round-trip exactly', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const leaf = (): unknown => {
    switch (rnd(9)) {
      case 0:
        return rnd(1000) - 500;
      case 1:
        return rnd(1000) / 7;
      case 2:
        return 'str' + rnd(100);
      case 3:
        return BigInt(rnd(1000)) * 10n ** BigInt(rnd(30));
      case 4:
        return rnd(2) === 0 ? null : undefined;
      case 5:
        return rnd(2) === 0;
      case 6:
        return new Uint8Array(rnd(40)).map(() => rnd(256));
      case 7:
        return new Date(rnd(1e9));
      default:
        return parseActorId(`w[${rnd(9)}].a${rnd(9)}[${rnd(3)}]`);
    }
  };
  const gen = (depth: number): unknown => {
    if (depth === 0) return leaf();
    switch (rnd(5)) {
      case 0:
        return Array.from({ length: rnd(5) }, () => gen(depth - 1));
      case 1:
        return Object.fromEntries(Array.from({ length: rnd(5) }, (_, i) => [`k${i}_${rnd(9)}`, gen(depth - 1)]));
      case 2:
        return new Map(Array.from({ length: rnd(4) }, () => [rnd(2) ? 'k' + rnd(50) : rnd(50), gen(depth - 1)]));
      case 3:
        return new Set(Array.from({ length: rnd(4) }, () => 'e' + rnd(50)));
      default:
        return leaf();
    }
  };
  for (let i = 0; i < 300; i++) {
    const v = gen(1 + rnd(4));
    assert.deepStrictEqual(roundTrip(v), v);
    const m = encodeMessage({ v, r: new Rank(rnd(10)) });
    assert.deepStrictEqual((decodeMessage(m.data, m.bindings) as { v: unknown }).v, v);
  }
});

test('undefined and null stay distinct, at top level and inside objects and arrays', () => {
  assert.equal(roundTrip(undefined), undefined);
  assert.equal(roundTrip(null), null);
  const d = roundTrip({ a: undefined, b: null, c: [undefined, null] }) as Record<string, unknown>;
  assert.ok('a' in d);
  assert.equal(d.a, undefined);
  assert.equal(d.b, null);
  assert.deepStrictEqual(d.c, [undefined, null]);
});

test('bigints round-trip as bigints, including beyond 64 bits', () => {
  for (const v of [0n, 5n, -5n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 70n + 3n, -(2n ** 100n)]) {
    assert.equal(roundTrip(v), v);
  }
  assert.deepStrictEqual(roundTrip({ step: 7, meta: { offset: 2n ** 40n + 3n } }), { step: 7, meta: { offset: 2n ** 40n + 3n } });
});

test('Uint8Array, Buffer and typed arrays round-trip as copies, not views of the input', () => {
  const bytes = new Uint8Array(1024).map((_, i) => i & 0xff);
  const data = encode({ data: bytes, buf: Buffer.from('abc'), f: new Float64Array([1.5, -2]) });
  const d = decode(data) as { data: Uint8Array; buf: Buffer; f: Float64Array };
  assert.ok(d.data instanceof Uint8Array);
  assert.deepStrictEqual([...d.data], [...bytes]);
  assert.ok(Buffer.isBuffer(d.buf) && d.buf.toString() === 'abc');
  assert.ok(d.f instanceof Float64Array && d.f[0] === 1.5 && d.f[1] === -2);
  d.data[0] = 99;
  const again = decode(data) as { data: Uint8Array };
  assert.equal(again.data[0], 0);
});

test('Map (any key type) and Set round-trip and stay distinct from plain objects', () => {
  const m = new Map<unknown, unknown>([
    ['a', 1],
    [2, 'two'],
    [3n, { x: [1] }],
  ]);
  const s = new Set([1, 'a', 2n]);
  const d = roundTrip({ m, s, o: { a: 1 } }) as { m: Map<unknown, unknown>; s: Set<unknown>; o: object };
  assert.ok(d.m instanceof Map);
  assert.deepStrictEqual(d.m, m);
  assert.ok(d.s instanceof Set);
  assert.deepStrictEqual(d.s, s);
  assert.ok(!(d.o instanceof Map));
  assert.deepStrictEqual(d.o, { a: 1 });
});

test('Maps nested anywhere (arrays, Sets, deep objects, large messages) come back as Maps', () => {
  const deep = { a: [{ b: new Set([{ c: new Map([[1, 2]]) }]) }] };
  assert.deepStrictEqual(roundTrip(deep), deep);
  const many = Array.from({ length: 2000 }, (_, i) => ({ i, o: { s: 'x' } }));
  const withMapAtEnd = [...many, { m: new Map([['k', new Map([[2n, [1]]])]]) }];
  assert.deepStrictEqual(roundTrip(withMapAtEnd), withMapAtEnd);
  assert.deepStrictEqual(roundTrip(many), many);
  const top = new Map([[{ x: 1 }, 'object key']]);
  assert.deepStrictEqual(roundTrip(top), top);
  const m = encodeMessage({ r: new Rank(1), m: new Map([[1, new Rank(2)]]) });
  const d = decodeMessage(m.data, rebindRanks(m.bindings, 9)) as { r: Rank; m: Map<number, Rank> };
  assert.equal(d.r.value, 9);
  assert.equal(d.m.get(1)!.value, 9);
});

test('ids, names and ShortUuids round-trip as their classes', () => {
  const ids = ['w', 'w[1]', 'w.g', 'w[1].a[2]', 'w[1].a[2][1025]', 'unix:@h,p', 'tcp:1.2.3.4:5,p,a[0][18446744073709551615]'].map(parseReference);
  const d = roundTrip({ ids }) as { ids: unknown[] };
  for (let i = 0; i < ids.length; i++) {
    assert.equal((d.ids[i] as object).constructor, ids[i]!.constructor);
    assert.ok(ids[i]!.equals(d.ids[i]));
  }
  const n = Name.new('mesh');
  const u = ShortUuid.generate();
  const dn = roundTrip([n, Name.reserved('agent'), u]) as [Name, Name, ShortUuid];
  assert.ok(dn[0].equals(n) && dn[1].equals(Name.reserved('agent')) && dn[2].equals(u));
});

test('functions, symbols and cycles fail with SerializationError naming the type', () => {
  class Ping {
    cb = () => 1;
  }
  assert.throws(
    () => encode(new Ping()),
    (e: unknown) => e instanceof SerializationError && e.typeName === 'Ping' && /function/.test(e.message),
  );
  assert.throws(
    () => encode({ s: Symbol('x') }, 'my::Msg'),
    (e: unknown) => e instanceof SerializationError && e.typeName === 'my::Msg' && e.cause instanceof Error,
  );
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  assert.throws(
    () => encode(cyc),
    (e: unknown) => e instanceof SerializationError && /cyclic/.test(e.message),
  );
  assert.throws(() => encodeMessage({ f: () => 0 }, 'M'), SerializationError);
});

test('malformed bytes fail with DeserializationError naming the type', () => {
  const good = encode({ a: 1, b: 'xyz' });
  const bad: unknown[] = [
    good.subarray(0, good.length - 2),
    Buffer.concat([good, Buffer.from([1, 2])]),
    new Uint8Array([0xc1]),
    new Uint8Array(0),
    new Uint8Array([0xd4, 0x33, 0]),
    'not bytes',
  ];
  for (const b of bad) {
    assert.throws(
      () => decode(b as Uint8Array, 'my::Msg'),
      (e: unknown) => e instanceof DeserializationError && e.typeName === 'my::Msg',
      String(b),
    );
  }
  // an inline class extension with an unknown tag
  const unknownTag = new Uint8Array([0xd4, 0x31, 0x00, 0x92, 0xa3, 0x7a, 0x7a, 0x7a, 0x01]);
  assert.throws(
    () => decode(unknownTag),
    (e: unknown) => e instanceof DeserializationError && /unknown class tag/.test(e.message),
  );
});

test('encodeMessage extracts Ranks into bindings in slot order and decodeMessage restores them', () => {
  const msg = { task: 'train', me: new Rank(0), peers: [new Rank(1), new Rank()], nested: { r: new Rank(7) } };
  const { data, bindings } = encodeMessage(msg, 'Train');
  assert.deepStrictEqual(
    bindings.map((b) => [b.tag, b.slot, b.value]),
    [
      ['rank', 0, 0],
      ['rank', 1, 1],
      ['rank', 2, null],
      ['rank', 3, 7],
    ],
  );
  const d = decodeMessage(data, bindings) as typeof msg;
  assert.ok(d.me instanceof Rank && d.me.value === 0);
  assert.equal(d.peers[1]!.value, undefined);
  assert.equal(d.nested.r.value, 7);
  assert.equal(d.task, 'train');
});

test('rebinding Ranks changes the decoded ranks without touching data', () => {
  const { data, bindings } = encodeMessage({ who: new Rank(0), also: [new Rank(0)], keep: 'x' });
  const snapshot = Uint8Array.from(data);
  for (const receiver of [3, 11]) {
    const rebound = rebindRanks(bindings, receiver);
    const d = decodeMessage(data, rebound) as { who: Rank; also: Rank[]; keep: string };
    assert.equal(d.who.value, receiver);
    assert.equal(d.also[0]!.value, receiver);
    assert.equal(d.keep, 'x');
  }
  assert.equal(Buffer.compare(data, snapshot), 0);
  assert.equal(bindings[0]!.value, 0); // the original list is unchanged
});

test('a message without bindable values has no bindings and decodes like plain encode', () => {
  const v = { kind: 'ping', seq: 1 };
  const m = encodeMessage(v);
  assert.equal(m.bindings.length, 0);
  assert.equal(Buffer.compare(m.data, encode(v)), 0);
  assert.deepStrictEqual(decodeMessage(m.data, m.bindings), v);
});

test('plain encode writes bindable values inline, so they decode without bindings', () => {
  assert.equal((decode(encode({ r: new Rank(4) })) as { r: Rank }).r.value, 4);
});

test('missing bindings at decode fail with DeserializationError', () => {
  const { data } = encodeMessage({ r: new Rank(1) });
  assert.throws(
    () => decodeMessage(data, [], 'Cast'),
    (e: unknown) => e instanceof DeserializationError && /slot 0/.test(e.message),
  );
  assert.throws(() => decode(data), DeserializationError);
});

test('bindings serialize for the wire and come back equal', () => {
  const { bindings } = encodeMessage({ a: new Rank(1), b: new Rank() });
  const back = decodeBindings(encodeBindings(bindings));
  assert.deepStrictEqual(back, [...bindings]);
  assert.deepStrictEqual(decodeBindings(encodeBindings([])), []);
  assert.throws(() => decodeBindings(encode({ not: 'a list' })), DeserializationError);
});

test('a registered bindable class is extracted, rewritten by tag and rebuilt; opt-outs stay inline', () => {
  class FakePortRef {
    constructor(
      readonly port: ReturnType<typeof parsePortId>,
      readonly split = true,
    ) {}
  }
  registerBindable<FakePortRef>({
    tag: 'test.fakeport',
    Class: FakePortRef,
    extract: (p) => p.port,
    rebind: (v) => new FakePortRef(v as ReturnType<typeof parsePortId>),
    shouldBind: (p) => p.split,
  });
  assert.throws(
    () => registerCodecClass({ tag: 'test.fakeport', Class: FakePortRef, toValue: () => 0, fromValue: () => new FakePortRef(parsePortId('w[0].a[0][1]')) }),
    BindingError,
  );
  const orig = new FakePortRef(parsePortId('w[0].client[0][1025]'));
  const once = new FakePortRef(parsePortId('w[0].client[0][1026]'), false);
  const { data, bindings } = encodeMessage({ reply: orig, once, rank: new Rank(0) });
  assert.deepStrictEqual(
    bindings.map((b) => b.tag),
    ['test.fakeport', 'rank'],
  );
  const split = parsePortId('w[5].comm[0][2048]');
  const rebound: Binding[] = rebindTag(rebindRanks(bindings, 5), 'test.fakeport', () => split);
  const d = decodeMessage(data, rebound) as { reply: FakePortRef; once: FakePortRef; rank: Rank };
  assert.ok(d.reply instanceof FakePortRef && d.reply.port.equals(split));
  assert.ok(d.once.port.equals(once.port));
  assert.equal(d.rank.value, 5);
  const same = rebind(bindings, (b) => b.value);
  assert.ok(same.every((b, i) => b === bindings[i]));
  // wire round trip of bindings containing ids
  assert.ok((decodeBindings(encodeBindings(rebound))[0]!.value as ReturnType<typeof parsePortId>).equals(split));
});

test('Rank rejects invalid values with a typed error', () => {
  assert.throws(() => new Rank(-1), BindingError);
  assert.throws(() => new Rank(1.5), BindingError);
  assert.throws(() => rebindRanks([], -2), BindingError);
  assert.ok(parseActorId('w[0].a[0]') && parseProcId('w[0]'));
});
