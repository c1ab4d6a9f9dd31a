/**
 * `waitRankStatus`: Monarch's `GetRankStatus::wait` (hyperactor_mesh/src/resource.rs).
 *
 * Rules: the latest snapshot wins (items are not merged); completion = none of the first
 * `numRanks` ranks is NotExist (Failed/Timeout/Stopped count as reported), checked after every
 * item through the snapshot's NotExist count (O(1) for accumulator states and merged meshes);
 * `maxIdleMs` is an idle timeout re-armed after every item, not a total deadline. On timeout or a
 * closed source the result is not ok and `statuses` has every still-NotExist rank replaced by
 * `Timeout(elapsed)`. Invariant: when the returned promise settles no timer of this call is
 * pending and the source iterator has been released.
 */
import type { Region } from '../ndslice/index.js';
import { checkRank, ValueMeshError } from './errors.js';
import { Status, StatusCode } from './status.js';
import { StatusMesh, StatusOverlay, type StatusSnapshot } from './status-mesh.js';

/** A channel receiver: `recv()` resolves to the next item, or null/undefined once closed. */
export interface SnapshotReceiver<T> {
  recv(): Promise<T | null | undefined>;
}

export type WaitSource = AsyncIterable<StatusSnapshot> | SnapshotReceiver<StatusSnapshot>;

export interface WaitResult {
  ok: boolean;
  /** `complete`: no NotExist rank left; `timeout`: idle for maxIdleMs; `closed`: source ended. */
  reason: 'complete' | 'timeout' | 'closed';
  /** The latest snapshot as received (all NotExist if nothing arrived). */
  snapshot: StatusMesh;
  /** `snapshot` with NotExist ranks replaced by `Timeout(elapsed)` when not ok. */
  statuses: StatusMesh;
  /** Items received. */
  updates: number;
  elapsedMs: number;
}

export class InvalidWaitArgument extends ValueMeshError {
  readonly argument: string;
  constructor(argument: string, detail: string) {
    super('InvalidWaitArgument', `waitRankStatus: invalid ${argument}: ${detail}`);
    this.argument = argument;
  }
}

function isReceiver(x: WaitSource): x is SnapshotReceiver<StatusSnapshot> {
  return typeof (x as SnapshotReceiver<StatusSnapshot>).recv === 'function';
}

/** Replaces NotExist ranks by `fill`. */
export function fillNotExist(mesh: StatusMesh, fill: Status): StatusMesh {
  const out = mesh.clone();
  if (out.countNotExist() === 0) return out;
  const o = new StatusOverlay();
  for (const r of mesh.runs()) if (r.value.code === StatusCode.NotExist) o.pushRun(r, fill);
  return out.mergeFromOverlay(o);
}

/**
 * The synchronous core of the wait loop: latest snapshot wins, completion after each offer.
 * `waitRankStatus` drives it from a source with an idle timer.
 */
export class WaitLoop {
  private latest: StatusSnapshot;
  updates = 0;
  constructor(
    region: Region,
    readonly numRanks: number,
  ) {
    checkRank('numRanks', numRanks);
    this.latest = StatusMesh.fromSingle(region, Status.NotExist);
  }
  /** Takes the next snapshot; true when none of the first `numRanks` ranks is NotExist. */
  offer(snapshot: StatusSnapshot): boolean {
    this.latest = snapshot;
    this.updates++;
    return snapshot.countNotExist(this.numRanks) === 0;
  }
  /** The outcome; when not complete, NotExist ranks become `Timeout(elapsedMs)` in `statuses`. */
  finish(reason: WaitResult['reason'], elapsedMs: number): WaitResult {
    const snapshot = this.latest.toStatusMesh();
    const statuses = reason === 'complete' ? snapshot : fillNotExist(snapshot, Status.timeout(elapsedMs));
    return { ok: reason === 'complete', reason, snapshot, statuses, updates: this.updates, elapsedMs };
  }
}

export async function waitRankStatus(source: WaitSource, numRanks: number, maxIdleMs: number, region: Region): Promise<WaitResult> {
  const loop = new WaitLoop(region, numRanks);
  if (typeof maxIdleMs !== 'number' || !(maxIdleMs >= 0) || !Number.isFinite(maxIdleMs)) {
    throw new InvalidWaitArgument('maxIdleMs', `expected a finite number >= 0, got ${String(maxIdleMs)}`);
  }
  const t0 = performance.now();
  const iter = isReceiver(source) ? undefined : source[Symbol.asyncIterator]();
  const next = async (): Promise<StatusSnapshot | undefined> => {
    if (iter) {
      const r = await iter.next();
      return r.done ? undefined : r.value;
    }
    return (await (source as SnapshotReceiver<StatusSnapshot>).recv()) ?? undefined;
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  let fire: (() => void) | undefined;
  const idle = new Promise<'timeout'>((resolve) => {
    fire = () => resolve('timeout');
  });
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire!, maxIdleMs);
  };

  let reason: WaitResult['reason'];
  try {
    arm();
    for (;;) {
      const got = await Promise.race([
        next().then(
          (v) => ({ v }),
          () => ({ v: undefined }),
        ),
        idle,
      ]);
      if (got === 'timeout') {
        reason = 'timeout';
        break;
      }
      if (got.v === undefined) {
        reason = 'closed';
        break;
      }
      arm();
      if (loop.offer(got.v)) {
        reason = 'complete';
        break;
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    timer = undefined;
  }
  if (iter && reason !== 'closed' && typeof iter.return === 'function') {
    // release the source without waiting on a possibly pending next()
    void Promise.resolve()
      .then(() => iter.return!())
      .catch(() => undefined);
  }
  return loop.finish(reason, performance.now() - t0);
}
