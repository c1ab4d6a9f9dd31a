/**
 * MessageEnvelope ⇄ FlatBuffers `Envelope` (schema envelope.fbs).
 *
 * Invariants enforced here:
 * - Encoding reuses one Builder and interns the UTF-8 of ids and type names (bounded caches),
 *   and copies the payload in bulk; the output is a fresh copy the caller owns.
 * - Decoding is bounds-checked (reader.ts): malformed bytes give `FrameError`, never a crash; an
 *   id that does not parse gives the core `IdParseError`. The payload of a decoded envelope is a
 *   view of the input (no copy).
 * - `readRoute` reads sender, destination, TTL and flags without touching the payload.
 */
import * as flatbuffers from 'flatbuffers';
import { parseActorId, parsePortId, type ActorId, type PortId } from '../core/ids.js';
import { MessageEnvelope, EMPTY_HEADERS, NO_BINDINGS, type WireBinding } from '../mailbox/envelope.js';
import { DELIVERY_ERROR_KINDS, type DeliveryError } from '../mailbox/errors.js';
import { Envelope } from './generated/actormesh/wire/envelope.js';
import { Header } from './generated/actormesh/wire/header.js';
import { Binding } from './generated/actormesh/wire/binding.js';
import { DeliveryError as FbDeliveryError } from './generated/actormesh/wire/delivery-error.js';
import { FrameError } from '../channel/errors.js';
import { TableReader } from './reader.js';

const FLAG_RETURN_UNDELIVERABLE = 1;
const INTERN_LIMIT = 4096;

// Envelope field slots (declaration order in envelope.fbs).
const F_SENDER = 0;
const F_DEST = 1;
const F_TTL = 2;
const F_FLAGS = 3;
const F_TYPE = 4;
const F_PAYLOAD = 5;
const F_BINDINGS = 6;
const F_HEADERS = 7;
const F_ERRORS = 8;

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

  encode(env: MessageEnvelope): Uint8Array {
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

/** Reads the routing header without decoding the payload. Throws `FrameError` when malformed. */
export function readRoute(bytes: Uint8Array): Route {
  const t = TableReader.root(bytes, 'envelope');
  const sender = t.string(F_SENDER);
  const dest = t.string(F_DEST);
  if (sender === undefined || dest === undefined) throw new FrameError('envelope lacks a sender or a destination');
  return { sender, dest, ttl: t.u8(F_TTL, 64), returnUndeliverable: (t.u8(F_FLAGS, 1) & FLAG_RETURN_UNDELIVERABLE) !== 0 };
}

/** Decodes envelopes, caching parsed ids. */
export class EnvelopeDecoder {
  private readonly actors = new Intern<ActorId>();
  private readonly ports = new Intern<PortId>();

  /** Throws `FrameError` (malformed bytes) or `IdParseError` (bad id text). */
  decode(bytes: Uint8Array): MessageEnvelope {
    const t = TableReader.root(bytes, 'envelope');
    const senderText = t.string(F_SENDER);
    const destText = t.string(F_DEST);
    if (senderText === undefined || destText === undefined) throw new FrameError('envelope lacks a sender or a destination');
    const sender = this.actors.get(senderText, parseActorId);
    const dest = this.ports.get(destText, parsePortId);
    const typeName = t.string(F_TYPE) ?? '';
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
    const errors: DeliveryError[] = [];
    const ev = t.vector(F_ERRORS, 4);
    if (ev) {
      for (let k = 0; k < ev[1]; k++) {
        const et = t.tableAt(ev[0], k, 'delivery error');
        const kind = DELIVERY_ERROR_KINDS[et.u8(0, 0)];
        if (kind === undefined) throw new FrameError(`unknown delivery error kind ${et.u8(0, 0)}`);
        errors.push({ kind, message: et.string(1) ?? '' });
      }
    }
    const ttl = t.u8(F_TTL, 64);
    const flags = t.u8(F_FLAGS, 1);
    return new MessageEnvelope(sender, dest, data, typeName, bindings, headers, ttl, (flags & FLAG_RETURN_UNDELIVERABLE) !== 0, errors);
  }
}
