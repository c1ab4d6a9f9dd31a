/** Proc meshes: allocators, agents, the resource protocol, spawning and stopping actor meshes (Monarch hyperactor_mesh/src/{alloc.rs, resource.rs, v1/proc_mesh.rs, v1.rs}). */
export * from './alloc/index.js';
export * from './errors.js';
export * from './resource.js';
export { ProcMeshAgent, PROC_MESH_AGENT_TYPE, PROC_MESH_AGENT_MODULE, type Configure, type AgentStatus, type ProcMeshAgentMessage } from './proc-mesh-agent.js';
export { castDirect, castPointOf, castSenderOf, encodeCastPoint, type CastDestination, type CastOptions, type MeshCaster } from './cast-direct.js';
export { AllocatedProcMesh, ProcMeshRef, ProcRef, AllocatedActorMesh, type CommActorSetup, type MeshClient } from './proc-mesh.js';
export { ActorMesh, ActorMeshRef, type ActorMeshRefOf, type SliceSpec, type MeshRuntime, DEFAULT_CALL_TIMEOUT_MS } from './actor-mesh.js';
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
} from './endpoint.js';
export {
  MeshFailure,
  SupervisionError,
  CastUndeliverableError,
  MeshHealth,
  setUnhandledFaultHook,
  type FaultHook,
  type SuperviseHandler,
  type MeshFailureKind,
} from './supervision.js';
export { ActorMeshController, stopOwnedMeshes } from './controller.js';
export { CommActor } from './comm-actor.js';
export { castMessage, type CastTarget } from './cast.js';
