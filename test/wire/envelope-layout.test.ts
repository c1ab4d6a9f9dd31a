// The hand layout of wire/envelope-layout.ts against the schema: envelopes laid out by the real
// EnvelopeEncoder (plain, ask, route-shared) are read with the accessors flatc generated from
// envelope.fbs, and their vtables compared with what a FlatBuffers Builder lays out for the same
// fields. A change of envelope.fbs (field order, types, defaults, the RouteRef struct) that the
// hand layout does not follow fails here.
// Pins docs/architecture.md WIRE-3 (hand layouts match envelope.fbs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as flatbuffers from 'flatbuffers';
import { ActorId, DirectProcId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { EnvelopeEncoder } from '../../src/mailbox/envelope-codec.js';
import { Envelope } from '../../src/wire/generated/actormesh/wire/envelope.js';
import { RouteRef } from '../../src/wire/generated/actormesh/wire/route-ref.js';
import * as L from '../../src/wire/envelope-layout.js';

const from = new ActorId(new DirectProcId('tcp:127.0.0.1:5000', 'driver'), 'client', 0);
const to = new ActorId(new DirectProcId('tcp:127.0.0.1:6000', 'peer'), 'counter', 3).port(17n);
const other = new ActorId(new DirectProcId('tcp:127.0.0.1:6000', 'peer'), 'counter', 4).port(17n);
const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);

function envelope(opts: { ttl?: number; returnUndeliverable?: boolean; replyPort?: number; dest?: typeof to } = {}): MessageEnvelope {
  const e = new MessageEnvelope(from, opts.dest ?? to, payload, 'my.Type');
  if (opts.ttl !== undefined) e.ttl = opts.ttl;
  if (opts.returnUndeliverable !== undefined) e.returnUndeliverable = opts.returnUndeliverable;
  if (opts.replyPort !== undefined) e.replyPort = opts.replyPort;
  return e;
}

const fb = (bytes: Uint8Array): Envelope => Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(bytes));
/** Absolute byte of field `slot` as the generated accessors find it (0: absent). */
function fieldByte(e: Envelope, slot: number): number {
  const o = e.bb!.__offset(e.bb_pos, 4 + 2 * slot);
  return o === 0 ? 0 : e.bb_pos + o;
}
/** What the generated accessors read from an envelope, all fields. */
function readAll(bytes: Uint8Array): unknown[] {
  const e = fb(bytes);
  return [
    e.sender(),
    e.dest(),
    e.ttl(),
    e.flags(),
    e.typeName(),
    [...e.payloadArray()!],
    e.bindingsLength(),
    e.headersLength(),
    e.errorsLength(),
    e.replyPort(),
  ];
}
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
const u16 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(at, true);

/**
 * The same fields through a FlatBuffers Builder and the generated `Envelope.add*`, added in the
 * order that gives the hand layout's table (first added = farthest from the table start; the 2
 * bytes of padding after flags written explicitly).
 */
function builderEnvelope(replyPort?: number): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const sender = b.createString(from.key);
  const dest = b.createString(to.key);
  const type = b.createString('my.Type');
  const data = Envelope.createPayloadVector(b, payload);
  Envelope.startEnvelope(b);
  if (replyPort !== undefined) Envelope.addReplyPort(b, replyPort);
  b.pad(2);
  b.addFieldInt8(L.FIELD_FLAGS, 0, -1); // forced (as the encoder's Builder path does)
  b.addFieldInt8(L.FIELD_TTL, 64, -1);
  Envelope.addPayload(b, data);
  Envelope.addTypeName(b, type);
  Envelope.addDest(b, dest);
  Envelope.addSender(b, sender);
  b.finish(Envelope.endEnvelope(b));
  return b.asUint8Array().slice();
}

test('schema facts: field slots, flags and defaults are the generated code’s', () => {
  // Each generated add* writes its field's vtable slot: build one field at a time and find it.
  const slotOf = (add: (b: flatbuffers.Builder) => void): number => {
    const b = new flatbuffers.Builder(64);
    Envelope.startEnvelope(b);
    add(b);
    b.finish(Envelope.endEnvelope(b));
    const e = fb(b.asUint8Array());
    for (let slot = 0; slot < 16; slot++) if (e.bb!.__offset(e.bb_pos, 4 + 2 * slot) !== 0) return slot;
    return -1;
  };
  assert.equal(
    slotOf((b) => Envelope.addSender(b, 4)),
    L.FIELD_SENDER,
  );
  assert.equal(
    slotOf((b) => Envelope.addDest(b, 4)),
    L.FIELD_DEST,
  );
  assert.equal(
    slotOf((b) => Envelope.addTtl(b, 7)),
    L.FIELD_TTL,
  );
  assert.equal(
    slotOf((b) => Envelope.addFlags(b, 7)),
    L.FIELD_FLAGS,
  );
  assert.equal(
    slotOf((b) => Envelope.addTypeName(b, 4)),
    L.FIELD_TYPE_NAME,
  );
  assert.equal(
    slotOf((b) => Envelope.addPayload(b, 4)),
    L.FIELD_PAYLOAD,
  );
  assert.equal(
    slotOf((b) => Envelope.addBindings(b, 4)),
    L.FIELD_BINDINGS,
  );
  assert.equal(
    slotOf((b) => Envelope.addHeaders(b, 4)),
    L.FIELD_HEADERS,
  );
  assert.equal(
    slotOf((b) => Envelope.addErrors(b, 4)),
    L.FIELD_ERRORS,
  );
  assert.equal(
    slotOf((b) => Envelope.addReplyPort(b, 7)),
    L.FIELD_REPLY_PORT,
  );
  // Defaults: an envelope without ttl, flags and reply_port.
  const b = new flatbuffers.Builder(64);
  Envelope.startEnvelope(b);
  b.finish(Envelope.endEnvelope(b));
  const e = fb(b.asUint8Array());
  assert.equal(e.ttl(), L.DEFAULT_TTL);
  assert.equal(e.flags(), L.DEFAULT_FLAGS);
  assert.equal(e.replyPort(), L.NO_REPLY_PORT);
  assert.equal(L.DEFAULT_FLAGS & L.FLAG_RETURN_UNDELIVERABLE, L.FLAG_RETURN_UNDELIVERABLE, 'return_undeliverable is bit 0 of the default flags');
});

test('fast layout: every named offset is where the generated accessors read the field', () => {
  const bytes = new EnvelopeEncoder().encode(envelope({ ttl: 9, returnUndeliverable: false }));
  const e = fb(bytes);
  assert.equal(u32(bytes, 0), L.TABLE_BYTE);
  assert.equal(e.bb_pos, L.TABLE_BYTE);
  assert.equal(e.bb_pos - e.bb!.readInt32(e.bb_pos), L.VTABLE_BYTE);
  assert.equal(u16(bytes, L.VTABLE_BYTE), L.FAST_VTABLE_BYTES);
  assert.equal(u16(bytes, L.VTABLE_BYTE + 2), L.FAST_TABLE_BYTES);
  assert.equal(fieldByte(e, L.FIELD_SENDER), L.SENDER_UOFFSET_BYTE);
  assert.equal(fieldByte(e, L.FIELD_DEST), L.DEST_UOFFSET_BYTE);
  assert.equal(fieldByte(e, L.FIELD_TYPE_NAME), L.TYPE_UOFFSET_BYTE);
  assert.equal(fieldByte(e, L.FIELD_PAYLOAD), L.PAYLOAD_UOFFSET_BYTE);
  assert.equal(L.PAYLOAD_UOFFSET_WORD * 4, L.PAYLOAD_UOFFSET_BYTE);
  assert.equal(fieldByte(e, L.FIELD_TTL), L.TTL_BYTE);
  assert.equal(fieldByte(e, L.FIELD_FLAGS), L.FLAGS_BYTE);
  assert.equal(L.TTL_FLAGS_WORD * 4, L.TTL_BYTE);
  for (const slot of [L.FIELD_BINDINGS, L.FIELD_HEADERS, L.FIELD_ERRORS, L.FIELD_REPLY_PORT]) assert.equal(fieldByte(e, slot), 0, `field ${slot} is absent`);
  // The values there are what the accessors read.
  assert.equal(bytes[L.TTL_BYTE], e.ttl());
  assert.equal(e.ttl(), 9);
  assert.equal(bytes[L.FLAGS_BYTE], e.flags());
  assert.equal(e.flags() & L.FLAG_RETURN_UNDELIVERABLE, 0);
  assert.equal(e.sender(), from.key);
  assert.equal(e.dest(), to.key);
  assert.equal(e.typeName(), 'my.Type');
  assert.equal(u32(bytes, L.FAST_STRINGS_BYTE), new TextEncoder().encode(from.key).length, 'the sender string opens the strings');
  // The payload length sits at word payloadLengthWord(uoffset), the payload right after it.
  const lenAt = 4 * L.payloadLengthWord(u32(bytes, L.PAYLOAD_UOFFSET_BYTE));
  assert.equal(lenAt, L.PAYLOAD_UOFFSET_BYTE + u32(bytes, L.PAYLOAD_UOFFSET_BYTE));
  assert.equal(u32(bytes, lenAt), e.payloadLength());
  assert.equal(e.payloadArray()!.byteOffset - bytes.byteOffset, lenAt + 4);
  // Writing at a named offset changes what the accessor reads, and only that.
  const before = readAll(bytes);
  const w = bytes.slice();
  w[L.TTL_BYTE] = 200;
  w[L.FLAGS_BYTE] = L.FLAG_RETURN_UNDELIVERABLE;
  const after = readAll(w);
  assert.equal(fb(w).ttl(), 200);
  assert.equal(fb(w).flags(), L.FLAG_RETURN_UNDELIVERABLE);
  assert.deepEqual([after[0], after[1], ...after.slice(4)], [before[0], before[1], ...before.slice(4)]);
});

test('fast layout: the route stamp sits in padding no accessor reads', () => {
  const enc = new EnvelopeEncoder();
  const bytes = enc.encode(envelope());
  // The high half right after the vtable, the low half after flags, inside the table but in no field.
  assert.equal(L.STAMP_HI_BYTE, L.VTABLE_BYTE + L.FAST_VTABLE_BYTES);
  assert.ok(L.STAMP_HI_BYTE + 2 <= L.TABLE_BYTE);
  assert.equal(L.STAMP_LO_BYTE, L.FLAGS_BYTE + 1);
  assert.ok(L.STAMP_LO_BYTE + 2 <= L.TABLE_BYTE + L.FAST_TABLE_BYTES);
  assert.equal(L.FAST_STRINGS_BYTE, L.TABLE_BYTE + L.FAST_TABLE_BYTES);
  assert.equal(L.STAMP_HI_WORD * 4 + 2, L.STAMP_HI_BYTE);
  assert.equal(L.STAMP_LO_WORD * 4 + 2, L.STAMP_LO_BYTE);
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const stamp = L.routeStampAt(words, 0);
  assert.notEqual(stamp, 0, 'a fast envelope carries a stamp');
  assert.equal(stamp, (u16(bytes, L.STAMP_HI_BYTE) << 16) | u16(bytes, L.STAMP_LO_BYTE));
  const w = bytes.slice();
  w[L.STAMP_HI_BYTE] ^= 0xff;
  w[L.STAMP_HI_BYTE + 1] ^= 0xff;
  w[L.STAMP_LO_BYTE] ^= 0xff;
  w[L.STAMP_LO_BYTE + 1] ^= 0xff;
  assert.deepEqual(readAll(w), readAll(bytes));
  // Same route, same stamp; another route, another stamp; writeRouteStamp writes what routeStampAt reads.
  const again = enc.encode(envelope());
  assert.equal(L.routeStampAt(new Int32Array(again.buffer, again.byteOffset, 16), 0), stamp);
  const moved = enc.encode(envelope({ dest: other }));
  assert.notEqual(L.routeStampAt(new Int32Array(moved.buffer, moved.byteOffset, 16), 0), stamp);
  L.writeRouteStamp(new DataView(w.buffer), 0, 0xfedc1234);
  assert.equal(L.routeStampAt(new Int32Array(w.buffer), 0), 0xfedc1234 | 0);
});

test('fast layout: FAST_HEADER and the vtable are what a Builder lays out for the same fields', () => {
  const bytes = new EnvelopeEncoder().encode(envelope({ ttl: 64, returnUndeliverable: false }));
  const head = bytes.slice(0, L.FAST_HEADER.length);
  head[L.STAMP_HI_BYTE] = head[L.STAMP_HI_BYTE + 1] = 0;
  assert.deepEqual([...head], [...L.FAST_HEADER]);
  const built = builderEnvelope();
  const h = fb(bytes);
  const g = fb(built);
  for (let slot = 0; slot <= L.FIELD_REPLY_PORT; slot++)
    assert.equal(h.bb!.__offset(h.bb_pos, 4 + 2 * slot), g.bb!.__offset(g.bb_pos, 4 + 2 * slot), `vtable entry of field ${slot}`);
  const vt = (e: Envelope) => e.bb_pos - e.bb!.readInt32(e.bb_pos);
  assert.equal(h.bb!.readUint16(vt(h) + 2), g.bb!.readUint16(vt(g) + 2), 'table size');
  // The Builder trims trailing absent fields; the hand vtable keeps bindings/headers/errors (zero).
  assert.equal(g.bb!.readUint16(vt(g)), 4 + 2 * (L.FIELD_PAYLOAD + 1));
  assert.equal(L.FAST_VTABLE_BYTES, 4 + 2 * (L.FIELD_ERRORS + 1));
  assert.deepEqual(readAll(bytes), readAll(built));
  // ttl, flags and the padding after them agree byte for byte, the stamp aside.
  const t = bytes.slice(L.TABLE_BYTE);
  t[L.STAMP_LO_BYTE - L.TABLE_BYTE] = t[L.STAMP_LO_BYTE - L.TABLE_BYTE + 1] = 0;
  const gt = built.slice(g.bb_pos);
  assert.deepEqual([...t.subarray(L.TTL_BYTE - L.TABLE_BYTE, L.FAST_TABLE_BYTES)], [...gt.subarray(L.TABLE_TTL, L.FAST_TABLE_BYTES)]);
});

test('ask layout: the reply port and the table around it, against the accessors and a Builder', () => {
  const bytes = new EnvelopeEncoder().encode(envelope({ replyPort: 0x01020304, ttl: 33 }));
  const e = fb(bytes);
  assert.equal(e.bb_pos, L.TABLE_BYTE);
  assert.equal(u16(bytes, L.VTABLE_BYTE), L.ASK_VTABLE_BYTES);
  assert.equal(u16(bytes, L.VTABLE_BYTE + 2), L.ASK_TABLE_BYTES);
  assert.equal(u16(bytes, L.ASK_REPLY_PORT_VT_BYTE), L.TABLE_REPLY_PORT);
  assert.equal(fieldByte(e, L.FIELD_REPLY_PORT), L.ASK_REPLY_PORT_BYTE);
  assert.equal(fieldByte(e, L.FIELD_TTL), L.TTL_BYTE);
  assert.equal(fieldByte(e, L.FIELD_FLAGS), L.FLAGS_BYTE);
  assert.equal(fieldByte(e, L.FIELD_SENDER), L.SENDER_UOFFSET_BYTE);
  assert.equal(fieldByte(e, L.FIELD_PAYLOAD), L.PAYLOAD_UOFFSET_BYTE);
  assert.equal(u32(bytes, L.ASK_REPLY_PORT_BYTE), e.replyPort());
  assert.equal(e.replyPort(), 0x01020304);
  assert.equal(bytes[L.TTL_BYTE], e.ttl());
  assert.equal(L.ASK_STRINGS_BYTE, L.TABLE_BYTE + L.ASK_TABLE_BYTES);
  assert.equal(u32(bytes, L.ASK_STRINGS_BYTE), new TextEncoder().encode(from.key).length, 'the sender string opens the strings');
  assert.equal(e.sender(), from.key);
  assert.deepEqual([...e.payloadArray()!], [...payload]);
  const built = builderEnvelope(0x01020304);
  const g = fb(built);
  for (let slot = 0; slot <= L.FIELD_REPLY_PORT; slot++)
    assert.equal(e.bb!.__offset(e.bb_pos, 4 + 2 * slot), g.bb!.__offset(g.bb_pos, 4 + 2 * slot), `vtable entry of field ${slot}`);
  const vt = (x: Envelope) => x.bb_pos - x.bb!.readInt32(x.bb_pos);
  assert.equal(g.bb!.readUint16(vt(g)), L.ASK_VTABLE_BYTES);
  assert.equal(g.bb!.readUint16(vt(g) + 2), L.ASK_TABLE_BYTES);
});

test('RouteRef: the encoder’s route-shared envelopes are the schema struct, read by its accessors', () => {
  const enc = new EnvelopeEncoder();
  const head = enc.encode(envelope());
  const shared = enc.encode(envelope({ ttl: 5, returnUndeliverable: false }), true);
  assert.equal(shared.buffer, head.buffer, 'the run continues in the slab');
  assert.ok(L.isRouteRef(shared) && !L.isRouteRef(head));
  assert.equal(RouteRef.sizeOf(), L.ROUTE_REF_BYTES);
  assert.equal(L.ROUTE_REF_WORDS * 4, L.ROUTE_REF_BYTES);
  const r = new RouteRef().__init(0, new flatbuffers.ByteBuffer(shared));
  assert.equal(r.marker(), 0);
  assert.equal(u32(shared, L.RR_MARKER_WORD * 4), r.marker());
  assert.equal(r.distance(), shared.byteOffset - head.byteOffset);
  assert.equal(u32(shared, L.RR_DISTANCE_BYTE), r.distance());
  assert.equal(L.RR_DISTANCE_WORD * 4, L.RR_DISTANCE_BYTE);
  assert.equal(shared[L.RR_TTL_BYTE], r.ttl());
  assert.equal(r.ttl(), 5);
  assert.equal(shared[L.RR_FLAGS_BYTE], r.flags());
  assert.equal(r.flags(), 0);
  assert.equal(L.RR_TTL_FLAGS_WORD * 4, L.RR_TTL_BYTE);
  assert.equal(L.RR_FLAGS_BYTE, L.RR_TTL_BYTE + 1);
  assert.equal(u32(shared, L.RR_PAYLOAD_LENGTH_BYTE), r.payloadLength());
  assert.equal(L.RR_PAYLOAD_LENGTH_WORD * 4, L.RR_PAYLOAD_LENGTH_BYTE);
  assert.equal(r.payloadLength(), payload.length);
  assert.deepEqual([...shared.subarray(L.ROUTE_REF_BYTES, L.ROUTE_REF_BYTES + payload.length)], [...payload]);
  // Byte for byte what the generated struct builder writes.
  const b = new flatbuffers.Builder(32);
  b.finish(RouteRef.createRouteRef(b, 0, r.distance(), 5, 0, payload.length));
  const built = b.asUint8Array();
  assert.deepEqual([...shared.subarray(0, L.ROUTE_REF_BYTES)], [...built.subarray(built.length - L.ROUTE_REF_BYTES)]);
  assert.ok(L.isSlabRouteRef(shared) && !L.isSlabRouteRef(shared.slice()), 'only a view into a registered slab is a slab RouteRef');
});
