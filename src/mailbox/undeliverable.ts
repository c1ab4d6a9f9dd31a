/**
 * Returning undeliverable envelopes across processes (Monarch hyperactor/src/mailbox/undeliverable.rs `return_undeliverable`).
 *
 * A remote hop that cannot deliver an envelope cannot call the sender's return handle; it posts a
 * NEW envelope to the sender's well-known port `Undeliverable<MessageEnvelope>` (the typed port
 * of that name on the sender's actor id) carrying the bounced envelope as its payload.
 *
 * Invariants: the bounce envelope has `returnUndeliverable = false` and a bounced bounce is only
 * logged, so undeliverables never ping-pong
 * (docs/architecture.md MB-3); the bounced envelope's payload bytes are carried
 * unchanged.
 */
import { parseActorId, parsePortId } from '../core/ids.js';
import { portIndexOf } from '../core/typeinfo.js';
import { type DeliveryError, type DeliveryErrorKind, DELIVERY_ERROR_KINDS, deliveryError } from './errors.js';
import { MessageEnvelope, type ReturnHandle, type WireBinding, abandoned } from './envelope.js';
import { decodePayload, encodePayload } from './payload.js';
import { DeserializationError } from '../core/codec-errors.js';
import type { MailboxSender } from './sender.js';

/** Type name (and so port index) of every actor's undeliverable port. */
export const UNDELIVERABLE_TYPE = 'Undeliverable<MessageEnvelope>';
export const UNDELIVERABLE_PORT = portIndexOf(UNDELIVERABLE_TYPE);

/** Plain-data form of an envelope (what a bounce carries). */
interface EnvelopeRecord {
  sender: string;
  dest: string;
  data: Uint8Array;
  typeName: string;
  bindings: Array<[string, Uint8Array]>;
  headers: Array<[string, Uint8Array]>;
  errors: Array<[DeliveryErrorKind, string]>;
  ttl: number;
  returnUndeliverable: boolean;
  /** Absent in records written before reply ports existed (then -1). */
  replyPort?: number;
}

function toRecord(env: MessageEnvelope): EnvelopeRecord {
  return {
    sender: env.sender.key,
    dest: env.dest.key,
    data: env.data,
    typeName: env.typeName,
    bindings: env.bindings.map((b) => [b.tag, b.bytes]),
    headers: [...env.headers],
    errors: env.errors.map((e) => [e.kind, e.message]),
    ttl: env.ttl,
    returnUndeliverable: env.returnUndeliverable,
    replyPort: env.replyPort,
  };
}

function fromRecord(r: EnvelopeRecord): MessageEnvelope {
  if (typeof r !== 'object' || r === null || typeof r.sender !== 'string' || typeof r.dest !== 'string' || !(r.data instanceof Uint8Array)) {
    throw new DeserializationError(UNDELIVERABLE_TYPE, 'not an envelope record');
  }
  const errors: DeliveryError[] = (r.errors ?? []).map(([k, m]) => deliveryError(DELIVERY_ERROR_KINDS.includes(k) ? k : 'BrokenLink', String(m)));
  const bindings: WireBinding[] = (r.bindings ?? []).map(([tag, bytes]) => ({ tag, bytes }));
  return MessageEnvelope.of({
    sender: parseActorId(r.sender),
    dest: parsePortId(r.dest),
    data: r.data,
    typeName: String(r.typeName),
    bindings,
    headers: new Map(r.headers ?? []),
    errors,
    ttl: Number(r.ttl) | 0,
    returnUndeliverable: Boolean(r.returnUndeliverable),
    replyPort: Number.isInteger(r.replyPort) && (r.replyPort as number) >= 0 ? (r.replyPort as number) : -1,
  });
}

/** The bounce envelope carrying `env` back to its sender's undeliverable port. */
export function bounceEnvelope(env: MessageEnvelope): MessageEnvelope {
  const p = encodePayload(toRecord(env), UNDELIVERABLE_TYPE);
  const out = new MessageEnvelope(env.dest.actor, env.sender.port(UNDELIVERABLE_PORT), p.data, UNDELIVERABLE_TYPE);
  out.returnUndeliverable = false;
  return out;
}

/** Decodes the payload of a bounce envelope back into the original envelope. */
export function decodeBounced(data: Uint8Array): MessageEnvelope {
  return fromRecord(decodePayload(data, [], UNDELIVERABLE_TYPE) as EnvelopeRecord);
}

/**
 * A return handle for a remote hop (e.g. a mailbox server): marks the envelope `BrokenLink` if it
 * has no error yet and posts the bounce through `sender`. Bounces of bounces are only logged.
 */
export function remoteReturnHandle(sender: MailboxSender): ReturnHandle {
  const handle: ReturnHandle = {
    returnUndeliverable(env: MessageEnvelope): void {
      if (env.typeName === UNDELIVERABLE_TYPE) {
        abandoned(env);
        return;
      }
      if (env.errors.length === 0) env.recordError(deliveryError('BrokenLink', 'message was undeliverable'));
      sender.post(bounceEnvelope(env), { returnUndeliverable: (b) => abandoned(b) });
    },
  };
  return handle;
}
