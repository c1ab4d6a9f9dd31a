import { ActormeshError } from '../errors.js';

/** A frame that violates the wire protocol (docs/wire.md); the connection that sent it is closed. */
export class FrameError extends ActormeshError {
  constructor(message: string) {
    super('CodecError', 'Codec', message);
  }
}
