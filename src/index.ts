/**
 * actormesh — the package root: what a program needs to spawn procs and actor meshes, call their
 * endpoints, slice them, handle their failures and start workers on other machines, with the
 * value types it sees and the errors it catches. Everything else is reachable through the
 * layer's own entry point (`actormesh/ndslice`, `actormesh/selection`, `actormesh/valuemesh`,
 * `actormesh/core`, `actormesh/channel`, `actormesh/mailbox`, `actormesh/actor`,
 * `actormesh/mesh`, `actormesh/host`, `actormesh/api`; see the README's "Lower layers"). A name
 * means one thing across all of them.
 */

// Errors: the root of every error actormesh throws on purpose (`kind`, `variant`) and, below, one
// base class per kind (named as its kind; `variant` a literal union), so a program catches by
// kind and switches on `variant`. `instanceof` holds across two loaded copies of the package.
// The variant classes of the lower layers stay in their entry points.
export { ActormeshError, WasmError, WasmKernelError } from './base/errors.js';
export { SliceError, ExtentError, PointError, ViewError, RegionError, RegionParseError, ShapeError } from './ndslice/index.js';
export { SelectionError, SelectionParseError } from './selection/index.js';
export { MeshError, BuildError, ValueMeshError } from './valuemesh/index.js';
export { CodecError, ConfigError } from './core/index.js';
export { ChannelError } from './channel/index.js';
export { MailboxError, MailboxSenderError, UndeliverableMessageError } from './mailbox/index.js';
export { ActorError, ProcError, ActorRegistryError } from './actor/index.js';

// Procs on this machine, host meshes of workers, jobs (src/api).
export {
  thisHost,
  Host,
  ProcMesh,
  isWorker,
  thisProc,
  HostMesh,
  HostMeshRef,
  ProcessJob,
  SSHJob,
  SlurmJob,
  KubernetesJob,
  loadJob,
  ApiUsageError,
  JobError,
  KubeApiError,
  KubeConfigError,
  PodsNotReadyError,
  KubernetesError,
  type SpawnOptions,
  type SpawnProcsOptions,
  type ActorMeshOf,
  type AttachOptions,
  type HostSpawnProcsOptions,
  type ShutdownResult,
  type Job,
  type JobState,
  type ProcessJobSpec,
  type ProcessJobOptions,
  type SSHJobSpec,
  type SSHJobOptions,
  type SlurmJobSpec,
  type SlurmJobOptions,
  type KubernetesJobSpec,
  type KubernetesJobOptions,
  type KubernetesMeshSpec,
} from './api/index.js';

// Workers and attaching to them (src/host).
export {
  startWorker,
  AttachError,
  HostMeshStoppedError,
  NotOwnedError,
  HostMeshRefParseError,
  WorkerStartError,
  HostMeshError,
  WorkerError,
  type WorkerConfig,
  type WorkerHandle,
  type AttachFailure,
  type AttachFailureReason,
} from './host/index.js';

// Actor meshes, endpoints, supervision; the mesh errors (Monarch's v1::Error) and the allocation
// errors a spawn passes through (src/mesh).
export {
  ActorMesh,
  ActorMeshRef,
  MeshActor,
  castPoint,
  meshPoint,
  castSender,
  RESERVED_ENDPOINT_NAMES,
  DEFAULT_CALL_TIMEOUT_MS,
  MeshFailure,
  MeshHealth,
  setUnhandledFaultHook,
  EndpointError,
  EndpointUsageError,
  ReservedEndpointNameError,
  SupervisionError,
  CastUndeliverableError,
  ActorSpawnError,
  ActorStopError,
  ActorTypeNotRegistered,
  NotExist,
  UnroutableMesh,
  ConfigurationError,
  CallError,
  SendingError,
  CastingError,
  ControllerActorSpawnError,
  InvalidMeshArgument,
  InvalidRankCardinality,
  AllocatorError,
  AllocIncompleteError,
  NotEnoughResourcesError,
  AllocOtherError,
  type ActorMeshRefOf,
  type SliceSpec,
  type Endpoint,
  type Endpoints,
  type CheckedEndpoints,
  type EndpointFn,
  type CallOptions,
  type FaultHook,
  type SuperviseHandler,
  type MeshFailureKind,
} from './mesh/index.js';

// Actors and the references that travel in messages (src/actor).
export {
  Actor,
  registerActor,
  ActorRef,
  PortRef,
  OncePortRef,
  type Context,
  type Handler,
  type Handlers,
  type Message,
  type ActorClass,
  type RegisterActorOptions,
  type AskOptions,
  type SendOptions,
} from './actor/index.js';

// Accumulators for `endpoint.reduce` and accumulating ports; the errors of asks and ports
// (src/mailbox).
export {
  sumAccumulator,
  maxAccumulator,
  minAccumulator,
  registerReducer,
  TimeoutError,
  PortClosedError,
  type Accumulator,
  type Reducer,
  type ReducerSpec,
} from './mailbox/index.js';

// A rank inside a message arrives as the receiver's rank in the cast region (src/core).
export { Rank } from './core/index.js';

// Value types: extents, regions, points, shapes, slices (src/ndslice), selections
// (src/selection), value meshes and statuses (src/valuemesh).
export { Extent, Region, Point, Shape, Slice } from './ndslice/index.js';
export { Selection, parseSelection } from './selection/index.js';
export { ValueMesh, Status, StatusMesh } from './valuemesh/index.js';
