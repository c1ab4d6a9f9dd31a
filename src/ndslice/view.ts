/**
 * The View traits (Monarch ndslice/src/view.rs `View`, `Ranked`, `RankedSliceable`): `View<T>` is anything with a region and an item per rank
 * (Region, Extent, ValueMesh, mesh refs); the ViewExt operations (`range`, `groupBy`, `iter`,
 * `values`) are functions over regions and views so every View shares one implementation.
 *
 * Invariant: a ranged or grouped region is always a subset of its base (checked with the same
 * sorted merge Rust uses, `InvalidRange` otherwise). Steps that Rust panics on (0, or a step that
 * makes the ranged slice invalid) are typed `ViewInvalidStep` errors here.
 */
import { InvalidDim, InvalidRange, ViewEmptyRange, ViewInvalidStep, SliceError } from './errors.js';
import type { Point } from './point.js';
import { Range } from './range.js';
import { Region } from './region.js';
import { Slice } from './slice.js';

export interface View<T> {
  /** The region whose ranks index the items. */
  region(): Region;
  /** Item of view rank `rank`; defined for every rank of the region. */
  get(rank: number): T | undefined;
}

/** A View whose sub-views can be taken (ViewExt.range / groupBy on it return views, not regions). */
export interface SubsettableView<T, V extends View<T> = View<T>> extends View<T> {
  /** The argument must be a subset of `region()` (`InvalidRange` otherwise). */
  subset(region: Region): V;
}

/** Throws `InvalidRange{base, selected}` unless `selected.isSubset(base)`. */
export function checkSubset(base: Region, selected: Region): void {
  if (!selected.isSubset(base)) throw new InvalidRange(base.toString(), selected.toString());
}

function dimOf(region: Region, dim: string): number {
  const i = region.labels.indexOf(dim);
  if (i < 0) throw new InvalidDim(dim);
  return i;
}

/** ViewExt.range on a region: the ranged region, checked to be a subset of `region`. */
export function rangeRegion(region: Region, dim: string, range: Range): Region {
  const i = dimOf(region, dim);
  const s = region.slice;
  const size = s.sizes[i]!;
  const [b, e, step] = range.resolve(size);
  if (e <= b) throw new ViewEmptyRange(range.toString(), dim, size);
  const sizes = s.sizes.slice();
  const strides = s.strides.slice();
  sizes[i] = Math.ceil((e - b) / step);
  strides[i] = strides[i]! * step;
  let slice: Slice;
  try {
    slice = Slice.new(s.offset + s.strides[i]! * b, sizes, strides);
  } catch (err) {
    if (err instanceof SliceError) {
      throw new ViewInvalidStep(dim, step, size, `the ranged slice is invalid (${err.variant}); Rust panics here`, { cause: err });
    }
    throw err;
  }
  const out = new Region(region.labels, slice);
  checkSubset(region, out);
  return out;
}

/** ViewExt.groupBy on a region: one region per prefix coordinate over the dims before `dim`. */
export function groupByRegions(region: Region, dim: string): Region[] {
  const i = dimOf(region, dim);
  const s = region.slice;
  const labels = region.labels.slice(i);
  const sizes = s.sizes.slice(i);
  const strides = s.strides.slice(i);
  const out: Region[] = [];
  for (const prefix of s.dimIter(i)) {
    let off = s.offset;
    for (let k = 0; k < prefix.length; k++) off += prefix[k]! * s.strides[k]!;
    const g = new Region(labels, Slice.new(off, sizes, strides));
    checkSubset(region, g);
    out.push(g);
  }
  return out;
}

/** Sub-view of `view` ranged on `dim`. */
export function rangeView<T, V extends View<T>>(view: SubsettableView<T, V>, dim: string, r: Range | number | readonly [number, (number | null)?, number?]): V {
  return view.subset(rangeRegion(view.region(), dim, Range.from(r)));
}

/** Sub-views of `view` grouped by `dim`. */
export function groupByView<T, V extends View<T>>(view: SubsettableView<T, V>, dim: string): V[] {
  return groupByRegions(view.region(), dim).map((r) => view.subset(r));
}

/** ViewExt.iter: `(point in the view's own extent, item)` in rank order. */
export function* viewIter<T>(view: View<T>): IterableIterator<[Point, T]> {
  const extent = view.region().extent();
  let rank = 0;
  for (const p of extent.points()) yield [p, view.get(rank++) as T];
}

/** ViewExt.values: items for ranks `0..numRanks`. */
export function* viewValues<T>(view: View<T>): IterableIterator<T> {
  const n = view.region().numRanks;
  for (let r = 0; r < n; r++) yield view.get(r) as T;
}
