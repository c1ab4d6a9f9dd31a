import { ActormeshError } from '../base/errors.js';

/**
 * Variants of Monarch's `ChannelError` (hyperactor/src/channel.rs), and actormesh's own: `Unauthorized`
 * (wrong or missing mesh secret), `ServerRestarted` (a reconnect reached a new incarnation of the
 * server: the session is lost) and `TlsError` (TLS configuration or certificate verification).
 */
export type ChannelErrorVariant =
  'Closed' | 'Send' | 'Client' | 'InvalidAddress' | 'Server' | 'Codec' | 'Other' | 'Timeout' | 'Rejected' | 'Unauthorized' | 'ServerRestarted' | 'TlsError';

/**
 * An error of the channel layer: bad addresses, refused or broken connections, malformed frames,
 * delivery timeouts. `variant` names what went wrong; `addr` (when known) is the channel address.
 */
export class ChannelError extends ActormeshError<'ChannelError', ChannelErrorVariant> {
  readonly addr: string | undefined;
  constructor(variant: ChannelErrorVariant, message: string, addr?: string, options?: { cause?: unknown }) {
    super('ChannelError', variant, message, options);
    this.addr = addr;
  }
}

export { FrameError } from '../wire/errors.js';
