/**
 * Payload encoding for envelopes: the one place where the mailbox layer turns messages into
 * bytes and back. Delegates to the core codec (`src/core/codec.ts`): `encodeMessage` extracts
 * bindable values (PortRef, Rank) into ordered bindings, `decodeMessage` rebinds them.
 *
 * Envelope bindings are `WireBinding {tag, bytes}` (what the wire format carries); this module
 * converts them from/to the core codec's `Binding {tag, slot, value}`. Messages without bindable
 * values (the common case) pay nothing for that.
 *
 * Invariant: `decodePayload(encodePayload(m))` is structurally equal to `m` for every supported
 * message, and throws a typed `DeserializationError` (never returns garbage) for bytes that do
 * not decode.
 */
import { decode, decodeMessage, encode, encodeMessage } from '../core/codec.js';
import type { Binding } from '../core/bindings.js';
import { DeserializationError } from '../core/codec-errors.js';
import type { ActorId } from '../core/ids.js';
import { type MessageEnvelope, type WireBinding, NO_BINDINGS } from './envelope.js';

export { SerializationError, DeserializationError } from '../core/codec-errors.js';

export interface EncodedPayload {
  data: Uint8Array;
  bindings: readonly WireBinding[];
}

/** Serializes a message; throws `SerializationError`. */
export function encodePayload(value: unknown, typeName: string): EncodedPayload {
  const m = encodeMessage(value, typeName);
  if (m.bindings.length === 0) return { data: m.data, bindings: NO_BINDINGS };
  return { data: m.data, bindings: toWire(m.bindings) };
}

/** Deserializes a message with its bindings; throws `DeserializationError`. */
export function decodePayload(data: Uint8Array, bindings: readonly WireBinding[], typeName: string): unknown {
  return decodeMessage(data, bindings.length === 0 ? NO_CORE_BINDINGS : fromWire(bindings, typeName), typeName);
}

/** Builds the `reply` value of an ask from the envelope's sender and reply port (refs.ts). */
export type AskReplyFactory = (sender: ActorId, replyPort: number) => unknown;
let askReply: AskReplyFactory | undefined;

/** Installs the ask reply factory (the actor layer does, where `OncePortRef` lives). */
export function setAskReplyFactory(f: AskReplyFactory): void {
  askReply = f;
}

/**
 * Decodes an envelope's message: `decodePayload`, plus the `reply` field of an ask when the
 * envelope carries a reply port (`MessageEnvelope.replyPort`). Throws `DeserializationError`.
 */
export function decodeEnvelopePayload(env: MessageEnvelope): unknown {
  const msg = decodePayload(env.data, env.bindings, env.typeName);
  const rp = env.replyPort;
  if (rp < 0) return msg;
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new DeserializationError(env.typeName, `the envelope carries reply port ${rp} but its message is not an object`);
  }
  if (askReply === undefined) throw new DeserializationError(env.typeName, 'the envelope carries a reply port, but no actor layer is loaded to build it');
  (msg as Record<string, unknown>).reply = askReply(env.sender, rp);
  return msg;
}

const NO_CORE_BINDINGS: readonly Binding[] = Object.freeze([]) as readonly Binding[];

/** Core bindings → wire bindings (each value encoded on its own). */
export function toWire(bindings: readonly Binding[]): WireBinding[] {
  const out = new Array<WireBinding>(bindings.length);
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    out[i] = { tag: b.tag, bytes: encode(b.value, `binding ${b.tag}`) };
  }
  return out;
}

/** Wire bindings → core bindings (slot = position). */
export function fromWire(bindings: readonly WireBinding[], typeName = 'message'): Binding[] {
  const out = new Array<Binding>(bindings.length);
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    if (typeof b?.tag !== 'string' || !(b.bytes instanceof Uint8Array)) {
      throw new DeserializationError(typeName, `binding ${i} is not a {tag, bytes} pair`);
    }
    out[i] = { tag: b.tag, slot: i, value: decode(b.bytes, `binding ${b.tag}`) };
  }
  return out;
}
