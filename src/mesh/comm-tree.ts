/**
 * Comm trees on proc meshes (Monarch hyperactor_mesh/src/v1/proc_mesh.rs `ProcMesh::create`): one comm actor per proc, spawned when a proc mesh
 * is allocated with the `commTree` option (`AllocatedProcMesh.allocate(cx, alloc, name, { commTree })`),
 * and the caster that sends the mesh's agent casts through them.
 *
 * Invariant: a mesh's casts take one path for the mesh's whole life: point to point up to
 * `CAST_POINT_TO_POINT_THRESHOLD` procs (cast-plan.ts), the tree above it, so a stream never
 * mixes both (docs/architecture.md MESH-1).
 */
import { type ActorId, PortId, type ProcId } from '../core/ids.js';
import { portIndexOf } from '../core/typeinfo.js';
import type { Context } from '../actor/instance.js';
import { ActorRef } from '../actor/refs.js';
import { Slice } from '../ndslice/slice.js';
import { Region } from '../ndslice/region.js';
import { castDirect, type CastDestination, type MeshCaster } from './cast-direct.js';
import { castMessage } from './cast.js';
import { castsPointToPoint } from './cast-plan.js';
import { COMM_ACTOR_NAME, type CommMsg } from './cast-protocol.js';
import { CommActor } from './comm-actor.js';
import type { CommActorSetup, AllocatedProcMesh } from './proc-mesh.js';

/**
 * Spawns one comm actor (reserved name `comm`) per proc of a freshly allocated mesh through the
 * direct cast path, then sends each its `Mesh(rank, peers)` mode. Agent casts keep the direct
 * caster; actor meshes cast through the returned root comm actor.
 */
export async function installCommTree(cx: Context, mesh: AllocatedProcMesh): Promise<CommActorSetup> {
  const ref = mesh.ref;
  await ref.spawnService(cx, COMM_ACTOR_NAME, CommActor, {});
  const peers = ref.ranks.map((r) => r.actorId(COMM_ACTOR_NAME));
  const port = portIndexOf('comm.mode');
  peers.forEach((p, rank) => cx.mailbox.sendMessage(new PortId(p, port), 'comm.mode', { type: 'comm.mode', rank, peers } satisfies CommMsg));
  return {
    rootCommActor: new ActorRef(peers[0]!),
    caster: treeCaster(
      ref.region(),
      ref.ranks.map((r) => r.procId),
      peers,
    ),
  };
}

/**
 * A `MeshCaster` sending through the comm tree (agent casts of a proc mesh: spawn, stop, state).
 * The targets of a `ProcMeshRef` are its ranks in region order; their proc ranks in the root must
 * form the region's slice (they do for every ref sliced from the root). Anything else — other
 * actor names per target, unknown procs, a shape that is not a slice — goes the direct way.
 */
export function treeCaster(root: Region, procIds: readonly ProcId[], peers: readonly ActorId[]): MeshCaster {
  const rankOf = new Map(procIds.map((p, i) => [p.key, i]));
  return (cx, meshName, targets, msg) => {
    // Like actor meshes, an agent mesh up to CAST_POINT_TO_POINT_THRESHOLD procs is cast to point
    // to point (one message per agent, replies straight back: no reducing hop holding them for
    // its update interval); the choice depends on the whole mesh, so one stream never mixes both.
    if (castsPointToPoint(procIds.length)) return castDirect(cx, meshName, targets, msg);
    const region = regionOfTargets(targets, rankOf);
    const name = targets[0]?.actorId.name;
    if (region === undefined || name === undefined || targets.some((t) => t.actorId.name !== name || t.actorId.pid !== 0)) {
      return castDirect(cx, meshName, targets, msg);
    }
    castMessage(cx, { meshId: `${meshName}/${name}`, actorName: name, perProc: 1, root, region, rootComm: peers[0], procIds, peers }, msg);
  };
}

function regionOfTargets(targets: readonly CastDestination[], rankOf: Map<string, number>): Region | undefined {
  if (targets.length === 0) return undefined;
  const extent = targets[0]!.point.extent;
  if (extent.numRanks !== targets.length) return undefined;
  const base: number[] = [];
  for (const t of targets) {
    const r = rankOf.get(t.actorId.proc.key);
    if (r === undefined) return undefined;
    base.push(r);
  }
  const sizes = extent.sizes;
  const strides = sizes.map((_, i) => {
    const coords = sizes.map(() => 0);
    if (sizes[i]! < 2) return 1;
    coords[i] = 1;
    return base[extent.rankOfCoords(coords)]! - base[0]!;
  });
  try {
    const slice = Slice.new(base[0]!, sizes, strides);
    for (let k = 0; k < base.length; k++) if (slice.get(k) !== base[k]) return undefined;
    return new Region(extent.labels, slice);
  } catch {
    return undefined;
  }
}
