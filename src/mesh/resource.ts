/**
 * The resource protocol (Monarch hyperactor_mesh/src/resource.rs): the messages a mesh agent
 * understands for the resources (actors) it manages by name, and the state it reports.
 *
 * - `CreateOrUpdate{name, rank, spec}` is idempotent by name (an existing name is a no-op).
 *   `rank` is a `Rank` binding: a cast rewrites it to each receiver's rank.
 * - `Stop{name}` keeps the entry, marked stopped. `StopAll{}` never replies.
 * - `GetRankStatus{name, reply}` answers a single-rank `StatusOverlay` `[rank..rank+1) → status`,
 *   or an **empty** overlay for an unknown name (quirk kept: unknown shows up as a timeout).
 * - `GetState{name, reply}` answers `State{name, status, state?}`.
 *
 * Message `type`s name the agent's handler ports (same index in every process).
 */
import type { ActorId } from '../core/ids.js';
import { Rank } from '../core/bindings.js';
import { isRegisteredTag, registerCodecClass } from '../core/codec.js';
import type { OncePortRef, PortRef } from '../actor/refs.js';
import { Status, type StatusOverlay } from '../valuemesh/index.js';
import '../mailbox/status-accum.js'; // registers the StatusOverlay codec class and reducer

export { Rank };

// Status values travel inside State replies: make the codec revive them as Status objects.
const STATUS_TAG = 'valuemesh.Status';
if (!isRegisteredTag(STATUS_TAG)) {
  registerCodecClass<Status>({
    tag: STATUS_TAG,
    Class: Status as unknown as abstract new (...args: never[]) => Status,
    toValue: (s) => s.toJSON(),
    fromValue: (v) => Status.fromJSON(v),
  });
}

/** What to spawn: a registered actor type and its serialized params. */
export interface ActorSpec {
  readonly actorType: string;
  readonly paramsData: Uint8Array;
}

/** Create the named resource on the receiving agent (no-op if the name exists). */
export interface CreateOrUpdate {
  readonly type: 'CreateOrUpdate';
  readonly name: string;
  /** Rewritten to the receiver's rank by the cast. */
  readonly rank: Rank;
  readonly spec: ActorSpec;
}

/** Stop the named resource (kept, marked stopped). */
export interface Stop {
  readonly type: 'Stop';
  readonly name: string;
}

/** Stop everything, then exit the process (child procs) or just destroy (in-process procs). */
export interface StopAll {
  readonly type: 'StopAll';
}

/** A human-readable, serializable supervision event recorded by an agent. */
export interface SupervisionEventInfo {
  readonly actorId: string;
  /** `Failed` for failures; `Stopped` for the synthetic events padded in by `actorStates`. */
  readonly status: 'Failed' | 'Stopped';
  readonly message: string;
}

/** The state of an actor resource on one rank. */
export interface ActorState {
  readonly actorId: ActorId;
  readonly createRank: number;
  readonly supervisionEvents: SupervisionEventInfo[];
}

/** `State<S>` reply of `GetState`. */
export interface State<S> {
  readonly name: string;
  readonly status: Status;
  readonly state: S | undefined;
  /** The rank the question was cast to (the asker's rank space; padded states carry it too). */
  readonly rank?: number | undefined;
}

/** Ask for the full state of a resource. */
export interface GetState {
  readonly type: 'GetState';
  readonly name: string;
  readonly reply: PortRef<State<ActorState>> | OncePortRef<State<ActorState>>;
  /** Rewritten to the receiver's rank by the cast; echoed in the reply. */
  readonly rank?: Rank;
}

/** Ask for a single-rank status overlay of a resource (empty overlay if unknown). */
export interface GetRankStatus {
  readonly type: 'GetRankStatus';
  readonly name: string;
  readonly reply: PortRef<StatusOverlay>;
  /**
   * Rewritten to the receiver's rank by the cast. When present the overlay is keyed by it (the
   * asker's rank space, right on slices too); otherwise by the resource's create rank.
   */
  readonly rank?: Rank;
}

/** Every message of the resource protocol. */
export type ResourceMessage = CreateOrUpdate | Stop | StopAll | GetState | GetRankStatus;

/** `State` display: `name: Running` / `name: Failed(x) [2 events]`. */
export function displayState(s: State<ActorState>): string {
  const ev = s.state?.supervisionEvents.length ?? 0;
  return `${s.name}: ${s.status}${ev ? ` [${ev} supervision event${ev === 1 ? '' : 's'}]` : ''}`;
}
