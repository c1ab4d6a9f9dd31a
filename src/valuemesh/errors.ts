/**
 * Typed errors of the value-mesh layer (Monarch hyperactor_mesh/src/v1/value_mesh/value_overlay.rs `BuildError`, ndslice/src/view.rs `ViewError`).
 *
 * Invariant: `variant` is the Rust variant name and its payload fields are own properties.
 * Ranges in payloads are plain `{start, end}` objects (half-open), as Rust serializes
 * `Range<usize>`. `kind` is the Rust enum: `MeshError` (v1::Error) for cardinality, `BuildError`
 * (value_mesh::BuildError) for overlays and merges.
 */
import { ActormeshError } from '../errors.js';

/** A half-open rank interval as it appears in error payloads. */
export interface RankRange {
  start: number;
  end: number;
}

function fmtRange(r: RankRange): string {
  return `${r.start}..${r.end}`;
}

/**
 * A builder got the wrong number of ranks. `actual` means, per builder (as Monarch's builders fill it): the value count
 * (dense builders), the number of distinct ranks seen or offending rank + 1 (indexed builders),
 * 0 / end / later start (`fromRangesWithDefault`).
 */
export class InvalidRankCardinality extends ActormeshError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, detail?: string) {
    super('MeshError', 'InvalidRankCardinality', `invalid rank cardinality: expected ${expected}, got ${actual}${detail ? ` (${detail})` : ''}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** An overlay run reaches past the mesh it is merged into (`range.end > region_len`). */
export class OutOfBounds extends ActormeshError {
  readonly range: RankRange;
  readonly region_len: number;
  constructor(range: RankRange, regionLen: number) {
    super(
      'BuildError',
      'OutOfBounds',
      `overlay run ${fmtRange(range)} is out of bounds: expected every run to end at or before the region's ${regionLen} ranks`,
    );
    this.range = { start: range.start, end: range.end };
    this.region_len = regionLen;
  }
}

/** An overlay run with `end <= start`. */
export class OverlayEmptyRange extends ActormeshError {
  readonly range: RankRange;
  constructor(range: RankRange) {
    super('BuildError', 'EmptyRange', `empty overlay run ${fmtRange(range)}: expected start < end`);
    this.range = { start: range.start, end: range.end };
  }
}

/** Two overlay runs overlap after sorting by `(start, end)`. */
export class OverlappingRanges extends ActormeshError {
  readonly prev: RankRange;
  readonly next: RankRange;
  constructor(prev: RankRange, next: RankRange) {
    super('BuildError', 'OverlappingRanges', `overlapping overlay runs ${fmtRange(prev)} and ${fmtRange(next)}: expected disjoint runs`);
    this.prev = { start: prev.start, end: prev.end };
    this.next = { start: next.start, end: next.end };
  }
}

/** A rank, bound or count that is not a non-negative integer below 2^32. */
export class InvalidRankValue extends ActormeshError {
  readonly what: string;
  readonly value: unknown;
  constructor(what: string, value: unknown) {
    super('MeshError', 'InvalidRankValue', `${what} must be an integer in 0..2^32, got ${String(value)}`);
    this.what = what;
    this.value = value;
  }
}

/** A value that does not decode as a Status (Monarch hyperactor_mesh/src/resource.rs `Status`, serde). */
export class InvalidStatus extends ActormeshError {
  readonly value: unknown;
  constructor(value: unknown, detail: string) {
    let shown: string;
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = String(value);
    }
    super(
      'StatusError',
      'InvalidStatus',
      `invalid status ${shown}: ${detail}; expected "NotExist"|"Initializing"|"Running"|"Stopping"|"Stopped"|{"Failed": string}|{"Timeout": {secs, nanos}}`,
    );
    this.value = value;
  }
}

/** Checks that `v` is an integer in `0..2^32` (ranks, run bounds). */
export function checkRank(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidRankValue(what, v);
  return v;
}

/** `RankedValues.materializedIter(until)` on intervals that do not cover `0..until` (Rust asserts). */
export class IncompleteRankedValues extends ActormeshError {
  readonly until: number;
  readonly covered: number;
  constructor(until: number, covered: number) {
    super(
      'RankedValuesError',
      'IncompleteRankedValues',
      `ranked values cover ${covered} of the ranks below ${until}: expected every rank 0..${until} to be covered`,
    );
    this.until = until;
    this.covered = covered;
  }
}

/** A status accumulation state used after `dispose()`. */
export class StateDisposed extends ActormeshError {
  constructor(what: string) {
    super('MeshError', 'StateDisposed', `${what} was used after dispose(): expected a live state (create a new one)`);
  }
}

/** A numeric reducer/accumulator got operands of different kinds (number vs bigint) or non-numbers. */
export class ReducerOperandMismatch extends ActormeshError {
  readonly left: string;
  readonly right: string;
  constructor(left: unknown, right: unknown) {
    super('AccumError', 'ReducerOperandMismatch', `cannot combine a ${typeof left} with a ${typeof right}: expected two numbers or two bigints`);
    this.left = typeof left;
    this.right = typeof right;
  }
}
