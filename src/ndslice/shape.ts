/**
 * `Shape(labels, slice)`: the v0 twin of Region, used by the comm-actor cast path and `select!`
 * (Monarch ndslice/src/shape.rs `Shape`).
 *
 * Invariant: `labels.length == slice.numDim` (`DimSliceMismatch`). `select` keeps every dim,
 * `at` removes one, `selectIter` keeps the leading dims as size 1 (unlike `groupBy`).
 */
import { DimSliceMismatch, IndexOutOfRange, InvalidLabels, OutOfRange, ShapeEmptyRange, ShapeSliceError, SliceError } from './errors.js';
import { parseShapeText } from './format.js';
import { Range, checkNat } from './range.js';
import { Slice } from './slice.js';

function wrapSlice<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SliceError) throw new ShapeSliceError(e);
    throw e;
  }
}

export class Shape {
  readonly labels: readonly string[];
  readonly slice: Slice;

  private constructor(labels: string[], slice: Slice) {
    this.labels = Object.freeze(labels);
    this.slice = slice;
  }

  static new(labels: readonly string[], slice: Slice): Shape {
    if (labels.length !== slice.numDim) throw new DimSliceMismatch(labels.length, slice.numDim);
    return new Shape(
      labels.map((l) => String(l)),
      slice,
    );
  }

  /** Row-major shape from ordered `[label, size]` pairs (the TS twin of `shape!`). */
  static of(pairs: ReadonlyArray<readonly [string, number]>): Shape {
    return Shape.new(
      pairs.map((p) => p[0]),
      Slice.rowMajor(pairs.map((p) => p[1])),
    );
  }

  static unity(): Shape {
    return new Shape([], Slice.rowMajor([]));
  }

  private dim(label: string): number {
    const i = this.labels.indexOf(label);
    if (i < 0) throw new InvalidLabels([label]);
    return i;
  }

  /** Restrict `label` to `range` (end clamped; begin past the end → `OutOfRange`; empty → `EmptyRange`). */
  select(label: string, range: Range | number | readonly [number, (number | null)?, number?]): Shape {
    const r = Range.from(range);
    const dim = this.dim(label);
    const size = this.slice.sizes[dim]!;
    const [b, e, s] = r.resolve(size);
    if (b >= size) throw new OutOfRange(r.toString(), label, size);
    if (e <= b) throw new ShapeEmptyRange(r.toString());
    return new Shape(
      this.labels.slice(),
      wrapSlice(() => this.slice.select(dim, b, e, s)),
    );
  }

  /** Fix `label` to `i` and remove the dim. */
  at(label: string, i: number): Shape {
    checkNat('index', i);
    const dim = this.dim(label);
    const size = this.slice.sizes[dim]!;
    if (i >= size) throw new OutOfRange(Range.index(i).toString(), label, size);
    return new Shape(
      this.labels.filter((_, k) => k !== dim),
      wrapSlice(() => this.slice.at(dim, i)),
    );
  }

  /** Successive `at`. */
  index(pairs: ReadonlyArray<readonly [string, number]>): Shape {
    let s: Shape = this;
    for (const [l, i] of pairs) s = s.at(l, i);
    return s;
  }

  /** For every coordinate prefix over the first `k` dims, the shape with those dims selected to size 1. */
  selectIter(k: number): Shape[] {
    const d = this.labels.length;
    if (!Number.isSafeInteger(k) || k <= 0 || k >= d) throw new ShapeSliceError(new IndexOutOfRange(k, d));
    return this.slice.dimIter(k).map((prefix) => {
      let s: Shape = this;
      prefix.forEach((c, i) => (s = s.select(this.labels[i]!, Range.index(c))));
      return s;
    });
  }

  /** `[label, coord]` pairs of a **base** rank. */
  coordinates(baseRank: number): [string, number][] {
    const c = wrapSlice(() => this.slice.coordinates(baseRank));
    return this.labels.map((l, i) => [l, c[i]!]);
  }

  equals(o: Shape): boolean {
    return this.labels.length === o.labels.length && this.labels.every((l, i) => l === o.labels[i]) && this.slice.equals(o.slice);
  }

  /** `{label=size,…}`; labels are never quoted. */
  toString(): string {
    return `{${this.labels.map((l, i) => `${l}=${this.slice.sizes[i]}`).join(',')}}`;
  }

  toJSON(): { labels: string[]; slice: { offset: number; sizes: number[]; strides: number[] } } {
    return { labels: this.labels.slice(), slice: this.slice.toJSON() };
  }

  static parse(text: string): Shape {
    const p = parseShapeText(text);
    return new Shape(p.labels, Slice.rowMajor(p.sizes));
  }
}
