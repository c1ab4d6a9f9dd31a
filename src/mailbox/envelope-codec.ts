/**
 * MessageEnvelope ⇄ FlatBuffers `Envelope` (schema envelope.fbs).
 *
 * Invariants enforced here:
 * - Encoding interns the UTF-8 of ids and type names (bounded caches) and copies the payload in
 *   bulk. The common envelope (no bindings, headers or errors) is laid out by hand into a slab
 *   (`encodeFast`, a valid FlatBuffer); an ask (the same plus a reply port) is laid out by hand
 *   too (`encodeAsk`), in a slab of its own that the frame encoder never takes for an envelope
 *   slab; the rest goes through one reused Builder. The hand layouts are written and read only
 *   through the named offsets of wire/envelope-layout.ts (checked against the generated
 *   accessors by test/wire/envelope-layout.test.ts)
 *   (docs/architecture.md WIRE-3). Either way the output is a buffer the caller
 *   owns (hand-laid output: a view into a slab that is never rewritten, core/slab.ts).
 * - Decoding is bounds-checked (reader.ts): malformed bytes give `FrameError`, never a crash; an
 *   id that does not parse gives the core `IdParseError`. The payload of a decoded envelope is a
 *   view of the input (no copy).
 * - `readRoute` reads sender, destination, TTL and flags without touching the payload
 *   (docs/architecture.md MB-1).
 * - Route sharing (wire/envelope-layout.ts, wire/frames.ts): fast-layout envelopes live in slabs registered with the frame
 *   encoder and carry a route stamp in their padding, taken anew per template; in a frame they may
 *   arrive as RouteRef + payload, which `decode` and `readRoute` resolve against the full envelope
 *   before them in the same buffer. With `shareRoute` the encoder itself writes an envelope as
 *   RouteRef + payload into its slab, right after the previous one, when it continues a run: same
 *   template as the run's head (the nearest preceding full envelope of the slab, whose route it
 *   shares), nothing else written in between, and the run below RUN_BYTES. Slab messages are
 *   contiguous and 4-aligned, so a Tx can send a run of them as the frame's data without copying
 *   (FrameEncoder.messageParts). The decoder remembers the last full envelope it read (buffer,
 *   offset, route), so a run of route-shared envelopes costs no route work: this relies on received
 *   frame buffers never being rewritten (decodeFrame's ownership rule).
 */
import * as flatbuffers from 'flatbuffers';
import { parseActorId, parsePortId, type ActorId, type PortId } from '../core/ids.js';
import { SerializationError } from '../core/codec-errors.js';
import { MessageEnvelope, EMPTY_HEADERS, NO_BINDINGS, NO_ERRORS, type WireBinding } from './envelope.js';
import { DELIVERY_ERROR_KINDS, type DeliveryError } from './errors.js';
import { Envelope } from '../wire/generated/actormesh/wire/envelope.js';
import { Header } from '../wire/generated/actormesh/wire/header.js';
import { Binding } from '../wire/generated/actormesh/wire/binding.js';
import { DeliveryError as FbDeliveryError } from '../wire/generated/actormesh/wire/delivery-error.js';
import { FrameError } from '../wire/errors.js';
import { TableReader } from '../wire/reader.js';
import { Slab } from '../core/slab.js';
import * as layout from '../wire/envelope-layout.js';

// The envelope layout as module-local constants: optimized code folds these, while every use of
// an imported binding stays a module-cell load with a TDZ check (measurable on the hot paths).
const {
  ASK_REPLY_PORT_BYTE,
  ASK_REPLY_PORT_VT_BYTE,
  ASK_STRINGS_BYTE,
  ASK_TABLE_BYTES,
  ASK_VTABLE_BYTES,
  DEFAULT_FLAGS,
  DEFAULT_TTL,
  FAST_HEADER,
  FAST_STRINGS_BYTE,
  FAST_TABLE_BYTES,
  FAST_VTABLE_BYTES,
  FIELD_BINDINGS: F_BINDINGS,
  FIELD_DEST: F_DEST,
  FIELD_ERRORS: F_ERRORS,
  FIELD_FLAGS: F_FLAGS,
  FIELD_HEADERS: F_HEADERS,
  FIELD_PAYLOAD: F_PAYLOAD,
  FIELD_REPLY_PORT: F_REPLY_PORT,
  FIELD_SENDER: F_SENDER,
  FIELD_TTL: F_TTL,
  FIELD_TYPE_NAME: F_TYPE,
  FLAG_RETURN_UNDELIVERABLE,
  FLAGS_BYTE,
  NO_REPLY_PORT,
  PAYLOAD_UOFFSET_BYTE,
  ROUTE_REF_BYTES,
  RR_DISTANCE_BYTE,
  RR_DISTANCE_WORD,
  RR_FLAGS_BYTE,
  RR_MARKER_WORD,
  RR_PAYLOAD_LENGTH_BYTE,
  RR_PAYLOAD_LENGTH_WORD,
  RR_TTL_BYTE,
  RR_TTL_FLAGS_WORD,
  STAMP_HI_BYTE,
  STAMP_HI_WORD,
  STAMP_LO_BYTE,
  STAMP_LO_WORD,
  TABLE_REPLY_PORT,
  TTL_BYTE,
  TTL_FLAGS_WORD,
  isRouteRef,
  layHead,
  layStrings,
  newRouteStamp,
  registerEnvelopeSlab,
  strSize,
  u32At,
  writeRouteStamp,
} = layout;

const INTERN_LIMIT = 4096;
const SLAB_BYTES = 256 * 1024;
/**
 * Longest run (bytes from its full head to its end) of route-shared envelopes in a slab: a run
 * must start a frame to go out without copying, and frames are cut at run heads (session-tx.ts),
 * so runs are kept well below a frame's budget. A full envelope every 32 KiB costs ≈ 0.5 %.
 */
export const RUN_BYTES = 32 * 1024;
/** Size of the slabs ask envelopes are laid out in (`encodeAsk`). */
const ASK_SLAB_BYTES = 64 * 1024;

const textEncoder = new TextEncoder();

/** A bounded string → value cache (cleared when full; ids repeat, so it stays hot). */
class Intern<V> {
  private m = new Map<string, V>();
  get(k: string, make: (k: string) => V): V {
    let v = this.m.get(k);
    if (v === undefined) {
      if (this.m.size >= INTERN_LIMIT) this.m.clear();
      v = make(k);
      this.m.set(k, v);
    }
    return v;
  }
}

/** Encodes envelopes with one reused Builder. Not reentrant; one per sending loop. */
export class EnvelopeEncoder {
  private readonly b = new flatbuffers.Builder(1024);
  private readonly utf8 = new Intern<Uint8Array>();
  private readonly enc = (s: string) => textEncoder.encode(s);

  /**
   * `shareRoute`: the output may be a RouteRef + payload continuing the run of the previous
   * output (see the module comment); only a sender that hands the outputs to one Tx in order may
   * ask for it, and it should not when the Tx has cut a frame since the previous output.
   */
  encode(env: MessageEnvelope, shareRoute = false): Uint8Array {
    if (env.bindings.length === 0 && env.headers.size === 0 && env.errors.length === 0) {
      if (env.replyPort < 0) return this.encodeFast(env, shareRoute);
      this.runTpl = undefined; // (its own buffer: a run of the slab cannot continue across it)
      return this.encodeAsk(env);
    }
    this.runTpl = undefined; // anything else between a run's envelopes ends the run
    return this.encodeBuilder(env);
  }

  /**
   * Hand layout of an envelope without bindings/headers/errors/reply port (the fast layout drawn
   * in wire/envelope-layout.ts), into the slab; or, continuing a run, a RouteRef + payload.
   */
  encodeFast(env: MessageEnvelope, shareRoute = false): Uint8Array {
    // Everything before the payload depends only on (sender, dest, type): reuse it while they
    // repeat (identity compare), which is the common case of a stream of sends.
    let tpl = this.tpl;
    if (env.sender !== this.tplSender || env.dest !== this.tplDest || env.typeName !== this.tplType) {
      // Equal ids in other objects keep the template (and its route stamp, so route sharing goes on).
      const tplSender = this.tplSender as ActorId | undefined;
      const tplDest = this.tplDest as PortId | undefined;
      if (tplSender === undefined || tplDest === undefined || env.sender.key !== tplSender.key || env.dest.key !== tplDest.key || env.typeName !== this.tplType)
        tpl = this.tpl = this.template(env);
      this.tplSender = env.sender;
      this.tplDest = env.dest;
      this.tplType = env.typeName;
    }
    const data = env.data;
    const n = data.length;
    const slab = this.slab;
    if (shareRoute && tpl === this.runTpl) {
      // Continue the run: RouteRef (marker 0, distance back to the run's head, ttl, flags, 2 zero
      // bytes, payload length) + payload, right after the previous output.
      const at = slab.pos;
      const size = (ROUTE_REF_BYTES + n + 3) & ~3;
      const dist = at - this.runHead;
      if (at + size <= slab.bytes.length && dist + size <= RUN_BYTES) {
        const w = this.slabWords;
        const o = at >>> 2;
        w[o + (size >>> 2) - 1] = 0; // the last word's padding (the payload overwrites the rest)
        w[o + RR_MARKER_WORD] = 0;
        w[o + RR_DISTANCE_WORD] = dist;
        w[o + RR_TTL_FLAGS_WORD] = env.ttl | ((env.returnUndeliverable ? FLAG_RETURN_UNDELIVERABLE : 0) << 8);
        w[o + RR_PAYLOAD_LENGTH_WORD] = n;
        const out = new Uint8Array(slab.buffer, at, size);
        out.set(data, ROUTE_REF_BYTES);
        slab.pos = at + size;
        return out;
      }
    }
    const pos = tpl.length;
    // Padded to 4 bytes so that envelopes concatenated in a frame stay 4-aligned (the decoder
    // compares templates word by word); the payload length says where the payload ends.
    const size = (pos + 4 + n + 3) & ~3;
    // Carved from the slab: envelopes above 64 bytes would otherwise each get an off-heap backing
    // store (calloc + GC bookkeeping). Every byte of the slice is written below.
    slab.room(size);
    const at = slab.pos;
    const out = new Uint8Array(slab.buffer, at, size);
    // Every output is a multiple of 4 bytes: outputs sit back to back, 4-aligned.
    this.runHead = at;
    this.runTpl = tpl;
    slab.pos = at + size;
    out.set(tpl);
    out[TTL_BYTE] = env.ttl;
    out[FLAGS_BYTE] = env.returnUndeliverable ? FLAG_RETURN_UNDELIVERABLE : 0;
    out[pos] = n;
    out[pos + 1] = n >>> 8;
    out[pos + 2] = n >>> 16;
    out[pos + 3] = n >>> 24;
    out.set(data, pos + 4);
    for (let i = pos + 4 + n; i < size; i++) out[i] = 0;
    return out;
  }
  private tpl: Uint8Array = new Uint8Array(0);
  /**
   * The slab fast-layout envelopes and RouteRefs are laid out in, back to back (registered with
   * the frame encoder for route sharing, see wire/envelope-layout.ts), and a word view of it.
   */
  private readonly slab = new Slab(SLAB_BYTES, {
    align: 4,
    onNew: (b) => {
      this.slabWords = new Int32Array(b);
      registerEnvelopeSlab(b);
    },
  });
  private slabWords = new Int32Array(0);
  /** The current run: the template of its head and the head's offset in the slab. */
  private runTpl: Uint8Array | undefined;
  private runHead = 0;
  private tplSender: unknown;
  private tplDest: unknown;
  private tplType: unknown;

  /** The constant prefix of `encodeFast` for env's sender, dest and type (up to the payload). */
  private template(env: MessageEnvelope): Uint8Array {
    const sender = this.utf8.get(env.sender.key, this.enc);
    const dest = this.utf8.get(env.dest.key, this.enc);
    const type = this.utf8.get(env.typeName, this.enc);
    const out = new Uint8Array(FAST_STRINGS_BYTE + strSize(sender) + strSize(dest) + strSize(type));
    const dv = new DataView(out.buffer);
    layHead(dv, 0, FAST_VTABLE_BYTES, FAST_TABLE_BYTES);
    // The route stamp for the frame encoder's route sharing (wire/frames.ts), in padding the
    // readers skip: high half after the vtable, low half after ttl and flags (STAMP_*_BYTE).
    writeRouteStamp(dv, 0, newRouteStamp());
    layStrings(dv, out, 0, FAST_STRINGS_BYTE, sender, dest, type);
    return out;
  }

  /**
   * Hand layout of an ask envelope (no bindings/headers/errors, a reply port; drawn in
   * wire/envelope-layout.ts), into a slab of its own (slabs registered for route sharing hold
   * only `encodeFast` envelopes and RouteRefs). About 5× cheaper than the Builder (asks to other
   * processes pay it per request).
   */
  encodeAsk(env: MessageEnvelope): Uint8Array {
    const rp = env.replyPort;
    if (!Number.isInteger(rp) || rp >= NO_REPLY_PORT) throw new SerializationError('envelope', `reply port ${rp} does not fit its u32 field`);
    const sender = this.utf8.get(env.sender.key, this.enc);
    const dest = this.utf8.get(env.dest.key, this.enc);
    const type = this.utf8.get(env.typeName, this.enc);
    const data = env.data;
    const size = ASK_STRINGS_BYTE + strSize(sender) + strSize(dest) + strSize(type) + ((4 + data.length + 3) & ~3);
    // Into an append-only slab of its own (never rewritten, never registered with the frame
    // encoder), like the payload codec's: no allocation per ask.
    const ask = this.askSlab;
    const slab = ask.room(size);
    const at = ask.pos;
    ask.pos = at + size;
    const dv = this.askDv!;
    // (the vtable entries of the absent bindings/headers/errors stay zero: the slab is fresh memory)
    layHead(dv, at, ASK_VTABLE_BYTES, ASK_TABLE_BYTES);
    dv.setUint16(at + ASK_REPLY_PORT_VT_BYTE, TABLE_REPLY_PORT, true);
    slab[at + TTL_BYTE] = env.ttl;
    slab[at + FLAGS_BYTE] = env.returnUndeliverable ? FLAG_RETURN_UNDELIVERABLE : 0;
    dv.setUint32(at + ASK_REPLY_PORT_BYTE, rp, true);
    const pos = layStrings(dv, slab, at, ASK_STRINGS_BYTE, sender, dest, type);
    dv.setUint32(at + pos, data.length, true);
    slab.set(data, at + pos + 4);
    return new Uint8Array(ask.buffer, at, size);
  }
  private readonly askSlab = new Slab(ASK_SLAB_BYTES, { align: 4, onNew: (b) => (this.askDv = new DataView(b)) });
  private askDv: DataView | undefined;

  /** The general path through the FlatBuffers Builder. */
  encodeBuilder(env: MessageEnvelope): Uint8Array {
    const b = this.b;
    b.clear();
    const sender = b.createString(this.utf8.get(env.sender.key, this.enc));
    const dest = b.createString(this.utf8.get(env.dest.key, this.enc));
    const type = b.createString(this.utf8.get(env.typeName, this.enc));
    const payload = b.createByteVector(env.data);
    let bindings = 0;
    if (env.bindings.length) {
      const offs = env.bindings.map((x) => Binding.createBinding(b, b.createString(this.utf8.get(x.tag, this.enc)), b.createByteVector(x.bytes)));
      bindings = Envelope.createBindingsVector(b, offs);
    }
    let headers = 0;
    if (env.headers.size) {
      const offs: number[] = [];
      for (const [k, v] of env.headers) offs.push(Header.createHeader(b, b.createString(this.utf8.get(k, this.enc)), b.createByteVector(v)));
      headers = Envelope.createHeadersVector(b, offs);
    }
    let errors = 0;
    if (env.errors.length) {
      const offs = env.errors.map((e) => FbDeliveryError.createDeliveryError(b, DELIVERY_ERROR_KINDS.indexOf(e.kind), b.createString(e.message)));
      errors = Envelope.createErrorsVector(b, offs);
    }
    Envelope.startEnvelope(b);
    Envelope.addSender(b, sender);
    Envelope.addDest(b, dest);
    Envelope.addTypeName(b, type);
    Envelope.addPayload(b, payload);
    if (bindings) Envelope.addBindings(b, bindings);
    if (headers) Envelope.addHeaders(b, headers);
    if (errors) Envelope.addErrors(b, errors);
    if (env.replyPort >= 0) {
      if (!Number.isInteger(env.replyPort) || env.replyPort >= NO_REPLY_PORT)
        throw new SerializationError('envelope', `reply port ${env.replyPort} does not fit its u32 field`);
      Envelope.addReplyPort(b, env.replyPort);
    }
    // Always written (force: the schema defaults would otherwise drop ttl 64 / flags 1).
    b.addFieldInt8(F_TTL, env.ttl, -1);
    b.addFieldInt8(F_FLAGS, env.returnUndeliverable ? FLAG_RETURN_UNDELIVERABLE : 0, -1);
    b.finish(Envelope.endEnvelope(b));
    return b.asUint8Array().slice();
  }
}

/** The routing header of an encoded envelope. */
export interface Route {
  sender: string;
  dest: string;
  ttl: number;
  returnUndeliverable: boolean;
}

/** Whether `bytes` is a route-shared envelope (RouteRef + payload: its route is an earlier envelope's). */
export function isRouteShared(bytes: Uint8Array): boolean {
  return isRouteRef(bytes);
}

/**
 * Reads the routing header without decoding the payload (a route-shared envelope: from the
 * envelope it refers to, with its own ttl and flags). Throws `FrameError` when malformed.
 */
export function readRoute(bytes: Uint8Array): Route {
  if (isRouteRef(bytes)) {
    const head = readRoute(new Uint8Array(bytes.buffer, routeRefTarget(bytes), u32At(bytes, RR_DISTANCE_BYTE)));
    return { sender: head.sender, dest: head.dest, ttl: bytes[RR_TTL_BYTE]!, returnUndeliverable: (bytes[RR_FLAGS_BYTE]! & FLAG_RETURN_UNDELIVERABLE) !== 0 };
  }
  const t = TableReader.root(bytes, 'envelope');
  const sender = t.string(F_SENDER);
  const dest = t.string(F_DEST);
  if (sender === undefined || dest === undefined) throw new FrameError('envelope lacks a sender or a destination');
  return { sender, dest, ttl: t.u8(F_TTL, DEFAULT_TTL), returnUndeliverable: (t.u8(F_FLAGS, DEFAULT_FLAGS) & FLAG_RETURN_UNDELIVERABLE) !== 0 };
}

/** Where (byte offset in its buffer) the envelope a route-shared one refers to starts. */
function routeRefTarget(bytes: Uint8Array): number {
  const dist = u32At(bytes, RR_DISTANCE_BYTE);
  const at = bytes.byteOffset - dist;
  if (dist === 0 || at < 0)
    throw new FrameError(`route-shared envelope refers ${dist} bytes back, outside its buffer; expected the distance to an envelope before it in its frame`);
  return at;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Remembers the last raw bytes of one string field and what they decoded to: envelopes of a
 * stream repeat sender, destination and type, and comparing ~50 bytes is cheaper than UTF-8
 * decoding them. Misses fall back to a bounded string-keyed cache.
 */
class LastSeen<V> {
  private raw = new Uint8Array(0);
  private value: V | undefined;
  private readonly byText = new Intern<V>();
  constructor(private readonly make: (text: string) => V) {}
  get(buf: Uint8Array, start: number, len: number): V {
    const raw = this.raw;
    if (this.value !== undefined && raw.length === len) {
      let i = 0;
      while (i < len && raw[i] === buf[start + i]) i++;
      if (i === len) return this.value;
    }
    const bytes = buf.slice(start, start + len);
    const v = this.byText.get(utf8Decoder.decode(bytes), this.make);
    this.raw = bytes;
    this.value = v;
    return v;
  }
}

const identity = (s: string): string => s;

/**
 * Decodes envelopes, caching parsed ids.
 *
 * Fast path: after a fully verified decode of an envelope in `encodeFast`'s layout, its bytes
 * up to the payload (minus ttl and flags) are kept as a template with the decoded sender,
 * destination and type. A later envelope whose bytes match the template byte for byte has the
 * same, already verified structure: only ttl, flags and the payload bounds are read.
 */
export class EnvelopeDecoder {
  private readonly actors = new LastSeen<ActorId>(parseActorId);
  private readonly ports = new LastSeen<PortId>(parsePortId);
  private readonly types = new LastSeen<string>(identity);
  private tpl: Uint8Array | undefined;
  private tplWords: Int32Array = new Int32Array(0);
  private wordsOf: ArrayBufferLike | undefined;
  private words: Int32Array = new Int32Array(0);
  private tplSender: ActorId | undefined;
  private tplDest: PortId | undefined;
  private tplType = '';

  /**
   * The last full envelope without bindings, headers or errors this decoder read (its buffer,
   * offset and route): route-shared envelopes of a frame refer back to it, and then cost no
   * route work.
   */
  private headBuf: ArrayBufferLike | undefined;
  private headOff = -1;
  private headSender: ActorId | undefined;
  private headDest: PortId | undefined;
  private headType = '';

  /** Throws `FrameError` (malformed bytes) or `IdParseError` (bad id text). */
  decode(bytes: Uint8Array): MessageEnvelope {
    if (isRouteRef(bytes)) return this.decodeShared(bytes);
    const tpl = this.tpl;
    if (tpl !== undefined) {
      const n0 = tpl.length;
      const len = bytes.length;
      if (len >= n0 + 4) {
        let same: boolean;
        if ((bytes.byteOffset & 3) === 0) {
          // Word compare over the frame's buffer (one Int32Array per frame, not per envelope).
          if (bytes.buffer !== this.wordsOf) {
            this.wordsOf = bytes.buffer;
            this.words = new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >>> 2);
          }
          const w = this.words;
          const tw = this.tplWords;
          const o = bytes.byteOffset >>> 2;
          const nw = n0 >>> 2;
          // Words STAMP_HI_WORD (6) and STAMP_LO_WORD (12) end in padding (the sender's route
          // stamp); word 12 starts with ttl and flags, word 6 with two zero bytes.
          let k = 0;
          while (k < STAMP_HI_WORD && w[o + k] === tw[k]) k++;
          if (k === STAMP_HI_WORD && (w[o + STAMP_HI_WORD]! & 0xffff) === 0) {
            k = STAMP_HI_WORD + 1;
            while (k < TTL_FLAGS_WORD && w[o + k] === tw[k]) k++;
            if (k === TTL_FLAGS_WORD) {
              k = STAMP_LO_WORD + 1;
              while (k < nw && w[o + k] === tw[k]) k++;
            }
          }
          same = k === nw;
        } else {
          let i = 0;
          while (i < TTL_BYTE && (bytes[i] === tpl[i] || i === STAMP_HI_BYTE || i === STAMP_HI_BYTE + 1)) i++;
          if (i === TTL_BYTE) {
            i = FAST_STRINGS_BYTE;
            while (i < n0 && bytes[i] === tpl[i]) i++;
          }
          same = i === n0;
        }
        if (same) {
          const n = (bytes[n0]! | (bytes[n0 + 1]! << 8) | (bytes[n0 + 2]! << 16) | (bytes[n0 + 3]! << 24)) >>> 0;
          if (n0 + 4 + n <= len) {
            this.headBuf = bytes.buffer;
            this.headOff = bytes.byteOffset;
            this.headSender = this.tplSender;
            this.headDest = this.tplDest;
            this.headType = this.tplType;
            return new MessageEnvelope(
              this.tplSender!,
              this.tplDest!,
              new Uint8Array(bytes.buffer, bytes.byteOffset + n0 + 4, n),
              this.tplType,
              NO_BINDINGS,
              EMPTY_HEADERS,
              bytes[TTL_BYTE]!,
              (bytes[FLAGS_BYTE]! & FLAG_RETURN_UNDELIVERABLE) !== 0,
              NO_ERRORS,
            );
          }
        }
      }
    }
    const env = this.decodeVerified(bytes);
    if (env.bindings.length === 0 && env.headers.size === 0 && env.errors.length === 0 && env.replyPort < 0) {
      this.headBuf = bytes.buffer;
      this.headOff = bytes.byteOffset;
      this.headSender = env.sender;
      this.headDest = env.dest;
      this.headType = env.typeName;
    }
    if (env.bindings.length === 0 && env.headers.size === 0 && env.errors.length === 0 && env.replyPort < 0 && bytes.length >= FAST_STRINGS_BYTE) {
      // The fast layout's head (absent bindings, headers and errors included), any route stamp.
      let i = 0;
      while (i < FAST_HEADER.length && (bytes[i] === FAST_HEADER[i] || i === STAMP_HI_BYTE || i === STAMP_HI_BYTE + 1)) i++;
      if (i === FAST_HEADER.length) {
        // Payload length field position: the payload's uoffset is relative to itself.
        const p = PAYLOAD_UOFFSET_BYTE + u32At(bytes, PAYLOAD_UOFFSET_BYTE);
        const slack = bytes.length - (p + 4 + env.data.length);
        if (slack >= 0 && slack < 4 && (p & 3) === 0) {
          const t = bytes.slice(0, p);
          t[STAMP_HI_BYTE] = t[STAMP_HI_BYTE + 1] = t[TTL_BYTE] = t[FLAGS_BYTE] = t[STAMP_LO_BYTE] = t[STAMP_LO_BYTE + 1] = 0;
          this.tpl = t;
          this.tplWords = new Int32Array(t.buffer, 0, p >>> 2);
          this.tplSender = env.sender;
          this.tplDest = env.dest;
          this.tplType = env.typeName;
        }
      }
    }
    return env;
  }

  /**
   * A route-shared envelope (schema `RouteRef` + payload): the route is that of the full envelope
   * `distance` bytes before it in the same buffer (the frame it came in, checked by decodeFrame).
   * Usually that envelope was the last full one this decoder read; otherwise (e.g. the server
   * dropped the head of a resent frame as a duplicate) it is verified from its bytes.
   */
  private decodeShared(bytes: Uint8Array): MessageEnvelope {
    const at = routeRefTarget(bytes);
    const dist = bytes.byteOffset - at;
    const buffer = bytes.buffer;
    if (buffer !== this.headBuf || at !== this.headOff) {
      const head = this.decodeVerified(new Uint8Array(buffer, at, dist));
      if (head.bindings.length || head.headers.size || head.errors.length || head.replyPort >= 0)
        throw new FrameError('route-shared envelope refers to an envelope with bindings, headers, errors or a reply port');
      this.headBuf = buffer;
      this.headOff = at;
      this.headSender = head.sender;
      this.headDest = head.dest;
      this.headType = head.typeName;
    }
    const n = u32At(bytes, RR_PAYLOAD_LENGTH_BYTE);
    if (n > bytes.length - ROUTE_REF_BYTES) throw new FrameError(`route-shared envelope of ${bytes.length} bytes declares a ${n}-byte payload`);
    return new MessageEnvelope(
      this.headSender!,
      this.headDest!,
      new Uint8Array(buffer, bytes.byteOffset + ROUTE_REF_BYTES, n),
      this.headType,
      NO_BINDINGS,
      EMPTY_HEADERS,
      bytes[RR_TTL_BYTE]!,
      (bytes[RR_FLAGS_BYTE]! & FLAG_RETURN_UNDELIVERABLE) !== 0,
      NO_ERRORS,
    );
  }

  /** The full, bounds-checked decode. */
  decodeVerified(bytes: Uint8Array): MessageEnvelope {
    const t = TableReader.root(bytes, 'envelope');
    const sv = t.vector(F_SENDER, 1);
    const dv = t.vector(F_DEST, 1);
    if (sv === undefined || dv === undefined) throw new FrameError('envelope lacks a sender or a destination');
    const sender = this.actors.get(bytes, sv[0], sv[1]);
    const dest = this.ports.get(bytes, dv[0], dv[1]);
    const tv = t.vector(F_TYPE, 1);
    const typeName = tv ? this.types.get(bytes, tv[0], tv[1]) : '';
    const data = t.bytes(F_PAYLOAD) ?? new Uint8Array(0);
    let bindings: readonly WireBinding[] = NO_BINDINGS;
    const bv = t.vector(F_BINDINGS, 4);
    if (bv && bv[1]) {
      const out: WireBinding[] = [];
      for (let k = 0; k < bv[1]; k++) {
        const bt = t.tableAt(bv[0], k, 'binding');
        out.push({ tag: bt.string(0) ?? '', bytes: bt.bytes(1) ?? new Uint8Array(0) });
      }
      bindings = out;
    }
    let headers: ReadonlyMap<string, Uint8Array> = EMPTY_HEADERS;
    const hv = t.vector(F_HEADERS, 4);
    if (hv && hv[1]) {
      const m = new Map<string, Uint8Array>();
      for (let k = 0; k < hv[1]; k++) {
        const ht = t.tableAt(hv[0], k, 'header');
        m.set(ht.string(0) ?? '', ht.bytes(1) ?? new Uint8Array(0));
      }
      headers = m;
    }
    let errors: readonly DeliveryError[] = NO_ERRORS;
    const ev = t.vector(F_ERRORS, 4);
    if (ev && ev[1]) {
      const out: DeliveryError[] = [];
      errors = out;
      for (let k = 0; k < ev[1]; k++) {
        const et = t.tableAt(ev[0], k, 'delivery error');
        const kind = DELIVERY_ERROR_KINDS[et.u8(0, 0)];
        if (kind === undefined) throw new FrameError(`unknown delivery error kind ${et.u8(0, 0)}`);
        out.push({ kind, message: et.string(1) ?? '' });
      }
    }
    const ttl = t.u8(F_TTL, DEFAULT_TTL);
    const flags = t.u8(F_FLAGS, DEFAULT_FLAGS);
    const rp = t.field(F_REPLY_PORT, 4);
    const replyPort = rp === 0 ? -1 : t.dv.getUint32(rp, true);
    return new MessageEnvelope(
      sender,
      dest,
      data,
      typeName,
      bindings,
      headers,
      ttl,
      (flags & FLAG_RETURN_UNDELIVERABLE) !== 0,
      errors,
      replyPort === NO_REPLY_PORT ? -1 : replyPort,
    );
  }
}
