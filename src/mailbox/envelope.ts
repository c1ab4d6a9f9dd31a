/**
 * `MessageEnvelope`: what travels between mailboxes (Monarch hyperactor/src/mailbox.rs `MessageEnvelope`).
 *
 * Invariants:
 * - `data` is the serialized payload and is opaque to every router and channel; only the
 *   destination port decodes it (with `bindings`, see core/codec) (docs/architecture.md MB-1).
 * - `ttl` is decremented once per `MailboxSender.post` hop; a post that finds it at 0 makes the
 *   envelope undeliverable with `TtlExpired` (sender.ts)
 *   (docs/architecture.md MB-2). The same-process shortcut
 *   (`DirectRouter`, sender.ts) subtracts the hops it skips at once, only when the TTL covers them.
 * - `errors` only grows: each failed hop appends why.
 * - An envelope is returned to its sender (through the return handle) only when
 *   `returnUndeliverable` is true; otherwise an undeliverable envelope is dropped (logged at debug).
 * - `headers` and `bindings` default to shared frozen empties: never mutate them in place, use
 *   `withHeader` / assign a new array.
 * - `replyPort` (≥ 0) names a once port of `sender`: the decoded message's `reply` field is
 *   `OncePortRef(sender[replyPort], 'reply', returnUndeliverable = false)`, left out of `data` by
 *   `ActorRef.ask` and put back by the destination (`decodeEnvelopePayload`). It is only
 *   meaningful with this envelope's own `sender`: hops and copies (`clone`, channels, bounces)
 *   keep both; an envelope built around another envelope's payload under a new sender must not
 *   carry it over (only asks set it, and asks are never re-sent that way).
 *
 * Field types are chosen so the channels layer encodes them directly (FlatBuffers): ids are
 * core id classes, binary fields are Uint8Array, headers map string keys to bytes.
 */
import type { ActorId, PortId } from '../core/ids.js';
import { MESSAGE_TTL_DEFAULT, config } from '../core/config.js';
import { type DeliveryError, type DeliveryErrorKind, deliveryError, displayDeliveryError } from './errors.js';

/**
 * One cast-time rewritable value extracted from the payload (Monarch hyperactor/src/message.rs `Bindings`), in payload order:
 * `tag` names the bindable kind (e.g. `PortRef`, `Rank`), `bytes` is its encoded value.
 */
export interface WireBinding {
  readonly tag: string;
  readonly bytes: Uint8Array;
}

/** Envelope headers (Monarch's `Attrs`): string key → encoded value. */
export type Headers = ReadonlyMap<string, Uint8Array>;

export const EMPTY_HEADERS: Headers = Object.freeze(new Map<string, Uint8Array>()) as Headers;
export const NO_BINDINGS: readonly WireBinding[] = Object.freeze([]) as readonly WireBinding[];
/** The shared (frozen) error list of envelopes that have none yet; see `recordError`. */
export const NO_ERRORS: readonly DeliveryError[] = Object.freeze([]) as readonly DeliveryError[];

/** Well-known header keys (Monarch hyperactor_mesh/src/comm/multicast.rs `CAST_POINT`, …). */
export const HEADER = {
  CAST_ORIGINATING_SENDER: 'CAST_ORIGINATING_SENDER',
  CAST_POINT: 'CAST_POINT',
  CAST_ACTOR_MESH_ID: 'CAST_ACTOR_MESH_ID',
  SEND_TIMESTAMP: 'SEND_TIMESTAMP',
  SEQ_INFO: 'SEQ_INFO',
} as const;

let ttlVersion = -1;
let ttlValue = 0;
/**
 * The TTL given to new envelopes: config `MESSAGE_TTL_DEFAULT` (env
 * `HYPERACTOR_MESSAGE_TTL_DEFAULT`, default 64), re-read only when the config changed.
 */
export function defaultTtl(): number {
  if (config.version !== ttlVersion) {
    ttlValue = config.get(MESSAGE_TTL_DEFAULT);
    ttlVersion = config.version;
  }
  return ttlValue;
}

/** All fields of an envelope, for `MessageEnvelope.of` (decoders use this). */
export interface EnvelopeFields {
  sender: ActorId;
  dest: PortId;
  data: Uint8Array;
  typeName: string;
  bindings?: readonly WireBinding[];
  headers?: Headers;
  errors?: readonly DeliveryError[];
  ttl?: number;
  returnUndeliverable?: boolean;
  /** See `MessageEnvelope.replyPort` (default -1: none). */
  replyPort?: number;
}

/** Anything that can take a returned (undeliverable) envelope; see sender.ts. */
export interface ReturnHandle {
  /** Called with the envelope, `errors` already appended. Must not throw for normal failures. */
  returnUndeliverable(envelope: MessageEnvelope): void;
}

export class MessageEnvelope {
  /** The actor that sent the message (undeliverables go back to it). */
  readonly sender: ActorId;
  /** Destination port. */
  readonly dest: PortId;
  /** Serialized payload; opaque to routers. */
  readonly data: Uint8Array;
  /** The message type name (handler port types are keyed by it). */
  readonly typeName: string;
  /** Cast-time rewritable values extracted from the payload, in order. */
  bindings: readonly WireBinding[];
  headers: Headers;
  /** Delivery failures so far (only grows, through `recordError`). */
  errors: readonly DeliveryError[];
  /** Remaining hops. */
  ttl: number;
  /** Return to sender when undeliverable (default true). */
  returnUndeliverable: boolean;
  /** The sender's once port answering this message (an ask), or -1; see the invariants. */
  replyPort: number;

  constructor(
    sender: ActorId,
    dest: PortId,
    data: Uint8Array,
    typeName: string,
    bindings: readonly WireBinding[] = NO_BINDINGS,
    headers: Headers = EMPTY_HEADERS,
    ttl: number = defaultTtl(),
    returnUndeliverable = true,
    errors: readonly DeliveryError[] = NO_ERRORS,
    replyPort = -1,
  ) {
    this.sender = sender;
    this.dest = dest;
    this.data = data;
    this.typeName = typeName;
    this.bindings = bindings;
    this.headers = headers;
    this.ttl = ttl;
    this.returnUndeliverable = returnUndeliverable;
    this.errors = errors;
    this.replyPort = replyPort;
  }

  static of(f: EnvelopeFields): MessageEnvelope {
    return new MessageEnvelope(
      f.sender,
      f.dest,
      f.data,
      f.typeName,
      f.bindings ?? NO_BINDINGS,
      f.headers ?? EMPTY_HEADERS,
      f.ttl ?? defaultTtl(),
      f.returnUndeliverable ?? true,
      f.errors ?? NO_ERRORS,
      f.replyPort ?? -1,
    );
  }

  /** A copy with one header set (headers are copy-on-write). */
  withHeader(key: string, value: Uint8Array): MessageEnvelope {
    const h = new Map(this.headers);
    h.set(key, value);
    const e = this.clone();
    e.headers = h;
    return e;
  }

  /** A shallow copy (payload bytes shared, errors copied). */
  clone(): MessageEnvelope {
    return new MessageEnvelope(
      this.sender,
      this.dest,
      this.data,
      this.typeName,
      this.bindings,
      this.headers,
      this.ttl,
      this.returnUndeliverable,
      this.errors.length ? [...this.errors] : NO_ERRORS,
      this.replyPort,
    );
  }

  /** Appends a delivery error (the list is copy-on-first-write). */
  recordError(err: DeliveryError): void {
    if (this.errors === NO_ERRORS) this.errors = [err];
    else (this.errors as DeliveryError[]).push(err);
  }

  /** True when at least one delivery error has been recorded. */
  get isError(): boolean {
    return this.errors.length > 0;
  }

  /** The last recorded delivery error, if any. */
  get error(): DeliveryError | undefined {
    return this.errors[this.errors.length - 1];
  }

  /**
   * Hop policy: consume one TTL unit. Returns the `TtlExpired` error (without recording it) if the
   * TTL was already 0.
   */
  decrementTtl(): DeliveryError | undefined {
    if (this.ttl <= 0) {
      return deliveryError('TtlExpired', `message to ${this.dest} from ${this.sender} exhausted its TTL`);
    }
    this.ttl--;
    return undefined;
  }

  /**
   * Marks this envelope undeliverable: records `err` and, if `returnUndeliverable` is set, hands it
   * to `returnHandle`. If returning fails the message is abandoned with a log line
   * (`undelivered_message_abandoned`); it never throws.
   */
  undeliverable(err: DeliveryError, returnHandle: ReturnHandle): void {
    this.recordError(err);
    if (!this.returnUndeliverable) return;
    try {
      returnHandle.returnUndeliverable(this);
    } catch (e) {
      abandoned(this, e);
    }
  }

  /** Shorthand for `undeliverable(deliveryError(kind, message), returnHandle)`. */
  fail(kind: DeliveryErrorKind, message: string, returnHandle: ReturnHandle): void {
    this.undeliverable(deliveryError(kind, message), returnHandle);
  }

  /** `sender > dest: TypeName{N bytes}` plus errors, for logs. */
  toString(): string {
    const errs = this.errors.length ? ` errors=[${this.errors.map(displayDeliveryError).join('; ')}]` : '';
    const reply = this.replyPort >= 0 ? ` reply=${this.sender}[${this.replyPort}]` : '';
    return `${this.sender} > ${this.dest}: ${this.typeName}{${this.data.byteLength} bytes}${reply} ttl=${this.ttl}${errs}`;
  }
}

/** Logs an envelope that could not even be returned to its sender. */
export function abandoned(env: MessageEnvelope, cause?: unknown): void {
  const why = cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : String(cause)}`;
  console.error(`actormesh: undelivered_message_abandoned ${env}${why}`);
}
