/**
 * ActorMesh / ActorMeshRef (Monarch hyperactor_mesh/src/v1/actor_mesh.rs): a named set of actors, one per proc of a
 * proc mesh (or `perProc` per proc, an extra innermost dimension), seen through a region.
 *
 * - `slice({label: index | [start, end?, step?]})` narrows the region (an index drops the dim, a
 *   range keeps it), `get(rank)` gives one member's `ActorRef`, `cast(msg)` sends a message to
 *   every member of the region through the comm tree, and every endpoint of the actor class is a
 *   property: `mesh.foo.call(...)`, `.callOne`, `.choose`, `.broadcast`, `.stream`, `.reduce`.
 * - Ranks inside messages are rebound to the receiver's rank in the region cast to.
 *
 * Invariants: a ref is immutable (slicing makes a new ref sharing the runtime and health state);
 * the region is always a subset of the root region in root base ranks; every cast or call first
 * checks the health state, so a dead mesh fails fast with `SupervisionError`
 * (docs/architecture.md MESH-4).
 */
import { type ActorId, ActorId as ActorIdClass, type ProcId } from '../core/ids.js';
import type { Actor, MessageOf } from '../actor/actor.js';
import type { Context, Instance } from '../actor/instance.js';
import { HEADER, MessageEnvelope } from '../mailbox/envelope.js';
import { ActorRef, PortRef } from '../actor/refs.js';
import type { Accumulator } from '../mailbox/accum.js';
import { TimeoutError } from '../mailbox/errors.js';
import { Region } from '../ndslice/region.js';
import { Slice } from '../ndslice/slice.js';
import { isRegisteredTag, registerCodecClass } from '../core/codec.js';
import type { Extent } from '../ndslice/extent.js';
import type { Point } from '../ndslice/point.js';
import { ValueMesh } from '../valuemesh/value-mesh.js';
import { type CastTarget, castMessage, chooseRegion, directCast } from './cast.js';
import { CastPlan, CastPlanCache, castsPointToPoint } from './cast-plan.js';
import { ReplyCollector, ReplyRouter } from './reply-collector.js';
import { type EncodedMessage, encodeMessage, encodeWithPrefix } from '../core/codec.js';
import { EMPTY_HEADERS, NO_BINDINGS, defaultTtl } from '../mailbox/envelope.js';
import { CastingError } from './errors.js';
import { COUNTED_REDUCER, memberName } from './cast-protocol.js';
import {
  type CallOptions,
  type CallReply,
  type Endpoint,
  type EndpointFn,
  EndpointError,
  EndpointUsageError,
  remoteErrorFrom,
  type Endpoints,
  MODE_CALL,
  MODE_NONE,
  MODE_REDUCE,
  ENDPOINT_PREFIX,
  endpointMessage,
} from './endpoint.js';
import { MeshHealth } from './supervision.js';
import { InvalidMeshArgument } from './errors.js';

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** What a mesh ref needs from its proc mesh and owner. */
export interface MeshRuntime {
  /** The owner's context: casts are sent and replies received as this actor/client. */
  readonly cx: Context;
  /** Proc ids by root proc rank. */
  readonly procIds: readonly ProcId[];
  /** The root comm actor, or undefined to send directly to each member. */
  readonly rootComm: ActorId | undefined;
  /** Comm actors by proc rank: the sender then roots its own cast stream (see cast.ts). */
  readonly commPeers?: readonly ActorId[];
  readonly health: MeshHealth;
  /**
   * Cast point to point (one envelope per member) instead of through the comm tree; default:
   * when the mesh has at most `CAST_POINT_TO_POINT_THRESHOLD` members (cast-plan.ts).
   */
  readonly pointToPoint?: boolean;
}

/** A slicing spec: label → index (drops the dim) or `[start, end?, step?]` (keeps it). */
export type SliceSpec = Record<string, number | readonly [number, (number | null)?, number?]>;

export type ActorMeshRefOf<A extends Actor<any, any>> = ActorMeshRef<A> & Endpoints<A>;

export class ActorMeshRef<A extends Actor<any, any>> {
  /** Actor mesh name (also the stream id of its casts). */
  readonly name: string;
  readonly runtime: MeshRuntime;
  readonly perProc: number;
  /** The whole actor mesh. */
  readonly root: Region;
  /** The part of the mesh this ref addresses. */
  readonly region: Region;

  protected constructor(name: string, runtime: MeshRuntime, perProc: number, root: Region, region: Region) {
    this.name = name;
    this.runtime = runtime;
    this.perProc = perProc;
    this.root = root;
    this.region = region;
  }

  /** A ref over the whole mesh, with endpoint properties. */
  static create<A extends Actor<any, any>>(name: string, runtime: MeshRuntime, root: Region, perProc = 1): ActorMeshRefOf<A> {
    return withEndpoints(new ActorMeshRef<A>(name, runtime, perProc, root, root));
  }

  get health(): MeshHealth {
    return this.runtime.health;
  }

  extent(): Extent {
    return this.region.extent();
  }

  /** Number of members in the region. */
  get size(): number {
    return this.region.numRanks;
  }

  /** `{label: size}` of the region. */
  get sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    this.region.labels.forEach((l, i) => (out[l] = this.region.slice.sizes[i]!));
    return out;
  }

  /** A ref to a sub-region (see `SliceSpec`). */
  slice(spec: SliceSpec): ActorMeshRefOf<A> {
    if (typeof spec !== 'object' || spec === null)
      throw new InvalidMeshArgument('slice', `expected an object {label: index | [start, end?, step?]}, got ${String(spec)}`);
    let r = this.region;
    for (const [label, v] of Object.entries(spec)) {
      if (!r.labels.includes(label))
        throw new InvalidMeshArgument('slice', `unknown dimension '${label}' of mesh ${this.name} (dimensions: ${r.labels.join(', ') || 'none'})`);
      if (typeof v !== 'number' && !Array.isArray(v))
        throw new InvalidMeshArgument('slice', `dimension '${label}': expected an index or [start, end?, step?], got ${String(v)}`);
      r = typeof v === 'number' ? r.at(label, v) : r.range(label, v as readonly [number, (number | null)?, number?]);
    }
    return this.derive(r);
  }

  /** A ref over an arbitrary sub-region (a subset of this ref's region, in base ranks). */
  derive(region: Region): ActorMeshRefOf<A> {
    return withEndpoints(new ActorMeshRef<A>(this.name, this.runtime, this.perProc, this.root, region));
  }

  /** The member at `rank` of this ref's region. */
  get(rank: number): ActorRef<A> {
    return new ActorRef<A>(this.actorIdOfBase(this.region.baseRank(rank)));
  }

  /** Members in region order. */
  actorIds(): ActorId[] {
    return this.region.slice.iter().map((b) => this.actorIdOfBase(b));
  }

  private actorIdOfBase(base: number): ActorId {
    const proc = this.runtime.procIds[Math.floor(base / this.perProc)];
    if (proc === undefined) throw new EndpointUsageError('InvalidRank', `base rank ${base} has no proc in mesh ${this.name}`);
    return new ActorIdClass(proc, memberName(this.name, this.perProc, base % this.perProc), 0);
  }

  /** The cast target of `region` (this ref's region by default). */
  target(region: Region = this.region): CastTarget {
    return {
      meshId: this.name,
      actorName: this.name,
      perProc: this.perProc,
      root: this.root,
      region,
      rootComm: this.runtime.rootComm,
      procIds: this.runtime.procIds,
      ...(this.runtime.commPeers !== undefined ? { peers: this.runtime.commPeers } : {}),
    };
  }

  /** Casts a message of the actor's type to every member (fails fast on an unhealthy mesh). */
  cast(msg: MessageOf<A>): void {
    this.runtime.health.check(this.region.slice);
    if (plansOf(this) !== undefined) directCast(this.runtime.cx, this.target(), msg);
    else castMessage(this.runtime.cx, this.target(), msg);
  }

  /**
   * This ref acting as `cx` (casts are sent and replies received by that actor or client). A ref
   * received in a message must be bound before use; it gets a health state of its own (the
   * owner's supervision does not travel with it).
   */
  bind(cx: Context): ActorMeshRefOf<A> {
    return withEndpoints(new ActorMeshRef<A>(this.name, { ...this.runtime, cx }, this.perProc, this.root, this.region));
  }

  /** The endpoint `name` (the typed way is the property `mesh.name`). */
  endpoint<F extends EndpointFn>(name: string, opts: CallOptions = {}): Endpoint<F> {
    return new EndpointImpl<F>(this, name, opts);
  }

  toString(): string {
    return `${this.name}@${this.region}`;
  }
}

/** Gives a ref its endpoint properties (a Proxy: unknown string props are endpoint names). */
export function withEndpoints<A extends Actor<any, any>>(ref: ActorMeshRef<A>): ActorMeshRefOf<A> {
  const cache = new Map<string, Endpoint<EndpointFn>>();
  return new Proxy(ref, {
    get(target, prop, receiver) {
      // Endpoint names never collide with members (RESERVED_ENDPOINT_NAMES), so a cached
      // endpoint is answered first: `mesh.foo.call(...)` is on the hot path.
      if (typeof prop === 'string') {
        const hit = cache.get(prop);
        if (hit !== undefined) return hit;
      }
      if (typeof prop !== 'string' || prop in target) return Reflect.get(target, prop, receiver);
      if (prop === 'then' || prop === 'toJSON') return undefined;
      const e = target.endpoint(prop);
      cache.set(prop, e);
      return e;
    },
  }) as ActorMeshRefOf<A>;
}

/** Meshes by id, per client context whose bounced casts are routed to their health state. */
const bounceRoutes = new WeakMap<object, Map<string, BounceRoute>>();

/**
 * Client contexts have no `handleUndeliverable`: returned envelopes land in `undeliverables`.
 * The first call on a mesh wraps the client's return handle once, so a bounced cast (returned by
 * a comm actor with its `CAST_ACTOR_MESH_ID` header) rejects the pending calls of that mesh and
 * message type at once instead of letting them time out; the envelope is still passed on.
 */
function watchBounces(cx: Context, ref: ActorMeshRef<any>, health: MeshHealth): void {
  const inst = cx as Instance;
  if (inst.actor !== undefined) return; // actors see bounces in handleUndeliverable
  let routes = bounceRoutes.get(cx);
  if (routes === undefined) {
    bounceRoutes.set(cx, (routes = new Map()));
    const table = routes;
    const inner = cx.mailbox.returnHandle;
    cx.mailbox.returnHandle = {
      returnUndeliverable(env: MessageEnvelope): void {
        // Through the tree (or a p2p mesh's direct fallback) the mesh id is a header; point-to-point
        // casts carry none: their destination is a member, named after its mesh. The bounced
        // envelope is addressed to a member (its base rank is known) or to a comm actor (unknown:
        // every wait of the type).
        const id = env.headers.get(HEADER.CAST_ACTOR_MESH_ID);
        const dest = env.dest.actor;
        const r = id !== undefined ? table.get(utf8d.decode(id)) : env.typeName.startsWith(ENDPOINT_PREFIX) ? table.get(dest.name) : undefined;
        r?.health.bounced(env.typeName, String(dest), env.error?.message ?? 'undeliverable', r.baseRank(dest.proc, dest.name));
        inner.returnUndeliverable(env);
      },
    };
  }
  if (routes.get(ref.name)?.health === health) return;
  const route = new BounceRoute(health, ref.runtime.procIds, ref.name, ref.perProc);
  routes.set(ref.name, route);
  for (let j = 0; ref.perProc > 1 && j < ref.perProc; j++) routes.set(memberName(ref.name, ref.perProc, j), route);
}

/** Where the bounces of one actor mesh go, and how a member's id maps back to its base rank. */
class BounceRoute {
  private procIndex: Map<string, number> | undefined;
  constructor(
    readonly health: MeshHealth,
    private readonly procIds: readonly ProcId[],
    private readonly meshName: string,
    private readonly perProc: number,
  ) {}

  baseRank(proc: ProcId, member: string): number | undefined {
    this.procIndex ??= new Map(this.procIds.map((p, i) => [p.key, i]));
    const i = this.procIndex.get(proc.key);
    if (i === undefined) return undefined;
    if (this.perProc === 1) return member === this.meshName ? i : undefined;
    for (let j = 0; j < this.perProc; j++) if (memberName(this.meshName, this.perProc, j) === member) return i * this.perProc + j;
    return undefined;
  }
}
const utf8d = new TextDecoder();

/** Collects replies on a port until `n` arrived; bounded by timeout and the mesh's health. */
function collect<T>(
  ref: ActorMeshRef<any>,
  region: Region,
  n: number,
  timeoutMs: number,
  onReply: (r: T) => number,
  send: (port: PortRef<T>) => void,
  typeName: string,
  reducer?: PortRef<T>['reducerSpec'],
): Promise<void> {
  const cx = ref.runtime.cx;
  watchBounces(cx, ref, ref.runtime.health);
  const [h, rx] = cx.openPort<T>('reply');
  const port = new PortRef<T>(h.portId, 'reply', reducer === undefined ? {} : { reducerSpec: reducer });
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (e?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unwatch();
      rx.close();
      if (e) reject(e);
      else resolve();
    };
    const timer = setTimeout(() => finish(new TimeoutError(`${n} replies from mesh ${ref.name}`, timeoutMs)), timeoutMs);
    const unwatch = ref.runtime.health.watch(region.slice, (e) => finish(e), typeName);
    (async () => {
      let got = 0;
      try {
        send(port);
        while (!done && got < n) {
          const r = await rx.recv();
          got += onReply(r);
        }
        finish();
      } catch (e) {
        finish(e as Error);
      }
    })();
  });
}

/** Point-to-point plans per mesh runtime (undefined: the mesh casts through the comm tree). */
const planCaches = new WeakMap<MeshRuntime, CastPlanCache | null>();
function plansOf(ref: ActorMeshRef<any>): CastPlanCache | undefined {
  const rt = ref.runtime;
  let c = planCaches.get(rt);
  if (c === undefined) {
    c = (rt.pointToPoint ?? castsPointToPoint(ref.root.numRanks)) ? new CastPlanCache(ref.name, rt.procIds, ref.perProc, ref.root) : null;
    planCaches.set(rt, c);
  }
  return c ?? undefined;
}

/** `ActorRef` of each sending context (the `s` field of point-to-point messages). */
const senderRefs = new WeakMap<object, ActorRef<any>>();
function senderRef(cx: Context): ActorRef<any> {
  let r = senderRefs.get(cx);
  if (r === undefined) senderRefs.set(cx, (r = new ActorRef<any>(cx.self)));
  return r;
}

/**
 * Sends endpoint message `type` point to point to every member of `plan` (wire form in
 * cast-plan.ts). Returns false, having sent nothing, when the arguments hold bindable values
 * (the caller then takes the rank-rebinding direct cast).
 */
function sendPointToPoint(cx: Context, plan: CastPlan, type: string, args: unknown[], mode: number, call: ReplyCollector<unknown> | undefined): boolean {
  const ports = plan.portsOf(type);
  const reply = call === undefined ? null : ReplyRouter.of(cx).ref;
  const sender = senderRef(cx);
  const heads = plan.headsOf(type, mode, sender, reply);
  const tail: [number, unknown[]] = [call?.id ?? 0, args];
  const mailbox = cx.mailbox;
  const self = cx.self;
  const ttl = defaultTtl();
  for (let i = 0; i < ports.length; i++) {
    let enc: EncodedMessage | undefined;
    try {
      const head = heads[i];
      enc = head === undefined ? undefined : encodeWithPrefix(head, tail, type);
      enc ??= encodeMessage(plan.message(i, type, mode, sender, reply, tail[0], args), type);
    } catch (e) {
      throw new CastingError(plan.actorIds[0]?.name ?? type, e);
    }
    if (enc.bindings.length !== 0) {
      if (i === 0) return false;
      throw new CastingError(type, 'arguments changed while casting');
    }
    mailbox.send(new MessageEnvelope(self, ports[i]!, enc.data, type, NO_BINDINGS, EMPTY_HEADERS, ttl));
  }
  return true;
}

/** Replies `[callId, castRank, ok, value]` of `call`/`stream`/`callOne`/`choose`: values by cast rank, the first error wins. */
class CallCollector extends ReplyCollector<unknown[]> {
  private readonly values: unknown[];
  private readonly seen: Uint8Array;
  private error: EndpointError | undefined;
  constructor(
    cx: Context,
    n: number,
    timeoutMs: number,
    private readonly endpoint: string,
    private readonly ref: ActorMeshRef<any>,
    private readonly region: Region,
    private readonly each: ((p: Point, v: unknown) => void) | undefined,
  ) {
    super(ReplyRouter.of(cx), n, timeoutMs, `${n} replies of ${endpoint} from mesh ${ref.name}`);
    this.values = new Array<unknown>(n);
    this.seen = new Uint8Array(n);
  }
  protected take(r: unknown[]): number {
    const rank = r[1];
    if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 0 || rank >= this.n || this.seen[rank]) return 0;
    this.seen[rank] = 1;
    if (!r[2]) this.error ??= new EndpointError(this.endpoint, String(this.ref.derive(this.region).get(rank).actorId), rank, remoteErrorFrom(r[3]));
    else {
      this.values[rank] = r[3];
      if (this.each !== undefined) this.each(this.region.extent().pointOfRank(rank), r[3]);
    }
    return 1;
  }
  protected result(): unknown[] {
    if (this.error !== undefined) throw this.error;
    return this.values;
  }
}

/** Replies `[callId, count, value]` of a point-to-point `reduce`, folded here. */
class ReduceCollector<S> extends ReplyCollector<S> {
  private state: S;
  constructor(
    cx: Context,
    n: number,
    timeoutMs: number,
    what: string,
    private readonly acc: Accumulator<S, any>,
  ) {
    super(ReplyRouter.of(cx), n, timeoutMs, what);
    this.state = acc.init();
  }
  protected take(u: unknown[]): number {
    this.state = this.acc.accumulate(this.state, u[2]);
    return Number(u[1]);
  }
  protected result(): S {
    return this.acc.snapshot ? this.acc.snapshot(this.state) : this.state;
  }
}

class EndpointImpl<F extends EndpointFn> implements Endpoint<F> {
  constructor(
    private readonly ref: ActorMeshRef<any>,
    private readonly name: string,
    private readonly opts: CallOptions,
  ) {}

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  withOptions(opts: CallOptions): Endpoint<F> {
    const t = opts.timeoutMs;
    if (t !== undefined && !(typeof t === 'number' && t > 0)) {
      throw new EndpointUsageError('InvalidTimeout', `timeoutMs of ${this.name} must be a number of milliseconds > 0 (Infinity: no bound), got ${String(t)}`);
    }
    return new EndpointImpl<F>(this.ref, this.name, { ...this.opts, ...opts });
  }

  private callRegion(region: Region, args: unknown[], each?: (p: Point, v: unknown) => void): Promise<unknown[]> {
    const ref = this.ref;
    try {
      ref.runtime.health.check(region.slice);
    } catch (e) {
      return Promise.reject(e);
    }
    const plans = plansOf(ref);
    const type = ENDPOINT_PREFIX + this.name;
    if (plans !== undefined) {
      const cx = ref.runtime.cx;
      watchBounces(cx, ref, ref.runtime.health);
      const c = new CallCollector(cx, region.numRanks, this.timeoutMs, this.name, ref, region, each);
      try {
        if (!sendPointToPoint(cx, plans.get(region), type, args, MODE_CALL, c as ReplyCollector<unknown>)) {
          // Bindable arguments: the rank-rebinding direct cast, replying to a port of this call.
          c.discard();
          return this.callTree(region, args, each, true);
        }
      } catch (e) {
        c.fail(e as Error);
        return c.promise;
      }
      return c.arm(ref.runtime.health, region.slice, type);
    }
    return this.callTree(region, args, each);
  }

  /** A call through the comm tree, or (`direct`) by the rank-rebinding direct cast (cast.ts). */
  private async callTree(region: Region, args: unknown[], each?: (p: Point, v: unknown) => void, direct = false): Promise<unknown[]> {
    const ref = this.ref;
    const n = region.numRanks;
    const values = new Array<unknown>(n);
    const seen = new Uint8Array(n);
    let error: EndpointError | undefined;
    const extent = region.extent();
    await collect<CallReply>(
      ref,
      region,
      n,
      this.timeoutMs,
      (r) => {
        const [rank, ok, v] = r;
        if (!Number.isSafeInteger(rank) || rank < 0 || rank >= n || seen[rank]) return 0;
        seen[rank] = 1;
        if (!ok) error ??= new EndpointError(this.name, String(ref.derive(region).get(rank).actorId), rank, remoteErrorFrom(v));
        else {
          values[rank] = v;
          each?.(extent.pointOfRank(rank), v);
        }
        return 1;
      },
      (port) => (direct ? directCast : castMessage)(ref.runtime.cx, ref.target(region), endpointMessage(this.name, args, MODE_CALL, port as PortRef<unknown>)),
      ENDPOINT_PREFIX + this.name,
    );
    if (error !== undefined) throw error;
    return values;
  }

  async call(...args: any[]): Promise<any> {
    const values = await this.callRegion(this.ref.region, args);
    return ValueMesh.new(this.ref.region, values);
  }

  async callOne(...args: any[]): Promise<any> {
    if (this.ref.size !== 1)
      throw new EndpointUsageError(
        'CallOneOnMany',
        `callOne needs a mesh of exactly one actor, but ${this.ref} has ${this.ref.size}; slice it first or use choose()`,
      );
    return (await this.callRegion(this.ref.region, args))[0];
  }

  async choose(...args: any[]): Promise<any> {
    return (await this.callRegion(chooseRegion(this.ref.region), args))[0];
  }

  broadcast(...args: any[]): void {
    const ref = this.ref;
    ref.runtime.health.check(ref.region.slice);
    const plans = plansOf(ref);
    if (plans !== undefined) {
      const cx = ref.runtime.cx;
      watchBounces(cx, ref, ref.runtime.health);
      if (!sendPointToPoint(cx, plans.get(ref.region), ENDPOINT_PREFIX + this.name, args, MODE_NONE, undefined)) {
        directCast(cx, ref.target(), endpointMessage(this.name, args, MODE_NONE, null));
      }
      return;
    }
    castMessage(ref.runtime.cx, ref.target(), endpointMessage(this.name, args, MODE_NONE, null));
  }

  stream(...args: any[]): AsyncIterable<[Point, any]> {
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        const queue: Array<[Point, unknown]> = [];
        let wake: (() => void) | undefined;
        let end: { error?: unknown } | undefined;
        self
          .callRegion(self.ref.region, args, (p, v) => {
            queue.push([p, v]);
            wake?.();
          })
          .then(
            () => (end = {}),
            (e) => (end = { error: e }),
          )
          .finally(() => wake?.());
        return {
          async next(): Promise<IteratorResult<[Point, any]>> {
            for (;;) {
              if (queue.length > 0) return { value: queue.shift()!, done: false };
              if (end !== undefined) {
                if (end.error !== undefined) throw end.error;
                return { value: undefined, done: true };
              }
              await new Promise<void>((r) => (wake = r));
              wake = undefined;
            }
          },
        };
      },
    };
  }

  async reduce<S>(acc: Accumulator<S, any>, ...args: any[]): Promise<S> {
    const ref = this.ref;
    const region = ref.region;
    ref.runtime.health.check(region.slice);
    if (acc.reducerSpec === undefined)
      throw new EndpointUsageError('NoReducer', `reduce needs an accumulator with a reducerSpec (e.g. sumAccumulator()); got one without`);
    const type = ENDPOINT_PREFIX + this.name;
    const plans = plansOf(ref);
    if (plans !== undefined) {
      const cx = ref.runtime.cx;
      watchBounces(cx, ref, ref.runtime.health);
      const c = new ReduceCollector<S>(cx, region.numRanks, this.timeoutMs, `${region.numRanks} replies of ${this.name} from mesh ${ref.name}`, acc);
      try {
        if (sendPointToPoint(cx, plans.get(region), type, args, MODE_REDUCE, c as ReplyCollector<unknown>))
          return await c.arm(ref.runtime.health, region.slice, type);
        c.discard(); // bindable arguments: the direct cast below
      } catch (e) {
        c.fail(e as Error);
        return c.promise;
      }
    }
    let state = acc.init();
    await collect<[number, unknown]>(
      ref,
      region,
      region.numRanks,
      this.timeoutMs,
      (u) => {
        state = acc.accumulate(state, u[1]);
        return Number(u[0]);
      },
      (port) =>
        (plans !== undefined ? directCast : castMessage)(
          ref.runtime.cx,
          ref.target(region),
          endpointMessage(this.name, args, MODE_REDUCE, port as PortRef<unknown>),
        ),
      type,
      { name: COUNTED_REDUCER, params: { inner: acc.reducerSpec } },
    );
    return acc.snapshot ? acc.snapshot(state) : state;
  }
}

/** An owned actor mesh: a ref plus `stop()`. */
export class ActorMesh<A extends Actor<any, any>> extends ActorMeshRef<A> {
  private readonly stopFn: () => Promise<void>;
  private stopping: Promise<void> | undefined;

  protected constructor(name: string, runtime: MeshRuntime, perProc: number, root: Region, stop: () => Promise<void>) {
    super(name, runtime, perProc, root, root);
    this.stopFn = stop;
  }

  /** The owned mesh (with endpoint properties); `stop` stops every member. */
  static own<A extends Actor<any, any>>(
    name: string,
    runtime: MeshRuntime,
    root: Region,
    perProc: number,
    stop: () => Promise<void>,
  ): ActorMesh<A> & Endpoints<A> {
    return withEndpoints(new ActorMesh<A>(name, runtime, perProc, root, stop)) as unknown as ActorMesh<A> & Endpoints<A>;
  }

  /** Stops every member; later casts fail fast with `SupervisionError('MeshStopped')`. Idempotent. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      this.runtime.health.markStopped();
      await this.stopFn();
    })());
  }
}

// --- serialization ---------------------------------------------------------------------------

/** The context of a ref decoded from a message: any use throws until `bind(cx)`. */
const UNBOUND_CONTEXT = new Proxy({} as Context, {
  get(_t, prop) {
    if (prop === 'then') return undefined;
    throw new EndpointUsageError(
      'UnboundMeshRef',
      'this actor mesh ref was received in a message: call ref.bind(cx) with your context before casting or calling through it',
    );
  },
});

interface MeshRefValue {
  name: string;
  perProc: number;
  root: { labels: string[]; slice: { offset: number; sizes: number[]; strides: number[] } };
  region: { labels: string[]; slice: { offset: number; sizes: number[]; strides: number[] } };
  procIds: ProcId[];
  rootComm: ActorId | null;
  commPeers: ActorId[] | null;
  /** The mesh's cast mode (decided once, by the owner: every holder of a ref casts the same way). */
  p2p?: boolean;
}

function regionFrom(j: MeshRefValue['root']): Region {
  return new Region(j.labels, Slice.new(j.slice.offset, j.slice.sizes, j.slice.strides));
}

for (const [tag, Class] of [
  ['mesh.ActorMeshRef', ActorMeshRef],
  ['mesh.ActorMesh', ActorMesh],
] as const) {
  if (isRegisteredTag(tag)) continue;
  registerCodecClass<ActorMeshRef<any>>({
    tag,
    Class: Class as unknown as abstract new (...args: never[]) => ActorMeshRef<any>,
    toValue: (r): MeshRefValue => ({
      name: r.name,
      perProc: r.perProc,
      root: r.root.toJSON(),
      region: r.region.toJSON(),
      procIds: [...r.runtime.procIds],
      rootComm: r.runtime.rootComm ?? null,
      commPeers: r.runtime.commPeers ? [...r.runtime.commPeers] : null,
      p2p: plansOf(r) !== undefined,
    }),
    fromValue: (v) => {
      const o = v as MeshRefValue;
      const runtime: MeshRuntime = {
        cx: UNBOUND_CONTEXT,
        procIds: o.procIds,
        rootComm: o.rootComm ?? undefined,
        ...(o.commPeers !== null ? { commPeers: o.commPeers } : {}),
        health: new MeshHealth(o.name),
        ...(typeof o.p2p === 'boolean' ? { pointToPoint: o.p2p } : {}),
      };
      return ActorMeshRef.create<any>(o.name, runtime, regionFrom(o.root), o.perProc).derive(regionFrom(o.region));
    },
  });
}
