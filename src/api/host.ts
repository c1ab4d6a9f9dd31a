/**
 * The user-facing entry points (spec host.md §10): `thisHost()` (the local machine),
 * `host.spawnProcs({gpus: 4})` → a `Procs` mesh of child processes (or in-process procs with
 * `{alloc: 'local'}`), `procs.spawn(name, Class, params)` → a typed `ActorMesh`.
 *
 * Invariants:
 * - one root client per process (a proc with a dial router + client instance), created lazily; it
 *   owns every mesh spawned through this API, and `host.shutdown()` stops them all (actor meshes
 *   first, then proc meshes, then the client);
 * - every actor mesh spawned here has a health state fed by a supervision monitor polling the
 *   agents (interval `monitorIntervalMs`, default 3 s like Monarch) and by proc deaths; failures go
 *   to the spawn's `onSupervise` handler, else to the unhandled-fault hook (default: exit);
 * - `spawnProcs` refuses to run inside a mesh worker process (a child that imported the user's
 *   module must not allocate again: guard `main()` with `if (!isWorker())`).
 */
import { Name } from '../core/name.js';
import type { Actor, ActorClass, ParamsOf } from '../actor/actor.js';
import type { Context } from '../actor/instance.js';
import { registerActor, actorClassByName } from '../actor/registry.js';
import { ActormeshError } from '../errors.js';
import { Extent } from '../ndslice/extent.js';
import { Region } from '../ndslice/region.js';
import { Slice } from '../ndslice/slice.js';
import { LocalAllocator, ProcessAllocator, BOOTSTRAP_ADDR_ENV, type Alloc } from '../mesh/alloc/index.js';
import { ProcMesh, type MeshClient } from '../mesh/proc-mesh.js';
import '../mesh/proc-mesh-agent.js'; // registers ProcMeshAgent (the agent every alloc boots)
import { COMM_ACTOR_MODULE, COMM_ACTOR_NAME, enableCommTree, memberName } from '../mesh/comm-actor.js';
import { ActorMesh } from '../mesh/actor-mesh.js';
import type { Endpoints } from '../mesh/endpoint.js';
import { MeshHealth, MeshFailure, SupervisionMonitor, pollActorStates, type SuperviseHandler } from '../mesh/supervision.js';
import { stopOwnedMeshes, superviseLifetime } from '../mesh/controller.js';

/** Bad use of the user API. */
export class ApiUsageError extends ActormeshError {
  constructor(variant: string, message: string) {
    super('MeshError', variant, message);
  }
}

/** True inside a mesh worker (a child process started by a process alloc). */
export function isWorker(): boolean {
  return process.env[BOOTSTRAP_ADDR_ENV] !== undefined;
}

export interface SpawnProcsOptions {
  /** Mesh name (default `procs`). */
  name?: string;
  /** `process` (default): one child Node process per proc; `local`: procs in this process. */
  alloc?: 'process' | 'local';
  /** Modules the worker processes import before spawning actors (the ones defining your actors). */
  modules?: string[];
}

export interface SpawnOptions {
  /** Actors per proc (an innermost `actors` dimension, or `perProcLabel`). Default: one per proc. */
  perProc?: number;
  perProcLabel?: string;
  /** The owner (default: the root client). An actor owner stops the mesh when it stops. */
  owner?: Context;
  /** Called with each failure of a member; return true when handled. */
  onSupervise?: SuperviseHandler;
  /** Supervision poll interval (default 3000 ms); `0` disables polling. */
  monitorIntervalMs?: number;
}

export type ActorMeshOf<A extends Actor<any, any>> = ActorMesh<A> & Endpoints<A>;

/** A proc mesh owned by this process, with `spawn` for actor meshes. */
export class Procs {
  readonly procMesh: ProcMesh;
  readonly client: MeshClient;
  private readonly meshes = new Set<ActorMesh<any>>();
  private stopping: Promise<void> | undefined;

  constructor(procMesh: ProcMesh, client: MeshClient) {
    this.procMesh = procMesh;
    this.client = client;
  }

  extent(): Extent {
    return this.procMesh.extent();
  }

  get size(): number {
    return this.procMesh.numRanks;
  }

  /**
   * Spawns `cls` on every proc (or `perProc` per proc) and returns the typed actor mesh. Fails
   * with the proc mesh's `ActorSpawnError` if any member could not be created.
   */
  async spawn<A extends Actor<any, any>>(name: string, cls: ActorClass<A>, params: ParamsOf<A>, opts: SpawnOptions = {}): Promise<ActorMeshOf<A>> {
    if (this.stopping !== undefined) throw new ApiUsageError('ProcMeshStopped', `cannot spawn ${name}: the proc mesh ${this.procMesh} is stopped`);
    const perProc = opts.perProc ?? 1;
    if (!Number.isSafeInteger(perProc) || perProc < 1) throw new ApiUsageError('InvalidPerProc', `perProc must be a positive integer, got ${String(opts.perProc)}`);
    ensureRegistered(cls);
    const cx = opts.owner ?? this.client.cx;
    const ref = this.procMesh.ref;
    let meshName: string;
    let names: string[];
    if (opts.perProc === undefined) {
      const sm = await ref.spawn(cx, name, cls, params);
      meshName = String(sm.name);
      names = [meshName];
    } else {
      meshName = Name.new(name).toString();
      names = Array.from({ length: perProc }, (_, j) => memberName(meshName, perProc, j));
      await Promise.all(names.map((n) => ref.spawnWithName(cx, Name.reserved(n), cls, params)));
    }
    const health = new MeshHealth(meshName);
    if (opts.onSupervise !== undefined) health.supervise = opts.onSupervise;
    const procExtent = ref.extent();
    const root = Region.fromExtent(opts.perProc === undefined ? procExtent : procExtent.concat(Extent.from({ [opts.perProcLabel ?? 'actors']: perProc })));
    const rootComm = ref.rootCommActor?.actorId;
    const runtime = {
      cx,
      procIds: ref.ranks.map((r) => r.procId),
      rootComm,
      ...(rootComm !== undefined ? { commPeers: ref.ranks.map((r) => r.actorId(COMM_ACTOR_NAME)) } : {}),
      health,
    };
    const interval = opts.monitorIntervalMs ?? 3000;
    const monitor = interval > 0 ? new SupervisionMonitor(health, () => pollActorStates(cx, ref, meshName, names, Math.max(2000, Math.min(2 * interval, 10_000))), interval).start() : undefined;
    const mesh: ActorMeshOf<A> = ActorMesh.own<A>(meshName, runtime, root, perProc, async () => {
      monitor?.stop();
      this.meshes.delete(mesh);
      // Procs known dead cannot answer: stop the members of the live procs only (each proc on
      // its own when some died, so no wait idles out on a dead rank).
      const dead = new Set(health.failures.filter((f) => f.kind === 'ProcStopped' && f.rank !== undefined).map((f) => Math.floor(f.rank! / perProc)));
      const targets = dead.size === 0 ? [ref] : ref.ranks.map((_, i) => i).filter((i) => !dead.has(i)).map((i) => ref.sliced(new Region([], Slice.new(ref.region().slice.get(i), [], []))));
      await Promise.all(targets.flatMap((t) => names.map((n) => t.stopActorByName(cx, n).catch(() => undefined))));
    });
    this.meshes.add(mesh);
    await superviseLifetime(cx, mesh);
    return mesh;
  }

  /** Stops every actor mesh spawned here, then the procs. Idempotent. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const m of this.meshes) m.health.markStopped();
      await Promise.all([...this.meshes].map((m) => m.stop().catch(() => undefined)));
      await this.procMesh.stop();
    })());
  }

  toString(): string {
    return String(this.procMesh);
  }
}

function ensureRegistered(cls: ActorClass<any>): void {
  try {
    if (actorClassByName(cls.typeName) === cls) return;
  } catch {
    /* not registered yet */
  }
  registerActor(cls);
}

/** The local machine (Monarch `this_host()`): spawns proc meshes owned by this process. */
export class Host {
  private client: MeshClient | undefined;
  private readonly procMeshes = new Set<Procs>();

  /** The root client of this process (created on first use). */
  get rootClient(): MeshClient {
    return (this.client ??= ProcMesh.createClient('client'));
  }

  /**
   * Spawns one proc per point of `perHost` (e.g. `{gpus: 4}`) on this machine, each with a comm
   * actor for casting.
   */
  async spawnProcs(perHost: Record<string, number>, opts: SpawnProcsOptions = {}): Promise<Procs> {
    if (isWorker()) throw new ApiUsageError('SpawnInWorker', 'spawnProcs was called inside a mesh worker process: the module defining your actors is imported by every worker, so guard your main code with `if (!isWorker()) { ... }`');
    const extent = Extent.from(perHost);
    enableCommTree();
    const spec = { extent, modules: [COMM_ACTOR_MODULE, ...(opts.modules ?? [])] };
    let alloc: Alloc;
    if (opts.alloc === 'local') alloc = await new LocalAllocator().allocate({ ...spec, transport: 'local' });
    else alloc = await new ProcessAllocator().allocate({ ...spec, transport: 'unix' });
    const client = this.rootClient;
    const pm = await ProcMesh.allocate(client.cx, alloc, opts.name ?? 'procs');
    const procs = new Procs(pm, client);
    this.procMeshes.add(procs);
    return procs;
  }

  /** Stops every mesh owned by this process and the root client. */
  async shutdown(): Promise<void> {
    const client = this.client;
    if (client !== undefined) await stopOwnedMeshes(client.cx);
    await Promise.all([...this.procMeshes].map((p) => p.stop().catch(() => undefined)));
    this.procMeshes.clear();
    this.client = undefined;
    if (client !== undefined) await client.close();
  }
}

let host: Host | undefined;

/** The local machine's host (one per process). */
export function thisHost(): Host {
  return (host ??= new Host());
}

export { MeshFailure };
