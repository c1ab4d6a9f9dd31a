/**
 * Channel frames (schema `envelope.fbs`, table `Frame`): encode with one reused FlatBuffers
 * Builder, decode with a bounds-checking reader.
 *
 * Invariants enforced here:
 * - `decodeFrame` never trusts an offset: every table, vtable, vector and string is checked
 *   against the buffer before it is read, so random bytes and truncated frames give a
 *   `FrameError`, never a RangeError or garbage
 *   (docs/architecture.md WIRE-1); a Messages frame's `ends` are non-decreasing and
 *   end exactly at `data.length`; sequence numbers are safe integers; every route-shared message
 *   (schema: `shared`, `RouteRef`) refers to the nearest preceding full message of its own frame
 *   and its payload fits, so a frame never depends on an earlier one (resends stay valid)
 *   (docs/architecture.md WIRE-2).
 * - An encoder's output is a view into its own buffers: valid until the next call on that encoder
 *   (callers hand it to a socket, which copies, before encoding again).
 * - Messages of a batch are copied into the frame in bulk (one `set` per message, or a short word
 *   loop for small route-shared payloads); the encoder decides route sharing from the bytes alone.
 *   RouteRefs an envelope encoder already wrote into its slab are re-pointed at the frame's own
 *   run head, or expanded into a full envelope when the frame has none (a frame opening inside a
 *   run), so a frame never refers outside itself.
 * - `messageParts` gives the same bytes without copying the messages when they are runs that sit
 *   back to back in envelope slabs, each opening with a full envelope: then slab distances are
 *   frame distances, and only the head (offsets) and the shared bitmap are written.
 */
import * as flatbuffers from 'flatbuffers';
import { Frame } from './generated/actormesh/wire/frame.js';
import { FrameKind } from './generated/actormesh/wire/frame-kind.js';
import { FrameError } from './errors.js';
import { TableReader } from './reader.js';
import * as layout from './envelope-layout.js';

// The envelope layout's names as module-local constants: optimized code folds these, while every
// use of an imported binding stays a module-cell load with a TDZ check (measured: +6 % on
// `messages`).
const { ROUTE_REF_BYTES, isEnvelopeSlab, payloadLengthWord, routeStampAt } = layout;
const {
  FLAGS_BYTE,
  PAYLOAD_UOFFSET_WORD,
  ROUTE_REF_WORDS,
  RR_DISTANCE_BYTE,
  RR_DISTANCE_WORD,
  RR_FLAGS_BYTE,
  RR_MARKER_WORD,
  RR_PAYLOAD_LENGTH_BYTE,
  RR_PAYLOAD_LENGTH_WORD,
  RR_TTL_BYTE,
  RR_TTL_FLAGS_WORD,
  TTL_BYTE,
  TTL_FLAGS_WORD,
} = layout;

export { FrameKind };

export type DecodedFrame =
  | { kind: FrameKind.Init; session: bigint }
  | { kind: FrameKind.Messages; seq: number; messages: Uint8Array[]; bytes: number }
  | { kind: FrameKind.Ack; seq: number }
  | { kind: FrameKind.Reject; reason: string };

// Byte offsets of the hand-laid Messages frame (drawn at `FrameEncoder.messages`; the envelopes
// inside it are drawn in envelope-layout.ts). test/wire/frames.test.ts reads such frames with the
// generated accessors.

/** Vtable entry of `shared` (field 6): 20 when the bitmap is present, else 0. */
const MF_SHARED_VT_BYTE = 20;
/** The table (its soffset; the root uoffset at 0 points here). */
const MF_TABLE_BYTE = 24;
/** Table fields: uoffset → ends, u64 seq, uoffset → data, uoffset → shared, u8 kind. */
const MF_ENDS_UOFFSET_BYTE = 28;
const MF_SEQ_BYTE = 32;
const MF_DATA_UOFFSET_BYTE = 40;
const MF_SHARED_UOFFSET_BYTE = 44;
const MF_KIND_BYTE = 48;
/** The ends vector: u32 count, then the ends from MF_ENDS_FIRST_BYTE; the data vector follows. */
const MF_ENDS_BYTE = 52;
const MF_ENDS_FIRST_BYTE = 56;

/** Encodes frames: control frames with one reused Builder, Messages frames by hand (see `messages`). */
export class FrameEncoder {
  private readonly b: flatbuffers.Builder;
  constructor(initialSize = 64 * 1024) {
    this.b = new flatbuffers.Builder(initialSize);
  }

  init(session: bigint): Uint8Array {
    const b = this.b;
    b.clear();
    Frame.startFrame(b);
    Frame.addKind(b, FrameKind.Init);
    Frame.addSession(b, session);
    b.finish(Frame.endFrame(b));
    return b.asUint8Array();
  }

  ack(seq: number): Uint8Array {
    const b = this.b;
    b.clear();
    Frame.startFrame(b);
    Frame.addKind(b, FrameKind.Ack);
    Frame.addSeq(b, BigInt(seq));
    b.finish(Frame.endFrame(b));
    return b.asUint8Array();
  }

  reject(reason: string): Uint8Array {
    const b = this.b;
    b.clear();
    const r = b.createString(reason);
    Frame.startFrame(b);
    Frame.addKind(b, FrameKind.Reject);
    Frame.addReason(b, r);
    b.finish(Frame.endFrame(b));
    return b.asUint8Array();
  }

  /**
   * A Messages frame holding `msgs[from..to)` whose total length is `total` bytes; the first has
   * sequence number `firstSeq`. Laid out by hand (a valid FlatBuffer, read by the generated
   * accessors too, see test/wire/frames.test.ts), into a buffer this encoder reuses:
   *   [0]  u32 root → table at 24
   *   [4]  vtable: u16 18 (size), u16 28 (table size), offsets kind 24, session 0, seq 8,
   *        ends 4, data 16, reason 0, shared 20 (0 when no message is route-shared); 2 bytes pad
   *   [24] table: i32 soffset 20 (vtable at 4), u32 ends → 52, u64 seq, u32 data → 56+4n,
   *        u32 shared (or 0), u8 kind, 3 bytes padding
   *   [52] ends: u32 n, n × u32;  [56+4n] data: u32 length, the messages back to back, pad to 4;
   *   then, if any message is route-shared, shared: u32 ⌈n/8⌉, the bitmap, pad to 4.
   * The Builder path costs ≈ 0.4 µs per frame, which the latency path (one small frame per
   * message) pays on every send.
   *
   * Route sharing (schema envelope.fbs): envelopes written by an `EnvelopeEncoder`
   * (mailbox/envelope-codec.ts) sit in slabs registered with `registerEnvelopeSlab` and carry in
   * their padding a route stamp (`newRouteStamp`; layout and offsets: wire/envelope-layout.ts).
   * A message from a registered slab whose stamp equals that of the nearest preceding full
   * message of this frame is written as a 16-byte RouteRef + its payload:
   * at 64-byte payloads a third of the bytes, and no route compare here or at the receiver. Any
   * other message (raw channel bytes, envelopes with bindings or headers) is copied as it is.
   */
  messages(firstSeq: number, msgs: readonly Uint8Array[], from: number, to: number, total: number): Uint8Array {
    const n = to - from;
    const dataAt = MF_ENDS_FIRST_BYTE + 4 * n;
    const nShared = (n + 7) >>> 3;
    // Route sharing only shrinks messages (a RouteRef expanded to a full envelope grows the
    // buffer itself): this bounds the frame.
    const bound = ((dataAt + 4 + total + 3) & ~3) + ((4 + nShared + 3) & ~3);
    if (this.mbuf.length < bound) this.growMessages(bound);
    let buf = this.mbuf;
    if (this.bits.length < nShared) this.bits = new Uint8Array(Math.max(nShared, this.bits.length * 2));
    const bits = this.bits;
    bits.fill(0, 0, nShared);
    const dv = this.mdv!;
    let fw = this.mw;
    dv.setUint32(MF_SEQ_BYTE, firstSeq >>> 0, true);
    dv.setUint32(MF_SEQ_BYTE + 4, Math.floor(firstSeq / 4294967296), true);
    dv.setUint32(MF_DATA_UOFFSET_BYTE, dataAt - MF_DATA_UOFFSET_BYTE, true);
    dv.setUint32(MF_ENDS_BYTE, n, true);
    const base = dataAt + 4;
    let p = MF_ENDS_FIRST_BYTE;
    let at = base;
    let anyShared = false;
    // The buffer of the previous message, and whether it is an envelope slab.
    let lastBuf: ArrayBufferLike | undefined;
    let lastSlab = false;
    let mw = fw;
    // The run head: the nearest preceding full message (its position, route stamp, and the
    // payload uoffset that says where its payload length sits). Stamp 0: nothing shares it.
    let headAt = 0;
    let headStamp = 0;
    let headW11 = 0;
    // Input bytes of the messages handled so far (expanded RouteRefs grow the frame).
    let consumed = 0;
    for (let i = from, k = 0; i < to; i++, k++, p += 4) {
      const m = msgs[i]!;
      const len = m.length;
      let shared = false;
      // (Slab messages are at least 16 bytes and a multiple of 4: skip looking up others.)
      const b = len >= ROUTE_REF_BYTES && (len & 3) === 0 ? m.buffer : undefined;
      if (b !== lastBuf) {
        lastBuf = b;
        lastSlab = b !== undefined && isEnvelopeSlab(b);
        if (lastSlab) mw = this.wordsOf(b!);
      }
      if (lastSlab && mw[(m.byteOffset >>> 2) + RR_MARKER_WORD] === 0) {
        // A RouteRef the envelope encoder wrote into its slab: its head is `distance` bytes back.
        // (`at` is 4-aligned unless a message of odd length came before: then bytes are copied.)
        const o = m.byteOffset >>> 2;
        const ho = o - (mw[o + RR_DISTANCE_WORD]! >>> 2);
        const stamp = routeStampAt(mw, ho);
        const w11 = mw[ho + PAYLOAD_UOFFSET_WORD]!;
        const pn = mw[o + RR_PAYLOAD_LENGTH_WORD]! >>> 0;
        const padded = len - ROUTE_REF_BYTES;
        const words = padded >>> 2;
        const aligned = (at & 3) === 0;
        let fdv = this.mdv!;
        if (stamp === headStamp && stamp !== 0 && w11 === headW11) {
          // The frame's run head has its route: the same RouteRef, distance counted in the frame.
          fdv.setUint32(at, 0, true);
          fdv.setUint32(at + RR_DISTANCE_BYTE, at - headAt, true);
          fdv.setUint32(at + RR_TTL_BYTE, mw[o + RR_TTL_FLAGS_WORD]!, true);
          fdv.setUint32(at + RR_PAYLOAD_LENGTH_BYTE, pn, true);
          if (aligned && words <= 24) for (let j = 0, a = (at >>> 2) + ROUTE_REF_WORDS; j < words; j++) fw[a + j] = mw[o + ROUTE_REF_WORDS + j]!;
          else buf.set(new Uint8Array(b!, m.byteOffset + ROUTE_REF_BYTES, padded), at + ROUTE_REF_BYTES);
          at += len;
          bits[k >>> 3]! |= 1 << (k & 7);
          anyShared = true;
        } else {
          // Expanded to a full envelope: the head's bytes up to its payload length (ttl and flags
          // this message's), then the payload. It becomes the frame's run head.
          const nw = payloadLengthWord(w11);
          const grown = 4 * nw + 4 + padded;
          // Room for this one, every later message at its own length, the padding and the bitmap
          // (data padding ≤ 3, bitmap length 4, bitmap, its padding ≤ 3).
          const need = at + grown + (total - consumed - len) + 10 + nShared;
          if (need > buf.length) {
            this.growMessages(need);
            buf = this.mbuf;
            fw = this.mw;
            fdv = this.mdv!;
          }
          if (aligned) for (let j = 0, a = at >>> 2; j < nw; j++) fw[a + j] = mw[ho + j]!;
          else buf.set(new Uint8Array(b!, 4 * ho, 4 * nw), at);
          buf[at + TTL_BYTE] = m[RR_TTL_BYTE]!;
          buf[at + FLAGS_BYTE] = m[RR_FLAGS_BYTE]!;
          fdv.setUint32(at + 4 * nw, pn, true);
          if (aligned && words <= 24) for (let j = 0, a = (at >>> 2) + nw + 1; j < words; j++) fw[a + j] = mw[o + ROUTE_REF_WORDS + j]!;
          else buf.set(new Uint8Array(b!, m.byteOffset + ROUTE_REF_BYTES, padded), at + 4 * nw + 4);
          headAt = at;
          headStamp = stamp;
          headW11 = w11;
          at += grown;
        }
        consumed += len;
        fdv.setUint32(p, at - base, true);
        continue;
      }
      consumed += len;
      if (lastSlab) {
        const o = m.byteOffset >>> 2;
        const stamp = routeStampAt(mw, o);
        const w11 = mw[o + PAYLOAD_UOFFSET_WORD]!;
        if (stamp === headStamp && stamp !== 0 && w11 === headW11 && (at & 3) === 0) {
          const nw = payloadLengthWord(w11); // word index of the payload length
          const pn = mw[o + nw]! >>> 0;
          const padded = len - 4 * nw - 4;
          if (pn <= padded && padded - pn < 4) {
            // RouteRef: marker 0, distance, ttl, flags, 2 zero bytes, payload length; payload.
            const a = at >>> 2;
            fw[a + RR_MARKER_WORD] = 0;
            fw[a + RR_DISTANCE_WORD] = at - headAt;
            fw[a + RR_TTL_FLAGS_WORD] = mw[o + TTL_FLAGS_WORD]! & 0xffff; // ttl, flags; not the stamp
            fw[a + RR_PAYLOAD_LENGTH_WORD] = pn;
            const words = padded >>> 2;
            if (words <= 24) for (let j = 0, src = o + nw + 1; j < words; j++) fw[a + ROUTE_REF_WORDS + j] = mw[src + j]!;
            else buf.set(new Uint8Array(b!, m.byteOffset + 4 * nw + 4, padded), at + ROUTE_REF_BYTES);
            at += ROUTE_REF_BYTES + padded;
            bits[k >>> 3]! |= 1 << (k & 7);
            shared = anyShared = true;
          }
        }
        if (!shared) {
          headStamp = stamp;
          headW11 = w11;
        }
      } else headStamp = 0;
      if (!shared) {
        buf.set(m, at);
        headAt = at;
        at += len;
      }
      this.mdv!.setUint32(p, at - base, true);
    }
    const fdv = this.mdv!;
    fdv.setUint32(dataAt, at - base, true);
    while (at & 3) buf[at++] = 0;
    if (anyShared) {
      fdv.setUint32(MF_SHARED_UOFFSET_BYTE, at - MF_SHARED_UOFFSET_BYTE, true);
      fdv.setUint16(MF_SHARED_VT_BYTE, MF_SHARED_UOFFSET_BYTE - MF_TABLE_BYTE, true);
      fdv.setUint32(at, nShared, true);
      buf.set(bits.subarray(0, nShared), at + 4);
      at += 4 + nShared;
      while (at & 3) buf[at++] = 0;
    } else {
      fdv.setUint32(MF_SHARED_UOFFSET_BYTE, 0, true);
      fdv.setUint16(MF_SHARED_VT_BYTE, 0, true);
    }
    return buf.subarray(0, at);
  }

  /** Grows the Messages buffer to at least `min` bytes, keeping what is written. */
  private growMessages(min: number): void {
    const old = this.mbuf;
    const buf = new Uint8Array((Math.max(min, old.length * 2, 1024) + 7) & ~7);
    if (old.length) buf.set(old);
    else buf.set(MESSAGES_HEAD);
    this.mbuf = buf;
    this.mdv = new DataView(buf.buffer);
    this.mw = new Int32Array(buf.buffer);
  }

  /**
   * The zero-copy form of `messages` for envelope slabs: the same frame as parts to be sent back to
   * back as one WebSocket message: [head, data range, …, shared bitmap]. Head and bitmap are
   * written into this encoder's buffer (lent, like `messages`' output); the data ranges are the
   * messages' own bytes. Returns undefined (use `messages`) unless every message is from a
   * registered envelope slab and each maximal run of messages that sit back to back in one slab
   * starts with a full envelope (then every RouteRef's slab distance is its distance in the frame,
   * and its head is the nearest preceding full message of the frame), in at most MAX_PARTS ranges.
   */
  messageParts(firstSeq: number, msgs: readonly Uint8Array[], from: number, to: number, total: number): Uint8Array[] | undefined {
    const n = to - from;
    const dataAt = MF_ENDS_FIRST_BYTE + 4 * n;
    const nShared = (n + 7) >>> 3;
    const bound = dataAt + 12 + nShared;
    if (this.mbuf.length < bound) this.growMessages(bound);
    const buf = this.mbuf;
    const dv = this.mdv!;
    const fw = this.mw;
    const parts = this.parts;
    parts.length = 1;
    const bitsAt = dataAt + 8; // the bitmap's bytes, right after the head (sent as the last part)
    buf.fill(0, bitsAt, bitsAt + ((nShared + 3) & ~3));
    let rangeBuf: ArrayBufferLike | undefined;
    let rangeStart = 0;
    let rangeEnd = -1;
    let mw = fw;
    let anyShared = false;
    let end = 0;
    for (let i = from, k = 0, p = MF_ENDS_FIRST_BYTE >>> 2; i < to; i++, k++, p++) {
      const m = msgs[i]!;
      const off = m.byteOffset;
      const b = m.buffer;
      if (b !== rangeBuf || off !== rangeEnd) {
        // A new range: from a slab, 4-aligned, opening with a full envelope.
        if ((off & 3) !== 0 || (m.length & 3) !== 0 || m.length < ROUTE_REF_BYTES || parts.length > MAX_PARTS) return undefined;
        if (b !== rangeBuf) {
          if (!isEnvelopeSlab(b)) return undefined;
          mw = this.wordsOf(b);
        }
        if (mw[(off >>> 2) + RR_MARKER_WORD] === 0) return undefined;
        if (rangeBuf !== undefined) parts.push(new Uint8Array(rangeBuf, rangeStart, rangeEnd - rangeStart));
        rangeBuf = b;
        rangeStart = off;
      } else if (mw[(off >>> 2) + RR_MARKER_WORD] === 0) {
        buf[bitsAt + (k >>> 3)]! |= 1 << (k & 7);
        anyShared = true;
      }
      rangeEnd = off + m.length;
      end += m.length;
      fw[p] = end;
    }
    if (end !== total) return undefined;
    parts.push(new Uint8Array(rangeBuf!, rangeStart, rangeEnd - rangeStart));
    dv.setUint32(MF_SEQ_BYTE, firstSeq >>> 0, true);
    dv.setUint32(MF_SEQ_BYTE + 4, Math.floor(firstSeq / 4294967296), true);
    dv.setUint32(MF_DATA_UOFFSET_BYTE, dataAt - MF_DATA_UOFFSET_BYTE, true);
    dv.setUint32(MF_ENDS_BYTE, n, true);
    dv.setUint32(dataAt, end, true);
    parts[0] = buf.subarray(0, dataAt + 4);
    if (anyShared) {
      // The bitmap vector right after the data (4-aligned: slab messages are multiples of 4).
      const at = dataAt + 4 + end;
      dv.setUint32(MF_SHARED_UOFFSET_BYTE, at - MF_SHARED_UOFFSET_BYTE, true);
      dv.setUint16(MF_SHARED_VT_BYTE, MF_SHARED_UOFFSET_BYTE - MF_TABLE_BYTE, true);
      const tail = buf.subarray(bitsAt - 4, bitsAt + ((nShared + 3) & ~3));
      dv.setUint32(bitsAt - 4, nShared, true);
      parts.push(tail);
    } else {
      dv.setUint32(MF_SHARED_UOFFSET_BYTE, 0, true);
      dv.setUint16(MF_SHARED_VT_BYTE, 0, true);
    }
    return parts;
  }
  private readonly parts: Uint8Array[] = [];
  private mbuf = new Uint8Array(0);
  private mdv: DataView | undefined;
  private mw: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private bits = new Uint8Array(16);
  private wordsBuf: ArrayBufferLike | undefined;
  private words: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** A word view of an envelope slab (one per slab: messages of a stream share slabs). */
  private wordsOf(b: ArrayBufferLike): Int32Array<ArrayBufferLike> {
    if (b !== this.wordsBuf) {
      this.wordsBuf = b;
      this.words = new Int32Array(b, 0, b.byteLength >>> 2);
    }
    return this.words;
  }
}

/** Most data ranges `messageParts` sends in one frame (each is a WebSocket fragment). */
const MAX_PARTS = 16;

/** The constant first 52 bytes of a hand-laid Messages frame (seq, data and shared patched in). */
const MESSAGES_HEAD = (() => {
  const h = new Uint8Array(MF_ENDS_BYTE);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, MF_TABLE_BYTE, true); // root table
  for (const [at, v] of [
    [4, 18],
    [6, 28],
    [8, 24],
    [10, 0],
    [12, 8],
    [14, 4],
    [16, 16],
    [18, 0],
    [20, 0],
  ] as const)
    dv.setUint16(at, v, true);
  dv.setInt32(MF_TABLE_BYTE, MF_TABLE_BYTE - 4, true); // table → vtable at 4
  dv.setUint32(MF_ENDS_UOFFSET_BYTE, MF_ENDS_BYTE - MF_ENDS_UOFFSET_BYTE, true);
  h[MF_KIND_BYTE] = FrameKind.Messages;
  return h;
})();

/**
 * A message the frame does not flag as route-shared, bytes [from, to) of `buf`: a view (no copy),
 * except when it starts with a zero word — the RouteRef marker, which no envelope starts with but
 * any channel message may. That one gets a buffer of its own, so an envelope decoder that takes it
 * for a RouteRef finds nothing before it (FrameError) instead of resolving an unchecked reference
 * into the frame (or, through the decoder's memory, another frame's route).
 */
function unflagged(buf: Uint8Array, dv: DataView, from: number, to: number, ab: ArrayBufferLike, viewAt: number): Uint8Array {
  if (to - from >= 4 && dv.getUint32(from, true) === 0) return buf.slice(from, to);
  return new Uint8Array(ab, viewAt, to - from);
}

/**
 * Decodes one frame. Message views alias `buf` (no copy): the caller must own `buf`, and must
 * not rewrite it while any decoder may still read it (route-shared messages are resolved against
 * the bytes before them, and envelope decoders remember what they resolved).
 * Throws `FrameError` on anything malformed, including a route-shared message whose RouteRef does
 * not point at the nearest preceding full message of the frame or whose payload does not fit.
 */
export function decodeFrame(buf: Uint8Array): DecodedFrame {
  const t = TableReader.root(buf, 'frame');
  const kind = t.u8(0, FrameKind.Init);
  switch (kind) {
    case FrameKind.Init:
      return { kind, session: t.u64(1) };
    case FrameKind.Ack:
      return { kind, seq: t.safeU64(2, 'ack seq') };
    case FrameKind.Reject:
      return { kind, reason: t.string(5) ?? '' };
    case FrameKind.Messages: {
      const seq = t.safeU64(2, 'message seq');
      const ends = t.vector(3, 4);
      const data = t.vector(4, 1);
      const n = ends ? ends[1] : 0;
      const dataLen = data ? data[1] : 0;
      if (n === 0) throw new FrameError('Messages frame carries no messages');
      const base = data ? data[0] : 0;
      const messages = new Array<Uint8Array>(n);
      const dv = t.dv;
      const ab = buf.buffer;
      const off = buf.byteOffset + base;
      const sh = t.vector(6, 1);
      let prev = 0;
      if (sh === undefined) {
        for (let k = 0, p = ends![0]; k < n; k++, p += 4) {
          const end = dv.getUint32(p, true);
          if (end < prev || end > dataLen) throw new FrameError(`message ${k} ends at ${end}, outside ${prev}..${dataLen}`);
          messages[k] = unflagged(buf, dv, base + prev, base + end, ab, off + prev);
          prev = end;
        }
      } else {
        if (sh[1] !== (n + 7) >>> 3) throw new FrameError(`shared bitmap of ${sh[1]} bytes for ${n} messages; expected ${(n + 7) >>> 3}`);
        const bits = sh[0];
        let head = -1; // start of the nearest preceding full message
        for (let k = 0, p = ends![0]; k < n; k++, p += 4) {
          const end = dv.getUint32(p, true);
          if (end < prev || end > dataLen) throw new FrameError(`message ${k} ends at ${end}, outside ${prev}..${dataLen}`);
          if ((buf[bits + (k >>> 3)]! >>> (k & 7)) & 1) {
            // A RouteRef + payload: it must point at the nearest preceding full message.
            const at = base + prev;
            const len = end - prev;
            if (len < ROUTE_REF_BYTES) throw new FrameError(`route-shared message ${k} of ${len} bytes is shorter than its ${ROUTE_REF_BYTES}-byte RouteRef`);
            if (dv.getUint32(at, true) !== 0) throw new FrameError(`route-shared message ${k} does not start with the RouteRef marker 0`);
            const dist = dv.getUint32(at + RR_DISTANCE_BYTE, true);
            if (head < 0 || dist !== prev - head)
              throw new FrameError(
                `route-shared message ${k} refers ${dist} bytes back; expected ${head < 0 ? 'a full message before it' : `${prev - head}, the nearest preceding full message`}`,
              );
            const pn = dv.getUint32(at + RR_PAYLOAD_LENGTH_BYTE, true);
            if (pn > len - ROUTE_REF_BYTES || len - ROUTE_REF_BYTES - pn > 3)
              throw new FrameError(`route-shared message ${k} of ${len} bytes declares a ${pn}-byte payload`);
            messages[k] = new Uint8Array(ab, off + prev, end - prev);
          } else {
            head = prev;
            messages[k] = unflagged(buf, dv, base + prev, base + end, ab, off + prev);
          }
          prev = end;
        }
      }
      if (prev !== dataLen) throw new FrameError(`messages end at ${prev} but data holds ${dataLen} bytes`);
      if (seq + n > Number.MAX_SAFE_INTEGER) throw new FrameError('message seq overflows 2^53');
      return { kind, seq, messages, bytes: dataLen };
    }
    default:
      throw new FrameError(`unknown frame kind ${kind}; expected Init(0), Messages(1), Ack(2) or Reject(3)`);
  }
}
