/** Errors of the payload codec and of bindings. */
import { ActormeshError } from '../base/errors.js';

/**
 * Variants of `CodecError`: a value that cannot be serialized or bytes that cannot be
 * deserialized, and `Codec` (a session frame that violates the wire protocol, wire/errors.ts).
 */
export type CodecErrorVariant = 'SerializationError' | 'DeserializationError' | 'Codec';

/** Encoding or decoding failed: payloads, envelopes, frames. */
export class CodecError extends ActormeshError<'CodecError', CodecErrorVariant> {
  constructor(variant: CodecErrorVariant, message: string, options?: { cause?: unknown }) {
    super('CodecError', variant, message, options);
  }
}

/** A value could not be serialized. `typeName` names the message type (or the value's class). */
export class SerializationError extends CodecError {
  readonly typeName: string;
  constructor(typeName: string, detail: string, options?: { cause?: unknown }) {
    super('SerializationError', `cannot serialize ${typeName}: ${detail}`, options);
    this.typeName = typeName;
  }
}

/** Bytes could not be deserialized into a value (malformed, truncated, or bindings mismatch). */
export class DeserializationError extends CodecError {
  readonly typeName: string;
  constructor(typeName: string, detail: string, options?: { cause?: unknown }) {
    super('DeserializationError', `cannot deserialize ${typeName}: ${detail}`, options);
    this.typeName = typeName;
  }
}

/**
 * Variants of `BindingError`: bad ranks in bindings, duplicate or unknown codec tags, and fast-path
 * layout kinds out of 1..255 or registered twice.
 */
export type BindingErrorVariant = 'InvalidRank' | 'DuplicateTag' | 'UnknownTag' | 'InvalidLayoutKind' | 'DuplicateLayoutKind';

/** A binding or codec registration got invalid input (bad rank, unknown tag, duplicate registration). */
export class BindingError extends ActormeshError<'BindingError', BindingErrorVariant> {
  constructor(variant: BindingErrorVariant, message: string) {
    super('BindingError', variant, message);
  }
}
