import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeserializationError, decode, encode, parseActorId } from '../../src/core/index.js';
import { ActorRef, LAYOUT_KIND, OncePortRef } from '../../src/actor/refs.js';
import { PortId } from '../../src/core/ids.js';

/** Offset of the first fixed-layout value (0x0e kind) in `bytes`, or -1. */
function layoutAt(bytes: Uint8Array, kind: number): number {
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0x0e && bytes[i + 1] === kind) return i;
  return -1;
}

test('OncePortRef and ActorRef travel in their fixed layouts and come back exactly', () => {
  const a = parseActorId('bench[0].client[0]');
  const b = parseActorId('tcp:127.0.0.1:4100,host,trainer[3]');
  for (const [actor, index, typeName, flag] of [
    [a, 1024, 'reply', false],
    [b, 0xffffffff, 'count', true],
    [a, 7, '', true],
    [b, 1025, 'réponse', false], // a non-ASCII type name is an ordinary string field
  ] as const) {
    const once = new OncePortRef<number>(new PortId(actor, index), typeName, flag);
    const bytes = encode({ type: 'get', reply: once, to: new ActorRef(actor) });
    assert.ok(layoutAt(bytes, LAYOUT_KIND.OncePortRef) > 0, 'OncePortRef in its layout');
    assert.ok(layoutAt(bytes, LAYOUT_KIND.ActorRef) > 0, 'ActorRef in its layout');
    const d = decode(bytes) as { type: string; reply: OncePortRef<number>; to: ActorRef<never> };
    assert.deepStrictEqual(Object.keys(d), ['type', 'reply', 'to']);
    assert.ok(d.reply instanceof OncePortRef && d.to instanceof ActorRef);
    assert.ok(d.reply.portId.equals(once.portId));
    assert.equal(d.reply.portId.smallIndex, index);
    assert.equal(d.reply.typeName, typeName);
    assert.equal(d.reply.returnUndeliverable, flag);
    assert.ok(d.to.actorId.equals(actor));
  }
});

test('alternating actor ids never come back as each other (the last-id caches compare bytes)', () => {
  // Same length, same first and last bytes: only a full compare tells them apart.
  const ids = ['w[0].aaaa[0]', 'w[0].abba[0]', 'w[0].aaaa[1]', 'w[1].aaaa[0]'].map(parseActorId);
  for (let round = 0; round < 50; round++) {
    const id = ids[(round * 7) % ids.length]!;
    const d = decode(encode(new OncePortRef(new PortId(id, 1024 + round), 'reply'))) as OncePortRef<unknown>;
    assert.equal(d.portId.actor.key, id.key);
    assert.equal(d.portId.smallIndex, 1024 + round);
  }
});

test('refs the layout cannot express take the generic forms and still round-trip', () => {
  const a = parseActorId('w[0].a[0]');
  // index at or above 2^32: not a u32
  const wide = new OncePortRef<number>(new PortId(a, 2 ** 40), 'reply', false);
  const bytes = encode({ type: 'get', reply: wide });
  assert.equal(layoutAt(bytes, LAYOUT_KIND.OncePortRef), -1);
  const d = decode(bytes) as { reply: OncePortRef<number> };
  assert.ok(d.reply.portId.equals(wide.portId) && d.reply.returnUndeliverable === false);
  // a subclass is not the exact class: it is not written in the layout (and decodes as before)
  class MyRef<T> extends OncePortRef<T> {}
  const sub = encode({ type: 'get', reply: new MyRef<number>(new PortId(a, 1030)) });
  assert.equal(layoutAt(sub, LAYOUT_KIND.OncePortRef), -1);
});

test('malformed fixed-layout bytes fail with DeserializationError, never with a wrong ref', () => {
  const good = encode(new OncePortRef(new PortId(parseActorId('w[0].a[0]'), 1024), 'reply', true));
  assert.equal(layoutAt(good, LAYOUT_KIND.OncePortRef), 3);
  const key = [...Buffer.from('w[0].a[0]')];
  const bad = [
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0e]), // kind missing
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0e, 0xee]), // unknown kind
    good.subarray(0, good.length - 1), // truncated (flag missing)
    Uint8Array.from([...good.subarray(0, good.length - 1), 2]), // a boolean byte of 2
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0e, 0x02, 0x04, 1, 0, 0, 0]), // actor id is not a string
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0e, 0x02, 0x06, 0x09, ...key.slice(0, 5)]), // actor id runs past the end
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0e, 0x02, 0x06, 0x03, ...Buffer.from('w[0')]), // not an actor id
    Uint8Array.from([0xc1, 0xc1, 0x00, 0x0e, 0x02, 0x06, 0x04, ...Buffer.from('w[0]')]), // a proc id, not an actor id
    Uint8Array.from([...good, 0x00]), // trailing byte
  ];
  for (const b of bad) {
    assert.throws(
      () => decode(b, 'my::Msg'),
      (e: unknown) => e instanceof DeserializationError && e.typeName === 'my::Msg',
      Buffer.from(b).toString('hex'),
    );
  }
  const d = decode(good) as OncePortRef<unknown>;
  assert.equal(d.portId.key, 'w[0].a[0][1024]');
});
