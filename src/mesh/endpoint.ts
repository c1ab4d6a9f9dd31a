/**
 * Typed endpoints (spec host.md §10, §6.4): actor classes declare `endpoints`, meshes expose them
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
 *   reported to the mesh owner by supervision.
 * - `reduce` replies `[1, value]` through a port whose reducer (`actormesh::counted`) adds the
 *   counts and applies the accumulator's reducer, so hops pre-reduce and the caller knows when
 *   all `n` members answered.
 * - every wait is bounded (`timeoutMs`, default 30 s) and fails fast when the mesh becomes
 *   unhealthy (the health state rejects pending waits with `SupervisionError`).
 */
import { Rank } from '../core/bindings.js';
import { Actor, type Handlers } from '../actor/actor.js';
import type { Context } from '../actor/instance.js';
import { PortRef } from '../actor/refs.js';
import type { Accumulator } from '../mailbox/accum.js';
import type { ActorId } from '../core/ids.js';
import { Point } from '../ndslice/point.js';
import { castPointOf, castSenderOf } from './cast-direct.js';
import { ValueMesh } from '../valuemesh/value-mesh.js';
import { ActormeshError } from '../errors.js';
import { CAST_MESH_POINT } from './comm-actor.js';

/** An endpoint implementation: gets the context first, then the caller's arguments. */
export type EndpointFn = (cx: Context, ...args: any[]) => unknown;
export type EndpointTable = Record<string, EndpointFn>;

export const ENDPOINT_PREFIX = 'ep:';
export const MODE_NONE = 0;
export const MODE_CALL = 1;
export const MODE_REDUCE = 2;

export interface EndpointMsg {
  readonly type: string;
  readonly args: unknown[];
  readonly mode: number;
  readonly reply: PortRef<unknown> | null;
  readonly rank: Rank;
}

/** Reply of `call`/`stream`: `[castRank, ok, value | error message]`. */
export type CallReply = [number, boolean, unknown];

/**
 * Base class of actors spawned on meshes with endpoints. Subclasses define `endpoints` (arrow
 * functions, so `this` is the actor); the handler table is derived from it.
 */
export abstract class MeshActor<P = void> extends Actor<P, EndpointMsg> {
  abstract readonly endpoints: EndpointTable;
  private table: Handlers<EndpointMsg> | undefined;

  get handlers(): Handlers<EndpointMsg> {
    if (this.table !== undefined) return this.table;
    const eps = this.endpoints;
    if (typeof eps !== 'object' || eps === null) throw new TypeError(`${this.constructor.name} has no endpoints table`);
    const t: Record<string, (cx: Context, m: EndpointMsg) => Promise<void> | void> = {};
    for (const name of Object.keys(eps)) t[ENDPOINT_PREFIX + name] = (cx, m) => runEndpoint(cx, name, eps[name]!, m);
    return (this.table = t as unknown as Handlers<EndpointMsg>);
  }
}

function runEndpoint(cx: Context, name: string, fn: EndpointFn, m: EndpointMsg): void | Promise<void> {
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

function replyOk(cx: Context, m: EndpointMsg, v: unknown): void {
  if (m.reply === null) return;
  if (m.mode === MODE_REDUCE) m.reply.send(cx, [1, v]);
  else m.reply.send(cx, [m.rank instanceof Rank ? (m.rank.value ?? 0) : 0, true, v] satisfies CallReply);
}

/** With a call reply port the error goes back to the caller; otherwise the actor fails. */
function replyError(cx: Context, name: string, m: EndpointMsg, e: unknown): void {
  if (m.mode === MODE_CALL && m.reply !== null) {
    const rank = m.rank instanceof Rank ? (m.rank.value ?? 0) : 0;
    m.reply.send(cx, [rank, false, `endpoint ${name} failed: ${e instanceof Error ? e.message : String(e)}`] satisfies CallReply);
    return;
  }
  throw e;
}

// --- cast info inside handlers -----------------------------------------------------------------

/** The point of this actor in the region the current message was cast to (Monarch CAST_POINT). */
export function castPoint(cx: Context): Point | undefined {
  return castPointOf(cx.headers);
}

/** This actor's point in its whole actor mesh (its own rank), for a cast message. */
export function meshPoint(cx: Context): Point | undefined {
  const v = cx.headers.get(CAST_MESH_POINT);
  return v === undefined ? undefined : Point.parse(new TextDecoder().decode(v));
}

/** The actor that originated the current cast (Monarch CAST_ORIGINATING_SENDER). */
export function castSender(cx: Context): ActorId | undefined {
  return castSenderOf(cx.headers);
}

// --- client side -------------------------------------------------------------------------------

/** An endpoint call failed on a member (the endpoint threw). */
export class EndpointError extends ActormeshError {
  readonly endpoint: string;
  readonly rank: number;
  readonly actor: string;
  constructor(endpoint: string, actor: string, rank: number, message: string) {
    super('MeshError', 'EndpointError', `${message} (actor ${actor}, rank ${rank})`);
    this.endpoint = endpoint;
    this.actor = actor;
    this.rank = rank;
  }
}

/** Bad use of an endpoint (e.g. `callOne` on a mesh with more than one member). */
export class EndpointUsageError extends ActormeshError {
  constructor(variant: string, message: string) {
    super('MeshError', variant, message);
  }
}

type Args<F> = F extends (cx: Context, ...args: infer A) => unknown ? A : never;
type Ret<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;

export interface CallOptions {
  /** Bound on the whole call (default 30 s); expiry rejects with `TimeoutError`. */
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

/** `mesh.<name>` for every endpoint of the actor class `A`. */
export type Endpoints<A> = A extends { endpoints: infer E } ? { readonly [K in keyof E & string]: E[K] extends EndpointFn ? Endpoint<E[K]> : never } : {};

/** Builds the message for endpoint `name`. */
export function endpointMessage(name: string, args: unknown[], mode: number, reply: PortRef<unknown> | null): EndpointMsg {
  return { type: ENDPOINT_PREFIX + name, args, mode, reply, rank: new Rank(undefined) };
}
