/**
 * Across machines: the worker (one port per machine, its gateway and host agent), the host-agent
 * protocol, the alloc of procs spread over workers, the worker's command line and the client's
 * log folding.
 */
export {
  AttachError,
  HostMeshStoppedError,
  NotOwnedError,
  HostMeshRefParseError,
  WorkerStartError,
  HostMeshError,
  type HostMeshErrorVariant,
  type AttachFailure,
  type AttachFailureReason,
} from './errors.js';
export { startWorker, PACKAGE_VERSION, type WorkerConfig, type WorkerHandle } from './worker.js';
export {
  WorkerUsageError,
  WorkerError,
  WORKER_USAGE,
  parseWorkerArgs,
  resolveAdvertised,
  formatReadyLine,
  parseReadyLine,
  type WorkerUsageVariant,
  type WorkerOptions,
  type WorkerTls,
  type ReadyLine,
} from './worker-options.js';
export { HostAgent, type HostServices } from './host-agent.js';
export { PROTOCOL_VERSION, hostAgentId, type HostAgentMessage, type HostEvent, type HostInfo } from './protocol.js';
export { RemoteAlloc, type RemoteAllocSpec } from './remote-alloc.js';
export { LogFolder, LogFoldError, type LogLine, type LogFoldOptions } from './log-fold.js';
