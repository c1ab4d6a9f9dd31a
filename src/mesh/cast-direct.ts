/**
 * Direct casting (Monarch hyperactor_mesh/src/v1/actor_mesh.rs `ActorMeshRef::cast`, the path without a root comm actor): one envelope per destination,
 * sent straight from the caller, with every `Rank` binding rewritten to the destination's rank
 * and the cast headers `CAST_POINT` (the destination's point in the cast region) and
 * `CAST_ORIGINATING_SENDER` (the caller) set.
 *
 * `ProcMeshRef` casts to its agents through `castDirect` until a comm-actor tree exists; the comm
 * tree (src/mesh/comm-actor.ts) replaces it by swapping the `MeshCaster` a mesh uses.
 *
 * Invariants: the message is serialized once; only the `Rank` bindings are re-encoded per
 * destination. Headers are encoded as UTF-8 text (`Point` display form, actor id key) and read
 * back with `castPointOf` / `castSenderOf`.
 */
import type { ActorId } from '../core/ids.js';
import { parseActorId } from '../core/ids.js';
import { encode, encodeMessage } from '../core/codec.js';
import { RANK_TAG } from '../core/bindings.js';
import type { Message } from '../actor/actor.js';
import type { Context } from '../actor/instance.js';
import { portIndexOf } from '../core/typeinfo.js';
import { PortId } from '../core/ids.js';
import { HEADER, type Headers, MessageEnvelope, NO_BINDINGS, type WireBinding } from '../mailbox/envelope.js';
import { toWire } from '../mailbox/payload.js';
import { Point } from '../ndslice/index.js';
import { CastingError } from './errors.js';

/** One destination of a cast: the actor and its point in the cast region. */
export interface CastDestination {
  readonly actorId: ActorId;
  readonly point: Point;
}

/** Options of a cast. */
export interface CastOptions {
  /** false: envelopes that cannot be delivered are dropped instead of returned to the caller. */
  readonly returnUndeliverable?: boolean;
}

/** How a mesh delivers a message to every member of a (sliced) mesh. */
export type MeshCaster = (cx: Context, meshName: string, targets: readonly CastDestination[], msg: Message, opts?: CastOptions) => void;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** `CAST_POINT` header value of a point. */
export function encodeCastPoint(p: Point): Uint8Array {
  return utf8.encode(p.toString());
}

/** The cast point of the message being handled, if it was cast. */
export function castPointOf(headers: Headers): Point | undefined {
  const v = headers.get(HEADER.CAST_POINT);
  return v === undefined ? undefined : Point.parse(utf8d.decode(v));
}

/** The original sender of the cast being handled, if it was cast. */
export function castSenderOf(headers: Headers): ActorId | undefined {
  const v = headers.get(HEADER.CAST_ORIGINATING_SENDER);
  return v === undefined ? undefined : parseActorId(utf8d.decode(v));
}

/**
 * Sends `msg` to every target's handler port for `msg.type`, rank-rebound and with cast headers.
 * Throws `CastingError` if the message cannot be serialized.
 */
export function castDirect<M extends Message>(cx: Context, meshName: string, targets: readonly CastDestination[], msg: M, opts: CastOptions = {}): void {
  const type = msg.type;
  let data: Uint8Array;
  let wire: readonly WireBinding[];
  const rankSlots: number[] = [];
  try {
    const enc = encodeMessage(msg, type);
    data = enc.data;
    wire = enc.bindings.length === 0 ? NO_BINDINGS : toWire(enc.bindings);
    for (let i = 0; i < enc.bindings.length; i++) if (enc.bindings[i]!.tag === RANK_TAG) rankSlots.push(i);
  } catch (e) {
    throw new CastingError(meshName, e);
  }
  const index = portIndexOf(type);
  const sender = utf8.encode(cx.self.key);
  for (const t of targets) {
    let bindings = wire;
    if (rankSlots.length > 0) {
      const b = wire.slice();
      const bytes = encode(t.point.rank, `binding ${RANK_TAG}`);
      for (const i of rankSlots) b[i] = { tag: RANK_TAG, bytes };
      bindings = b;
    }
    const headers = new Map<string, Uint8Array>([
      [HEADER.CAST_POINT, encodeCastPoint(t.point)],
      [HEADER.CAST_ORIGINATING_SENDER, sender],
    ]);
    const env = new MessageEnvelope(cx.self, new PortId(t.actorId, index), data, type, bindings, headers);
    if (opts.returnUndeliverable === false) env.returnUndeliverable = false;
    cx.mailbox.send(env);
  }
}
