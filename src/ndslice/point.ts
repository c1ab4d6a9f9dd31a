/**
 * `Point(rank, extent)`: one position of an extent (Monarch ndslice/src/view.rs `Point`). Only the rank is
 * stored; coordinates are recomputed by successive division.
 *
 * Invariant: `0 <= rank < extent.numRanks` (enforced by the `Extent` factories, the only callers
 * of `ofRank`). Equality compares the rank and the whole extent.
 */
import { CoordOutOfRange } from './errors.js';
import { fmtLabel, parsePointText } from './format.js';
import { Extent } from './extent.js';

export class Point {
  readonly rank: number;
  readonly extent: Extent;

  private constructor(rank: number, extent: Extent) {
    this.rank = rank;
    this.extent = extent;
  }

  /** Internal: `rank` must already be checked against `extent`. Use `extent.point`/`pointOfRank`. */
  static ofRank(rank: number, extent: Extent): Point {
    return new Point(rank, extent);
  }

  coords(): number[] {
    const sizes = this.extent.sizes;
    const out = new Array<number>(sizes.length);
    let stride = this.extent.numRanks;
    let rank = this.rank;
    for (let i = 0; i < sizes.length; i++) {
      stride /= sizes[i]!;
      out[i] = Math.floor(rank / stride);
      rank %= stride;
    }
    return out;
  }

  /** Coordinate on axis `i` (Rust panics past the dims; we throw `CoordOutOfRange`). */
  coord(i: number): number {
    const d = this.extent.len;
    if (!Number.isSafeInteger(i) || i < 0 || i >= d) throw new CoordOutOfRange(i, d);
    return this.coords()[i]!;
  }

  get len(): number {
    return this.extent.len;
  }

  equals(o: Point): boolean {
    return this.rank === o.rank && this.extent.equals(o.extent);
  }

  /** `x=1/4,y=2/5` (labels quoted when needed; empty for 0-d). */
  toString(): string {
    const c = this.coords();
    return this.extent.labels.map((l, i) => `${fmtLabel(l)}=${c[i]}/${this.extent.sizes[i]}`).join(',');
  }

  /** Python-dict form `{'x': 1/2, 'y': 2/3}`; labels are never escaped. */
  formatAsDict(): string {
    const c = this.coords();
    return `{${this.extent.labels.map((l, i) => `'${l}': ${c[i]}/${this.extent.sizes[i]}`).join(', ')}}`;
  }

  /** Parses the Display form; empty text is the unity point. */
  static parse(text: string): Point {
    const p = parsePointText(text);
    return Extent.new(p.labels, p.sizes).point(p.coords);
  }
}
