/**
 * ValueMesh<T>: a complete map rank → value over a Region (Monarch hyperactor_mesh/src/v1/value_mesh.rs `ValueMesh`).
 *
 * Representation: `Dense` (one value per rank, rank order) or `Compressed` (a table plus id runs).
 * Invariant of Compressed runs: non-empty, sorted, gap-free, non-overlapping and covering exactly
 * `0..numRanks` (for 0 ranks: no runs and an empty table). `mergeFromOverlay` keeps it because the
 * merge is true right-wins (see rle.ts). Semantics are representation-independent except `equals`,
 * which, like Rust's derived equality, compares the region and the representation structurally.
 */
import { Extent, Region, viewIter, rangeView, checkSubset, type Point, type Range, type View } from '../ndslice/index.js';
import { InvalidRankCardinality, OutOfBounds, checkRank } from './errors.js';
import { mergeValueRuns, rleFromDense, rleFromValueRuns, type IdRun, type ValueRun } from './rle.js';
import { TableBuilder, valueEquals, type Same } from './value-eq.js';
import type { ValueOverlay } from './value-overlay.js';

export type MeshRep<T> = { readonly kind: 'dense'; values: T[] } | { readonly kind: 'compressed'; table: T[]; runs: IdRun[] };

export interface ValueMeshJson<T> {
  region: ReturnType<Region['toJSON']>;
  rep: { rep: 'dense'; values: T[] } | { rep: 'compressed'; table: T[]; runs: IdRun[] };
}

export class ValueMesh<T> implements View<T> {
  private reg: Region;
  private repr: MeshRep<T>;
  /** Value equality used for run coalescing and table de-duplication. */
  readonly same: Same<T>;

  private constructor(region: Region, rep: MeshRep<T>, same: Same<T>) {
    this.reg = region;
    this.repr = rep;
    this.same = same;
  }

  // ------------------------------------------------------------------ constructors

  /** Region `r = 0` (one dim of size 0, zero ranks), Dense `[]`. */
  static empty<T>(same: Same<T> = valueEquals): ValueMesh<T> {
    return new ValueMesh<T>(Region.fromExtent(Extent.new(['r'], [0])), { kind: 'dense', values: [] }, same);
  }

  /** Dense mesh; `values.length` must equal `region.numRanks` (`InvalidRankCardinality`). */
  static new<T>(region: Region, values: readonly T[], same: Same<T> = valueEquals): ValueMesh<T> {
    const n = region.numRanks;
    if (values.length !== n) throw new InvalidRankCardinality(n, values.length, 'one value per rank');
    return new ValueMesh<T>(region, { kind: 'dense', values: values.slice() }, same);
  }

  /** Dense mesh without the length check (the caller guarantees it). */
  static newUnchecked<T>(region: Region, values: T[], same: Same<T> = valueEquals): ValueMesh<T> {
    return new ValueMesh<T>(region, { kind: 'dense', values }, same);
  }

  /** Alias of `new` (Rust `build_dense`). */
  static buildDense<T>(region: Region, values: readonly T[], same: Same<T> = valueEquals): ValueMesh<T> {
    return ValueMesh.new(region, values, same);
  }

  /** Compressed `table=[v]`, `runs=[(0..n, 0)]`; for zero ranks table and runs are empty. */
  static fromSingle<T>(region: Region, value: T, same: Same<T> = valueEquals): ValueMesh<T> {
    const n = region.numRanks;
    if (n === 0) return new ValueMesh<T>(region, { kind: 'compressed', table: [], runs: [] }, same);
    return new ValueMesh<T>(region, { kind: 'compressed', table: [value], runs: [{ start: 0, end: n, id: 0 }] }, same);
  }

  /** `fromSingle(region, defaultValue)` (Rust `from_default` with `T::default()` given explicitly). */
  static fromDefault<T>(region: Region, defaultValue: T, same: Same<T> = valueEquals): ValueMesh<T> {
    return ValueMesh.fromSingle(region, defaultValue, same);
  }

  /** `new` then `compress` (always ends Compressed, one table entry per run). */
  static fromDense<T>(region: Region, values: readonly T[], same: Same<T> = valueEquals): ValueMesh<T> {
    return ValueMesh.new(region, values, same).compress();
  }

  /**
   * Compressed mesh: `defaultValue` everywhere except the given `[start, end, value]` ranges.
   * Validation (input order): empty range → `{n, 0}`, `end > n` → `{n, end}`; after sorting by
   * (start, end), overlap → `{n, later start}`. The default gets table id 0 even if unused;
   * adjacent equal overrides are not coalesced. Zero ranks → empty Compressed (ranges ignored).
   */
  static fromRangesWithDefault<T>(
    region: Region,
    defaultValue: T,
    ranges: Iterable<ValueRun<T> | readonly [number, number, T]>,
    same: Same<T> = valueEquals,
  ): ValueMesh<T> {
    const n = region.numRanks;
    if (n === 0) return new ValueMesh<T>(region, { kind: 'compressed', table: [], runs: [] }, same);
    const rs: ValueRun<T>[] = [];
    for (const r of ranges) {
      const run = Array.isArray(r)
        ? { start: (r as readonly [number, number, T])[0], end: (r as readonly [number, number, T])[1], value: (r as readonly [number, number, T])[2] }
        : { ...(r as ValueRun<T>) };
      checkRank('range start', run.start);
      checkRank('range end', run.end);
      if (run.end <= run.start) throw new InvalidRankCardinality(n, 0, `empty range ${run.start}..${run.end}`);
      if (run.end > n) throw new InvalidRankCardinality(n, run.end, `range ${run.start}..${run.end} past the end`);
      rs.push(run);
    }
    rs.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < rs.length; i++) {
      const a = rs[i - 1]!;
      const b = rs[i]!;
      if (a.end > b.start) throw new InvalidRankCardinality(n, b.start, `ranges ${a.start}..${a.end} and ${b.start}..${b.end} overlap`);
    }
    const tb = new TableBuilder<T>(same);
    const dflt = tb.intern(defaultValue);
    const runs: IdRun[] = [];
    let at = 0;
    for (const r of rs) {
      if (at < r.start) runs.push({ start: at, end: r.start, id: dflt });
      runs.push({ start: r.start, end: r.end, id: tb.intern(r.value) });
      at = r.end;
    }
    if (at < n) runs.push({ start: at, end: n, id: dflt });
    return new ValueMesh<T>(region, { kind: 'compressed', table: tb.table, runs }, same);
  }

  /**
   * Dense mesh from `(rank, value)` pairs in any order. Duplicates: last write wins. A rank `>= n`
   * → `InvalidRankCardinality{n, rank + 1}` at the first such pair; missing ranks →
   * `{n, distinct ranks seen}`.
   */
  static buildIndexed<T>(region: Region, pairs: Iterable<readonly [number, T]>, same: Same<T> = valueEquals): ValueMesh<T> {
    const n = region.numRanks;
    const values = new Array<T>(n);
    const seen = new Uint8Array(n);
    let distinct = 0;
    for (const [rank, v] of pairs) {
      if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 0) checkRank('rank', rank);
      if (rank >= n) throw new InvalidRankCardinality(n, rank + 1, `rank ${rank} is out of bounds`);
      if (!seen[rank]) {
        seen[rank] = 1;
        distinct++;
      }
      values[rank] = v;
    }
    if (distinct !== n) throw new InvalidRankCardinality(n, distinct, 'some ranks are missing');
    return new ValueMesh<T>(region, { kind: 'dense', values }, same);
  }

  // ------------------------------------------------------------------ view

  region(): Region {
    return this.reg;
  }
  get numRanks(): number {
    return this.reg.numRanks;
  }
  extent(): Extent {
    return this.reg.extent();
  }
  /** The representation (read-only use). */
  get rep(): MeshRep<T> {
    return this.repr;
  }
  get isCompressed(): boolean {
    return this.repr.kind === 'compressed';
  }

  /** Value at `rank`, undefined when `rank >= numRanks`. Compressed: binary search, O(log R). */
  get(rank: number): T | undefined {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.reg.numRanks) return undefined;
    const rep = this.repr;
    if (rep.kind === 'dense') return rep.values[rank];
    const runs = rep.runs;
    let lo = 0;
    let hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = runs[mid]!;
      if (rank < r.start) hi = mid - 1;
      else if (rank >= r.end) lo = mid + 1;
      else return rep.table[r.id];
    }
    return undefined;
  }

  /** Values for ranks `0..numRanks`, O(n). */
  values(): T[] {
    const rep = this.repr;
    if (rep.kind === 'dense') return rep.values.slice();
    const out = new Array<T>(this.reg.numRanks);
    for (const r of rep.runs) {
      const v = rep.table[r.id]!;
      for (let k = r.start; k < r.end; k++) out[k] = v;
    }
    return out;
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values()[Symbol.iterator]();
  }

  /** `(point in the mesh's own extent, value)` in rank order. */
  iter(): IterableIterator<[Point, T]> {
    return viewIter<T>(this);
  }

  /** Dense mesh over `sub` (a subset of the region): each rank takes its parent rank's value. */
  sliced(sub: Region): ValueMesh<T> {
    const map = this.reg.remap(sub);
    if (!map) {
      checkSubset(this.reg, sub); // throws InvalidRange{base, selected}
      throw new InvalidRankCardinality(this.reg.numRanks, sub.numRanks, 'sub-region is not a subset');
    }
    const parent = this.repr.kind === 'dense' ? this.repr.values : this.values();
    const out = new Array<T>(map.length);
    for (let i = 0; i < map.length; i++) out[i] = parent[map[i]!]!;
    return new ValueMesh<T>(sub, { kind: 'dense', values: out }, this.same);
  }

  /** View.subset: `sliced` after the subset check. */
  subset(sub: Region): ValueMesh<T> {
    return this.sliced(sub);
  }

  /** ViewExt.range: the mesh restricted to `dim ∈ r`, re-indexed `0..m` (Dense). */
  range(dim: string, r: Range | number | readonly [number, (number | null)?, number?]): ValueMesh<T> {
    return rangeView<T, ValueMesh<T>>(this, dim, r);
  }

  // ------------------------------------------------------------------ representation changes

  /** `compressAdjacentInPlace`: no-op if Compressed; else one run (and table entry) per block. */
  compress(): this {
    if (this.repr.kind === 'dense') {
      const { table, runs } = rleFromDense(this.repr.values, this.same);
      this.repr = { kind: 'compressed', table, runs };
    }
    return this;
  }

  /** `(range, value)` per maximal block (Dense: coalesced scan; Compressed: one per run). */
  materializedRuns(): ValueRun<T>[] {
    const rep = this.repr;
    if (rep.kind === 'compressed') return rep.runs.map((r) => ({ start: r.start, end: r.end, value: rep.table[r.id]! }));
    return rleFromDense(rep.values, this.same).runs.map((r) => ({ start: r.start, end: r.end, value: rep.values[r.start]! }));
  }

  /**
   * Right-wins merge of `overlay` into this mesh. Any run ending past `numRanks` →
   * `OutOfBounds{range, region_len}` and nothing changes. Afterwards the mesh is always
   * Compressed with a globally de-duplicated table (first-appearance order).
   */
  mergeFromOverlay(overlay: ValueOverlay<T>): this {
    const n = this.reg.numRanks;
    const right = overlay.runsView();
    for (const r of right) if (r.end > n) throw new OutOfBounds(r, n);
    const merged = mergeValueRuns(this.materializedRuns(), right, this.same);
    const { table, runs } = rleFromValueRuns(merged, this.same);
    this.repr = { kind: 'compressed', table, runs };
    return this;
  }

  /** Mesh over the same region with `f` applied to every value (Dense). */
  map<U>(f: (v: T, rank: number) => U, same: Same<U> = valueEquals): ValueMesh<U> {
    return new ValueMesh<U>(this.reg, { kind: 'dense', values: this.values().map(f) }, same);
  }

  /** A copy with its own representation arrays (values are shared). */
  clone(): ValueMesh<T> {
    const rep = this.repr;
    const copy: MeshRep<T> =
      rep.kind === 'dense'
        ? { kind: 'dense', values: rep.values.slice() }
        : { kind: 'compressed', table: rep.table.slice(), runs: rep.runs.map((r) => ({ ...r })) };
    return new ValueMesh<T>(this.reg, copy, this.same);
  }

  /** Replaces region and representation by a copy of `other`'s (accumulator template step). */
  assign(other: ValueMesh<T>): this {
    const c = other.clone();
    this.reg = c.reg;
    this.repr = c.repr;
    return this;
  }

  /** Rust derived equality: same region and structurally equal representation. */
  equals(other: ValueMesh<T>): boolean {
    if (!(other instanceof ValueMesh) || !this.reg.equals(other.reg)) return false;
    const a = this.repr;
    const b = other.repr;
    if (a.kind !== b.kind) return false;
    if (a.kind === 'dense' && b.kind === 'dense') return sameArray(a.values, b.values, this.same);
    if (a.kind === 'compressed' && b.kind === 'compressed') {
      if (!sameArray(a.table, b.table, this.same) || a.runs.length !== b.runs.length) return false;
      return a.runs.every((r, i) => r.start === b.runs[i]!.start && r.end === b.runs[i]!.end && r.id === b.runs[i]!.id);
    }
    return false;
  }

  /** Serde shape: `{region, rep: {rep: "dense", values} | {rep: "compressed", table, runs}}`. */
  toJSON(): ValueMeshJson<T> {
    const rep = this.repr;
    return {
      region: this.reg.toJSON(),
      rep:
        rep.kind === 'dense'
          ? { rep: 'dense', values: rep.values.slice() }
          : { rep: 'compressed', table: rep.table.slice(), runs: rep.runs.map((r) => ({ ...r })) },
    };
  }

  toString(): string {
    return `ValueMesh(${this.reg.toString()}, ${this.repr.kind})`;
  }
}

function sameArray<T>(a: readonly T[], b: readonly T[], same: Same<T>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i]!, b[i]!)) return false;
  return true;
}
