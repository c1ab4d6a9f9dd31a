/**
 * actormesh user API (spec host.md §10): spawn procs on this machine, spawn typed actor meshes,
 * call endpoints, slice, and handle failures. See the "Actor meshes" section of the README.
 */
export { thisHost, Host, ProcMesh, isWorker, ApiUsageError, type SpawnOptions, type SpawnProcsOptions, type ActorMeshOf } from './host.js';
export { HostMesh, HostMeshRef, type AttachOptions, type HostSpawnProcsOptions, type ShutdownResult } from './host-mesh.js';
export {
  AttachError,
  HostMeshStoppedError,
  NotOwnedError,
  HostMeshRefParseError,
  WorkerStartError,
  type AttachFailure,
  type AttachFailureReason,
} from '../host/errors.js';
export { startWorker, type WorkerConfig, type WorkerHandle } from '../host/worker.js';
export { runCli } from './cli.js';
export { thisProc } from './this-proc.js';
export { JobError, JOB_DIR, readJobCache, type Job, type JobState, type JobCache } from './job.js';
export { ProcessJob, loadJob, type ProcessJobSpec, type ProcessJobOptions } from './process-job.js';
export { SSHJob, type SSHJobSpec, type SSHJobOptions } from './ssh-job.js';
export { SlurmJob, type SlurmJobSpec, type SlurmJobOptions } from './slurm-job.js';
export { ActorMesh, ActorMeshRef, type ActorMeshRefOf, type SliceSpec, type MeshRuntime, DEFAULT_CALL_TIMEOUT_MS } from '../mesh/actor-mesh.js';
export {
  MeshActor,
  castPoint,
  meshPoint,
  castSender,
  EndpointError,
  EndpointUsageError,
  ReservedEndpointNameError,
  RESERVED_ENDPOINT_NAMES,
  type Endpoint,
  type Endpoints,
  type CheckedEndpoints,
  type EndpointFn,
  type CallOptions,
} from '../mesh/endpoint.js';
export {
  MeshFailure,
  SupervisionError,
  CastUndeliverableError,
  MeshHealth,
  setUnhandledFaultHook,
  type FaultHook,
  type SuperviseHandler,
  type MeshFailureKind,
} from '../mesh/supervision.js';
export { ActorMeshController, stopOwnedMeshes } from '../mesh/controller.js';
export { CommActor } from '../mesh/comm-actor.js';
export { castMessage, type CastTarget } from '../mesh/cast.js';
export { sumAccumulator, maxAccumulator, minAccumulator, type Accumulator } from '../mailbox/accum.js';
export { Actor, registerActor, type Context, type Handlers, ActorRef, PortRef, OncePortRef } from '../actor/index.js';
export { Rank } from '../core/bindings.js';
export type { Point } from '../ndslice/point.js';
export type { ValueMesh } from '../valuemesh/value-mesh.js';
