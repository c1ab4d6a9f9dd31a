/**
 * The user-facing entry points (Monarch python/monarch/_src/actor/v1/host_mesh.py `this_host`, `this_proc`): `thisHost()` (the local machine),
 * `host.spawnProcs({gpus: 4})` → a `ProcMesh` of child processes (or in-process procs with
 * `{alloc: 'local'}`), `procs.spawn(name, Class, params)` → a typed `ActorMesh`.
 *
 * Invariants:
 * - one root client per process (a proc with a dial router + client instance), created lazily; it
 *   owns every mesh spawned through this API, and `host.shutdown()` stops them all (actor meshes
 *   first, then proc meshes, then the client);
 * - every actor mesh spawned here has a health state fed by a supervision monitor polling the
 *   agents (interval `monitorIntervalMs`, default 3 s like Monarch) and by proc deaths; failures go
 *   to the spawn's `onSupervise` handler, else to the unhandled-fault hook (default: exit);
 * - a proc death is what its allocator observed (the child process exited: `Stopped{reason}`),
 *   delivered to every actor mesh on that proc the moment the alloc emits it, with the reason
 *   (`Killed(9)`, `Exited(1)`, ...); a slow proc is never reported dead (supervision.ts);
 * - `spawnProcs` refuses to run inside a mesh worker process (a child that imported the user's
 *   module must not allocate again: guard `main()` with `if (!isWorker())`);
 * - a program that is done exits by itself, like a Monarch script, even without `shutdown()`:
 *   nothing this API creates keeps the event loop alive (children, their pipes and idle channels
 *   are unref'd), and once the program has nothing pending (no ref'd handle, timer or request of
 *   its own, no call in flight — a call holds a ref'd timer —, no `recv` waiting for a message
 *   and no operation of this API running) the root client shuts down: meshes stopped, children told to exit, servers closed;
 *   the loop then drains and the process exits
 *   (docs/architecture.md API-3). The uWebSockets.js listeners cannot be unref'd
 *   (an idle `uWS.App().listen` keeps Node alive and `beforeExit` never fires), so the check is an
 *   unref'd sampler of `process._getActiveHandles()` / `getActiveResourcesInfo()`; `beforeExit`
 *   covers in-process meshes (no listener). `thisHost().exitWhenIdle = false` turns it off.
 */
import { Name } from '../core/name.js';
import type { Actor, ActorClass, ParamsOf } from '../actor/actor.js';
import type { Context } from '../actor/instance.js';
import { registerActor, actorClassByName } from '../actor/registry.js';
import { MeshError } from '../valuemesh/errors.js';
import { Extent } from '../ndslice/extent.js';
import { Region } from '../ndslice/region.js';
import { Slice } from '../ndslice/slice.js';
import { LocalAllocator, ProcessAllocator, BOOTSTRAP_ADDR_ENV, ProcStopReason, type Alloc, type ProcState } from '../mesh/alloc/index.js';
import { AllocatedProcMesh, type MeshClient, type ProcMeshRef } from '../mesh/proc-mesh.js';
import '../mesh/proc-mesh-agent.js'; // registers ProcMeshAgent (the agent every alloc boots)
import { COMM_ACTOR_MODULE } from '../mesh/comm-actor.js';
import { COMM_ACTOR_NAME, memberName } from '../mesh/cast-protocol.js';
import { ActorMesh, type SliceSpec } from '../mesh/actor-mesh.js';
import { ReservedEndpointNameError, type CheckedEndpoints, type Endpoints } from '../mesh/endpoint.js';
import { ActorSpawnError } from '../mesh/errors.js';
import { pendingReceives } from '../mailbox/receiver.js';
import { MeshHealth, MeshFailure, SupervisionMonitor, pollActorStates, procStoppedFailure, type SuperviseHandler } from '../mesh/supervision.js';
import { stopOwnedMeshes, superviseLifetime } from '../mesh/controller.js';

/** Bad use of the user API. */
export class ApiUsageError extends MeshError {
  constructor(
    variant: 'InvalidSlice' | 'SpawnInWorker' | 'InvalidHosts' | 'ProcMeshStopped' | 'InvalidPerProc' | 'NotOwned' | 'NoProcAgent' | 'ProcStopped',
    message: string,
  ) {
    super(variant, message);
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

/** What the alloc's events told about one proc. */
interface ProcInfo {
  readonly rank: number;
  readonly pid: number;
  addr?: string;
}

/**
 * A proc mesh owned by this process (from `thisHost().spawnProcs` or a `HostMesh`'s), with `spawn`
 * for typed actor meshes; the allocation underneath is an `AllocatedProcMesh` (`procMesh`).
 */
/** What a proc mesh and its slices share. */
interface ProcMeshState {
  readonly meshes: Set<ActorMesh<any>>;
  /** Actor meshes spawned on a slice: root proc rank → proc rank in the slice. */
  readonly sliceRanks: Map<ActorMesh<any>, Map<number, number>>;
  stopping: Promise<void> | undefined;
  /** Procs whose process stopped (root rank → reason), as reported by the alloc. */
  readonly dead: Map<number, ProcStopReason>;
  unwatch: (() => void) | undefined;
}

export class ProcMesh {
  readonly procMesh: AllocatedProcMesh;
  readonly client: MeshClient;
  private readonly host: Host | undefined;
  private readonly st: ProcMeshState;
  /** The procs of this view: the whole mesh, or a slice of it (`slice`). */
  private readonly view: ProcMeshRef;
  private readonly isSlice: boolean;

  constructor(procMesh: AllocatedProcMesh, client: MeshClient, host?: Host, slice?: { state: ProcMeshState; view: ProcMeshRef }) {
    this.procMesh = procMesh;
    this.client = client;
    this.host = host;
    this.st = slice?.state ?? { meshes: new Set(), sliceRanks: new Map(), stopping: undefined, dead: new Map(), unwatch: undefined };
    this.view = slice?.view ?? procMesh.ref;
    this.isSlice = slice !== undefined;
  }

  /** Ranks (of the whole mesh) whose process stopped, with the reason (empty while every proc runs). */
  get stoppedProcs(): ReadonlyMap<number, ProcStopReason> {
    return this.st.dead;
  }

  /** @internal Wired by `Host.spawnProcs`: the alloc watch to end when this mesh stops. */
  setUnwatch(f: (() => void) | undefined): void {
    this.st.unwatch = f;
  }

  /**
   * A view of some of the procs (`{gpus: 0}` drops the dimension, `{gpus: [0, 2]}` keeps a range):
   * `spawn` on it puts actors on those procs only (an actor mesh of the slice's shape, ranked in
   * the slice). A slice cannot `stop()` the procs: stop the mesh it came from.
   */
  slice(spec: SliceSpec): ProcMesh {
    return new ProcMesh(this.procMesh, this.client, this.host, { state: this.st, view: this.view.slice(spec) });
  }

  /**
   * @internal The alloc reported proc `info.rank` stopped: every actor mesh on it fails at once
   * (`ProcStopped` with the reason), and the client's channel to it is dropped (what is still
   * queued for a dead process comes back undeliverable now, not after a delivery timeout).
   * Ignored once this proc mesh is stopping (procs then stop on purpose).
   */
  procStopped(info: ProcInfo, reason: ProcStopReason): void {
    if (this.st.stopping !== undefined || this.st.dead.has(info.rank)) return;
    this.st.dead.set(info.rank, reason);
    const procId = String(this.procMesh.ref.ranks[info.rank]?.procId ?? `rank ${info.rank}`);
    for (const m of [...this.st.meshes]) {
      if (m.health.stopped) continue;
      const rank = this.rankIn(m, info.rank);
      if (rank === undefined) continue;
      const { baseRanks, failure } = procStoppedFailure(m.name, rank, m.perProc, procId, reason, info.pid);
      m.health.fail(baseRanks, failure);
    }
    if (!this.procMesh.alloc.isLocal && info.addr !== undefined) this.client.router.abortClient(info.addr, `proc ${procId} stopped`);
  }

  /** The proc rank of root rank `root` in actor mesh `m`'s procs (undefined: not among them). */
  private rankIn(m: ActorMesh<any>, root: number): number | undefined {
    const map = this.st.sliceRanks.get(m);
    return map === undefined ? root : map.get(root);
  }

  extent(): Extent {
    return this.view.extent();
  }

  region(): Region {
    return this.view.region();
  }

  get size(): number {
    return this.view.numRanks;
  }

  /**
   * Spawns `cls` on every proc (or `perProc` per proc) and returns the typed actor mesh. Fails
   * with the proc mesh's `ActorSpawnError` if any member could not be created. A class with an
   * endpoint named like a mesh member (`RESERVED_ENDPOINT_NAMES`) does not compile here
   * (`CheckedEndpoints`), and at run time fails with `ReservedEndpointNameError` (every member
   * refuses to be created, no member exists).
   */
  async spawn<A extends Actor<any, any>>(
    name: string,
    cls: ActorClass<A> & CheckedEndpoints<A>,
    params: ParamsOf<A>,
    opts: SpawnOptions = {},
  ): Promise<ActorMeshOf<A>> {
    if (this.st.stopping !== undefined) throw new ApiUsageError('ProcMeshStopped', `cannot spawn ${name}: the proc mesh ${this.procMesh} is stopped`);
    if (this.st.dead.size > 0) {
      const [rank, reason] = this.st.dead.entries().next().value!;
      throw new ApiUsageError(
        'ProcStopped',
        `cannot spawn ${name}: proc rank ${rank} of ${this.procMesh} stopped (${ProcStopReason.label(reason)}); spawn on a new proc mesh`,
      );
    }
    return this.busy(() => this.spawnNow(name, cls, params, opts));
  }

  private async spawnNow<A extends Actor<any, any>>(name: string, cls: ActorClass<A>, params: ParamsOf<A>, opts: SpawnOptions): Promise<ActorMeshOf<A>> {
    const perProc = opts.perProc ?? 1;
    if (!Number.isSafeInteger(perProc) || perProc < 1)
      throw new ApiUsageError('InvalidPerProc', `perProc must be a positive integer, got ${String(opts.perProc)}`);
    ensureRegistered(cls);
    const cx = opts.owner ?? this.client.cx;
    const ref = this.view;
    let meshName: string;
    let names: string[];
    try {
      if (opts.perProc === undefined) {
        const sm = await ref.spawn(cx, name, cls, params);
        meshName = String(sm.name);
        names = [meshName];
      } else {
        meshName = Name.new(name).toString();
        names = Array.from({ length: perProc }, (_, j) => memberName(meshName, perProc, j));
        await Promise.all(names.map((n) => ref.spawnWithName(cx, Name.reserved(n), cls, params)));
      }
    } catch (e) {
      throw reservedEndpointRefusal(e, cls.typeName) ?? e;
    }
    const health = new MeshHealth(meshName);
    if (opts.onSupervise !== undefined) health.supervise = opts.onSupervise;
    const procExtent = ref.extent();
    const root = Region.fromExtent(opts.perProc === undefined ? procExtent : procExtent.concat(Extent.from({ [opts.perProcLabel ?? 'actors']: perProc })));
    // The comm tree spans the whole proc mesh: meshes on a slice cast point to point.
    const rootComm = this.isSlice ? undefined : ref.rootCommActor?.actorId;
    const runtime = {
      cx,
      procIds: ref.ranks.map((r) => r.procId),
      rootComm,
      ...(rootComm !== undefined ? { commPeers: ref.ranks.map((r) => r.actorId(COMM_ACTOR_NAME)) } : {}),
      health,
    };
    const interval = opts.monitorIntervalMs ?? 3000;
    const monitor =
      interval > 0
        ? new SupervisionMonitor(health, () => pollActorStates(cx, ref, meshName, names, Math.max(2000, Math.min(2 * interval, 10_000))), interval).start()
        : undefined;
    const mesh: ActorMeshOf<A> = ActorMesh.own<A>(meshName, runtime, root, perProc, async () => {
      monitor?.stop();
      this.st.meshes.delete(mesh);
      this.st.sliceRanks.delete(mesh);
      // Procs known dead cannot answer: stop the members of the live procs only (each proc on
      // its own when some died, so no wait idles out on a dead rank).
      const dead = new Set(health.failures.filter((f) => f.kind === 'ProcStopped' && f.rank !== undefined).map((f) => Math.floor(f.rank! / perProc)));
      const targets =
        dead.size === 0
          ? [ref]
          : ref.ranks
              .map((_, i) => i)
              .filter((i) => !dead.has(i))
              .map((i) => ref.sliced(new Region([], Slice.new(ref.region().slice.get(i), [], []))));
      await Promise.all(targets.flatMap((t) => names.map((n) => t.stopActorByName(cx, n).catch(() => undefined))));
    });
    this.st.meshes.add(mesh);
    if (this.isSlice) {
      const roots = this.procMesh.ref.region().remap(ref.region()) ?? new Uint32Array(0);
      this.st.sliceRanks.set(mesh, new Map(Array.from(roots, (root, i) => [root, i] as const)));
    }
    // A proc that died while this mesh was being spawned.
    for (const [root, reason] of this.st.dead) {
      const rank = this.rankIn(mesh, root);
      if (rank === undefined) continue;
      const { baseRanks, failure } = procStoppedFailure(meshName, rank, perProc, String(ref.ranks[rank]?.procId), reason);
      health.fail(baseRanks, failure);
    }
    await superviseLifetime(cx, mesh);
    return mesh;
  }

  /** Stops every actor mesh spawned here, then the procs. Idempotent. */
  stop(): Promise<void> {
    if (this.isSlice)
      return Promise.reject(new ApiUsageError('NotOwned', `cannot stop a slice (${this.view}) of a proc mesh: stop the ProcMesh that spawnProcs returned`));
    const st = this.st;
    return (st.stopping ??= this.busy(async () => {
      for (const m of st.meshes) m.health.markStopped();
      await Promise.all([...st.meshes].map((m) => m.stop().catch(() => undefined)));
      await this.procMesh.stop();
      st.unwatch?.();
      st.unwatch = undefined;
    }));
  }

  private busy<T>(f: () => Promise<T>): Promise<T> {
    return this.host !== undefined ? this.host.busy(f) : f();
  }

  toString(): string {
    return this.isSlice ? String(this.view) : String(this.procMesh);
  }
}

/**
 * The `ReservedEndpointNameError` behind a spawn that every member refused because the class
 * declares a reserved endpoint name (each proc reports it in the spawn's statuses), or undefined.
 */
function reservedEndpointRefusal(e: unknown, typeName: string): ReservedEndpointNameError | undefined {
  const endpoint = e instanceof ActorSpawnError ? ReservedEndpointNameError.endpointIn(e.message) : undefined;
  if (endpoint === undefined) return undefined;
  const err = new ReservedEndpointNameError(typeName, endpoint);
  (err as { cause?: unknown }).cause = e;
  return err;
}

function ensureRegistered(cls: ActorClass<any>): void {
  try {
    if (actorClassByName(cls.typeName) === cls) return;
  } catch {
    /* not registered yet */
  }
  registerActor(cls);
}

/**
 * @internal Feeds the proc deaths an alloc reports to the `ProcMesh` built on it, from the alloc's
 * first event on (a proc that dies while the mesh is being set up is reported once it exists).
 * Procs that share their address with others (`procsShareAddresses`: procs behind one worker's
 * port) never get that address's link aborted for one proc's death.
 */
export function watchProcDeaths(alloc: Alloc): { setProcs(p: ProcMesh): void; unwatch(): void } {
  const infos = new Map<string, ProcInfo>();
  const shared = alloc.procsShareAddresses === true;
  let procs: ProcMesh | undefined;
  const early: Array<[ProcInfo, ProcStopReason]> = [];
  const unwatch =
    alloc.watch?.((e: ProcState) => {
      switch (e.kind) {
        case 'Created':
          infos.set(e.createKey.toString(), { rank: e.point.rank, pid: e.pid });
          break;
        case 'Running': {
          const i = infos.get(e.createKey.toString());
          if (i !== undefined && !shared) i.addr = e.addr;
          break;
        }
        case 'Stopped': {
          const i = infos.get(e.createKey.toString());
          if (i === undefined) break;
          if (procs !== undefined) procs.procStopped(i, e.reason);
          else early.push([i, e.reason]);
          break;
        }
      }
    }) ?? (() => undefined);
  let stopWatch = unwatch;
  return {
    setProcs(p: ProcMesh) {
      procs = p;
      p.setUnwatch(() => stopWatch());
      for (const [i, r] of early.splice(0)) p.procStopped(i, r);
    },
    unwatch() {
      stopWatch();
      stopWatch = () => undefined;
    },
  };
}

/** The local machine (Monarch `this_host()`): spawns proc meshes owned by this process. */
/** A mesh owned by this process but not by `thisHost()` (a `HostMesh`): stopped when the program is idle. */
export interface IdleStoppable {
  idleStop(): Promise<unknown>;
}

export class Host {
  private client: MeshClient | undefined;
  private readonly procMeshes = new Set<ProcMesh>();
  private readonly others = new Set<IdleStoppable>();
  /** Operations of this API in progress (the program is not idle while any runs). */
  private ops = 0;
  private idleWatch: IdleWatch | undefined;
  private shuttingDown: Promise<void> | undefined;
  /**
   * Shut down by itself (stopping every mesh and child process) once the program has nothing
   * pending, so that a script that never calls `shutdown()` still exits (default true).
   */
  exitWhenIdle = true;

  /** @internal Runs `f` as an operation of this API (the idle watch waits for it). */
  async busy<T>(f: () => Promise<T>): Promise<T> {
    this.ops++;
    try {
      return await f();
    } finally {
      this.ops--;
    }
  }

  /** @internal Whether an operation of this API is running or meshes exist to shut down. */
  get idleState(): { ops: number; meshes: number } {
    return { ops: this.ops, meshes: this.procMeshes.size + this.others.size };
  }

  /** @internal A `HostMesh` of this process: the idle watch stops it (and `shutdown()` does) unless it was released. */
  adopt(m: IdleStoppable): void {
    this.others.add(m);
    this.watchIdle();
  }
  /** @internal The mesh stopped by itself. */
  release(m: IdleStoppable): void {
    this.others.delete(m);
  }

  private watchIdle(): void {
    if (this.exitWhenIdle) (this.idleWatch ??= new IdleWatch(this)).start();
  }

  /** This machine as a host mesh of one host (`{hosts: 1}`), like `HostMesh` (api/host-mesh.ts). */
  extent(): Extent {
    return Extent.from({ hosts: 1 });
  }
  region(): Region {
    return Region.fromExtent(this.extent());
  }
  get size(): number {
    return 1;
  }

  /** The root client of this process (created on first use). */
  get rootClient(): MeshClient {
    return (this.client ??= AllocatedProcMesh.createClient('client'));
  }

  /**
   * Spawns one proc per point of `perHost` (e.g. `{gpus: 4}`) on this machine, each with a comm
   * actor for casting.
   */
  async spawnProcs(perHost: Record<string, number>, opts: SpawnProcsOptions = {}): Promise<ProcMesh> {
    if (isWorker())
      throw new ApiUsageError(
        'SpawnInWorker',
        'spawnProcs was called inside a mesh worker process: the module defining your actors is imported by every worker, so guard your main code with `if (!isWorker()) { ... }`',
      );
    const extent = Extent.from(perHost);
    return this.busy(async () => {
      await this.shuttingDown;
      const spec = { extent, modules: [COMM_ACTOR_MODULE, ...(opts.modules ?? [])] };
      let alloc: Alloc;
      if (opts.alloc === 'local') alloc = await new LocalAllocator().allocate({ ...spec, transport: 'local' });
      else alloc = await new ProcessAllocator().allocate({ ...spec, transport: 'unix' });
      const deaths = watchProcDeaths(alloc);
      const client = this.rootClient;
      let pm: AllocatedProcMesh;
      try {
        pm = await AllocatedProcMesh.allocate(client.cx, alloc, opts.name ?? 'procs', { commTree: true });
      } catch (e) {
        deaths.unwatch();
        throw e;
      }
      const procs = new ProcMesh(pm, client, this);
      deaths.setProcs(procs);
      this.procMeshes.add(procs);
      this.watchIdle();
      return procs;
    });
  }

  /** Stops every mesh owned by this process and the root client. */
  shutdown(): Promise<void> {
    const run = this.busy(async () => {
      const client = this.client;
      this.idleWatch?.stop();
      if (client !== undefined) await stopOwnedMeshes(client.cx);
      await Promise.all([...this.procMeshes].map((p) => p.stop().catch(() => undefined)));
      this.procMeshes.clear();
      const others = [...this.others];
      this.others.clear();
      await Promise.all(others.map((m) => m.idleStop().catch(() => undefined)));
      if (this.client === client) this.client = undefined;
      if (client !== undefined) await client.close();
    });
    const done = run.finally(() => {
      if (this.shuttingDown === done) this.shuttingDown = undefined;
    });
    this.shuttingDown = done;
    return done;
  }
}

/** Sampling period of the idle watch, and how many idle samples in a row shut the client down. */
const IDLE_SAMPLE_MS = 100;
const IDLE_SAMPLES = 5;

/**
 * Shuts the host down once the program has nothing pending (see the module doc): samples, from an
 * unref'd timer, whether anything but this runtime keeps the event loop alive, and also acts on
 * `beforeExit` (the loop drained: in-process meshes only, as listeners keep it alive otherwise).
 */
class IdleWatch {
  private timer: NodeJS.Timeout | undefined;
  private idleSamples = 0;
  private hooked = false;
  constructor(private readonly host: Host) {}

  start(): void {
    if (!this.hooked) {
      this.hooked = true;
      process.on('beforeExit', this.onBeforeExit);
    }
    if (this.timer !== undefined) return;
    this.idleSamples = 0;
    this.timer = setInterval(this.sample, IDLE_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private readonly onBeforeExit = (): void => {
    const { ops, meshes } = this.host.idleState;
    if (ops === 0 && meshes > 0 && this.host.exitWhenIdle) this.fire();
  };

  private readonly sample = (): void => {
    const { ops, meshes } = this.host.idleState;
    if (ops > 0 || meshes === 0 || !this.host.exitWhenIdle || programHasPendingWork()) {
      this.idleSamples = 0;
      if (meshes === 0) this.stop();
      return;
    }
    if (++this.idleSamples >= IDLE_SAMPLES) this.fire();
  };

  private fire(): void {
    this.stop();
    this.host.shutdown().catch((e: unknown) => {
      console.error(`actormesh: shutting down the idle client failed: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
}

interface ProcessInternals {
  _getActiveHandles?(): unknown[];
  _getActiveRequests?(): unknown[];
}

/**
 * Whether something other than this runtime keeps the event loop alive: a ref'd handle (socket,
 * server, child process, worker, ...; stdout/stderr do not count: they keep nothing alive unless
 * written to, which shows up as a request), a ref'd timer or immediate (a call in flight holds
 * one), or a pending request. The runtime's own handles are unref'd while idle, and its uWS
 * listeners are not Node handles, so neither shows up here.
 */
export function programHasPendingWork(): boolean {
  // A `recv` waiting for a message from an actor (no handle of its own holds the loop).
  if (pendingReceives() > 0) return true;
  const p = process as unknown as ProcessInternals;
  if (typeof p._getActiveHandles === 'function') {
    for (const h of p._getActiveHandles()) {
      const fd = (h as { _handle?: { fd?: number } } | null)?._handle?.fd;
      if (fd === 1 || fd === 2) continue;
      if (fd === 0 && (h as { _handle?: { reading?: boolean } })._handle?.reading !== true) continue;
      return true;
    }
    if ((p._getActiveRequests?.() ?? []).length > 0) return true;
    for (const r of process.getActiveResourcesInfo()) if (r === 'Timeout' || r === 'Immediate') return true;
    return false;
  }
  // Without the handle list: only timers, immediates and non-stdio resource kinds count.
  return process.getActiveResourcesInfo().some((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
}

let host: Host | undefined;

/** The local machine's host (one per process). */
export function thisHost(): Host {
  return (host ??= new Host());
}

export { MeshFailure };
