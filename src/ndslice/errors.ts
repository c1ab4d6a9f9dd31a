/**
 * Typed errors of the ndslice layer: one class per Rust error variant (Monarch ndslice/src/slice.rs `SliceError`, view.rs `ExtentError`, `PointError`, `ViewError`,
 * shape.rs `ShapeError`).
 *
 * Invariant: `kind` is the Rust enum (`SliceError`, `ExtentError`, `PointError`, `ViewError`,
 * `RegionError`, `ShapeError`, `PointParseError`, `RegionParseError`), `variant` the Rust variant
 * name, and the variant's payload fields are own properties. Where Rust panics (step 0, a step that
 * makes the ranged slice invalid, `coord(i)` past the dims, ranks that do not fit in u32) we throw
 * a typed error with a variant name of our own (`InvalidStep`, `CoordOutOfRange`, `RankOverflow`).
 */
import { ActormeshError } from '../errors.js';

// ---------------------------------------------------------------- SliceError

export class InvalidDims extends ActormeshError {
  readonly expected: number;
  readonly got: number;
  constructor(expected: number, got: number) {
    super('SliceError', 'InvalidDims', `invalid dimensions: expected ${expected}, got ${got}`);
    this.expected = expected;
    this.got = got;
  }
}

export class NonrectangularShape extends ActormeshError {
  constructor() {
    super('SliceError', 'NonrectangularShape', 'nonrectangular shape: after sorting, every stride must be a multiple of the previous one');
  }
}

export class NonuniqueStrides extends ActormeshError {
  constructor() {
    super('SliceError', 'NonuniqueStrides', 'nonunique strides: two dimensions of size > 1 share a stride');
  }
}

export class StrideTooSmall extends ActormeshError {
  readonly stride: number;
  readonly space: number;
  constructor(stride: number, space: number) {
    super('SliceError', 'StrideTooSmall', `stride ${stride} is smaller than the space ${space} spanned by the smaller strides (expected a stride >= ${space})`);
    this.stride = stride;
    this.space = space;
  }
}

export class IndexOutOfRange extends ActormeshError {
  readonly index: number;
  readonly total: number;
  constructor(index: number, total: number) {
    super('SliceError', 'IndexOutOfRange', `index out of range: ${index} (expected < ${total})`);
    this.index = index;
    this.total = total;
  }
}

export class DimensionOutOfRange extends ActormeshError {
  readonly dim: number;
  readonly ndims: number;
  constructor(dim: number, ndims: number) {
    super('SliceError', 'DimensionOutOfRange', `dimension ${dim} out of range (the slice has ${ndims} dimensions)`);
    this.dim = dim;
    this.ndims = ndims;
  }
}

export class SliceEmptyRange extends ActormeshError {
  readonly begin: number;
  readonly end: number;
  readonly step: number;
  constructor(begin: number, end: number, step: number) {
    super('SliceError', 'EmptyRange', `empty range ${begin}..${end} step ${step} (expected end > begin)`);
    this.begin = begin;
    this.end = end;
    this.step = step;
  }
}

export class ValueNotInSlice extends ActormeshError {
  readonly value: number;
  constructor(value: number) {
    super('SliceError', 'ValueNotInSlice', `value ${value} is not in the slice`);
    this.value = value;
  }
}

export class IncompatibleView extends ActormeshError {
  readonly reason: string;
  constructor(reason: string) {
    super('SliceError', 'IncompatibleView', `incompatible view: ${reason}`);
    this.reason = reason;
  }
}

/** Rust panics on a zero step (`div_ceil(0)` / `step_by(0)`); we reject it. */
export class SliceInvalidStep extends ActormeshError {
  readonly step: number;
  constructor(step: number) {
    super('SliceError', 'InvalidStep', `invalid step ${step} (expected a step >= 1)`);
    this.step = step;
  }
}

/** A number that is not a non-negative safe integer was given where a size/stride/offset/index was expected. */
export class InvalidInteger extends ActormeshError {
  readonly what: string;
  readonly value: unknown;
  constructor(what: string, value: unknown) {
    super('SliceError', 'InvalidInteger', `${what} must be a non-negative integer, got ${String(value)}`);
    this.what = what;
    this.value = value;
  }
}

/** A slice whose base ranks (or rank count) do not fit in u32 cannot go through the WASM kernels. */
export class RankOverflow extends ActormeshError {
  readonly max: number;
  constructor(max: number) {
    super('SliceError', 'RankOverflow', `slice reaches base rank ${max}, which does not fit in u32 (expected every base rank and the rank count < 2^32)`);
    this.max = max;
  }
}

// ---------------------------------------------------------------- ExtentError / PointError

export class ExtentDimMismatch extends ActormeshError {
  readonly num_labels: number;
  readonly num_sizes: number;
  constructor(numLabels: number, numSizes: number) {
    super('ExtentError', 'DimMismatch', `extent has ${numLabels} labels but ${numSizes} sizes (expected equal counts)`);
    this.num_labels = numLabels;
    this.num_sizes = numSizes;
  }
}

export class OverlappingLabel extends ActormeshError {
  readonly label: string;
  constructor(label: string) {
    super('ExtentError', 'OverlappingLabel', `label ${JSON.stringify(label)} occurs in both extents (expected disjoint labels)`);
    this.label = label;
  }
}

/** `Extent.from(obj)` with an integer-like key: JS would silently reorder it. */
export class ReorderedLabel extends ActormeshError {
  readonly label: string;
  constructor(label: string) {
    super(
      'ExtentError',
      'ReorderedLabel',
      `label ${JSON.stringify(label)} is integer-like, so an object literal reorders it; use Extent.of([[label, size], ...])`,
    );
    this.label = label;
  }
}

export class PointDimMismatch extends ActormeshError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super('PointError', 'DimMismatch', `point has ${actual} coordinates, expected ${expected}`);
    this.expected = expected;
    this.actual = actual;
  }
}

export class OutOfRangeIndex extends ActormeshError {
  readonly size: number;
  readonly index: number;
  constructor(size: number, index: number) {
    super('PointError', 'OutOfRangeIndex', `coordinate ${index} out of range (expected < ${size})`);
    this.size = size;
    this.index = index;
  }
}

export class OutOfRangeRank extends ActormeshError {
  readonly total: number;
  readonly rank: number;
  constructor(total: number, rank: number) {
    super('PointError', 'OutOfRangeRank', `rank ${rank} out of range (expected < ${total})`);
    this.total = total;
    this.rank = rank;
  }
}

/** Rust panics on `Point.coord(i)` past the dims. */
export class CoordOutOfRange extends ActormeshError {
  readonly dim: number;
  readonly ndims: number;
  constructor(dim: number, ndims: number) {
    super('PointError', 'CoordOutOfRange', `coordinate axis ${dim} out of range (the point has ${ndims} dimensions)`);
    this.dim = dim;
    this.ndims = ndims;
  }
}

export class PointParseError extends ActormeshError {
  readonly reason: string;
  constructor(reason: string) {
    super('PointError', 'ParseError', `cannot parse point: ${reason}`);
    this.reason = reason;
  }
}

// ---------------------------------------------------------------- ViewError / RegionError

export class InvalidDim extends ActormeshError {
  readonly dim: string;
  constructor(dim: string) {
    super('ViewError', 'InvalidDim', `no dimension labelled ${JSON.stringify(dim)}`);
    this.dim = dim;
  }
}

export class ViewEmptyRange extends ActormeshError {
  readonly range: string;
  readonly dim: string;
  readonly size: number;
  constructor(range: string, dim: string, size: number) {
    super('ViewError', 'EmptyRange', `range ${range} of dimension ${JSON.stringify(dim)} (size ${size}) is empty`);
    this.range = range;
    this.dim = dim;
    this.size = size;
  }
}

export class InvalidRange extends ActormeshError {
  readonly base: string;
  readonly selected: string;
  constructor(base: string, selected: string) {
    super('ViewError', 'InvalidRange', `region ${selected} is not a subset of ${base}`);
    this.base = base;
    this.selected = selected;
  }
}

/** Rust panics in `ViewExt.range` on step 0 or on a step that makes the ranged slice invalid. */
export class ViewInvalidStep extends ActormeshError {
  readonly dim: string;
  readonly step: number;
  readonly size: number;
  readonly reason: string;
  constructor(dim: string, step: number, size: number, reason: string, options?: { cause?: unknown }) {
    super('ViewError', 'InvalidStep', `invalid step ${step} for dimension ${JSON.stringify(dim)} of size ${size}: ${reason}`, options);
    this.dim = dim;
    this.step = step;
    this.size = size;
    this.reason = reason;
  }
}

export class InvalidPoint extends ActormeshError {
  readonly reason: string;
  constructor(reason: string) {
    super('RegionError', 'InvalidPoint', `invalid point: ${reason}`);
    this.reason = reason;
  }
}

export class OutOfRangeBaseRank extends ActormeshError {
  readonly rank: number;
  readonly reason: string;
  constructor(rank: number, reason: string) {
    super('RegionError', 'OutOfRangeBaseRank', `base rank ${rank} is not in the region: ${reason}`);
    this.rank = rank;
    this.reason = reason;
  }
}

/** `Region` whose label count differs from its slice's dimension count (Rust panics in `extent()`). */
export class RegionDimMismatch extends ActormeshError {
  readonly num_labels: number;
  readonly num_dims: number;
  constructor(numLabels: number, numDims: number) {
    super('RegionError', 'DimMismatch', `region has ${numLabels} labels but its slice has ${numDims} dimensions (expected equal counts)`);
    this.num_labels = numLabels;
    this.num_dims = numDims;
  }
}

export class RegionParserError extends ActormeshError {
  readonly reason: string;
  constructor(reason: string) {
    super('RegionParseError', 'ParserError', `cannot parse region: ${reason}`);
    this.reason = reason;
  }
}

export class RegionSliceError extends ActormeshError {
  readonly inner: string;
  constructor(inner: ActormeshError) {
    super('RegionParseError', 'SliceError', `cannot parse region: ${inner.message}`, { cause: inner });
    this.inner = inner.variant;
  }
}

// ---------------------------------------------------------------- ShapeError

export class InvalidLabels extends ActormeshError {
  readonly labels: string[];
  constructor(labels: string[]) {
    super('ShapeError', 'InvalidLabels', `unknown labels ${JSON.stringify(labels)}`);
    this.labels = labels;
  }
}

export class ShapeEmptyRange extends ActormeshError {
  readonly range: string;
  constructor(range: string) {
    super('ShapeError', 'EmptyRange', `range ${range} is empty`);
    this.range = range;
  }
}

export class OutOfRange extends ActormeshError {
  readonly range: string;
  readonly dim: string;
  readonly size: number;
  constructor(range: string, dim: string, size: number) {
    super('ShapeError', 'OutOfRange', `range ${range} is out of range for dimension ${JSON.stringify(dim)} of size ${size}`);
    this.range = range;
    this.dim = dim;
    this.size = size;
  }
}

export class ShapeSliceError extends ActormeshError {
  readonly inner: string;
  constructor(inner: ActormeshError) {
    super('ShapeError', 'SliceError', `shape: ${inner.message}`, { cause: inner });
    this.inner = inner.variant;
  }
}

export class DimSliceMismatch extends ActormeshError {
  readonly num_labels: number;
  readonly slice_dims: number;
  constructor(numLabels: number, sliceDims: number) {
    super('ShapeError', 'DimSliceMismatch', `shape has ${numLabels} labels but its slice has ${sliceDims} dimensions (expected equal counts)`);
    this.num_labels = numLabels;
    this.slice_dims = sliceDims;
  }
}

export class ShapeParseError extends ActormeshError {
  readonly reason: string;
  constructor(reason: string) {
    super('ShapeError', 'ParseError', `cannot parse shape: ${reason}`);
    this.reason = reason;
  }
}
