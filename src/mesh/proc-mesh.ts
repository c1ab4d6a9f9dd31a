/**
 * `AllocatedProcMesh` / `ProcMeshRef` / `ProcRef` (Monarch hyperactor_mesh/src/v1/proc_mesh.rs `ProcMesh`, `ProcMeshRef`, `ProcRef`): a mesh of procs from an `Alloc`, each
 * with a `ProcMeshAgent`, and the operations that spawn, query and stop actor meshes on it through
 * the resource protocol.
 *
 * Invariants:
 * - `region.numRanks === ranks.length` (else `InvalidRankCardinality`); rank `i` of a ref is
 *   `ranks[i]`, at point `region.extent().pointOfRank(i)`.
 * - A sliced ref keeps the mesh name and the root region (`rootRegion`), so casts can be
 *   expressed relative to the root.
 * - Casts to the agents go through one `MeshCaster` per root mesh (`castDirect` until the comm
 *   tree, `allocate(..., { commTree: true })`, installs its own: comm-tree.ts); every rank sees the `Rank`
 *   bindings rewritten to its rank **in the ref that casts** (so statuses and states come back in
 *   that ref's rank space, also on slices).
 * - Spawn/stop waits are idle timeouts (re-armed on every status update), never deadlines.
 */
import { Name, ShortUuid } from '../core/name.js';
import { ActorId, ProcId as ProcIds, type ProcId, WorldId } from '../core/ids.js';
import { Rank } from '../core/bindings.js';
import { isRegisteredTag, registerCodecClass } from '../core/codec.js';
import { ACTOR_SPAWN_MAX_IDLE, GET_ACTOR_STATE_MAX_IDLE, config } from '../core/config.js';
import type { Actor, ActorClass, ParamsOf } from '../actor/actor.js';
import type { Context, Instance } from '../actor/instance.js';
import { Proc } from '../actor/proc.js';
import { ActorRef } from '../actor/refs.js';
import { actorClassByName, encodeParams, registeredActorTypes } from '../actor/registry.js';
import { ActorTypeNotRegistered } from '../actor/errors.js';
import { anyAddr, formatAddr, serve, type Transport } from '../channel/index.js';
import { MailboxClient, closeClients, recordingDialer } from '../mailbox/client.js';
import { serveMailbox, type MailboxServerHandle } from '../mailbox/server.js';
import { DialMailboxRouter } from '../mailbox/routers.js';
import { QueueingSender } from '../mailbox/sender.js';
import { statusAccumulator } from '../mailbox/status-accum.js';
import { PortClosedError, TimeoutError } from '../mailbox/errors.js';
import { Extent, Point, Range, Region } from '../ndslice/index.js';
import { Status, ValueMesh, waitRankStatus, statusesToRankedValues, type StatusAccumState, type StatusMesh } from '../valuemesh/index.js';
import { type Alloc, type AllocatedProc, type ProcState, initialize } from './alloc/alloc.js';
import { castDirect, type CastDestination, type MeshCaster } from './cast-direct.js';
import type { SliceSpec } from './actor-mesh.js';
import { ActorSpawnError, ActorStopError, ConfigurationError, InvalidMeshArgument, InvalidRankCardinality, NotExist, UnroutableMesh } from './errors.js';
import { ProcMeshAgent, type Configure, type AgentStatus } from './proc-mesh-agent.js';
import type { ActorState, CreateOrUpdate, GetRankStatus, GetState, State, Stop, StopAll } from './resource.js';
import { installCommTree } from './comm-tree.js';
import { EventQueue } from './alloc/event-queue.js';

/** One proc of a mesh: its id, its rank at creation, and its agent. */
export class ProcRef {
  constructor(
    readonly procId: ProcId,
    readonly createRank: number,
    readonly agent: ActorRef<ProcMeshAgent>,
  ) {}
  /** The id of the root actor `name` on this proc. */
  actorId(name: Name | string): ActorId {
    return new ActorId(this.procId, String(name), 0);
  }
  toString(): string {
    return `${this.procId}#${this.createRank}`;
  }
}

/** The result of a successful spawn: the actors named `name` on every proc of `procMesh`. */
export class AllocatedActorMesh<A extends Actor<any, any>> {
  constructor(
    readonly procMesh: ProcMeshRef,
    readonly name: Name,
    readonly actorType: string,
  ) {}
  region(): Region {
    return this.procMesh.region();
  }
  get numRanks(): number {
    return this.procMesh.numRanks;
  }
  actorId(rank: number): ActorId {
    return this.procMesh.rank(rank).actorId(this.name);
  }
  actorRef(rank: number): ActorRef<A> {
    return new ActorRef<A>(this.actorId(rank));
  }
  actorRefs(): ActorRef<A>[] {
    return this.procMesh.ranks.map((r) => new ActorRef<A>(r.actorId(this.name)));
  }
  /** View item: the ActorRef of `rank`. */
  get(rank: number): ActorRef<A> | undefined {
    return rank >= 0 && rank < this.numRanks ? this.actorRef(rank) : undefined;
  }
  /** Stops the actors on every proc of this (sliced) mesh; `ActorStopError` if some did not stop. */
  stop(cx: Context): Promise<void> {
    return this.procMesh.stopActorByName(cx, this.name);
  }
  toString(): string {
    return `${this.name}:${this.actorType}@${this.procMesh}`;
  }
}

/**
 * A serializable, sliceable reference to a proc mesh (or a slice of one). Operations take the
 * caller's context `cx` (an actor or client instance of a proc that can route to the mesh).
 */
export class ProcMeshRef {
  readonly name: Name;
  readonly ranks: readonly ProcRef[];
  /** The region of the root mesh when this ref is a slice. */
  readonly rootRegion: Region | undefined;
  /** Set by the comm tree: the comm actor of rank 0 of the root mesh. */
  readonly rootCommActor: ActorRef<any> | undefined;
  private readonly reg: Region;
  /** How casts reach the agents (and actors) of this mesh; not serialized. */
  caster: MeshCaster;

  constructor(name: Name, region: Region, ranks: readonly ProcRef[], opts: { rootRegion?: Region; rootCommActor?: ActorRef<any>; caster?: MeshCaster } = {}) {
    if (region.numRanks !== ranks.length) throw new InvalidRankCardinality(region.numRanks, ranks.length, `proc mesh ${name}`);
    this.name = name;
    this.reg = region;
    this.ranks = ranks;
    this.rootRegion = opts.rootRegion;
    this.rootCommActor = opts.rootCommActor;
    this.caster = opts.caster ?? castDirect;
  }

  region(): Region {
    return this.reg;
  }
  extent(): Extent {
    return this.reg.extent();
  }
  get numRanks(): number {
    return this.ranks.length;
  }
  /** The ProcRef of `rank` (`InvalidMeshArgument` when out of range). */
  rank(rank: number): ProcRef {
    const r = this.ranks[rank];
    if (r === undefined) throw new InvalidMeshArgument('rank', `${rank} is not a rank of ${this} (expected 0..${this.ranks.length - 1})`);
    return r;
  }
  /** View item. */
  get(rank: number): ProcRef | undefined {
    return this.ranks[rank];
  }
  /** `[point, ProcRef]` for every rank. */
  *iter(): IterableIterator<[Point, ProcRef]> {
    const e = this.reg.extent();
    for (let i = 0; i < this.ranks.length; i++) yield [e.pointOfRank(i), this.ranks[i]!];
  }

  /** The sub-mesh over `sub` (a subset of this region), keeping the root region. */
  sliced(sub: Region): ProcMeshRef {
    const idx = this.reg.remap(sub);
    if (idx === null) throw new InvalidMeshArgument('region', `${sub} is not a subset of ${this.reg}`);
    const ranks = Array.from(idx, (i) => this.ranks[i]!);
    return new ProcMeshRef(this.name, sub, ranks, { rootRegion: this.rootRegion ?? this.reg, rootCommActor: this.rootCommActor, caster: this.caster });
  }
  /** Restricts `dim` to `r` (ViewExt.range). */
  range(dim: string, r: Range | number | readonly [number, (number | null)?, number?]): ProcMeshRef {
    return this.sliced(this.reg.range(dim, r));
  }
  /** `{label: i}` fixes and drops a dim; `{label: [start, end?, step?]}` ranges it. */
  slice(spec: SliceSpec): ProcMeshRef {
    if (typeof spec !== 'object' || spec === null)
      throw new InvalidMeshArgument('slice', `expected an object {label: index | [start, end?, step?]}, got ${String(spec)}`);
    let region = this.reg;
    for (const [label, v] of Object.entries(spec)) {
      if (!region.labels.includes(label))
        throw new InvalidMeshArgument('slice', `unknown dimension '${label}' (dimensions: ${region.labels.join(', ') || 'none'})`);
      region = typeof v === 'number' ? region.at(label, v) : region.range(label, v);
    }
    return this.sliced(region);
  }

  /** Cast targets: the actor `name` (default: the agent) on every rank of this ref. */
  targets(name?: Name | string): CastDestination[] {
    const e = this.reg.extent();
    return this.ranks.map((r, i) => ({ actorId: name === undefined ? r.agent.actorId : r.actorId(name), point: e.pointOfRank(i) }));
  }

  /**
   * Casts a resource-protocol message to every agent of this ref (`Rank` rebound per rank).
   * Undeliverable envelopes are dropped (a dead proc shows up as a timeout, never as a failure
   * of the caller).
   */
  castToAgents(cx: Context, msg: CreateOrUpdate | Stop | StopAll | GetState | GetRankStatus | AgentStatus): void {
    this.caster(cx, String(this.name), this.targets(), msg, { returnUndeliverable: false });
  }

  /** Per-proc liveness: asks each agent for its configured status (idle timeout GET_ACTOR_STATE_MAX_IDLE). */
  async status(cx: Context): Promise<ValueMesh<boolean>> {
    const [h, rx] = cx.openPort<readonly [number, boolean]>('AgentStatusReply');
    const byCreateRank = new Map<number, number>();
    this.ranks.forEach((r, i) => byCreateRank.set(r.createRank, i));
    const out = new Array<boolean>(this.ranks.length).fill(false);
    const reply = h.bind().withReturnUndeliverable(false);
    for (const r of this.ranks) r.agent.send(cx, { type: 'AgentStatus', reply } as AgentStatus, { returnUndeliverable: false });
    const idle = config.get(GET_ACTOR_STATE_MAX_IDLE);
    try {
      for (let got = 0; got < this.ranks.length; got++) {
        let v: readonly [number, boolean];
        try {
          v = await rx.recv(idle);
        } catch (e) {
          if (e instanceof TimeoutError || e instanceof PortClosedError) break;
          throw e;
        }
        const i = byCreateRank.get(v[0]);
        if (i !== undefined) out[i] = v[1];
      }
    } finally {
      rx.close();
    }
    return ValueMesh.new(this.reg, out);
  }

  /**
   * The state of actor `name` on every rank. Each reply must arrive within GET_ACTOR_STATE_MAX_IDLE
   * of the previous one; on timeout every missing rank is padded with `Timeout` and a synthetic
   * `Stopped` event of that rank's agent. A rank that does not know the name ⇒ `NotExist`.
   */
  async actorStates(cx: Context, name: Name | string): Promise<ValueMesh<State<ActorState>>> {
    const n = this.ranks.length;
    const [h, rx] = cx.openPort<State<ActorState>>('ActorStateReply');
    const msg: GetState = { type: 'GetState', name: String(name), reply: h.bind().withReturnUndeliverable(false), rank: new Rank() };
    const out = new Array<State<ActorState> | undefined>(n);
    const idle = config.get(GET_ACTOR_STATE_MAX_IDLE);
    const t0 = performance.now();
    try {
      this.castToAgents(cx, msg);
      for (let got = 0; got < n;) {
        let s: State<ActorState>;
        try {
          s = await rx.recv(idle);
        } catch (e) {
          if (e instanceof TimeoutError || e instanceof PortClosedError) break;
          throw e;
        }
        if (s.state === undefined && s.status.isNotExist()) throw new NotExist(String(name));
        const i = s.rank ?? s.state?.createRank;
        if (i === undefined || i < 0 || i >= n || out[i] !== undefined) continue;
        out[i] = s;
        got++;
      }
    } finally {
      rx.close();
    }
    const elapsed = performance.now() - t0;
    for (let i = 0; i < n; i++) {
      if (out[i] !== undefined) continue;
      const agent = this.ranks[i]!.agent.actorId;
      out[i] = {
        name: String(name),
        status: Status.timeout(elapsed),
        state: {
          actorId: agent,
          createRank: this.ranks[i]!.createRank,
          supervisionEvents: [
            { actorId: String(agent), status: 'Stopped', message: `agent ${agent} did not answer within ${Math.round(idle)} ms (proc unreachable or dead)` },
          ],
        },
        rank: i,
      };
    }
    return ValueMesh.new(this.reg, out as State<ActorState>[], sameState);
  }

  /** Spawns `cls` on every proc under a fresh unique name `Name.new(name)`. */
  spawn<A extends Actor<any, any>>(cx: Context, name: string, cls: ActorClass<A> | string, params: ParamsOf<A>): Promise<AllocatedActorMesh<A>> {
    return this.spawnWithName(cx, Name.new(name), cls, params);
  }

  /** Spawns a singleton service under the reserved name `name` (predictable actor ids). */
  spawnService<A extends Actor<any, any>>(cx: Context, name: string, cls: ActorClass<A> | string, params: ParamsOf<A>): Promise<AllocatedActorMesh<A>> {
    return this.spawnWithName(cx, Name.reserved(name), cls, params);
  }

  /**
   * Spawns `cls` named `name` on every proc (Monarch hyperactor_mesh/src/v1/proc_mesh.rs `ProcMeshRef::spawn_with_name`): cast CreateOrUpdate, then
   * GetRankStatus into a status-accumulating port, and wait (idle ACTOR_SPAWN_MAX_IDLE) until
   * every rank reported. Any terminating rank, or a timeout, ⇒ `ActorSpawnError{statuses}`.
   */
  async spawnWithName<A extends Actor<any, any>>(cx: Context, name: Name, cls: ActorClass<A> | string, params: ParamsOf<A>): Promise<AllocatedActorMesh<A>> {
    const typeName = resolveActorType(cls);
    let paramsData: Uint8Array;
    try {
      paramsData = encodeParams(undefined as never, params as never);
    } catch (e) {
      throw new InvalidMeshArgument('params', `params of ${typeName} cannot be serialized: ${(e as Error).message}`);
    }
    const create: CreateOrUpdate = { type: 'CreateOrUpdate', name: String(name), rank: new Rank(), spec: { actorType: typeName, paramsData } };
    this.castToAgents(cx, create);
    const r = await this.waitStatuses(cx, String(name));
    if (!r.ok) throw new ActorSpawnError(statusesToRankedValues(r.statuses, Status.timeout(r.elapsedMs), this.ranks.length), String(name));
    if (r.statuses.values().some((s) => s.isTerminating()))
      throw new ActorSpawnError(statusesToRankedValues(r.statuses, Status.NotExist, this.ranks.length), String(name));
    return new AllocatedActorMesh<A>(this, name, typeName);
  }

  /**
   * Stops the actors named `name` on every proc of this ref: Ok iff every rank reports a
   * terminating status (Failed counts as stopped), else `ActorStopError{statuses}`.
   */
  async stopActorByName(cx: Context, name: Name | string): Promise<void> {
    this.castToAgents(cx, { type: 'Stop', name: String(name) });
    const r = await this.waitStatuses(cx, String(name));
    if (!r.ok) throw new ActorStopError(statusesToRankedValues(r.statuses, Status.timeout(r.elapsedMs), this.ranks.length), String(name));
    if (!r.statuses.values().every((s) => s.isTerminating()))
      throw new ActorStopError(statusesToRankedValues(r.statuses, Status.NotExist, this.ranks.length), String(name));
  }

  /**
   * The status of resource `name` on every rank of this ref, as a StatusMesh (ranks that did not
   * answer within ACTOR_SPAWN_MAX_IDLE read `Timeout`; names a rank does not know stay NotExist
   * until the timeout, then read `Timeout` too).
   */
  async statuses(cx: Context, name: Name | string): Promise<StatusMesh> {
    return (await this.waitStatuses(cx, String(name))).statuses;
  }

  /** GetRankStatus into an accumulating StatusMesh port, waited on with the WASM reduction. */
  private async waitStatuses(cx: Context, name: string): Promise<{ ok: boolean; statuses: StatusMesh; elapsedMs: number }> {
    const acc = statusAccumulator(this.reg);
    let state: StatusAccumState | undefined;
    const [h, rx] = cx.openAccumPort(
      { reducerSpec: acc.reducerSpec, init: () => (state = acc.init()), accumulate: acc.accumulate, snapshot: acc.snapshot },
      { maxUpdateIntervalMs: 50 },
      'StatusOverlay',
    );
    try {
      const reply = h.bind().withReturnUndeliverable(false);
      this.castToAgents(cx, { type: 'GetRankStatus', name, reply, rank: new Rank() });
      const r = await waitRankStatus(rx, this.ranks.length, config.get(ACTOR_SPAWN_MAX_IDLE), this.reg);
      return { ok: r.ok, statuses: r.statuses, elapsedMs: r.elapsedMs };
    } finally {
      rx.close();
      state?.dispose();
    }
  }

  toString(): string {
    return `${this.name}{${this.reg}}`;
  }
}

function sameState(a: State<ActorState>, b: State<ActorState>): boolean {
  return a === b;
}

function resolveActorType(cls: ActorClass<any> | string): string {
  const typeName = typeof cls === 'string' ? cls : cls?.typeName;
  if (typeof typeName !== 'string' || typeName === '') {
    throw new InvalidMeshArgument('actor class', `expected an actor class with a static typeName (or a registered type name), got ${String(cls)}`);
  }
  const registered = actorClassByName(typeName); // ActorTypeNotRegistered
  if (typeof cls !== 'string' && registered !== cls) throw new ActorTypeNotRegistered(typeName, registeredActorTypes());
  return typeName;
}

// --- AllocatedProcMesh ---------------------------------------------------------------------------------

/** Serving of a caller proc per transport, shared by the meshes it allocates (ref-counted). */
interface Served {
  addr: string;
  server: MailboxServerHandle;
  users: number;
}
const servedProcs = new WeakMap<Proc, Map<Transport, Promise<Served>>>();

async function acquireServing(proc: Proc, transport: Transport): Promise<Served> {
  let m = servedProcs.get(proc);
  if (m === undefined) servedProcs.set(proc, (m = new Map()));
  let p = m.get(transport);
  if (p === undefined) {
    p = (async () => {
      const [addr, rx] = await serve(anyAddr(transport));
      return { addr: formatAddr(addr), server: serveMailbox(rx, proc, { log: () => {} }), users: 0 };
    })();
    m.set(transport, p);
    p.catch(() => m!.delete(transport));
  }
  const s = await p;
  s.users++;
  return s;
}

async function releaseServing(proc: Proc, transport: Transport, s: Served): Promise<void> {
  if (--s.users > 0) return;
  servedProcs.get(proc)?.delete(transport);
  await s.server.stop().catch(() => undefined);
}

/** The caller proc's DialMailboxRouter (directly, or configured inside a QueueingSender). */
function routerOf(proc: Proc): DialMailboxRouter {
  let fwd: unknown = proc.forwarder;
  if (fwd instanceof QueueingSender) fwd = fwd['target'];
  if (fwd instanceof DialMailboxRouter) return fwd;
  throw new UnroutableMesh((fwd as object | undefined)?.constructor?.name ?? String(fwd));
}

/** What the comm tree returns after spawning its actors on a new mesh. */
export interface CommActorSetup {
  readonly rootCommActor: ActorRef<any>;
  readonly caster: MeshCaster;
}

/** Options of `AllocatedProcMesh.allocate`. */
export interface AllocateOptions {
  /**
   * Spawn one comm actor per proc once the mesh is up (comm-tree.ts): actor meshes above
   * `CAST_POINT_TO_POINT_THRESHOLD` members then cast through the tree, and so do the mesh's
   * agent casts above that many procs. Default false: every cast goes point to point.
   */
  readonly commTree?: boolean;
  /**
   * The address the procs reach the caller's proc at (their fallback route). Default: the caller's
   * proc is served on the alloc's transport (a local address). A client of procs on other machines
   * passes the address it serves on for them.
   */
  readonly forwarder?: string;
}

/** A mesh client: a proc that can route to meshes, and an instance to act as. */
export interface MeshClient {
  readonly proc: Proc;
  readonly cx: Instance;
  readonly router: DialMailboxRouter;
  /** Destroys the proc and closes every channel client it dialed. */
  close(): Promise<void>;
}

/**
 * An allocated proc mesh (owned). Derefs to its root `ProcMeshRef` through `ref` and the
 * delegating methods.
 */
export class AllocatedProcMesh {
  /** Procs allocated so far in this process (logging only). */
  static allocCount = 0;

  readonly name: Name;
  readonly alloc: Alloc;
  /** Alloc events seen after initialization (e.g. procs that stopped or were killed). */
  readonly events: ProcState[] = [];
  private current: ProcMeshRef;
  private stopping: Promise<void> | undefined;
  private monitor: Promise<void> | undefined;
  private readonly cleanup: () => Promise<void>;

  private constructor(name: Name, alloc: Alloc, ref: ProcMeshRef, cleanup: () => Promise<void>) {
    this.name = name;
    this.alloc = alloc;
    this.current = ref;
    this.cleanup = cleanup;
  }

  /** The root ref. */
  get ref(): ProcMeshRef {
    return this.current;
  }

  /**
   * A proc mesh over procs that already run and that it does not own (Monarch's `this_proc()`):
   * its alloc reports nothing and stopping it stops no proc.
   */
  static ofRunning(name: string, ref: ProcMeshRef): AllocatedProcMesh {
    return new AllocatedProcMesh(Name.new(name), new BorrowedAlloc(ref.extent()), ref, async () => {});
  }

  /**
   * Allocates a proc mesh from `alloc` (Monarch hyperactor_mesh/src/v1/proc_mesh.rs `ProcMesh::allocate`): initialize the alloc, serve the caller's proc
   * on the alloc transport, bind routes to the procs in the caller's router, configure every
   * agent with the address book and wait until each answered, then start monitoring the alloc.
   * Given a `Proc` instead of a context, a client instance of that proc does the work.
   */
  static async allocate(cxOrProc: Context | Proc, alloc: Alloc, name = 'mesh', opts: AllocateOptions = {}): Promise<AllocatedProcMesh> {
    const cx: Context = cxOrProc instanceof Proc ? cxOrProc.instance(`allocator_${ShortUuid.generate()}`) : cxOrProc;
    const meshName = Name.new(name);
    AllocatedProcMesh.allocCount++;
    const router = routerOf(cx.proc);
    let procs: AllocatedProc[];
    try {
      procs = await initialize(alloc);
    } catch (e) {
      await alloc.stopAndWait().catch(() => undefined);
      throw e;
    }
    let served: Served | undefined;
    const bound: ProcId[] = [];
    const cleanup = async (): Promise<void> => {
      for (const id of bound) router.unbind(id);
      bound.length = 0;
      if (served !== undefined) await releaseServing(cx.proc, alloc.transport, served);
      served = undefined;
    };
    try {
      if (opts.forwarder === undefined) served = await acquireServing(cx.proc, alloc.transport);
      for (const p of procs) {
        if (p.procId.kind === 'ranked') {
          router.bind(p.procId, p.addr);
          bound.push(p.procId);
        }
      }
      await configureAgents(cx, alloc, procs, opts.forwarder ?? served!.addr);
    } catch (e) {
      await cleanup();
      await alloc.stopAndWait().catch(() => undefined);
      throw e;
    }
    const ranks = procs.map((p, i) => new ProcRef(p.procId, i, new ActorRef<ProcMeshAgent>(p.agent.actorId)));
    const mesh = new AllocatedProcMesh(meshName, alloc, new ProcMeshRef(meshName, Region.fromExtent(alloc.extent), ranks), cleanup);
    // A proc the alloc reports stopped is unreachable: drop its route so sends to it fail fast
    // (undeliverable) instead of queueing on a channel that retries until the delivery timeout.
    const procOfKey = new Map(procs.map((p) => [p.createKey.toString(), p.procId] as const));
    mesh.monitor = mesh.runMonitor((createKey) => {
      const id = procOfKey.get(createKey);
      const i = id === undefined ? -1 : bound.indexOf(id);
      if (i < 0) return;
      bound.splice(i, 1);
      router.unbind(id!);
    });
    if (opts.commTree === true) {
      try {
        const setup = await installCommTree(cx, mesh);
        mesh.current = new ProcMeshRef(meshName, mesh.current.region(), ranks, { rootCommActor: setup.rootCommActor, caster: setup.caster });
      } catch (e) {
        await mesh.stop();
        throw e;
      }
    }
    return mesh;
  }

  /** Logs alloc events until the alloc ends (v1 does not react to proc deaths here). */
  private async runMonitor(onStopped: (createKey: string) => void): Promise<void> {
    for (;;) {
      const e = await this.alloc.next().catch(() => null);
      if (e === null) return;
      this.events.push(e);
      if (e.kind === 'Stopped' && this.stopping === undefined) onStopped(e.createKey.toString());
    }
  }

  /** Stops the alloc (every proc), waits until its event stream ended, and releases routes. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.alloc.stop();
      await this.monitor;
      await this.cleanup();
    })();
    return this.stopping;
  }

  // Delegation to the root ref (Monarch's Deref).
  region(): Region {
    return this.current.region();
  }
  extent(): Extent {
    return this.current.extent();
  }
  get ranks(): readonly ProcRef[] {
    return this.current.ranks;
  }
  get numRanks(): number {
    return this.current.numRanks;
  }
  range(dim: string, r: Range | number | readonly [number, (number | null)?, number?]): ProcMeshRef {
    return this.current.range(dim, r);
  }
  slice(spec: SliceSpec): ProcMeshRef {
    return this.current.slice(spec);
  }
  sliced(sub: Region): ProcMeshRef {
    return this.current.sliced(sub);
  }
  status(cx: Context): Promise<ValueMesh<boolean>> {
    return this.current.status(cx);
  }
  actorStates(cx: Context, name: Name | string): Promise<ValueMesh<State<ActorState>>> {
    return this.current.actorStates(cx, name);
  }
  spawn<A extends Actor<any, any>>(cx: Context, name: string, cls: ActorClass<A> | string, params: ParamsOf<A>): Promise<AllocatedActorMesh<A>> {
    return this.current.spawn(cx, name, cls, params);
  }
  spawnService<A extends Actor<any, any>>(cx: Context, name: string, cls: ActorClass<A> | string, params: ParamsOf<A>): Promise<AllocatedActorMesh<A>> {
    return this.current.spawnService(cx, name, cls, params);
  }
  stopActorByName(cx: Context, name: Name | string): Promise<void> {
    return this.current.stopActorByName(cx, name);
  }
  statuses(cx: Context, name: Name | string): Promise<StatusMesh> {
    return this.current.statuses(cx, name);
  }
  toString(): string {
    return this.current.toString();
  }

  /**
   * A proc that can own meshes: a fresh ranked proc `client_<uuid>[0]` whose forwarder is a
   * DialMailboxRouter dialing real channels, with a supervision coordinator that logs, and a
   * client instance `name`. `close()` destroys it and closes its channel clients.
   */
  static createClient(name = 'client'): MeshClient {
    const { dialer, clients } = recordingDialer((addr) => MailboxClient.dial(addr));
    const router = new DialMailboxRouter({ dialer });
    const proc = new Proc(ProcIds.ranked(new WorldId(`client_${ShortUuid.generate()}`), 0), router);
    proc.setSupervisionCoordinator((ev) => console.error(`actormesh: supervision event in client proc: ${ev}`));
    const cx = proc.instance(name);
    return {
      proc,
      cx,
      router,
      async close() {
        await proc.destroyAndWait(500);
        await closeClients(clients, CLIENT_CLOSE_WAIT_MS, 'the mesh client was closed');
      },
    };
  }
}

/** How long `MeshClient.close` waits for its channel clients to flush. */
const CLIENT_CLOSE_WAIT_MS = 1000;

/** Step 5 of allocate: Configure every agent and wait until each answered with its rank. */
async function configureAgents(cx: Context, alloc: Alloc, procs: AllocatedProc[], forwarder: string): Promise<void> {
  // In-process procs reach each other through the global router: no address book needed (and
  // none of the O(n²) routes a book per proc would cost on big local meshes).
  const addressBook: Array<readonly [ProcId, string]> = alloc.isLocal ? [] : procs.map((p) => [p.procId, p.addr] as const);
  const [h, rx] = cx.openPort<number>('Configured');
  const configured = h.bind().withReturnUndeliverable(false);
  const idle = config.get(ACTOR_SPAWN_MAX_IDLE);
  try {
    procs.forEach((p, rank) => {
      const msg: Configure = { type: 'Configure', rank, forwarder, addressBook, configured, recordSupervisionEvents: true, exitOnStopAll: !alloc.isLocal };
      p.agent.send(cx, msg as never);
    });
    const seen = new Set<number>();
    while (seen.size < procs.length) {
      let rank: number;
      try {
        rank = await rx.recv(idle);
      } catch (e) {
        const missing = procs.map((_, i) => i).filter((i) => !seen.has(i));
        throw new ConfigurationError(`agents of ranks ${missing.join(', ')} did not confirm their configuration within ${idle} ms`, { cause: e });
      }
      if (rank < 0) throw new ConfigurationError('an agent was already configured by another mesh');
      seen.add(rank);
    }
  } finally {
    rx.close();
  }
}

// --- serialization -------------------------------------------------------------------------

const PROC_MESH_REF_TAG = 'mesh.ProcMeshRef';
if (!isRegisteredTag(PROC_MESH_REF_TAG)) {
  registerCodecClass<ProcMeshRef>({
    tag: PROC_MESH_REF_TAG,
    Class: ProcMeshRef,
    toValue: (r) => ({
      name: r.name.toString(),
      region: r.region().toString(),
      ranks: r.ranks.map((p) => [p.procId, p.createRank, p.agent.actorId]),
      root: r.rootRegion?.toString() ?? null,
      comm: r.rootCommActor?.actorId ?? null,
    }),
    fromValue: (v) => {
      const o = v as { name: string; region: string; ranks: Array<[ProcId, number, ActorId]>; root: string | null; comm: ActorId | null };
      const ranks = o.ranks.map(([p, c, a]) => new ProcRef(p, c, new ActorRef<ProcMeshAgent>(a)));
      return new ProcMeshRef(Name.parse(o.name), Region.parse(o.region), ranks, {
        ...(o.root !== null ? { rootRegion: Region.parse(o.root) } : {}),
        ...(o.comm !== null ? { rootCommActor: new ActorRef(o.comm) } : {}),
      });
    },
  });
}

/** The alloc of `AllocatedProcMesh.ofRunning`: procs that run already; no events, nothing to stop. */
class BorrowedAlloc implements Alloc {
  readonly spec: Alloc['spec'];
  readonly worldId = new WorldId(`borrowed_${ShortUuid.generate()}`);
  readonly transport = 'local' as const;
  readonly isLocal = true;
  private readonly events = new EventQueue<ProcState>();
  constructor(readonly extent: Extent) {
    this.spec = { extent, transport: 'local' };
  }
  next(): Promise<ProcState | null> {
    return this.events.next();
  }
  watch(f: (e: ProcState) => void): () => void {
    return this.events.watch(f);
  }
  async stop(): Promise<void> {
    this.events.close();
  }
  async stopAndWait(): Promise<void> {
    this.events.close();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<ProcState> {
    for (;;) {
      const e = await this.next();
      if (e === null) return;
      yield e;
    }
  }
}
