/** Allocators: where the procs of a proc mesh come from (Monarch hyperactor_mesh/src/alloc.rs). */
export * from './alloc.js';
export { LocalAllocator, LocalAlloc } from './local.js';
export { type BootedProc } from './proc-boot.js';
export { ProcessAllocator, ProcessAlloc, defaultBootstrapCommand, type BootstrapCommand, type ProcessAllocatorOptions } from './process.js';
export { bootstrapChild, exitWithParent, installShippedConfig } from './child-bootstrap.js';
export {
  BOOTSTRAP_ADDR_ENV,
  BOOTSTRAP_INDEX_ENV,
  CONFIG_SNAPSHOT_ENV,
  MESH_SECRET_ENV,
  MESH_TLS_CERT_ENV,
  MESH_TLS_KEY_ENV,
  MESH_TLS_CA_ENV,
  BootstrapProtocolError,
  BootstrapError,
} from './protocol.js';
