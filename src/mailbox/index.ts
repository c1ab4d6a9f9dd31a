/** Mailboxes, ports, envelopes, routers, accumulators (Monarch hyperactor/src/mailbox.rs, hyperactor/src/accum.rs). */
export * from './errors.js';
export * from './envelope.js';
export * from './sender.js';
export * from './mailbox.js';
export * from './receiver.js';
export {
  type Accumulator,
  type Reducer,
  type ReducerSpec,
  type ReducerOpts,
  type WatermarkPairs,
  type WatermarkState,
  Accumulators,
  AccumPort,
  UnknownReducerError,
  openAccumPort,
  sumAccumulator,
  maxAccumulator,
  minAccumulator,
  watermarkAccumulator,
  registerReducer,
  reducerOf,
  registeredReducers,
} from './accum.js';
export * from './split.js';
export * from './routers.js';
export * from './undeliverable.js';
export { type EncodedPayload, encodePayload, decodePayload, decodeEnvelopePayload, toWire, fromWire } from './payload.js';
export { type Deadline, deadline } from './deadline.js';
export * from './status-accum.js';
export { MailboxClient, installChannelDialer, channelDialer, type ChannelDialerOptions } from './client.js';
export { serveMailbox, type MailboxServerHandle, type ServeMailboxOptions } from './server.js';
