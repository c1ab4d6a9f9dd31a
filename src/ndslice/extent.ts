/**
 * `Extent(labels, sizes)`: named dimensions with sizes (Monarch ndslice/src/view.rs `Extent`).
 *
 * Invariants: `labels.length == sizes.length`; sizes are non-negative safe integers. Duplicate
 * labels and zero sizes are accepted (as in Rust). A 0-d extent (`unity`) has exactly one rank, and
 * `isEmpty` means 0-d, not "no ranks".
 */
import { checkNat } from './range.js';
import { ExtentDimMismatch, InvalidExtentArgument, OutOfRangeIndex, OutOfRangeRank, OverlappingLabel, PointDimMismatch, ReorderedLabel } from './errors.js';
import { fmtLabel } from './format.js';
import { Slice } from './slice.js';
import { Point } from './point.js';
import { Region } from './region.js';

const INTEGER_LIKE = /^(0|[1-9][0-9]*)$/;

export class Extent {
  readonly labels: readonly string[];
  readonly sizes: readonly number[];

  private constructor(labels: string[], sizes: number[]) {
    this.labels = Object.freeze(labels);
    this.sizes = Object.freeze(sizes);
  }

  /** Checks only that the counts agree (`DimMismatch{num_labels, num_sizes}`). */
  static new(labels: readonly string[], sizes: readonly number[]): Extent {
    if (!Array.isArray(labels)) throw new InvalidExtentArgument('Extent.new labels', 'an array of labels', labels);
    if (!Array.isArray(sizes)) throw new InvalidExtentArgument('Extent.new sizes', 'an array of sizes', sizes);
    if (labels.length !== sizes.length) throw new ExtentDimMismatch(labels.length, sizes.length);
    return new Extent(
      labels.map((l) => String(l)),
      sizes.map((s, i) => checkNat(`size of ${JSON.stringify(labels[i])}`, s)),
    );
  }

  /** The primary form: ordered `[label, size]` pairs (the TS twin of `extent!(x = 2, y = 3)`). */
  static of(pairs: ReadonlyArray<readonly [string, number]>): Extent {
    if (!Array.isArray(pairs)) throw new InvalidExtentArgument('Extent.of', '[label, size] pairs (Extent.from takes an object)', pairs);
    for (const p of pairs) if (!Array.isArray(p) || p.length !== 2) throw new InvalidExtentArgument('Extent.of', 'a [label, size] pair', p);
    return Extent.new(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    );
  }

  /**
   * Convenience for object literals, whose key order is the written order only for
   * non-integer-like keys: JS moves integer-like keys (`"0"`, `"12"`) first, so they are rejected
   * with `ReorderedLabel` (use `Extent.of` for those).
   */
  static from(obj: Record<string, number>): Extent {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidExtentArgument('Extent.from', 'an object of label: size', obj);
    const keys = Object.keys(obj);
    for (const k of keys) if (INTEGER_LIKE.test(k)) throw new ReorderedLabel(k);
    return Extent.new(
      keys,
      keys.map((k) => obj[k]!),
    );
  }

  /** The 0-dimensional extent: no labels, one rank. */
  static unity(): Extent {
    return new Extent([], []);
  }

  /** Π sizes (1 for 0-d, 0 when a size is 0). */
  get numRanks(): number {
    let n = 1;
    for (const s of this.sizes) n *= s;
    return n;
  }
  get len(): number {
    return this.labels.length;
  }
  /** 0-d (exactly one rank). */
  get isEmpty(): boolean {
    return this.labels.length === 0;
  }

  position(label: string): number | undefined {
    const i = this.labels.indexOf(label);
    return i < 0 ? undefined : i;
  }
  size(label: string): number | undefined {
    const i = this.position(label);
    return i === undefined ? undefined : this.sizes[i];
  }

  /** Row-major rank of coordinates; the last offending axis is reported (reverse scan). */
  rankOfCoords(coords: readonly number[]): number {
    if (coords.length !== this.sizes.length) throw new PointDimMismatch(this.sizes.length, coords.length);
    let rank = 0;
    let mul = 1;
    for (let i = coords.length - 1; i >= 0; i--) {
      const c = checkNat('coordinate', coords[i]);
      if (c >= this.sizes[i]!) throw new OutOfRangeIndex(this.sizes[i]!, c);
      rank += c * mul;
      mul *= this.sizes[i]!;
    }
    return rank;
  }

  point(coords: readonly number[]): Point {
    return Point.ofRank(this.rankOfCoords(coords), this);
  }

  pointOfRank(rank: number): Point {
    checkNat('rank', rank);
    const total = this.numRanks;
    if (rank >= total) throw new OutOfRangeRank(total, rank);
    return Point.ofRank(rank, this);
  }

  /** Points in rank order (one for 0-d, none when a size is 0). */
  *points(): IterableIterator<Point> {
    const n = this.numRanks;
    for (let r = 0; r < n; r++) yield Point.ofRank(r, this);
  }

  /** Labels and sizes of `this` then `other`; `OverlappingLabel` names the first label of `other` found in `this`. */
  concat(other: Extent): Extent {
    for (const l of other.labels) if (this.labels.includes(l)) throw new OverlappingLabel(l);
    return new Extent([...this.labels, ...other.labels], [...this.sizes, ...other.sizes]);
  }

  /** Row-major slice of the sizes. */
  toSlice(): Slice {
    return Slice.rowMajor(this.sizes);
  }

  /** The full row-major region (Extent as a View whose items are its ranks). */
  region(): Region {
    return Region.fromExtent(this);
  }
  /** View item: the rank itself, for ranks of the extent. */
  get(rank: number): number | undefined {
    return Number.isSafeInteger(rank) && rank >= 0 && rank < this.numRanks ? rank : undefined;
  }

  equals(o: Extent): boolean {
    if (this === o) return true;
    if (this.labels.length !== o.labels.length) return false;
    for (let i = 0; i < this.labels.length; i++) {
      if (this.labels[i] !== o.labels[i] || this.sizes[i] !== o.sizes[i]) return false;
    }
    return true;
  }

  /** `{x: 4, y: 5}`; labels quoted when not plain identifiers. */
  toString(): string {
    return `{${this.labels.map((l, i) => `${fmtLabel(l)}: ${this.sizes[i]}`).join(', ')}}`;
  }

  toJSON(): { labels: string[]; sizes: number[] } {
    return { labels: this.labels.slice(), sizes: this.sizes.slice() };
  }
}
