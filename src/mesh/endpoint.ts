/**
 * Typed endpoints (Monarch python/monarch/_src/actor/endpoint.py `Endpoint`): actor classes declare `endpoints`, meshes expose them
 * as `mesh.<name>.call(...)`, `.callOne`, `.choose`, `.broadcast`, `.stream`, `.reduce`.
 *
 * ```ts
 * class Counter extends MeshActor<{ start: number }> {
 *   static typeName = 'example::Counter';
 *   n: number;
 *   constructor(p: { start: number }) { super(); this.n = p.start; }
 *   readonly endpoints = {
 *     incr: (cx: Context, by: number) => { this.n += by; return this.n; },
 *   };
 * }
 * const values = await mesh.incr.call(2);   // ValueMesh<number> over the mesh region
 * ```
 *
 * Wire format: endpoint `foo` is the message type `ep:foo` carrying `{args, mode, reply, rank}`;
 * `rank` is a `Rank` binding (rebound to the receiver's rank in the cast region) and `reply` a
 * splittable `PortRef` (split at every comm hop).
 *
 * Invariants:
 * - `call`/`stream` reply `[castRank, ok, valueOrMessage]`; an endpoint that throws answers with
 *   its error (the caller's `call` rejects with `EndpointError` naming actor and rank) and keeps
 *   running. Without a reply port (`broadcast`) or in `reduce`, a throw fails the actor, which is
 *   reported to the mesh owner by supervision (docs/architecture.md MESH-7).
 * - `reduce` replies `[1, value]` through a port whose reducer (`actormesh::counted`) adds the
 *   counts and applies the accumulator's reducer, so hops pre-reduce and the caller knows when
 *   all `n` members answered.
 * - every wait is bounded (`timeoutMs`, default 30 s) and fails fast when the mesh becomes
 *   unhealthy (the health state rejects pending waits with `SupervisionError`).
 */
import { Rank } from '../core/bindings.js';
import { Actor, type Handlers } from '../actor/actor.js';
import type { Context } from '../actor/instance.js';
import { PortRef, type ActorRef } from '../actor/refs.js';
import type { Accumulator } from '../mailbox/accum.js';
import type { ActorId } from '../core/ids.js';
import { Point } from '../ndslice/point.js';
import { castPointOf, castSenderOf } from './cast-direct.js';
import { ValueMesh } from '../valuemesh/value-mesh.js';
import { MeshError } from '../valuemesh/errors.js';
import { CAST_MESH_POINT } from './cast-protocol.js';

/** An endpoint implementation: gets the context first, then the caller's arguments. */
export type EndpointFn = (cx: Context, ...args: any[]) => unknown;
export type EndpointTable = Record<string, EndpointFn>;

export const ENDPOINT_PREFIX = 'ep:';
export const MODE_NONE = 0;
export const MODE_CALL = 1;
export const MODE_REDUCE = 2;

/**
 * An endpoint message. Through the comm tree: `rank` is a `Rank` binding and `reply` a split
 * `PortRef`, the cast point comes in headers. Point to point (cast-plan.ts): `r` is the
 * receiver's cast rank, `p`/`q` its cast/mesh point texts, `s` the sender, and `reply` is
 * rebuilt from the envelope's reply port.
 */
export interface EndpointMsg {
  readonly type: string;
  readonly args: unknown[];
  readonly mode: number;
  readonly reply?: { send(cx: Context, v: unknown): void } | null;
  readonly rank?: Rank;
  readonly r?: number;
  readonly p?: string;
  readonly q?: string;
  readonly s?: ActorRef<any>;
  /** Point to point: the caller's call id (0 for none); replies start with it. */
  readonly c?: number;
}

/** What a failing endpoint sends back: the error's class name, message and stack (text). */
export interface RemoteErrorInfo {
  name: string;
  message: string;
  stack: string;
}

/** Reply of `call`/`stream`: `[castRank, true, value]` or `[castRank, false, RemoteErrorInfo]`. */
export type CallReply = [number, boolean, unknown];

/**
 * Names an endpoint cannot have: the members of mesh refs (`mesh.get`, `mesh.slice`, ...) and of
 * promises/JSON (`then`, `toJSON`), which would shadow the endpoint on the mesh.
 */
export const RESERVED_ENDPOINT_NAMES = [
  'get',
  'stop',
  'slice',
  'cast',
  'bind',
  'size',
  'sizes',
  'name',
  'extent',
  'region',
  'endpoint',
  'target',
  'derive',
  'runtime',
  'perProc',
  'root',
  'health',
  'actorIds',
  'toString',
  'constructor',
  'then',
  'toJSON',
] as const;
export type ReservedEndpointName = (typeof RESERVED_ENDPOINT_NAMES)[number];
const RESERVED = new Set<string>(RESERVED_ENDPOINT_NAMES);

/** An actor class declares an endpoint whose name is reserved by the mesh API. */
export class ReservedEndpointNameError extends MeshError {
  readonly endpoint: string;
  constructor(actorClass: string, endpoint: string) {
    super(
      'ReservedEndpointName',
      `${actorClass} declares an endpoint named '${endpoint}', a reserved word of actor meshes (mesh.${endpoint} is a mesh member; reserved: ${RESERVED_ENDPOINT_NAMES.join(', ')}); rename the endpoint`,
    );
    this.endpoint = endpoint;
  }

  /**
   * The endpoint named by this error's message inside `text` (a spawn error reports each rank's
   * failure as text, so a refusal made in a worker reaches the spawner only as its message), or
   * undefined when `text` holds no such refusal.
   */
  static endpointIn(text: string): string | undefined {
    return /declares an endpoint named '([^']+)', a reserved word of actor meshes/.exec(text)?.[1];
  }
}

/** Throws `ReservedEndpointNameError` if `names` holds a reserved endpoint name. */
export function checkEndpointNames(actorClass: string, names: Iterable<string>): void {
  for (const n of names) if (RESERVED.has(n)) throw new ReservedEndpointNameError(actorClass, n);
}

/**
 * Base class of actors spawned on meshes with endpoints. Subclasses define `endpoints` (arrow
 * functions, so `this` is the actor); the handler table is derived from it.
 */
export abstract class MeshActor<P = void> extends Actor<P, EndpointMsg> {
  abstract readonly endpoints: EndpointTable;
  private table: Handlers<EndpointMsg> | undefined;
  /** The endpoint message being handled (its cast info, for `castPoint` & co.). */
  currentCast: EndpointMsg | undefined;

  get handlers(): Handlers<EndpointMsg> {
    if (this.table !== undefined) return this.table;
    const eps = this.endpoints;
    if (typeof eps !== 'object' || eps === null) throw new EndpointUsageError('NoEndpoints', `${this.constructor.name} has no endpoints table`);
    const names = Object.keys(eps);
    checkEndpointNames(this.constructor.name, names);
    const t: Record<string, (cx: Context, m: EndpointMsg) => Promise<void> | void> = {};
    for (const name of names) t[ENDPOINT_PREFIX + name] = (cx, m) => runEndpoint(this, cx, name, eps[name]!, m);
    return (this.table = t as unknown as Handlers<EndpointMsg>);
  }
}

function runEndpoint(actor: MeshActor<any>, cx: Context, name: string, fn: EndpointFn, m: EndpointMsg): void | Promise<void> {
  actor.currentCast = m;
  const args = Array.isArray(m.args) ? m.args : [];
  let r: unknown;
  try {
    r = fn(cx, ...args);
  } catch (e) {
    return replyError(cx, name, m, e);
  }
  if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(r).then(
      (v) => replyOk(cx, m, v),
      (e) => replyError(cx, name, m, e),
    );
  }
  replyOk(cx, m, r);
}

function castRankOf(m: EndpointMsg): number {
  if (typeof m.r === 'number') return m.r;
  return m.rank instanceof Rank ? (m.rank.value ?? 0) : 0;
}

function replyOk(cx: Context, m: EndpointMsg, v: unknown): void {
  const reply = m.reply;
  if (reply == null) return;
  const c = m.c;
  if (typeof c === 'number' && c > 0) reply.send(cx, m.mode === MODE_REDUCE ? [c, 1, v] : [c, castRankOf(m), true, v]);
  else if (m.mode === MODE_REDUCE) reply.send(cx, [1, v]);
  else reply.send(cx, [castRankOf(m), true, v] satisfies CallReply);
}

/** The class name, message and stack of a thrown value, as plain text fields. */
export function remoteErrorInfo(e: unknown): RemoteErrorInfo {
  if (e instanceof Error) return { name: e.constructor?.name || e.name || 'Error', message: e.message, stack: e.stack ?? `${e.name}: ${e.message}` };
  return { name: typeof e, message: String(e), stack: String(e) };
}

/** With a call reply port the error goes back to the caller; otherwise the actor fails. */
function replyError(cx: Context, _name: string, m: EndpointMsg, e: unknown): void {
  if (m.mode === MODE_CALL && m.reply != null) {
    const c = m.c;
    if (typeof c === 'number' && c > 0) m.reply.send(cx, [c, castRankOf(m), false, remoteErrorInfo(e)]);
    else m.reply.send(cx, [castRankOf(m), false, remoteErrorInfo(e)] satisfies CallReply);
    return;
  }
  throw e;
}

// --- cast info inside handlers -----------------------------------------------------------------

/** The point-to-point endpoint message being handled by `cx`'s actor, if any. */
function directCastMsg(cx: Context): EndpointMsg | undefined {
  const actor = (cx as { actor?: unknown }).actor;
  const m = actor instanceof MeshActor ? actor.currentCast : undefined;
  return m !== undefined && typeof m.p === 'string' ? m : undefined;
}

/** The point of this actor in the region the current message was cast to (Monarch CAST_POINT). */
export function castPoint(cx: Context): Point | undefined {
  const h = castPointOf(cx.headers);
  if (h !== undefined) return h;
  const m = directCastMsg(cx);
  return m === undefined ? undefined : Point.parse(m.p!);
}

/** This actor's point in its whole actor mesh (its own rank), for a cast message. */
export function meshPoint(cx: Context): Point | undefined {
  const v = cx.headers.get(CAST_MESH_POINT);
  if (v !== undefined) return Point.parse(new TextDecoder().decode(v));
  const m = directCastMsg(cx);
  return m === undefined ? undefined : Point.parse(m.q || m.p!);
}

/** The actor that originated the current cast (Monarch CAST_ORIGINATING_SENDER). */
export function castSender(cx: Context): ActorId | undefined {
  const h = castSenderOf(cx.headers);
  if (h !== undefined) return h;
  return directCastMsg(cx)?.s?.actorId;
}

// --- client side -------------------------------------------------------------------------------

/**
 * An endpoint call failed on a member (the endpoint threw). `remoteName` is the class name of
 * what was thrown, `remoteStack` its stack as text (Monarch's `ActorError` traceback).
 */
export class EndpointError extends MeshError {
  readonly endpoint: string;
  readonly rank: number;
  readonly actor: string;
  readonly remoteName: string;
  readonly remoteMessage: string;
  readonly remoteStack: string;
  constructor(endpoint: string, actor: string, rank: number, remote: RemoteErrorInfo | string) {
    const info: RemoteErrorInfo = typeof remote === 'string' ? { name: 'Error', message: remote, stack: remote } : remote;
    super('EndpointError', `endpoint ${endpoint} failed: ${info.name}: ${info.message} (actor ${actor}, rank ${rank})`);
    this.endpoint = endpoint;
    this.actor = actor;
    this.rank = rank;
    this.remoteName = info.name;
    this.remoteMessage = info.message;
    this.remoteStack = info.stack;
    this.stack = `${this.stack ?? ''}\nCaused by (on ${actor}, rank ${rank}):\n${info.stack}`;
  }
}

/** Reads a `RemoteErrorInfo` back from a reply (anything else becomes its text). */
export function remoteErrorFrom(v: unknown): RemoteErrorInfo {
  const o = v as Partial<RemoteErrorInfo> | null;
  if (typeof o === 'object' && o !== null && typeof o.message === 'string') {
    return { name: typeof o.name === 'string' ? o.name : 'Error', message: o.message, stack: typeof o.stack === 'string' ? o.stack : o.message };
  }
  return { name: 'Error', message: String(v), stack: String(v) };
}

/** Bad use of an endpoint (e.g. `callOne` on a mesh with more than one member). */
export class EndpointUsageError extends MeshError {
  constructor(variant: 'NoEndpoints' | 'InvalidRank' | 'InvalidTimeout' | 'NoReducer' | 'CallOneOnMany' | 'UnboundMeshRef', message: string) {
    super(variant, message);
  }
}

type Args<F> = F extends (cx: Context, ...args: infer A) => unknown ? A : never;
type Ret<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;

export interface CallOptions {
  /**
   * Bound on the whole call in milliseconds, > 0 (default 30 s; `Infinity`: none); expiry rejects
   * with `TimeoutError`. Anything else throws `EndpointUsageError('InvalidTimeout')`.
   */
  timeoutMs?: number;
}

/** The typed view of one endpoint of a mesh. */
export interface Endpoint<F extends EndpointFn> {
  /** Every member; resolves with a ValueMesh of results over the mesh region. */
  call(...args: Args<F>): Promise<ValueMesh<Ret<F>>>;
  /** The mesh must have exactly one member; resolves with its result. */
  callOne(...args: Args<F>): Promise<Ret<F>>;
  /** One uniformly random member; resolves with its result. */
  choose(...args: Args<F>): Promise<Ret<F>>;
  /** Every member, no reply. */
  broadcast(...args: Args<F>): void;
  /** Every member; yields `[point, result]` as replies arrive. */
  stream(...args: Args<F>): AsyncIterable<[Point, Ret<F>]>;
  /** Every member; results folded with `acc` (pre-reduced on every comm hop). */
  reduce<S>(acc: Accumulator<S, Ret<F>>, ...args: Args<F>): Promise<S>;
  /** Same calls with options. */
  withOptions(opts: CallOptions): Endpoint<F>;
}

/** `mesh.<name>` for every endpoint of the actor class `A` (reserved names never shadow mesh members). */
export type Endpoints<A> = A extends { endpoints: infer E }
  ? { readonly [K in Exclude<keyof E & string, ReservedEndpointName>]: E[K] extends EndpointFn ? Endpoint<E[K]> : never }
  : Record<never, never>;

/**
 * `unknown` when no endpoint of `A` has a reserved name; otherwise a type naming the offending
 * endpoints, so `procs.spawn(name, Class, …)` does not compile for such a class.
 */
export type CheckedEndpoints<A> = A extends { endpoints: infer E }
  ? [Extract<keyof E & string, ReservedEndpointName>] extends [never]
    ? unknown
    : { 'reserved endpoint names (rename them)': Extract<keyof E & string, ReservedEndpointName> }
  : unknown;

/** Builds the message for endpoint `name`. */
export function endpointMessage(name: string, args: unknown[], mode: number, reply: PortRef<unknown> | null): EndpointMsg {
  return { type: ENDPOINT_PREFIX + name, args, mode, reply, rank: new Rank(undefined) };
}
