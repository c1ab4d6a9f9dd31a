/**
 * RankedValues<T>: the legacy interval list carried by spawn/stop errors (Monarch hyperactor_mesh/src/resource.rs `RankedValues`).
 *
 * Invariant: intervals are sorted, non-overlapping and touching equal intervals are coalesced
 * (`append`). `mergeFrom` is true right-wins (other wins on every rank it covers), whereas Monarch's
 * `RankedValues::merge_from` leaves overlapping intervals when a right interval spans several left ones.
 */
import { IncompleteRankedValues, checkRank, type RankRange } from './errors.js';
import { mergeValueRuns, type ValueRun } from './rle.js';
import { Status } from './status.js';
import { TableBuilder, valueEquals, type Same } from './value-eq.js';

export class RankedValues<T> {
  private items: ValueRun<T>[] = [];
  readonly same: Same<T>;

  constructor(intervals: Iterable<ValueRun<T> | readonly [number, number, T]> = [], same: Same<T> = valueEquals) {
    this.same = same;
    for (const r of intervals) {
      const run = Array.isArray(r)
        ? { start: (r as readonly [number, number, T])[0], end: (r as readonly [number, number, T])[1], value: (r as readonly [number, number, T])[2] }
        : (r as ValueRun<T>);
      this.append(run.start, run.end, run.value);
    }
  }

  /** A single interval `rank..rank+1` (Rust `From<(usize, T)>`). */
  static ofRank<T>(rank: number, value: T, same: Same<T> = valueEquals): RankedValues<T> {
    checkRank('rank', rank);
    return new RankedValues<T>([[rank, rank + 1, value]], same);
  }
  /** A single interval (Rust `From<(Range, T)>`). */
  static ofRange<T>(range: RankRange, value: T, same: Same<T> = valueEquals): RankedValues<T> {
    return new RankedValues<T>([[range.start, range.end, value]], same);
  }

  /** Adds an interval after the last one, extending it when touching with an equal value. */
  append(start: number, end: number, value: T): void {
    checkRank('interval start', start);
    checkRank('interval end', end);
    if (end <= start) return;
    const last = this.items[this.items.length - 1];
    if (last && last.end === start && this.same(last.value, value)) last.end = end;
    else this.items.push({ start, end, value });
  }

  intervals(): ValueRun<T>[] {
    return this.items.map((r) => ({ ...r }));
  }

  /** Right-wins merge: every rank `other` covers takes its value. O(I + I'). */
  mergeFrom(other: RankedValues<T>): this {
    this.items = mergeValueRuns(this.items, other.items, this.same);
    return this;
  }

  /** Number of covered ranks `< v`. */
  rank(v: number): number {
    let total = 0;
    for (const r of this.items) if (r.start <= v) total += Math.min(r.end, v) - r.start;
    return total;
  }

  /** Each value repeated over its interval, for ranks `0..until` (all must be covered). */
  *materializedIter(until: number): IterableIterator<T> {
    const covered = this.rank(until);
    if (covered !== until) throw new IncompleteRankedValues(until, covered);
    for (const r of this.items) {
      if (r.start >= until) break;
      for (let k = r.start; k < Math.min(r.end, until); k++) yield r.value;
    }
  }

  private firstWhere(pred: (v: T) => boolean): [number, T] | undefined {
    for (const r of this.items) if (pred(r.value)) return [r.start, r.value];
    return undefined;
  }
  /** `(interval start, status)` of the first interval whose status is terminating. */
  firstTerminating(this: RankedValues<Status>): [number, Status] | undefined {
    return this.firstWhere((s) => s.isTerminating());
  }
  /** `(interval start, status)` of the first interval whose status is a failure. */
  firstFailed(this: RankedValues<Status>): [number, Status] | undefined {
    return this.firstWhere((s) => s.isFailure());
  }

  /** Value → its ranges, values in first-appearance order (Rust's hash-map order is random). */
  invert(): Array<[T, RankRange[]]> {
    const tb = new TableBuilder<T>(this.same);
    const ranges: RankRange[][] = [];
    for (const r of this.items) {
      const id = tb.intern(r.value);
      (ranges[id] ??= []).push({ start: r.start, end: r.end });
    }
    return tb.table.map((v, i) => [v, ranges[i]!]);
  }

  equals(other: RankedValues<T>): boolean {
    const a = this.items;
    const b = other.items;
    return a.length === b.length && a.every((r, i) => r.start === b[i]!.start && r.end === b[i]!.end && this.same(r.value, b[i]!.value));
  }

  /** Display of `invert()`: `value=a..b,c..d;value=…` (deterministic order here). */
  toString(): string {
    return this.invert()
      .map(([v, rs]) => `${String(v)}=${rs.map((r) => `${r.start}..${r.end}`).join(',')}`)
      .join(';');
  }
}

/**
 * `mesh_to_rankedvalues_with_default`: `[(0..len, default)]` with every non-sentinel rank of the
 * mesh merged over it (right wins), so sentinel ranks (e.g. NotExist) become `default` and `len`
 * may exceed the mesh (the tail stays `default`). O(n) instead of Rust's one merge per rank.
 */
export function meshToRankedValuesWithDefault<T>(
  mesh: { values(): T[] },
  defaultValue: T,
  isSentinel: (v: T) => boolean,
  len: number,
  same: Same<T> = valueEquals,
): RankedValues<T> {
  checkRank('len', len);
  const right: ValueRun<T>[] = [];
  mesh.values().forEach((v, i) => {
    if (isSentinel(v)) return;
    const last = right[right.length - 1];
    if (last && last.end === i && same(last.value, v)) last.end = i + 1;
    else right.push({ start: i, end: i + 1, value: v });
  });
  const out = new RankedValues<T>([], same);
  const left: ValueRun<T>[] = len > 0 ? [{ start: 0, end: len, value: defaultValue }] : [];
  for (const r of mergeValueRuns(left, right, same)) out.append(r.start, r.end, r.value);
  return out;
}

/** Status form of the above with sentinel NotExist (what spawn/stop errors carry). */
export function statusesToRankedValues(mesh: { values(): Status[] }, defaultStatus: Status, len: number): RankedValues<Status> {
  return meshToRankedValuesWithDefault(mesh, defaultStatus, (s) => s.isNotExist(), len);
}
