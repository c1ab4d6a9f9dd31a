/**
 * `thisProc(cx)` (Monarch's `this_proc()`): inside an actor, the proc it runs on as a one-proc
 * `ProcMesh`, to spawn typed child actor meshes there. They are owned by that actor: they stop
 * when it stops, and their failures go to its supervision (or the spawn's `onSupervise`).
 *
 * Invariant: the proc is borrowed, never owned: stopping this `ProcMesh` stops the actor meshes
 * spawned through it, never the proc.
 */
import type { Context } from '../actor/instance.js';
import { ActorRef } from '../actor/refs.js';
import { ActorId } from '../core/ids.js';
import { Name } from '../core/name.js';
import { Extent } from '../ndslice/extent.js';
import { Region } from '../ndslice/region.js';
import { DEFAULT_AGENT_NAME } from '../mesh/alloc/alloc.js';
import { AllocatedProcMesh, ProcMeshRef, ProcRef, type MeshClient } from '../mesh/proc-mesh.js';
import type { ProcMeshAgent } from '../mesh/proc-mesh-agent.js';
import type { DialMailboxRouter } from '../mailbox/routers.js';
import { ApiUsageError, ProcMesh } from './host.js';

/** The proc `cx` runs on, as a one-proc mesh (`{procs: 1}`) whose actor meshes `cx`'s actor owns. */
export function thisProc(cx: Context): ProcMesh {
  const proc = cx.proc;
  const agentId = new ActorId(proc.id, DEFAULT_AGENT_NAME, 0);
  if (proc.lookup(agentId) === undefined)
    throw new ApiUsageError(
      'NoProcAgent',
      `thisProc(cx): proc ${proc.id} has no proc-mesh agent (${DEFAULT_AGENT_NAME}); call it from an actor running on a proc of a ProcMesh (spawnProcs)`,
    );
  const ref = new ProcMeshRef(Name.new('this_proc'), Region.fromExtent(Extent.from({ procs: 1 })), [
    new ProcRef(proc.id, 0, new ActorRef<ProcMeshAgent>(agentId)),
  ]);
  const client: MeshClient = {
    proc,
    cx: cx as MeshClient['cx'],
    router: undefined as unknown as DialMailboxRouter, // only used to drop links to dead procs: a borrowed proc is never reported dead
    close: async () => undefined,
  };
  return new ProcMesh(AllocatedProcMesh.ofRunning('this_proc', ref), client);
}
