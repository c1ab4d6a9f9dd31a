/**
 * Client-side cast construction (Monarch hyperactor_mesh/src/v1/actor_mesh.rs `ActorMeshRef::cast`).
 *
 * A cast target is an actor mesh seen through a region: `root` is the whole actor mesh (labels
 * and a row-major slice from 0; with `perProc` members per proc, proc rank p holds actor base
 * ranks `p·perProc … p·perProc + perProc − 1`), `region` the (possibly sliced) part cast to, in
 * root base ranks. The message is serialized once with its bindings extracted; the selection is
 * expressed over the root slice (`reifySlice` for a slice, `ofRanksBalanced` otherwise) and sent as one
 * `comm.cast` to the root comm actor, which numbers it on the stream (mesh id, sender).
 *
 * Invariant: a cast either is handed to the root comm actor whole or throws `CastingError`
 * (bad message, bad region) before anything was sent.
 */
import { ActorId, PortId, type ProcId } from '../core/ids.js';
import { portIndexOf } from '../core/typeinfo.js';
import { encode } from '../core/codec.js';
import { RANK_TAG } from '../core/bindings.js';
import type { Context } from '../actor/instance.js';
import type { Message } from '../actor/actor.js';
import { encodePayload } from '../mailbox/payload.js';
import { HEADER, MessageEnvelope, type WireBinding } from '../mailbox/envelope.js';
import { Region } from '../ndslice/region.js';
import { Slice } from '../ndslice/slice.js';
import { ofRanksBalanced, reifySlice } from '../selection/reify.js';
import type { Selection } from '../selection/selection.js';
import { CAST_MESH_POINT, type CastBody, type CommMsg, type RegionJSON, memberName, routingSteps } from './cast-protocol.js';
import { RoutingFrame, type RoutingFrameJSON } from '../selection/routing.js';
import { CastingError } from './errors.js';
import { encodeCastPoint } from './cast-direct.js';

export interface CastTarget {
  /** Actor mesh id (stream key). */
  readonly meshId: string;
  /** Base actor name of the members. */
  readonly actorName: string;
  /** Members per proc (1 = one actor per proc, as in Monarch). */
  readonly perProc: number;
  /** The whole actor mesh. */
  readonly root: Region;
  /** The region cast to (a subset of `root`, in root base ranks). */
  readonly region: Region;
  /** The root comm actor (rank 0 of the root proc mesh), or undefined to send directly. */
  readonly rootComm: ActorId | undefined;
  /** Proc ids by proc rank (for direct sends). */
  readonly procIds?: readonly ProcId[];
  /**
   * Comm actors by proc rank. When given, the sender itself is the root of its cast stream: it
   * numbers the cast and resolves the root comm actor's routing step, sending one forward per
   * first-level peer (Monarch's client-side seq assignment), which saves a process hop each way.
   */
  readonly peers?: readonly ActorId[];
}

interface SenderStreams {
  /** Stream → last seq assigned. */
  readonly seqs: Map<string, number>;
  /** `${stream}\u0000${peer}` → seq of the last forward sent to that peer. */
  readonly lastSent: Map<string, number>;
}
const senders = new WeakMap<object, SenderStreams>();
const FORWARD_PORT = portIndexOf('comm.forward');

const CAST_PORT = portIndexOf('comm.cast');

function regionJSON(r: Region): RegionJSON {
  return { labels: [...r.labels], slice: r.slice.toJSON() };
}

/** The selection over the root slice that picks exactly `region`'s members. */
export function selectionForRegion(root: Region, region: Region): Selection {
  if (region.slice.numDim === root.slice.numDim) {
    try {
      return reifySlice(root.slice, region.slice);
    } catch {
      /* fall through to explicit ranks */
    }
  }
  return ofRanksBalanced(root.slice, region.slice.iter());
}

/** Serializes `msg` into a cast body for `target` (throws `CastingError`). */
export function castBody(cx: Context, target: CastTarget, msg: Message): CastBody {
  let p: { data: Uint8Array; bindings: readonly WireBinding[] };
  try {
    p = encodePayload(msg, msg.type);
  } catch (e) {
    throw new CastingError(target.meshId, e);
  }
  return {
    meshId: target.meshId,
    sender: cx.self,
    actorName: target.actorName,
    perProc: target.perProc,
    root: regionJSON(target.root),
    cast: regionJSON(target.region),
    typeName: msg.type,
    data: p.data,
    bindings: p.bindings as WireBinding[],
  };
}

/**
 * Casts `msg` to every member of `target.region` through the comm tree. Without a root comm actor
 * it falls back to direct per-member sends (`directCast`).
 */
export function castMessage(cx: Context, target: CastTarget, msg: Message): void {
  if (target.region.numRanks === 0) return;
  if (target.peers === undefined && target.rootComm === undefined) return directCast(cx, target, msg);
  const body = castBody(cx, target, msg);
  let selection: Selection;
  try {
    selection = selectionForRegion(target.root, target.region);
  } catch (e) {
    throw new CastingError(target.meshId, e);
  }
  if (target.peers === undefined) {
    const m: CommMsg = { type: 'comm.cast', body, selection: selection.toJSON() };
    cx.mailbox.sendMessage(new PortId(target.rootComm!, CAST_PORT), 'comm.cast', m);
    return;
  }
  rootStep(cx, target.peers, body, selection);
}

/**
 * The root comm actor's step done by the sender (invariants as in comm-actor.ts): number the cast
 * on the stream (mesh id, sender), expand every frame located on the root proc that is not a
 * delivery, and send each first-level peer its frames with the per-peer `lastSeq`.
 */
function rootStep(cx: Context, peers: readonly ActorId[], body: CastBody, selection: Selection): void {
  const perProc = body.perProc;
  const rootSlice = Slice.new(body.root.slice.offset, body.root.slice.sizes, body.root.slice.strides);
  const frame = RoutingFrame.root(selection, rootSlice);
  const rootProc = Math.floor(frame.location() / perProc);
  const next = new Map<number, RoutingFrameJSON[]>();
  const one = (f: RoutingFrame): void => {
    const owner = Math.floor(f.location() / perProc);
    if (owner !== rootProc || f.deliverHere()) {
      let l = next.get(owner);
      if (l === undefined) next.set(owner, (l = []));
      l.push(f.toJSON());
      return;
    }
    for (const n of routingSteps(f)) one(n);
  };
  one(frame);
  let st = senders.get(cx);
  if (st === undefined) senders.set(cx, (st = { seqs: new Map(), lastSent: new Map() }));
  const stream = `${body.meshId}\u0000${body.sender.key}`;
  const seq = (st.seqs.get(stream) ?? 0) + 1;
  st.seqs.set(stream, seq);
  for (const [peer, frames] of next) {
    const dest = peers[peer];
    if (dest === undefined) throw new CastingError(body.meshId, `no comm actor for proc rank ${peer} (mesh has ${peers.length} procs)`);
    const k = `${stream}\u0000${peer}`;
    const lastSeq = st.lastSent.get(k) ?? 0;
    st.lastSent.set(k, seq);
    const m: CommMsg = { type: 'comm.forward', from: -1, seq, lastSeq, frames, body };
    cx.mailbox.sendMessage(new PortId(dest, FORWARD_PORT), 'comm.forward', m);
  }
}

/**
 * Direct cast (no comm actor): one envelope per member with the same headers and rank rebinding
 * a comm actor would apply. Reply ports are not split (replies go straight to the caller).
 */
export function directCast(cx: Context, target: CastTarget, msg: Message): void {
  const procIds = target.procIds;
  if (procIds === undefined) throw new CastingError(target.meshId, 'no root comm actor and no proc ids to send directly to');
  const body = castBody(cx, target, msg);
  const castSlice = target.region.slice;
  const rootSlice = target.root.slice;
  const port = portIndexOf(msg.type);
  const sender = new TextEncoder().encode(cx.self.key);
  const castExtent = target.region.extent();
  const rootExtent = target.root.extent();
  const meshId = new TextEncoder().encode(target.meshId);
  for (const base of castSlice.iter()) {
    const castRank = castSlice.index(base);
    const procRank = Math.floor(base / target.perProc);
    const proc = procIds[procRank];
    if (proc === undefined) throw new CastingError(target.meshId, `no proc for rank ${procRank}`);
    const headers = new Map([
      [HEADER.CAST_ORIGINATING_SENDER, sender],
      [HEADER.CAST_POINT, encodeCastPoint(castExtent.pointOfRank(castRank))],
      [CAST_MESH_POINT, encodeCastPoint(rootExtent.pointOfRank(rootSlice.index(base)))],
      [HEADER.CAST_ACTOR_MESH_ID, meshId],
    ]);
    const bindings = body.bindings.map((b) => (b.tag === RANK_TAG ? { tag: b.tag, bytes: encode(castRank) } : b));
    const name = memberName(target.actorName, target.perProc, base % target.perProc);
    const dest = new PortId(new ActorId(proc, name, 0), port);
    cx.mailbox.send(new MessageEnvelope(cx.self, dest, body.data, body.typeName, bindings, headers));
  }
}

/** A 0-dimensional region holding one uniformly random member of `region` (Python `choose`). */
export function chooseRegion(region: Region): Region {
  const n = region.numRanks;
  if (n === 0) throw new CastingError('mesh', 'cannot choose a member of an empty region');
  const base = region.slice.get(Math.floor(Math.random() * n));
  return new Region([], Slice.new(base, [], []));
}
