export { type ChannelAddr, type Transport, parseAddr, formatAddr, toAddr, anyAddr, isRemote } from './addr.js';
export { ChannelError, FrameError, type ChannelErrorVariant } from './errors.js';
export type { Tx, Rx, TxStatus, ReturnHandler } from './types.js';
export { serve, dial } from './channel.js';
export { NetRx, type ServeOptions } from './server.js';
export { NetTx, type DialOptions } from './client.js';
export { LocalRx, LocalTx } from './local.js';
export { AUTH_HEADER, makeProof, type Secret } from './auth.js';
export { channelConfig, type ChannelConfig } from './config.js';
