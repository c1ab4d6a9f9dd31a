/**
 * CommActor: one per proc of a proc mesh, the relays of cast trees (spec host.md §6.3, §2.5).
 *
 * Mode `Mesh(rank, peers)`: `rank` is this proc's rank in the root proc mesh, `peers[r]` the comm
 * actor of proc rank r. The mode comes with the spawn params or by a separate `comm.mode` message;
 * casts and forwards that arrive before it are queued and handled, in order, once configured
 * (spec §12.5).
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
 *   (`seq <= handled`).
 * - Every splittable `PortRef` binding is replaced, once per hop, by a split port on this comm
 *   actor forwarding (and pre-reducing, with the ref's reducer) to the original port, so replies
 *   climb back up the same tree.
 * - A delivered message has every `Rank` binding set to the receiver's rank in the cast region,
 *   and headers `CAST_POINT` (its point in the cast region), `CAST_MESH_POINT` (its point in the
 *   whole actor mesh), `CAST_ORIGINATING_SENDER` and `CAST_ACTOR_MESH_ID`, encoded as in
 *   cast-direct.ts (UTF-8 display forms).
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
import type { ReducerOpts, ReducerSpec } from '../mailbox/accum.js';
import { bounceEnvelope } from '../mailbox/undeliverable.js';
import { decodePayload } from '../mailbox/payload.js';
import { Slice } from '../ndslice/slice.js';
import { Selection, type SelectionJSON } from '../selection/selection.js';
import { RoutingFrame, dedupedNextSteps, type RoutingFrameJSON } from '../selection/routing.js';
import { Extent } from '../ndslice/extent.js';
import { CastingError } from './errors.js';
import { castSenderOf, encodeCastPoint } from './cast-direct.js';

const utf8 = new TextEncoder();

/** Header with the receiver's point in the whole actor mesh (`{rank, labels, sizes}`). */
export const CAST_MESH_POINT = 'CAST_MESH_POINT';

export const COMM_ACTOR_TYPE = 'actormesh::CommActor';
export const COMM_ACTOR_NAME = 'comm';

export interface SliceJSON {
  offset: number;
  sizes: number[];
  strides: number[];
}

/** A labelled slice (a region) as plain data. */
export interface RegionJSON {
  labels: string[];
  slice: SliceJSON;
}

/** What a cast carries to every member; built once by the client (cast.ts). */
export interface CastBody {
  /** Actor mesh id (first half of the stream key). */
  meshId: string;
  /** The original sender (second half of the stream key; CAST_ORIGINATING_SENDER). */
  sender: ActorId;
  /** Base actor name; with `perProc > 1` member j of a proc is `${actorName}-${j}`. */
  actorName: string;
  perProc: number;
  /** Root region of the actor mesh (labels + row-major slice from 0). */
  root: RegionJSON;
  /** The region cast to, in root base ranks. */
  cast: RegionJSON;
  /** The user message: type, serialized payload (bindings extracted) and bindings. */
  typeName: string;
  data: Uint8Array;
  bindings: WireBinding[];
}

export type CommMsg =
  | { type: 'comm.mode'; rank: number; peers: ActorId[] }
  | { type: 'comm.cast'; body: CastBody; selection: SelectionJSON }
  | { type: 'comm.forward'; from: number; seq: number; lastSeq: number; frames: RoutingFrameJSON[]; body: CastBody };

export interface CommParams {
  rank?: number;
  peers?: ActorId[];
}

/** Name of the actor at `j` of a proc, for meshes with `perProc` members per proc. */
export function memberName(actorName: string, perProc: number, j: number): string {
  return perProc === 1 ? actorName : `${actorName}-${j}`;
}

type Forward = Extract<CommMsg, { type: 'comm.forward' }>;

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

export class CommActor extends Actor<CommParams, CommMsg> {
  static readonly typeName = COMM_ACTOR_TYPE;
  private rank = -1;
  private peers: ActorId[] = [];
  private queued: CommMsg[] = [];
  /** Root only: next seq per stream. */
  private readonly seqs = new Map<string, number>();
  /** `${stream}\u0000${peer}` → seq of the last message sent to that peer on the stream. */
  private readonly lastSent = new Map<string, number>();
  private readonly streams = new Map<string, StreamState>();
  private readonly portIds = new Map<string, PortId>();
  /** Counters (tests, introspection). */
  readonly stats = { forwarded: 0, delivered: 0, buffered: 0, duplicates: 0, splits: 0 };

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
      throw new CastingError('comm', `invalid comm actor mode: rank ${rank} with ${Array.isArray(peers) ? peers.length : 'no'} peers (expected 0 <= rank < peers)`);
    }
    this.rank = rank;
    this.peers = peers;
  }

  private dispatch(cx: Context, m: CommMsg): void {
    if (this.rank < 0) {
      this.queued.push(m);
      return;
    }
    if (m.type === 'comm.cast') this.onCast(cx, m.body, m.selection);
    else if (m.type === 'comm.forward') this.onForward(cx, m);
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
    this.handleInOrder(cx, stream, m);
    st.handled = m.seq;
    for (let next = st.pending.get(st.handled); next !== undefined; next = st.pending.get(st.handled)) {
      st.pending.delete(st.handled);
      this.handleInOrder(cx, stream, next);
      st.handled = next.seq;
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
      for (const n of dedupedNextSteps(f)) one(n);
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
      const split = splitPort(cx.mailbox, target, {
        reducer: (v[4] ?? undefined) as ReducerSpec | undefined,
        reducerOpts: (v[5] ?? undefined) as ReducerOpts | undefined,
        returnUndeliverable: v[3] !== false,
      });
      this.stats.splits++;
      const nv = v.slice();
      nv[0] = split.actor.key;
      nv[1] = Number(split.index);
      (out ??= bindings.slice())[i] = { tag: b.tag, bytes: encode(nv, 'binding PortRef') };
    }
    return out ?? bindings;
  }

  private deliver(cx: Context, body: CastBody, ranks: number[]): void {
    const c = castCtx(body);
    const proc = cx.proc.id;
    const port = portIndexOf(body.typeName);
    const hasRank = body.bindings.some((b) => b.tag === RANK_TAG);
    for (const base of ranks) {
      const castRank = c.castSlice.index(base);
      const rootRank = c.rootSlice.index(base);
      const headers: Headers = new Map([
        [HEADER.CAST_ORIGINATING_SENDER, c.headerSender],
        [HEADER.CAST_POINT, encodeCastPoint(c.castExtent.pointOfRank(castRank))],
        [CAST_MESH_POINT, encodeCastPoint(c.rootExtent.pointOfRank(rootRank))],
        [HEADER.CAST_ACTOR_MESH_ID, c.headerMesh],
      ]);
      const bindings = hasRank ? body.bindings.map((b) => (b.tag === RANK_TAG ? { tag: b.tag, bytes: encode(castRank) } : b)) : body.bindings;
      const j = base % body.perProc;
      const name = memberName(body.actorName, body.perProc, j);
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

  private ownerOf(baseRank: number, perProc: number): number {
    return Math.floor(baseRank / perProc);
  }

  /**
   * A forward or a delivery bounced: return it to the original sender with a `Multicast` error
   * (spec §6.3); anything else is only logged.
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
