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
