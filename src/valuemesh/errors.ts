/**
 * Typed errors of the value-mesh layer (Monarch hyperactor_mesh/src/v1/value_mesh/value_overlay.rs `BuildError`, ndslice/src/view.rs `ViewError`),
 * and the base of Monarch's `v1::Error` (`MeshError`).
 *
 * Invariant: `variant` is the Rust variant name and its payload fields are own properties.
 * Ranges in payloads are plain `{start, end}` objects (half-open), as Rust serializes
 * `Range<usize>`. `kind` is the Rust enum: `MeshError` (v1::Error) for cardinality, `BuildError`
 * (value_mesh::BuildError) for overlays and merges; `ValueMeshError` holds this layer's own
 * checks (rank values, statuses, ranked values, accumulators, waits).
 */
import { ActormeshError } from '../base/errors.js';

type ErrorOptions = { cause?: unknown };

/**
 * Variants of `MeshError`: Monarch's `v1::Error` (hyperactor_mesh/src/v1.rs) and the mesh and API
 * layers' own (`ReservedEndpointName`, `EndpointError`, the usage errors, supervision).
 */
export type MeshErrorVariant =
  // v1::Error
  | 'InvalidRankCardinality'
  | 'UnroutableMesh'
  | 'ConfigurationError'
  | 'CallError'
  | 'SendingError'
  | 'CastingError'
  | 'InvalidMeshArgument'
  | 'NotExist'
  | 'ActorSpawnError'
  | 'ActorStopError'
  | 'ControllerActorSpawnError'
  | 'ActorTypeNotRegistered'
  // endpoints and casts
  | 'ReservedEndpointName'
  | 'EndpointError'
  | 'CastUndeliverable'
  | 'NoEndpoints'
  | 'InvalidRank'
  | 'InvalidTimeout'
  | 'NoReducer'
  | 'CallOneOnMany'
  | 'UnboundMeshRef'
  // supervision
  | 'SupervisionError'
  | 'MeshStopped'
  // the user API (src/api)
  | 'InvalidSlice'
  | 'SpawnInWorker'
  | 'InvalidHosts'
  | 'ProcMeshStopped'
  | 'InvalidPerProc'
  | 'NotOwned'
  | 'NoProcAgent'
  | 'ProcStopped';

/**
 * An error of meshes (Monarch's `v1::Error`). Defined here, below the mesh layer, because value
 * meshes are part of Monarch's v1 and their builders fail with `v1::Error::InvalidRankCardinality`.
 */
export class MeshError extends ActormeshError<'MeshError', MeshErrorVariant> {
  constructor(variant: MeshErrorVariant, message: string, options?: ErrorOptions) {
    super('MeshError', variant, message, options);
  }
}

/** Variants of `BuildError` (Monarch value_mesh::BuildError). */
export type BuildErrorVariant = 'OutOfBounds' | 'EmptyRange' | 'OverlappingRanges';

/** An overlay's runs do not fit the mesh they are merged into. */
export class BuildError extends ActormeshError<'BuildError', BuildErrorVariant> {
  constructor(variant: BuildErrorVariant, message: string, options?: ErrorOptions) {
    super('BuildError', variant, message, options);
  }
}

/** Variants of `ValueMeshError` (ours: where Monarch's types make these states unrepresentable or assert). */
export type ValueMeshErrorVariant =
  'InvalidRankValue' | 'InvalidStatus' | 'IncompleteRankedValues' | 'StateDisposed' | 'ReducerOperandMismatch' | 'InvalidWaitArgument';

/** A rank, status, accumulator operand or wait argument this layer cannot take. */
export class ValueMeshError extends ActormeshError<'ValueMeshError', ValueMeshErrorVariant> {
  constructor(variant: ValueMeshErrorVariant, message: string, options?: ErrorOptions) {
    super('ValueMeshError', variant, message, options);
  }
}

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
export class InvalidRankCardinality extends MeshError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, detail?: string) {
    super('InvalidRankCardinality', `invalid rank cardinality: expected ${expected}, got ${actual}${detail ? ` (${detail})` : ''}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** An overlay run reaches past the mesh it is merged into (`range.end > region_len`). */
export class OutOfBounds extends BuildError {
  readonly range: RankRange;
  readonly region_len: number;
  constructor(range: RankRange, regionLen: number) {
    super('OutOfBounds', `overlay run ${fmtRange(range)} is out of bounds: expected every run to end at or before the region's ${regionLen} ranks`);
    this.range = { start: range.start, end: range.end };
    this.region_len = regionLen;
  }
}

/** An overlay run with `end <= start`. */
export class OverlayEmptyRange extends BuildError {
  readonly range: RankRange;
  constructor(range: RankRange) {
    super('EmptyRange', `empty overlay run ${fmtRange(range)}: expected start < end`);
    this.range = { start: range.start, end: range.end };
  }
}

/** Two overlay runs overlap after sorting by `(start, end)`. */
export class OverlappingRanges extends BuildError {
  readonly prev: RankRange;
  readonly next: RankRange;
  constructor(prev: RankRange, next: RankRange) {
    super('OverlappingRanges', `overlapping overlay runs ${fmtRange(prev)} and ${fmtRange(next)}: expected disjoint runs`);
    this.prev = { start: prev.start, end: prev.end };
    this.next = { start: next.start, end: next.end };
  }
}

/** A rank, bound or count that is not a non-negative integer below 2^32. */
export class InvalidRankValue extends ValueMeshError {
  readonly what: string;
  readonly value: unknown;
  constructor(what: string, value: unknown) {
    super('InvalidRankValue', `${what} must be an integer in 0..2^32, got ${String(value)}`);
    this.what = what;
    this.value = value;
  }
}

/** A value that does not decode as a Status (Monarch hyperactor_mesh/src/resource.rs `Status`, serde). */
export class InvalidStatus extends ValueMeshError {
  readonly value: unknown;
  constructor(value: unknown, detail: string) {
    let shown: string;
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      shown = String(value);
    }
    super(
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
export class IncompleteRankedValues extends ValueMeshError {
  readonly until: number;
  readonly covered: number;
  constructor(until: number, covered: number) {
    super('IncompleteRankedValues', `ranked values cover ${covered} of the ranks below ${until}: expected every rank 0..${until} to be covered`);
    this.until = until;
    this.covered = covered;
  }
}

/** A status accumulation state used after `dispose()`. */
export class StateDisposed extends ValueMeshError {
  constructor(what: string) {
    super('StateDisposed', `${what} was used after dispose(): expected a live state (create a new one)`);
  }
}

/** A numeric reducer/accumulator got operands of different kinds (number vs bigint) or non-numbers. */
export class ReducerOperandMismatch extends ValueMeshError {
  readonly left: string;
  readonly right: string;
  constructor(left: unknown, right: unknown) {
    super('ReducerOperandMismatch', `cannot combine a ${typeof left} with a ${typeof right}: expected two numbers or two bigints`);
    this.left = typeof left;
    this.right = typeof right;
  }
}
