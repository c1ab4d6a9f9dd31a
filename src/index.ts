/**
 * actormesh — public API. Layers, bottom up: WASM kernels ← ndslice / selection / value mesh ←
 * wire and channels ← mailbox ← actor / proc ← mesh ← this barrel.
 */
export { ActormeshError, WasmKernelError } from './errors.js';
export * from './ndslice/index.js';
export * from './selection/index.js';
export * from './valuemesh/index.js';
export * from './core/index.js';
export * from './mailbox/index.js';
export * from './actor/index.js';
export * from './channel/index.js';
export { MailboxClient, installChannelDialer } from './mailbox/client.js';
export { serveMailbox } from './mailbox/server.js';
export * from './mesh/index.js';
export * from './api/index.js';

// Names that two layers define; the explicit exports below resolve them for the package root.
// The mesh layer's errors are Monarch's v1::Error variants; the lower layers' twins stay
// reachable under a qualified name.
export { ActorSpawnError, type SliceSpec, type CastTarget } from './mesh/index.js';
export { ProcActorSpawnError } from './actor/index.js';
export type { CastTarget as MeshCastTarget } from './api/index.js';
// Port accumulators (with reducers, usable by endpoints' `reduce`) are the user-facing ones; the
// plain state accumulators of the value-mesh layer keep a qualified name.
export { sumAccumulator, maxAccumulator, minAccumulator, type Accumulator } from './api/index.js';
export {
  sumAccumulator as sumStateAccumulator,
  maxAccumulator as maxStateAccumulator,
  minAccumulator as minStateAccumulator,
  type Accumulator as StateAccumulator,
} from './valuemesh/index.js';
