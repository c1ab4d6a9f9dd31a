/**
 * CommActor: one per proc of a proc mesh, the relays of cast trees (Monarch hyperactor_mesh/src/comm.rs `CommActor`).
 *
 * Mode `Mesh(rank, peers)`: `rank` is this proc's rank in the root proc mesh, `peers[r]` the comm
 * actor of proc rank r. The mode comes with the spawn params or by a separate `comm.mode` message;
 * casts and forwards that arrive before it are queued and handled, in order, once configured
 * (Monarch hyperactor_mesh/src/v1/proc_mesh.rs `ProcMesh::create` sends `CommActorMode` in a
 * separate message that a forward could overtake).
 *
 * A cast is routed over the *actor* root slice: with `perProc` actors per proc, actor base rank
 * `b` lives on proc `floor(b / perProc)` (Monarch's 1:1 case is `perProc = 1`). Every comm actor
 * resolves the frames located on ranks of its own proc locally (delivering or expanding them) and
 * forwards the rest, batched per peer proc.
 *
 * Invariants:
 * - Per stream (actor mesh id, original sender) every actor receives casts in the order the root
 *   comm actor accepted them: the root numbers casts `seq = 1, 2, …`; a forwarder tells each peer
 *   `lastSeq` = the seq of the previous message it sent *to that peer* on that stream (so slices
 *   that skip a node leave no gap); a receiver handles a message only when its `lastSeq` equals
 *   the last seq it handled on the stream, buffers it otherwise, and drops duplicates
 *   (`seq <= handled`) (docs/architecture.md MESH-2).
 * - Every splittable `PortRef` binding is replaced, once per hop, by a split port on this comm
 *   actor forwarding (and pre-reducing, with the ref's reducer) to the original port, so replies
 *   climb back up the same tree. At most `MAX_LIVE_SPLIT_PORTS` stay bound (oldest released).
 * - A delivered message has every `Rank` binding set to the receiver's rank in the cast region,
 *   and headers `CAST_POINT` (its point in the cast region), `CAST_MESH_POINT` (its point in the
 *   whole actor mesh), `CAST_ORIGINATING_SENDER` and `CAST_ACTOR_MESH_ID`, encoded as in
 *   cast-direct.ts (UTF-8 display forms) (docs/architecture.md MESH-3).
 * - A forward or a delivery that bounces goes back to the original sender as undeliverable with a
 *   `Multicast` error; the comm actor itself never fails because of it.
 */
import { ActorId, PortId } from '../core/ids.js';
import { portIndexOf } from '../core/typeinfo.js';
import { decode, encode } from '../core/codec.js';
import { RANK_TAG } from '../core/bindings.js';
import { Actor, type Handlers } from '../actor/actor.js';
import type { Context } from '../actor/instance.js';
import { type Headers, HEADER, MessageEnvelope, type WireBinding } from '../mailbox/envelope.js';
import { deliveryError } from '../mailbox/errors.js';
import { splitPort } from '../mailbox/split.js';
import { type ReducerOpts, type ReducerSpec, reducerOf } from '../mailbox/accum.js';
import type { Mailbox } from '../mailbox/mailbox.js';
import { bounceEnvelope } from '../mailbox/undeliverable.js';
import { decodePayload } from '../mailbox/payload.js';
import { Slice } from '../ndslice/slice.js';
import { Selection, type SelectionJSON } from '../selection/selection.js';
import { RoutingFrame, type RoutingFrameJSON } from '../selection/routing.js';
import { Extent } from '../ndslice/extent.js';
import { CastingError } from './errors.js';
import { castSenderOf, encodeCastPoint } from './cast-direct.js';
import {
  CAST_MESH_POINT,
  COMM_ACTOR_TYPE,
  COUNTED_REDUCER,
  type CastBody,
  type CommMsg,
  type CommParams,
  type Forward,
  checkBody,
  checkForward,
  memberName,
  routingSteps,
} from './cast-protocol.js';
// Side effects: worker processes import this module, so it also registers the agent and the
// resource protocol's codec classes there.
import './proc-mesh-agent.js';
import './resource.js';
import { registerActor } from '../actor/registry.js';

const utf8 = new TextEncoder();

/** This module's URL: worker processes import it so `CommActor` is registered there. */
export const COMM_ACTOR_MODULE = import.meta.url;

interface HeaderCache {
  cast: Uint8Array[];
  mesh: Uint8Array[];
  rank: Uint8Array[];
}

interface StreamState {
  /** Seq of the last message handled on this stream. */
  handled: number;
  /** Messages waiting for their predecessor, keyed by their lastSeq. */
  pending: Map<number, Forward>;
}

/** Per-cast data derived once per hop. */
interface CastCtx {
  rootSlice: Slice;
  castSlice: Slice;
  castExtent: Extent;
  rootExtent: Extent;
  headerSender: Uint8Array;
  headerMesh: Uint8Array;
}

const FORWARD_PORT = portIndexOf('comm.forward');

/**
 * Split ports a comm actor keeps bound. Every cast carrying a reply port splits it once per hop;
 * past this many the oldest split port is unbound (its late replies become undeliverable), so a
 * long-running mesh does not grow without bound. A reply stream outliving 16384 later casts
 * through the same comm actor is the (documented) limit.
 */
export const MAX_LIVE_SPLIT_PORTS = 16_384;

export class CommActor extends Actor<CommParams, CommMsg> {
  static readonly typeName = COMM_ACTOR_TYPE;
  /** Bound on live split ports per comm actor (default `MAX_LIVE_SPLIT_PORTS`; tests lower it). */
  static maxLiveSplitPorts = MAX_LIVE_SPLIT_PORTS;
  /** Number of split ports currently bound. */
  get liveSplitPorts(): number {
    return this.liveSplits.length;
  }
  private rank = -1;
  private peers: ActorId[] = [];
  private queued: CommMsg[] = [];
  /** Root only: next seq per stream. */
  private readonly seqs = new Map<string, number>();
  /** `${stream}\u0000${peer}` → seq of the last message sent to that peer on the stream. */
  private readonly lastSent = new Map<string, number>();
  private readonly streams = new Map<string, StreamState>();
  private readonly portIds = new Map<string, PortId>();
  /** Split ports in creation order (the oldest are released past MAX_LIVE_SPLIT_PORTS). */
  private liveSplits: bigint[] = [];
  /** Counters (tests, introspection). */
  readonly stats = { forwarded: 0, delivered: 0, buffered: 0, duplicates: 0, splits: 0, rejected: 0 };

  constructor(p: CommParams = {}) {
    super();
    if (p.rank !== undefined && p.peers !== undefined) this.configure(p.rank, p.peers);
  }

  readonly handlers: Handlers<CommMsg> = {
    'comm.mode': (cx, m) => {
      this.configure(m.rank, m.peers);
      const q = this.queued;
      this.queued = [];
      for (const msg of q) this.dispatch(cx, msg);
    },
    'comm.cast': (cx, m) => this.dispatch(cx, m),
    'comm.forward': (cx, m) => this.dispatch(cx, m),
  };

  /** Whether the mode was set. */
  get configured(): boolean {
    return this.rank >= 0;
  }

  private configure(rank: number, peers: ActorId[]): void {
    if (!Number.isSafeInteger(rank) || rank < 0 || !Array.isArray(peers) || rank >= peers.length) {
      throw new CastingError(
        'comm',
        `invalid comm actor mode: rank ${rank} with ${Array.isArray(peers) ? peers.length : 'no'} peers (expected 0 <= rank < peers)`,
      );
    }
    this.rank = rank;
    this.peers = peers;
  }

  private dispatch(cx: Context, m: CommMsg): void {
    if (this.rank < 0) {
      this.queued.push(m);
      return;
    }
    try {
      if (m.type === 'comm.cast') {
        checkBody(m.body);
        this.onCast(cx, m.body, m.selection);
      } else if (m.type === 'comm.forward') {
        checkForward(m);
        this.onForward(cx, m);
      }
    } catch (e) {
      this.reject(cx, m, e);
    }
  }

  /**
   * A malformed cast or forward (bad frames, bad body) is dropped with a log line: a comm actor
   * serves every mesh member of its proc, so bad input never fails it.
   */
  private reject(cx: Context, m: CommMsg, e: unknown): void {
    this.stats.rejected++;
    console.error(`actormesh: comm actor ${cx.self} dropped a malformed ${m.type}: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** Root: number the cast on its stream and send it to the first hop (possibly this actor). */
  private onCast(cx: Context, body: CastBody, selection: SelectionJSON): void {
    const rootSlice = Slice.new(body.root.slice.offset, body.root.slice.sizes, body.root.slice.strides);
    const frame = RoutingFrame.root(Selection.fromJSON(selection), rootSlice);
    const stream = streamKey(body);
    const seq = (this.seqs.get(stream) ?? 0) + 1;
    this.seqs.set(stream, seq);
    const first = this.ownerOf(frame.location(), body.perProc);
    this.sendForward(cx, first, stream, seq, [frame.toJSON()], body);
  }

  private sendForward(cx: Context, peer: number, stream: string, seq: number, frames: RoutingFrameJSON[], body: CastBody): void {
    const k = `${stream}\u0000${peer}`;
    const lastSeq = this.lastSent.get(k) ?? 0;
    this.lastSent.set(k, seq);
    const msg: Forward = { type: 'comm.forward', from: this.rank, seq, lastSeq, frames, body };
    const dest = this.peers[peer];
    if (dest === undefined) throw new CastingError(body.meshId, `no comm actor for proc rank ${peer} (mesh has ${this.peers.length} procs)`);
    this.stats.forwarded++;
    // The root's first hop to itself is handled in place: only this actor sends it forwards on
    // the stream (the root), so the seq bookkeeping is the same as for a received message.
    if (peer === this.rank) return this.onForward(cx, msg);
    cx.mailbox.sendMessage(new PortId(dest, FORWARD_PORT), 'comm.forward', msg);
  }

  /** A forward: reorder per stream, then handle in order. */
  private onForward(cx: Context, m: Forward): void {
    const stream = streamKey(m.body);
    let st = this.streams.get(stream);
    if (st === undefined) this.streams.set(stream, (st = { handled: 0, pending: new Map() }));
    if (m.seq <= st.handled) {
      this.stats.duplicates++;
      return;
    }
    if (m.lastSeq !== st.handled) {
      this.stats.buffered++;
      st.pending.set(m.lastSeq, m);
      return;
    }
    // The seq advances even if a message turns out malformed, so the stream never stalls.
    this.handleGuarded(cx, stream, m);
    st.handled = m.seq;
    for (let next = st.pending.get(st.handled); next !== undefined; next = st.pending.get(st.handled)) {
      st.pending.delete(st.handled);
      this.handleGuarded(cx, stream, next);
      st.handled = next.seq;
    }
  }

  private handleGuarded(cx: Context, stream: string, m: Forward): void {
    try {
      this.handleInOrder(cx, stream, m);
    } catch (e) {
      this.reject(cx, m, e);
    }
  }

  private handleInOrder(cx: Context, stream: string, m: Forward): void {
    const body = m.body;
    const perProc = body.perProc;
    const deliveries: number[] = [];
    const next = new Map<number, RoutingFrameJSON[]>();
    const one = (f: RoutingFrame): void => {
      const loc = f.location();
      const owner = this.ownerOf(loc, perProc);
      if (owner !== this.rank) {
        let l = next.get(owner);
        if (l === undefined) next.set(owner, (l = []));
        l.push(f.toJSON());
        return;
      }
      if (f.deliverHere()) {
        deliveries.push(loc);
        return;
      }
      for (const n of routingSteps(f)) one(n);
    };
    for (const fj of m.frames) one(RoutingFrame.fromJSON(fj));
    // (1) split every reply port once for this hop.
    const bindings = this.splitPorts(cx, body.bindings);
    const hopBody: CastBody = bindings === body.bindings ? body : { ...body, bindings };
    // (2) deliver here.
    if (deliveries.length > 0) this.deliver(cx, hopBody, deliveries);
    // (3) forward to peers.
    for (const [peer, frames] of next) this.sendForward(cx, peer, stream, m.seq, frames, hopBody);
  }

  private splitPorts(cx: Context, bindings: WireBinding[]): WireBinding[] {
    let out: WireBinding[] | undefined;
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i]!;
      if (b.tag !== 'PortRef') continue;
      const v = decode(b.bytes, 'binding PortRef') as unknown[];
      if (!Array.isArray(v) || typeof v[0] !== 'string') continue;
      const target = new PortId(ActorId.parse(v[0]), BigInt(v[1] as number | bigint));
      const reducer = (v[4] ?? undefined) as ReducerSpec | undefined;
      const split =
        reducer?.name === COUNTED_REDUCER
          ? splitPerTurn(cx.mailbox, target, reducer, v[3] !== false)
          : splitPort(cx.mailbox, target, {
              reducer,
              reducerOpts: (v[5] ?? undefined) as ReducerOpts | undefined,
              returnUndeliverable: v[3] !== false,
            });
      this.stats.splits++;
      this.liveSplits.push(split.index);
      while (this.liveSplits.length > CommActor.maxLiveSplitPorts) cx.mailbox.unbind(this.liveSplits.shift()!);
      const nv = v.slice();
      nv[0] = split.actor.key;
      nv[1] = Number(split.index);
      (out ??= bindings.slice())[i] = { tag: b.tag, bytes: encode(nv, 'binding PortRef') };
    }
    return out ?? bindings;
  }

  private deliver(cx: Context, body: CastBody, ranks: number[]): void {
    const c = castCtx(body);
    const hc = this.headerCache(body, c);
    const proc = cx.proc.id;
    const port = portIndexOf(body.typeName);
    let rankSlots: number[] | undefined;
    for (let i = 0; i < body.bindings.length; i++) if (body.bindings[i]!.tag === RANK_TAG) (rankSlots ??= []).push(i);
    for (const base of ranks) {
      const castRank = c.castSlice.index(base);
      const rootRank = c.rootSlice.index(base);
      const headers: Headers = new Map([
        [HEADER.CAST_ORIGINATING_SENDER, c.headerSender],
        [HEADER.CAST_POINT, (hc.cast[castRank] ??= encodeCastPoint(c.castExtent.pointOfRank(castRank)))],
        [CAST_MESH_POINT, (hc.mesh[rootRank] ??= encodeCastPoint(c.rootExtent.pointOfRank(rootRank)))],
        [HEADER.CAST_ACTOR_MESH_ID, c.headerMesh],
      ]);
      let bindings = body.bindings;
      if (rankSlots !== undefined) {
        bindings = bindings.slice();
        const bytes = (hc.rank[castRank] ??= encode(castRank));
        for (const i of rankSlots) bindings[i] = { tag: RANK_TAG, bytes };
      }
      const name = memberName(body.actorName, body.perProc, base % body.perProc);
      let aid = this.portIds.get(name);
      if (aid === undefined || aid.index !== port) {
        aid = new PortId(new ActorId(proc, name, 0), port);
        if (this.portIds.size > 4096) this.portIds.clear();
        this.portIds.set(name, aid);
      }
      const env = new MessageEnvelope(cx.self, aid, body.data, body.typeName, bindings, headers);
      this.stats.delivered++;
      cx.mailbox.send(env);
    }
  }

  /** Encoded per-rank header values of a (cast region, root region) pair, kept across casts. */
  private readonly headers = new Map<string, HeaderCache>();
  private headerCache(body: CastBody, c: CastCtx): HeaderCache {
    const key = `${c.castExtent}|${body.cast.slice.offset}|${body.cast.slice.strides}|${c.rootExtent}`;
    let hc = this.headers.get(key);
    if (hc === undefined) {
      if (this.headers.size >= 64) this.headers.clear();
      this.headers.set(key, (hc = { cast: [], mesh: [], rank: [] }));
    }
    return hc;
  }

  private ownerOf(baseRank: number, perProc: number): number {
    return Math.floor(baseRank / perProc);
  }

  /**
   * A forward or a delivery bounced: return it to the original sender with a `Multicast` error
   * (Monarch hyperactor_mesh/src/comm.rs `CommActor` `handle_undeliverable_message`); anything else is only logged.
   */
  override handleUndeliverable(cx: Context, env: MessageEnvelope): void {
    let sender: ActorId | undefined;
    try {
      if (env.typeName === 'comm.forward') {
        sender = (decodePayload(env.data, env.bindings, env.typeName) as Forward).body.sender;
      } else {
        const h = env.headers.get(HEADER.CAST_ORIGINATING_SENDER);
        if (h !== undefined) sender = castSenderOf(env.headers);
      }
    } catch {
      sender = undefined;
    }
    if (sender === undefined) {
      console.error(`actormesh: comm actor ${cx.self} dropped an undeliverable message: ${env}`);
      return;
    }
    const back = env.clone();
    back.recordError(deliveryError('Multicast', `cast message to ${env.dest} was undeliverable: ${env.error?.message ?? 'unknown error'}`));
    const orig = new MessageEnvelope(sender, back.dest, back.data, back.typeName, back.bindings, back.headers, back.ttl, true, back.errors);
    cx.mailbox.send(bounceEnvelope(orig));
  }
}

/**
 * A split port for the counting reducer: every update that arrives during one event-loop turn is
 * reduced into one and sent at the end of the turn (`setImmediate`), so a hop sends one update per
 * burst of local replies instead of one per `SPLIT_MAX_BUFFER_SIZE`. Order is kept (left fold).
 */
function splitPerTurn(mailbox: Mailbox, target: PortId, spec: ReducerSpec, returnUndeliverable: boolean): PortId {
  const index = mailbox.allocateIndex();
  const reducer = reducerOf<unknown>(spec);
  let acc: unknown;
  let have = false;
  let typeName = 'reply';
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    scheduled = undefined;
    if (!have) return;
    const u = acc;
    have = false;
    acc = undefined;
    if (!mailbox.closed) mailbox.sendMessage(target, typeName, u, undefined, returnUndeliverable);
  };
  mailbox.bind(index, {
    once: false,
    sink: () => {},
    raw: (env) => {
      let u: unknown;
      try {
        u = decodePayload(env.data, env.bindings, env.typeName);
      } catch (e) {
        return (e as Error).message;
      }
      typeName = env.typeName;
      acc = have ? reducer.reduce(acc, u) : u;
      have = true;
      scheduled ??= setImmediate(flush);
    },
    closed: () => {
      if (scheduled !== undefined) clearImmediate(scheduled);
      scheduled = undefined;
      have = false;
    },
  });
  return new PortId(mailbox.actorId, index);
}

function streamKey(body: CastBody): string {
  return `${body.meshId}\u0000${body.sender.key}`;
}

const ctxCache = new WeakMap<CastBody, CastCtx>();
function castCtx(body: CastBody): CastCtx {
  let c = ctxCache.get(body);
  if (c === undefined) {
    const r = body.root.slice;
    const s = body.cast.slice;
    c = {
      rootSlice: Slice.new(r.offset, r.sizes, r.strides),
      castSlice: Slice.new(s.offset, s.sizes, s.strides),
      castExtent: Extent.new(body.cast.labels, s.sizes),
      rootExtent: Extent.new(body.root.labels, r.sizes),
      headerSender: utf8.encode(body.sender.key),
      headerMesh: utf8.encode(body.meshId),
    };
    ctxCache.set(body, c);
  }
  return c;
}

registerActor(CommActor);
