/** Allocators: where the procs of a proc mesh come from (spec host.md §4). */
export * from './alloc.js';
export { LocalAllocator, LocalAlloc } from './local.js';
export { type BootedProc } from './boot.js';
