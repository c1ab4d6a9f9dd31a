/**
 * Point-to-point casting of endpoint messages (Monarch's `V1_CAST_POINT_TO_POINT_THRESHOLD`):
 * an actor mesh with at most `CAST_POINT_TO_POINT_THRESHOLD` members is cast to with one
 * envelope per member, straight from the sender, instead of through the comm tree.
 *
 * A `CastPlan` is what a cast to one (mesh, region) needs, computed once and reused by every
 * later cast to the same region: each member's actor id and handler port per endpoint, its rank
 * in the cast region and its point texts. Plans are cached per mesh runtime (bounded).
 *
 * Wire form of a point-to-point endpoint message (`ep:<name>`, a plain envelope: no headers, no
 * bindings, so it takes the channels' hand-laid fast layout and route sharing):
 *   `{type, mode, r, p, q, s, reply, c, args}` — `r` the member's rank in the cast region, `p`
 *   its cast point text, `q` its point in the whole mesh (`''` when equal to `p`), `s` the
 *   originating sender (an `ActorRef`), `reply` the caller's reply port (reply-collector.ts) and
 *   `c` the call id (0 and null for a broadcast). Replies `[c, …]` go straight back to the
 *   caller. Everything before `c` is fixed per (member, endpoint, mode, caller), so it is encoded
 *   once (`headsOf`) and each cast writes only the call id and the arguments
 *   (docs/architecture.md MESH-3).
 *
 * Invariants:
 * - The mode (point to point or tree) is a property of the mesh (its total member count), never
 *   of a slice: every cast on one stream (mesh, sender) takes the same path, and the channel
 *   from the sender to each member's proc is FIFO, so every member sees a stream's casts in the
 *   order they were sent without sequence numbers (docs/architecture.md MESH-1).
 * - Messages whose arguments hold bindable values (`Rank`, port refs) are not sent this way (the
 *   caller falls back to the rank-rebinding direct cast with headers, cast.ts `directCast`).
 */
import { ActorId, PortId, type ProcId } from '../core/ids.js';
import { CAST_POINT_TO_POINT_THRESHOLD, config } from '../core/config.js';
import { portIndexOf } from '../core/typeinfo.js';
import { type MessagePrefix, messagePrefix } from '../core/codec.js';
import type { ActorRef, OncePortRef } from '../actor/refs.js';
import type { Region } from '../ndslice/region.js';
import { memberName } from './cast-protocol.js';
import { CastingError } from './errors.js';

let thresholdVersion = -1;
let thresholdValue = 0;

/** Whether a mesh of `numMembers` members is cast to point to point (see the invariants). */
export function castsPointToPoint(numMembers: number): boolean {
  if (config.version !== thresholdVersion) {
    thresholdValue = config.get(CAST_POINT_TO_POINT_THRESHOLD);
    thresholdVersion = config.version;
  }
  return numMembers <= thresholdValue;
}

/** The members of one (mesh, region) and what a point-to-point cast needs of each. */
export class CastPlan {
  /** Members in region order (cast rank i is `actorIds[i]`). */
  readonly actorIds: readonly ActorId[];
  /** Cast point text of each member (`Point.toString()` in the cast region). */
  readonly castPoints: readonly string[];
  /** Point text of each member in the whole mesh, `''` where equal to its cast point. */
  readonly meshPoints: readonly string[];
  private readonly ports = new Map<string, PortId[]>();

  constructor(meshName: string, procIds: readonly ProcId[], perProc: number, root: Region, region: Region) {
    const n = region.numRanks;
    const ids = new Array<ActorId>(n);
    const cps = new Array<string>(n);
    const mps = new Array<string>(n);
    const castExtent = region.extent();
    const rootExtent = root.extent();
    const rootSlice = root.slice;
    let i = 0;
    for (const base of region.slice.iter()) {
      const proc = procIds[Math.floor(base / perProc)];
      if (proc === undefined) throw new CastingError(meshName, `base rank ${base} has no proc (the mesh has ${procIds.length} procs)`);
      ids[i] = new ActorId(proc, memberName(meshName, perProc, base % perProc), 0);
      const cp = castExtent.pointOfRank(i).toString();
      const mp = rootExtent.pointOfRank(rootSlice.index(base)).toString();
      cps[i] = cp;
      mps[i] = mp === cp ? '' : mp;
      i++;
    }
    this.actorIds = ids;
    this.castPoints = cps;
    this.meshPoints = mps;
  }

  get size(): number {
    return this.actorIds.length;
  }

  /**
   * A point-to-point endpoint message to member `i` (wire form above). Keys are in a fixed order
   * with the per-call values last, so `headsOf` can encode everything before them once.
   */
  message(
    i: number,
    type: string,
    mode: number,
    sender: ActorRef<any>,
    reply: OncePortRef<unknown> | null,
    callId: number,
    args: unknown[],
  ): Record<string, unknown> {
    return { type, mode, r: i, p: this.castPoints[i]!, q: this.meshPoints[i]!, s: sender, reply, c: callId, args };
  }

  /**
   * Each member's encoded message head (everything but the call id and the arguments) for one
   * (type, mode, sender, reply port), made once (`undefined` where the head cannot be
   * pre-encoded: the message is then encoded whole).
   */
  headsOf(type: string, mode: number, sender: ActorRef<any>, reply: OncePortRef<unknown> | null): (MessagePrefix | undefined)[] {
    const key = `${type}\u0000${mode}`;
    const h = this.heads.get(key);
    if (h !== undefined && h.sender === sender && h.reply === reply) return h.heads;
    const heads = this.actorIds.map((_, i) =>
      messagePrefix(this.message(i, type, mode, sender, reply, undefined as unknown as number, undefined as unknown as unknown[]), 2),
    );
    if (this.heads.size >= 64) this.heads.clear();
    this.heads.set(key, { sender, reply, heads });
    return heads;
  }
  private readonly heads = new Map<string, { sender: ActorRef<any>; reply: OncePortRef<unknown> | null; heads: (MessagePrefix | undefined)[] }>();

  /** Each member's handler port for message type `typeName`, in region order (cached). */
  portsOf(typeName: string): PortId[] {
    let p = this.ports.get(typeName);
    if (p === undefined) {
      const index = portIndexOf(typeName);
      p = this.actorIds.map((a) => new PortId(a, index));
      if (this.ports.size >= 64) this.ports.clear();
      this.ports.set(typeName, p);
    }
    return p;
  }
}

/** Plans of one mesh runtime by region, bounded (oldest dropped). */
export class CastPlanCache {
  private readonly plans = new Map<string, CastPlan>();
  private lastRegion: Region | undefined;
  private lastPlan: CastPlan | undefined;
  constructor(
    private readonly meshName: string,
    private readonly procIds: readonly ProcId[],
    private readonly perProc: number,
    private readonly root: Region,
    private readonly limit = 256,
  ) {}

  /** The plan of `region` (a subset of the root region, in root base ranks). */
  get(region: Region): CastPlan {
    if (region === this.lastRegion) return this.lastPlan!;
    const key = `${region.labels.join('\u0000')}|${region.slice.offset}|${region.slice.sizes.join(',')}|${region.slice.strides.join(',')}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = new CastPlan(this.meshName, this.procIds, this.perProc, this.root, region);
      if (this.plans.size >= this.limit) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    this.lastRegion = region;
    this.lastPlan = plan;
    return plan;
  }
}
