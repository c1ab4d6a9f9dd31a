import { CodecError } from '../core/codec-errors.js';

/** A frame that violates the wire protocol (docs/wire.md); the connection that sent it is closed. */
export class FrameError extends CodecError {
  constructor(message: string) {
    super('Codec', message);
  }
}
