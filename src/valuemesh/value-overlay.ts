/**
 * ValueOverlay<T>: a sparse, partial patch of a value mesh (Monarch hyperactor_mesh/src/v1/value_mesh/value_overlay.rs `ValueOverlay`).
 *
 * Invariant (enforced by `pushRun`/`tryFromRuns`): runs are sorted by `(start, end)`, non-empty,
 * non-overlapping, and touching runs with equal values are coalesced. Region bounds are checked
 * only when the overlay is merged into a mesh. As in Monarch, a push that fails normalization
 * leaves the overlay empty (`ValueOverlay::push_run`): the golden file pins that behaviour.
 */
import { OverlappingRanges, OverlayEmptyRange, checkRank, type RankRange } from './errors.js';
import { mergeValueRuns, type ValueRun } from './rle.js';
import { valueEquals, type Same } from './value-eq.js';

export class ValueOverlay<T> {
  private items: ValueRun<T>[] = [];
  readonly same: Same<T>;

  constructor(same: Same<T> = valueEquals) {
    this.same = same;
  }

  /** Builds an overlay from runs in any order; empty runs, then overlaps, are rejected. */
  static tryFromRuns<T>(runs: Iterable<ValueRun<T> | readonly [number, number, T]>, same: Same<T> = valueEquals): ValueOverlay<T> {
    const items: ValueRun<T>[] = [];
    for (const r of runs) items.push(toRun(r));
    for (const r of items) if (r.end <= r.start) throw new OverlayEmptyRange(r);
    const o = new ValueOverlay<T>(same);
    o.items = normalize(items, same);
    return o;
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }
  /** Number of runs. */
  get length(): number {
    return this.items.length;
  }
  /** The runs, sorted and coalesced (copies). */
  runs(): ValueRun<T>[] {
    return this.items.map((r) => ({ start: r.start, end: r.end, value: r.value }));
  }
  /** The runs without copying; callers must not mutate them. */
  runsView(): readonly ValueRun<T>[] {
    return this.items;
  }

  /**
   * Adds `range → value`. In-order pushes (`start >= last.end`) append or extend the last run in
   * O(1); anything else re-sorts and re-validates the whole overlay.
   */
  pushRun(range: RankRange, value: T): void {
    const start = checkRank('run start', range.start);
    const end = checkRank('run end', range.end);
    if (end <= start) throw new OverlayEmptyRange({ start, end });
    const last = this.items[this.items.length - 1];
    if (last && last.end <= start) {
      if (last.end === start && this.same(last.value, value)) last.end = end;
      else this.items.push({ start, end, value });
      return;
    }
    const all = this.items;
    this.items = [];
    all.push({ start, end, value });
    this.items = normalize(all, this.same);
  }

  equals(other: ValueOverlay<T>): boolean {
    if (this.items.length !== other.items.length) return false;
    for (let i = 0; i < this.items.length; i++) {
      const a = this.items[i]!;
      const b = other.items[i]!;
      if (a.start !== b.start || a.end !== b.end || !this.same(a.value, b.value)) return false;
    }
    return true;
  }
}

function toRun<T>(r: ValueRun<T> | readonly [number, number, T]): ValueRun<T> {
  if (Array.isArray(r)) {
    const t = r as readonly [number, number, T];
    return { start: checkRank('run start', t[0]), end: checkRank('run end', t[1]), value: t[2] };
  }
  const v = r as ValueRun<T>;
  return { start: checkRank('run start', v.start), end: checkRank('run end', v.end), value: v.value };
}

/** Sorts by (start, end), rejects overlaps (`OverlappingRanges`), coalesces touching equal runs. */
export function normalize<T>(runs: ValueRun<T>[], same: Same<T>): ValueRun<T>[] {
  runs.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: ValueRun<T>[] = [];
  let prev: ValueRun<T> | undefined;
  for (const r of runs) {
    if (prev && r.start < prev.end) throw new OverlappingRanges(prev, r);
    const last = out[out.length - 1];
    if (last && last.end === r.start && same(last.value, r.value)) last.end = r.end;
    else out.push({ start: r.start, end: r.end, value: r.value });
    prev = r;
  }
  return out;
}

/**
 * CommReducer for overlays: right-wins merge of the two run lists, re-validated as an overlay.
 * The result stays sparse (gaps kept). Associative, not commutative.
 */
export function reduceOverlays<T>(left: ValueOverlay<T>, right: ValueOverlay<T>): ValueOverlay<T> {
  return ValueOverlay.tryFromRuns(mergeValueRuns(left.runsView(), right.runsView(), left.same), left.same);
}

export const valueOverlayReducer = {
  reduce<T>(left: ValueOverlay<T>, right: ValueOverlay<T>): ValueOverlay<T> {
    return reduceOverlays(left, right);
  },
};
