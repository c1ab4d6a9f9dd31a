/**
 * Mesh lifetime tied to the owner (Monarch hyperactor_mesh/src/v1/mesh_controller.rs `ActorMeshController`): `ActorMeshController` is spawned as a
 * **child of the owner** for every actor mesh an actor owns; when the owner stops (and so its
 * children), the controller's `cleanup` stops the mesh. A client owner (no actor loop, cannot have
 * children) keeps its meshes in a registry instead, stopped by `stopOwnedMeshes(cx)` (called by
 * `Host.shutdown()`).
 *
 * Invariant: stopping is idempotent (the mesh's `stop()` is), so an explicit `mesh.stop()` followed
 * by the owner stopping is harmless.
 */
import { Actor, type Handlers } from '../actor/actor.js';
import type { Context, Instance } from '../actor/instance.js';

/** What a controller needs from a mesh. */
export interface StoppableMesh {
  readonly name: string;
  stop(): Promise<void>;
}

export type ControllerMsg = { type: 'controller.ping'; reply: { send(cx: Context, v: string): void } };

export class ActorMeshController extends Actor<{ mesh: StoppableMesh }, ControllerMsg> {
  static readonly typeName = 'actormesh::ActorMeshController';
  readonly mesh: StoppableMesh;
  constructor(p: { mesh: StoppableMesh }) {
    super();
    this.mesh = p.mesh;
  }
  readonly handlers: Handlers<ControllerMsg> = {
    'controller.ping': (cx, m) => m.reply.send(cx, this.mesh.name),
  };
  /** The owner is stopping: stop the mesh (bounded by CLEANUP_TIMEOUT). */
  override async cleanup(): Promise<void> {
    await this.mesh.stop();
  }
}

const clientOwned = new WeakMap<object, Set<StoppableMesh>>();

/**
 * Ties `mesh` to `owner`: a controller child for actor owners, the client registry otherwise.
 * Resolves once the controller runs.
 */
export async function superviseLifetime(owner: Context, mesh: StoppableMesh): Promise<void> {
  const inst = owner as Instance;
  if (inst.actor !== undefined) {
    await owner.spawnChild(ActorMeshController, { mesh });
    return;
  }
  let set = clientOwned.get(owner);
  if (set === undefined) clientOwned.set(owner, (set = new Set()));
  set.add(mesh);
}

/** Stops every mesh a client owner registered (in parallel); errors are collected, not thrown. */
export async function stopOwnedMeshes(owner: Context): Promise<Error[]> {
  const set = clientOwned.get(owner);
  if (set === undefined) return [];
  const meshes = [...set];
  set.clear();
  const errors: Error[] = [];
  await Promise.all(meshes.map((m) => m.stop().catch((e: unknown) => void errors.push(e instanceof Error ? e : new Error(String(e))))));
  return errors;
}
