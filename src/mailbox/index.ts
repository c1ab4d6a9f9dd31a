/** Mailboxes, ports, envelopes, routers, accumulators (spec host.md §1.5–§1.7, §2.4). */
export * from './errors.js';
export * from './envelope.js';
export * from './sender.js';
export * from './mailbox.js';
export * from './receiver.js';
export {
  type Accumulator as PortAccumulator,
  type Reducer,
  type ReducerSpec,
  type ReducerOpts,
  type WatermarkUpdate as WatermarkPairs,
  type WatermarkState,
  Accumulators,
  AccumPort,
  UnknownReducerError,
  openAccumPort,
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
