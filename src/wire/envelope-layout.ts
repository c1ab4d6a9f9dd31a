/**
 * The hand layout of the fast envelopes, drawn once next to the code that writes it
 * (mailbox/envelope-codec.ts) and the code that reads it without the generated accessors
 * (wire/frames.ts, the envelope decoder's template path), as Monarch draws its frame layout once
 * in hyperactor/src/channel/net.rs next to the frame reader and writer.
 *
 * Every layout is a valid FlatBuffer of schema envelope.fbs (table `Envelope`, struct
 * `RouteRef`): test/wire/envelope-layout.test.ts checks each named offset below against what the
 * generated accessors read and the vtables against what a FlatBuffers Builder lays out for the
 * same fields, so it fails the day envelope.fbs changes and this layout does not
 * (docs/architecture.md WIRE-3).
 *
 * Fast envelope (`encodeFast`: no bindings, headers, errors or reply port), all little-endian:
 *
 *   byte  word
 *   [0]    0   u32 root uoffset → the table at TABLE_BYTE (28)
 *   [4]    1   vtable (FAST_VTABLE_BYTES 22): u16 vtable size, u16 table size (FAST_TABLE_BYTES 24),
 *              field offsets in schema order: sender 4, dest 8, ttl 20, flags 21, type_name 12,
 *              payload 16, bindings 0, headers 0, errors 0
 *   [26]   6   u16 route stamp, high half (STAMP_HI_BYTE: padding no reader looks at)
 *   [28]   7   table: i32 soffset 24 (vtable at 28 − 24 = 4)
 *   [32]   8   u32 uoffset → sender      (SENDER_UOFFSET_BYTE)
 *   [36]   9   u32 uoffset → dest        (DEST_UOFFSET_BYTE)
 *   [40]  10   u32 uoffset → type_name   (TYPE_UOFFSET_BYTE)
 *   [44]  11   u32 uoffset → payload     (PAYLOAD_UOFFSET_BYTE, word PAYLOAD_UOFFSET_WORD)
 *   [48]  12   u8 ttl (TTL_BYTE), u8 flags (FLAGS_BYTE), u16 route stamp low half (STAMP_LO_BYTE)
 *   [52]  13   strings sender, dest, type_name (each u32 length, bytes, NUL, padding to 4), then
 *              the payload: u32 length, bytes, padding to 4 (FAST_STRINGS_BYTE)
 *
 * Ask envelope (`encodeAsk`: the same plus a reply port, never route-shared):
 *
 *   [4]    vtable (ASK_VTABLE_BYTES 24): as above plus reply_port 24; table size ASK_TABLE_BYTES 28
 *   [28]   table as above, ttl 48, flags 49, 2 bytes padding, u32 reply_port (ASK_REPLY_PORT_BYTE 52)
 *   [56]   strings and payload as above (ASK_STRINGS_BYTE)
 *
 * RouteRef + payload (a route-shared envelope, ROUTE_REF_BYTES 16, padded to 4):
 *
 *   [0]  u32 marker 0 (no FlatBuffer starts with it)   [4]  u32 distance back to the run's head
 *   [8]  u8 ttl, u8 flags, 2 zero bytes                [12] u32 payload length;  [16] the payload
 *
 * The route stamp of a fast envelope (`newRouteStamp`, read with `routeStampAt`) is the u32
 * (hi << 16 | lo): equal non-zero stamps mean equal sender, dest and type_name.
 */

// ---------------------------------------------------------------------------------------------
// Schema facts (envelope.fbs): field slots of table Envelope, in declaration order, and flags.

export const FIELD_SENDER = 0;
export const FIELD_DEST = 1;
export const FIELD_TTL = 2;
export const FIELD_FLAGS = 3;
export const FIELD_TYPE_NAME = 4;
export const FIELD_PAYLOAD = 5;
export const FIELD_BINDINGS = 6;
export const FIELD_HEADERS = 7;
export const FIELD_ERRORS = 8;
export const FIELD_REPLY_PORT = 9;
/** Envelope.flags bit 0: return the envelope to its sender when undeliverable. */
export const FLAG_RETURN_UNDELIVERABLE = 1;
/** `reply_port`'s schema default: no reply port. */
export const NO_REPLY_PORT = 0xffffffff;
/** `ttl`'s and `flags`' schema defaults (what a reader sees when the field is absent). */
export const DEFAULT_TTL = 64;
export const DEFAULT_FLAGS = 1;

// ---------------------------------------------------------------------------------------------
// The hand layouts (see the module comment).

/** Byte of the vtable (right after the root uoffset). */
export const VTABLE_BYTE = 4;
/** Byte of the table (its soffset), where the root uoffset at byte 0 points. */
export const TABLE_BYTE = 28;
/** Field offsets inside the table (what the vtable holds for each field). */
export const TABLE_SENDER = 4;
export const TABLE_DEST = 8;
export const TABLE_TYPE_NAME = 12;
export const TABLE_PAYLOAD = 16;
export const TABLE_TTL = 20;
export const TABLE_FLAGS = 21;
export const TABLE_REPLY_PORT = 24;
/** The fast layout's vtable and table sizes. */
export const FAST_VTABLE_BYTES = 22;
export const FAST_TABLE_BYTES = 24;
/** The ask layout's vtable and table sizes. */
export const ASK_VTABLE_BYTES = 24;
export const ASK_TABLE_BYTES = 28;

export const SENDER_UOFFSET_BYTE = TABLE_BYTE + TABLE_SENDER; // 32
export const DEST_UOFFSET_BYTE = TABLE_BYTE + TABLE_DEST; // 36
export const TYPE_UOFFSET_BYTE = TABLE_BYTE + TABLE_TYPE_NAME; // 40
export const PAYLOAD_UOFFSET_BYTE = TABLE_BYTE + TABLE_PAYLOAD; // 44
/** Word index of the payload's uoffset: the payload length sits at word 11 + (that uoffset >>> 2). */
export const PAYLOAD_UOFFSET_WORD = PAYLOAD_UOFFSET_BYTE >>> 2; // 11
export const TTL_BYTE = TABLE_BYTE + TABLE_TTL; // 48
export const FLAGS_BYTE = TABLE_BYTE + TABLE_FLAGS; // 49
/** Word holding ttl (low byte), flags (next byte) and, in the fast layout, the stamp's low half. */
export const TTL_FLAGS_WORD = TTL_BYTE >>> 2; // 12
/** Route stamp halves (fast layout only): padding the readers skip. */
export const STAMP_HI_BYTE = VTABLE_BYTE + FAST_VTABLE_BYTES; // 26
export const STAMP_LO_BYTE = FLAGS_BYTE + 1; // 50
/** Words whose high halves hold the stamp halves (their low halves: zero padding / ttl and flags). */
export const STAMP_HI_WORD = STAMP_HI_BYTE >>> 2; // 6
export const STAMP_LO_WORD = STAMP_LO_BYTE >>> 2; // 12
/** Where the fast layout's strings start (= bytes before them, the size of its fixed head). */
export const FAST_STRINGS_BYTE = 52;
/** The ask layout's reply port (u32) and where its strings start. */
export const ASK_REPLY_PORT_BYTE = TABLE_BYTE + TABLE_REPLY_PORT; // 52
export const ASK_REPLY_PORT_VT_BYTE = VTABLE_BYTE + 4 + 2 * FIELD_REPLY_PORT; // 26
export const ASK_STRINGS_BYTE = 56;

/** Size of the RouteRef struct that heads a route-shared envelope (the payload follows). */
export const ROUTE_REF_BYTES = 16;
export const ROUTE_REF_WORDS = ROUTE_REF_BYTES >>> 2;
/** RouteRef fields (schema struct RouteRef): word / byte indices. */
export const RR_MARKER_WORD = 0;
export const RR_DISTANCE_WORD = 1;
export const RR_DISTANCE_BYTE = 4;
export const RR_TTL_FLAGS_WORD = 2;
export const RR_TTL_BYTE = 8;
export const RR_FLAGS_BYTE = 9;
export const RR_PAYLOAD_LENGTH_WORD = 3;
export const RR_PAYLOAD_LENGTH_BYTE = 12;

/** Bytes of a FlatBuffers string in a hand layout: u32 length, the bytes, NUL, padding to 4. */
export const strSize = (utf8: Uint8Array): number => (4 + utf8.length + 1 + 3) & ~3;

/**
 * The part of the hand layouts (fast and ask) that they share, at `at`: the root uoffset, the
 * vtable's sizes and its first six field offsets, and the table's soffset back to the vtable.
 * (Vtable entries after the sixth are the caller's: zero in fresh memory, or reply_port.)
 */
export function layHead(dv: DataView, at: number, vtableSize: number, tableSize: number): void {
  dv.setUint32(at, TABLE_BYTE, true);
  const vt = at + VTABLE_BYTE;
  dv.setUint16(vt, vtableSize, true);
  dv.setUint16(vt + 2, tableSize, true);
  dv.setUint16(vt + 4 + 2 * FIELD_SENDER, TABLE_SENDER, true);
  dv.setUint16(vt + 4 + 2 * FIELD_DEST, TABLE_DEST, true);
  dv.setUint16(vt + 4 + 2 * FIELD_TTL, TABLE_TTL, true);
  dv.setUint16(vt + 4 + 2 * FIELD_FLAGS, TABLE_FLAGS, true);
  dv.setUint16(vt + 4 + 2 * FIELD_TYPE_NAME, TABLE_TYPE_NAME, true);
  dv.setUint16(vt + 4 + 2 * FIELD_PAYLOAD, TABLE_PAYLOAD, true);
  dv.setInt32(at + TABLE_BYTE, TABLE_BYTE - VTABLE_BYTE, true);
}

/**
 * Lays sender, dest and type_name out from `pos` (relative to `at`; each u32 length, bytes, NUL,
 * padding to 4), pointing the table's uoffsets at them and the payload's at what follows; returns
 * that position (where the payload length goes).
 */
export function layStrings(dv: DataView, buf: Uint8Array, at: number, pos: number, ...strs: [Uint8Array, Uint8Array, Uint8Array]): number {
  for (let i = 0; i < 3; i++) {
    const str = strs[i]!;
    const field = SENDER_UOFFSET_BYTE + 4 * i; // sender, dest, type_name uoffsets are consecutive
    dv.setUint32(at + field, pos - field, true);
    dv.setUint32(at + pos, str.length, true);
    buf.set(str, at + pos + 4);
    pos += strSize(str);
  }
  dv.setUint32(at + PAYLOAD_UOFFSET_BYTE, pos - PAYLOAD_UOFFSET_BYTE, true);
  return pos;
}

/**
 * The fixed head of the fast layout up to the table's first uoffset (bytes 0..31): root uoffset,
 * vtable, a zero stamp high half, the table's soffset.
 */
export const FAST_HEADER: Uint8Array = (() => {
  const h = new Uint8Array(SENDER_UOFFSET_BYTE);
  layHead(new DataView(h.buffer), 0, FAST_VTABLE_BYTES, FAST_TABLE_BYTES);
  return h;
})();

/** Whether `bytes` starts with a RouteRef (marker 0: its route is an earlier envelope's). */
export function isRouteRef(bytes: Uint8Array): boolean {
  return bytes.length >= ROUTE_REF_BYTES && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 0;
}

/** A little-endian u32 at `at` of `bytes` (no bounds check: the caller has one). */
export function u32At(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * The route stamp of the fast envelope at word `headWord` of `words` (as an int32: compare for
 * equality only); 0 for an envelope without one.
 */
export function routeStampAt(words: Int32Array<ArrayBufferLike>, headWord: number): number {
  return (words[headWord + STAMP_HI_WORD]! & 0xffff0000) | (words[headWord + STAMP_LO_WORD]! >>> 16);
}

/**
 * Word index, relative to the envelope, of the payload length of a fast envelope whose payload
 * uoffset (word PAYLOAD_UOFFSET_WORD) is `payloadUoffset`: also the number of words before it.
 */
export function payloadLengthWord(payloadUoffset: number): number {
  return PAYLOAD_UOFFSET_WORD + (payloadUoffset >>> 2);
}

// ---------------------------------------------------------------------------------------------
// Route sharing between envelope encoders and the frame encoder.

/**
 * Slabs of envelope encoders. Registering a slab promises that every message view into it handed
 * to a Tx is either
 * - an envelope in the fast layout (root 28, fixed vtable, no bindings, headers or errors,
 *   payload last, padded to 4 bytes, 4-aligned in the slab) that carries a route stamp from
 *   `newRouteStamp` at STAMP_HI_BYTE / STAMP_LO_BYTE, taken anew for each distinct (sender, dest,
 *   type_name) an encoder lays out; or
 * - a RouteRef + payload (padded to 4, 4-aligned; first word 0, which no envelope starts with)
 *   whose distance leads back, in the same slab, to the nearest preceding full envelope of the
 *   slab, whose route it shares; every slab message between the two is such a RouteRef too.
 * Slabs are never rewritten.
 */
const ENVELOPE_SLABS = new WeakSet<ArrayBufferLike>();
let lastStamp = 0;

/**
 * A route stamp never handed out before in this process (1..2^32-1; it would take 2^32 route
 * changes for one to repeat). Two envelopes with the same stamp share sender, dest and type_name.
 */
export function newRouteStamp(): number {
  lastStamp = lastStamp === 0xffffffff ? 1 : lastStamp + 1;
  return lastStamp;
}

/** Writes `stamp` into the fast envelope laid out at `at` of `dv` (its two padding halves). */
export function writeRouteStamp(dv: DataView, at: number, stamp: number): void {
  dv.setUint16(at + STAMP_HI_BYTE, stamp >>> 16, true);
  dv.setUint16(at + STAMP_LO_BYTE, stamp & 0xffff, true);
}

/** Registers an envelope encoder's slab (see ENVELOPE_SLABS for what that promises). */
export function registerEnvelopeSlab(slab: ArrayBufferLike): void {
  ENVELOPE_SLABS.add(slab);
}

/** Whether `buf` is a registered envelope slab. */
export function isEnvelopeSlab(buf: ArrayBufferLike): boolean {
  return ENVELOPE_SLABS.has(buf);
}

/**
 * True when `m` is a route-shared envelope (RouteRef + payload) in a registered envelope slab: it
 * cannot open a frame without being rewritten (its head is an earlier message).
 */
export function isSlabRouteRef(m: Uint8Array): boolean {
  return m.length >= ROUTE_REF_BYTES && (m.byteOffset & 3) === 0 && m[0] === 0 && m[1] === 0 && m[2] === 0 && m[3] === 0 && ENVELOPE_SLABS.has(m.buffer);
}
