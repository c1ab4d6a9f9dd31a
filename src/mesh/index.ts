/** Proc meshes: allocators, agents, the resource protocol, spawning and stopping actor meshes (spec host.md §3–§5, §8). */
export * from './alloc/index.js';
export * from './errors.js';
export * from './resource.js';
export { ProcMeshAgent, PROC_MESH_AGENT_TYPE, PROC_MESH_AGENT_MODULE, type Configure, type AgentStatus, type ProcMeshAgentMessage } from './proc-mesh-agent.js';
export { castDirect, castPointOf, castSenderOf, encodeCastPoint, type CastTarget, type CastOptions, type MeshCaster } from './cast-direct.js';
export { AllocatedProcMesh, ProcMeshRef, ProcRef, AllocatedActorMesh, type SliceSpec, type CommActorSetup, type MeshClient } from './proc-mesh.js';
