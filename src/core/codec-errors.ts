/** Errors of the payload codec and of bindings. */
import { ActormeshError } from '../errors.js';

/** A value could not be serialized. `typeName` names the message type (or the value's class). */
export class SerializationError extends ActormeshError {
  readonly typeName: string;
  constructor(typeName: string, detail: string, options?: { cause?: unknown }) {
    super('CodecError', 'SerializationError', `cannot serialize ${typeName}: ${detail}`, options);
    this.typeName = typeName;
  }
}

/** Bytes could not be deserialized into a value (malformed, truncated, or bindings mismatch). */
export class DeserializationError extends ActormeshError {
  readonly typeName: string;
  constructor(typeName: string, detail: string, options?: { cause?: unknown }) {
    super('CodecError', 'DeserializationError', `cannot deserialize ${typeName}: ${detail}`, options);
    this.typeName = typeName;
  }
}

/** A binding operation got invalid input (bad rank, unknown tag, duplicate registration). */
export class BindingError extends ActormeshError {
  constructor(variant: string, message: string) {
    super('BindingError', variant, message);
  }
}
