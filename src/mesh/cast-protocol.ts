/**
 * The cast protocol (Monarch hyperactor_mesh/src/comm/multicast.rs, hyperactor_mesh/src/comm.rs): what a cast carries from its sender through the
 * comm actors to every member, the messages comm actors exchange, the headers a delivered cast
 * carries, how members of a proc are named, and the counting reducer of endpoint `reduce`.
 *
 * Invariants: a `CastBody` is built once by the sender (cast.ts) and shared, unchanged, by every
 * hop; `checkBody`/`checkForward` are the only shape checks a relay applies before routing (the
 * user payload is decoded only by the receiving actor).
 */
import { ActorId } from '../core/ids.js';
import type { WireBinding } from '../mailbox/envelope.js';
import { type ReducerSpec, reducerOf, registerReducer } from '../mailbox/accum.js';
import type { SelectionJSON } from '../selection/selection.js';
import { type RoutingFrame, type RoutingFrameJSON, dedupedNextSteps } from '../selection/routing.js';
import { CastingError } from './errors.js';

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

export type Forward = Extract<CommMsg, { type: 'comm.forward' }>;

/** Name of the counting reducer used by endpoint `reduce` (registered below). */
export const COUNTED_REDUCER = 'actormesh::counted';

/** `[count, value]` updates: counts add up, values reduce with the inner reducer (`params.inner`). */
registerReducer<[number, unknown]>(COUNTED_REDUCER, (params) => {
  const inner = reducerOf<unknown>((params as { inner: ReducerSpec }).inner);
  return { reduce: (a, b) => [a[0] + b[0], inner.reduce(a[1], b[1])] };
});

function isRegionJSON(r: unknown): boolean {
  const o = r as RegionJSON | null;
  return typeof o === 'object' && o !== null && Array.isArray(o.labels) && typeof o.slice === 'object' && o.slice !== null;
}

/** Shape check of a cast body (the payload itself is only decoded by the receiving actor). */
export function checkBody(b: unknown): asserts b is CastBody {
  const o = b as CastBody | null;
  if (typeof o !== 'object' || o === null) throw new CastingError('comm', 'expected a cast body object');
  if (typeof o.meshId !== 'string' || !(o.sender instanceof ActorId) || typeof o.actorName !== 'string' || typeof o.typeName !== 'string') {
    throw new CastingError(String(o.meshId), 'cast body needs meshId, sender (ActorId), actorName and typeName');
  }
  if (!Number.isSafeInteger(o.perProc) || o.perProc < 1) throw new CastingError(o.meshId, `perProc must be a positive integer, got ${String(o.perProc)}`);
  if (!isRegionJSON(o.root) || !isRegionJSON(o.cast)) throw new CastingError(o.meshId, 'cast body needs root and cast regions {labels, slice}');
  if (!(o.data instanceof Uint8Array) || !Array.isArray(o.bindings)) throw new CastingError(o.meshId, 'cast body needs data bytes and a bindings list');
}

export function checkForward(m: Forward): void {
  if (!Number.isSafeInteger(m.seq) || m.seq < 1 || !Number.isSafeInteger(m.lastSeq) || m.lastSeq < 0 || m.lastSeq >= m.seq) {
    throw new CastingError('comm', `forward needs integer seq >= 1 and 0 <= lastSeq < seq, got seq ${String(m.seq)}, lastSeq ${String(m.lastSeq)}`);
  }
  if (!Array.isArray(m.frames)) throw new CastingError('comm', 'forward needs a frames list');
  checkBody(m.body);
}

/**
 * Next steps of a frame, deduplicated (Rust `get_next_steps`) only where duplicates can arise: a
 * union or intersection residual. `all`/`range`/`true`/`any` expand to distinct coordinates, so
 * the dedup keys (normalized selections, the costly part) are skipped for them.
 */
export function routingSteps(f: RoutingFrame): RoutingFrame[] {
  const k = f.selection.kind;
  return k === 'union' || k === 'intersection' ? dedupedNextSteps(f) : f.nextSteps();
}
