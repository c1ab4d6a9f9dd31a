/**
 * `Region(labels, slice)`: a labelled, possibly strided and offset hyper-rectangle of base ranks
 * (Monarch ndslice/src/view.rs `Region`). Rank `i` of a region is base rank `slice.get(i)`.
 *
 * Invariant: `labels.length == slice.numDim` (Rust checks it only later, by panicking in
 * `extent()`; we reject it at construction with `RegionDimMismatch`). `isSubset` and `remap` keep
 * Rust's sorted-merge semantics (`Region::is_subset`, `Region::remap`: correct only for regions that enumerate base ranks in
 * ascending order; a column-major region is reported as not a subset of its own hull).
 */
import { InvalidPoint, OutOfRangeBaseRank, RegionDimMismatch, RegionSliceError, SliceError } from './errors.js';
import { Extent } from './extent.js';
import { fmtLabel, parseRegionText } from './format.js';
import { sliceKernels } from './kernels.js';
import type { Point } from './point.js';
import { Range } from './range.js';
import { Slice } from './slice.js';
import { checkSubset, groupByRegions, rangeRegion, type View } from './view.js';

export class Region implements View<number> {
  readonly labels: readonly string[];
  readonly slice: Slice;

  constructor(labels: readonly string[], slice: Slice) {
    if (!(slice instanceof Slice)) throw new RegionDimMismatch(labels.length, NaN);
    if (labels.length !== slice.numDim) throw new RegionDimMismatch(labels.length, slice.numDim);
    this.labels = Object.freeze(labels.map((l) => String(l)));
    this.slice = slice;
  }

  /** The full row-major region of an extent. */
  static fromExtent(e: Extent): Region {
    return new Region(e.labels, e.toSlice());
  }

  /** The region of a Shape: its labels and slice. */
  static fromShape(s: { readonly labels: readonly string[]; readonly slice: Slice }): Region {
    return new Region(s.labels, s.slice);
  }

  /** `(labels, slice.sizes)`. */
  extent(): Extent {
    return Extent.new(this.labels, this.slice.sizes);
  }

  get numRanks(): number {
    return this.slice.len;
  }

  /** View: a region is its own region. */
  region(): Region {
    return this;
  }

  /** View item: the base rank of `rank`, undefined past the end. */
  get(rank: number): number | undefined {
    return Number.isSafeInteger(rank) && rank >= 0 && rank < this.numRanks ? this.slice.get(rank) : undefined;
  }

  /** View.subset: returns `region` after checking it is a subset (`InvalidRange` otherwise). */
  subset(region: Region): Region {
    checkSubset(this, region);
    return region;
  }

  /** Base rank of view rank `rank` (`IndexOutOfRange` past the end). */
  baseRank(rank: number): number {
    return this.slice.get(rank);
  }

  /** All base ranks in rank order (one WASM call); a fresh array owned by the caller. */
  baseRanks(): Uint32Array {
    return sliceKernels().enumerate(this.slice);
  }

  /**
   * `baseRanks()` written into `out`, a buffer the caller reuses across calls (no allocation):
   * returns the first `numRanks` words of `out` (`out` itself when the lengths match), or a fresh
   * array without `out`. `BufferTooSmall` when `out` is shorter than `numRanks` (never reallocated).
   */
  baseRanksInto(out?: Uint32Array): Uint32Array {
    return sliceKernels().enumerateInto(this.slice, out);
  }

  /**
   * Zero-copy `baseRanks()`: calls `f` with a view over the WASM kernel's linear memory and returns
   * its result. The view is valid only while `f` runs and must not escape it (the next kernel call
   * reuses the bytes; a memory.grow detaches it): copy what you keep. Kernel calls made inside `f`
   * do not disturb it.
   */
  withBaseRanks<R>(f: (view: Uint32Array) => R): R {
    return sliceKernels().withEnumerate(this.slice, f);
  }

  /** Sorted-merge subset test (QUIRK: assumes ascending enumeration of both regions). */
  isSubset(other: Region): boolean {
    return sliceKernels().isSubset(this.slice, other.slice);
  }

  /** For each rank of `target`, its rank in `this`; null unless `target.isSubset(this)`. */
  remap(target: Region): Uint32Array | null {
    return sliceKernels().remap(this.slice, target.slice);
  }

  /**
   * `remap(target)` written into the caller's reusable `out` (first `target.numRanks` words,
   * returned); null unless `target.isSubset(this)`, and then `out`'s contents are unspecified.
   * `BufferTooSmall` as `baseRanksInto`.
   */
  remapInto(target: Region, out?: Uint32Array): Uint32Array | null {
    return sliceKernels().remapInto(this.slice, target.slice, out);
  }

  /**
   * Zero-copy `remap(target)`: `f` gets a view over WASM linear memory, valid only while `f` runs
   * (same rules as `withBaseRanks`). Returns `f`'s result, or null (without calling `f`) unless
   * `target.isSubset(this)`.
   */
  withRemap<R>(target: Region, f: (view: Uint32Array) => R): R | null {
    return sliceKernels().withRemap(this.slice, target.slice, f);
  }

  /** The point must belong to exactly this region's extent (`InvalidPoint`). */
  baseRankOfPoint(p: Point): number {
    const e = this.extent();
    if (!p.extent.equals(e)) throw new InvalidPoint(`point extent ${p.extent} differs from the region's extent ${e}`);
    return this.slice.location(p.coords());
  }

  /** The point of a member base rank in this region's extent (`OutOfRangeBaseRank`). */
  pointOfBaseRank(b: number): Point {
    const c = this.slice.tryCoordinates(b);
    if (!c) throw new OutOfRangeBaseRank(b, `not a member of ${this}`);
    return this.extent().point(c);
  }

  /** ViewExt.range: restrict `dim` to `r` (composes; checks the result is a subset). */
  range(dim: string, r: Range | number | readonly [number, (number | null)?, number?]): Region {
    return rangeRegion(this, dim, Range.from(r));
  }

  /**
   * Fix `dim` to coordinate `i` and drop the dim (like `Slice.at` / `Shape.at`; use
   * `range(dim, i)` to keep it as size 1). Errors as `range`: `InvalidDim`, `EmptyRange` past the end.
   */
  at(dim: string, i: number): Region {
    const ranged = this.range(dim, Range.index(i));
    const k = this.labels.indexOf(dim);
    const s = ranged.slice;
    return new Region(
      this.labels.filter((_, j) => j !== k),
      Slice.new(
        s.offset,
        s.sizes.filter((_, j) => j !== k),
        s.strides.filter((_, j) => j !== k),
      ),
    );
  }

  /** ViewExt.groupBy: one region per prefix coordinate over the dims before `dim` (leading dims dropped). */
  groupBy(dim: string): Region[] {
    return groupByRegions(this, dim);
  }

  equals(o: Region): boolean {
    if (this === o) return true;
    if (this.labels.length !== o.labels.length) return false;
    for (let i = 0; i < this.labels.length; i++) if (this.labels[i] !== o.labels[i]) return false;
    return this.slice.equals(o.slice);
  }

  /** `[offset+]label=size/stride,…`. */
  toString(): string {
    const s = this.slice;
    const body = this.labels.map((l, i) => `${fmtLabel(l)}=${s.sizes[i]}/${s.strides[i]}`).join(',');
    return s.offset !== 0 ? `${s.offset}+${body}` : body;
  }

  toJSON(): { labels: string[]; slice: { offset: number; sizes: number[]; strides: number[] } } {
    return { labels: this.labels.slice(), slice: this.slice.toJSON() };
  }

  /** Parses the Display form (`ParserError`, or `SliceError` when the slice is invalid). */
  static parse(text: string): Region {
    const p = parseRegionText(text);
    let slice: Slice;
    try {
      slice = Slice.new(p.offset, p.sizes, p.strides);
    } catch (e) {
      if (e instanceof SliceError) throw new RegionSliceError(e);
      throw e;
    }
    return new Region(p.labels, slice);
  }
}
