/**
 * Typed errors of the ndslice layer (Monarch ndslice/src/slice.rs `SliceError`, view.rs
 * `ExtentError`, `PointError`, `ViewError`, `RegionError`, shape.rs `ShapeError`, parse errors).
 *
 * Invariant: one base class per Rust enum, named as the enum and carrying it as `kind`; one
 * subclass per variant, whose `variant` is the Rust variant name and whose payload fields are own
 * properties. Where Rust panics (step 0, a step that makes the ranged slice invalid, `coord(i)` past
 * the dims, ranks that do not fit in u32) we throw a typed error with a variant name of our own
 * (`InvalidStep`, `CoordOutOfRange`, `RankOverflow`). The selection layer adds its evaluation
 * variants to `ShapeError` (as Monarch's shape.rs does) and `NonContiguous` to `SliceError`.
 */
import { ActormeshError } from '../base/errors.js';

type ErrorOptions = { cause?: unknown };

/** Variants of `SliceError` (Monarch slice.rs), with ours: `InvalidStep`, `InvalidInteger`, `RankOverflow`, `BufferTooSmall`, `NonContiguous`. */
export type SliceErrorVariant =
  | 'InvalidDims'
  | 'NonrectangularShape'
  | 'NonuniqueStrides'
  | 'StrideTooSmall'
  | 'IndexOutOfRange'
  | 'DimensionOutOfRange'
  | 'EmptyRange'
  | 'ValueNotInSlice'
  | 'IncompatibleView'
  | 'InvalidStep'
  | 'InvalidInteger'
  | 'RankOverflow'
  | 'BufferTooSmall'
  | 'NonContiguous';

/** A slice (offset, sizes, strides) is invalid, or an index, value or view does not fit it. */
export class SliceError extends ActormeshError<'SliceError', SliceErrorVariant> {
  constructor(variant: SliceErrorVariant, message: string, options?: ErrorOptions) {
    super('SliceError', variant, message, options);
  }
}

/** Variants of `ExtentError` (Monarch view.rs), with ours: `ReorderedLabel`. */
export type ExtentErrorVariant = 'DimMismatch' | 'OverlappingLabel' | 'ReorderedLabel' | 'InvalidArgument';

/** An extent's labels and sizes do not fit together. */
export class ExtentError extends ActormeshError<'ExtentError', ExtentErrorVariant> {
  constructor(variant: ExtentErrorVariant, message: string, options?: ErrorOptions) {
    super('ExtentError', variant, message, options);
  }
}

/** Variants of `PointError` (Monarch view.rs), with ours: `CoordOutOfRange`, `ParseError`. */
export type PointErrorVariant = 'DimMismatch' | 'OutOfRangeIndex' | 'OutOfRangeRank' | 'CoordOutOfRange' | 'ParseError';

/** A point does not fit its extent, or its text does not parse. */
export class PointError extends ActormeshError<'PointError', PointErrorVariant> {
  constructor(variant: PointErrorVariant, message: string, options?: ErrorOptions) {
    super('PointError', variant, message, options);
  }
}

/** Variants of `ViewError` (Monarch view.rs), with ours: `InvalidStep`. */
export type ViewErrorVariant = 'InvalidDim' | 'EmptyRange' | 'InvalidRange' | 'InvalidStep';

/** A view (ranging a dimension, taking a sub-region) does not fit the region it is taken of. */
export class ViewError extends ActormeshError<'ViewError', ViewErrorVariant> {
  constructor(variant: ViewErrorVariant, message: string, options?: ErrorOptions) {
    super('ViewError', variant, message, options);
  }
}

/** Variants of `RegionError` (Monarch view.rs), with ours: `DimMismatch`. */
export type RegionErrorVariant = 'InvalidPoint' | 'OutOfRangeBaseRank' | 'DimMismatch';

/** A point or base rank is not in a region, or a region's labels do not fit its slice. */
export class RegionError extends ActormeshError<'RegionError', RegionErrorVariant> {
  constructor(variant: RegionErrorVariant, message: string, options?: ErrorOptions) {
    super('RegionError', variant, message, options);
  }
}

/** Variants of `RegionParseError` (Monarch view.rs). */
export type RegionParseErrorVariant = 'ParserError' | 'SliceError';

/** A region's text form does not parse. */
export class RegionParseError extends ActormeshError<'RegionParseError', RegionParseErrorVariant> {
  constructor(variant: RegionParseErrorVariant, message: string, options?: ErrorOptions) {
    super('RegionParseError', variant, message, options);
  }
}

/**
 * Variants of `ShapeError` (Monarch shape.rs), with ours: `ParseError`, `InvalidStep` (a `Range`
 * with step 0; Rust panics on it later). The selection layer's evaluation errors are variants of it.
 */
export type ShapeErrorVariant =
  'InvalidLabels' | 'EmptyRange' | 'OutOfRange' | 'SliceError' | 'DimSliceMismatch' | 'ParseError' | 'InvalidStep' | 'SelectionTooDeep' | 'SelectionDynamic';

/** A shape, range or selection does not fit the labels and sizes it is applied to. */
export class ShapeError extends ActormeshError<'ShapeError', ShapeErrorVariant> {
  constructor(variant: ShapeErrorVariant, message: string, options?: ErrorOptions) {
    super('ShapeError', variant, message, options);
  }
}

// ---------------------------------------------------------------- SliceError

export class InvalidDims extends SliceError {
  readonly expected: number;
  readonly got: number;
  constructor(expected: number, got: number) {
    super('InvalidDims', `invalid dimensions: expected ${expected}, got ${got}`);
    this.expected = expected;
    this.got = got;
  }
}

export class NonrectangularShape extends SliceError {
  constructor() {
    super('NonrectangularShape', 'nonrectangular shape: after sorting, every stride must be a multiple of the previous one');
  }
}

export class NonuniqueStrides extends SliceError {
  constructor() {
    super('NonuniqueStrides', 'nonunique strides: two dimensions of size > 1 share a stride');
  }
}

export class StrideTooSmall extends SliceError {
  readonly stride: number;
  readonly space: number;
  constructor(stride: number, space: number) {
    super('StrideTooSmall', `stride ${stride} is smaller than the space ${space} spanned by the smaller strides (expected a stride >= ${space})`);
    this.stride = stride;
    this.space = space;
  }
}

export class IndexOutOfRange extends SliceError {
  readonly index: number;
  readonly total: number;
  constructor(index: number, total: number) {
    super('IndexOutOfRange', `index out of range: ${index} (expected < ${total})`);
    this.index = index;
    this.total = total;
  }
}

export class DimensionOutOfRange extends SliceError {
  readonly dim: number;
  readonly ndims: number;
  constructor(dim: number, ndims: number) {
    super('DimensionOutOfRange', `dimension ${dim} out of range (the slice has ${ndims} dimensions)`);
    this.dim = dim;
    this.ndims = ndims;
  }
}

export class SliceEmptyRange extends SliceError {
  readonly begin: number;
  readonly end: number;
  readonly step: number;
  constructor(begin: number, end: number, step: number) {
    super('EmptyRange', `empty range ${begin}..${end} step ${step} (expected end > begin)`);
    this.begin = begin;
    this.end = end;
    this.step = step;
  }
}

export class ValueNotInSlice extends SliceError {
  readonly value: number;
  constructor(value: number) {
    super('ValueNotInSlice', `value ${value} is not in the slice`);
    this.value = value;
  }
}

export class IncompatibleView extends SliceError {
  readonly reason: string;
  constructor(reason: string) {
    super('IncompatibleView', `incompatible view: ${reason}`);
    this.reason = reason;
  }
}

/** Rust panics on a zero step (`div_ceil(0)` / `step_by(0)`); we reject it. */
export class SliceInvalidStep extends SliceError {
  readonly step: number;
  constructor(step: number) {
    super('InvalidStep', `invalid step ${step} (expected a step >= 1)`);
    this.step = step;
  }
}

/** A number that is not a non-negative safe integer was given where a size/stride/offset/index was expected. */
export class InvalidInteger extends SliceError {
  readonly what: string;
  readonly value: unknown;
  constructor(what: string, value: unknown) {
    super('InvalidInteger', `${what} must be a non-negative integer, got ${String(value)}`);
    this.what = what;
    this.value = value;
  }
}

/** A slice whose base ranks (or rank count) do not fit in u32 cannot go through the WASM kernels. */
export class RankOverflow extends SliceError {
  readonly max: number;
  constructor(max: number) {
    super('RankOverflow', `slice reaches base rank ${max}, which does not fit in u32 (expected every base rank and the rank count < 2^32)`);
    this.max = max;
  }
}

// ---------------------------------------------------------------- ExtentError / PointError

export class ExtentDimMismatch extends ExtentError {
  readonly num_labels: number;
  readonly num_sizes: number;
  constructor(numLabels: number, numSizes: number) {
    super('DimMismatch', `extent has ${numLabels} labels but ${numSizes} sizes (expected equal counts)`);
    this.num_labels = numLabels;
    this.num_sizes = numSizes;
  }
}

/**
 * An extent constructor was given something that is not labels and sizes (ours: Monarch's types
 * rule it out), e.g. an object where `[label, size]` pairs were expected.
 */
export class InvalidExtentArgument extends ExtentError {
  readonly expected: string;
  constructor(what: string, expected: string, got: unknown) {
    const shown = got === null ? 'null' : Array.isArray(got) ? 'an array' : typeof got === 'object' ? 'an object' : `${typeof got} ${JSON.stringify(got)}`;
    super('InvalidArgument', `${what}: expected ${expected}, got ${shown}`);
    this.expected = expected;
  }
}

export class OverlappingLabel extends ExtentError {
  readonly label: string;
  constructor(label: string) {
    super('OverlappingLabel', `label ${JSON.stringify(label)} occurs in both extents (expected disjoint labels)`);
    this.label = label;
  }
}

/** `Extent.from(obj)` with an integer-like key: JS would silently reorder it. */
export class ReorderedLabel extends ExtentError {
  readonly label: string;
  constructor(label: string) {
    super('ReorderedLabel', `label ${JSON.stringify(label)} is integer-like, so an object literal reorders it; use Extent.of([[label, size], ...])`);
    this.label = label;
  }
}

export class PointDimMismatch extends PointError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super('DimMismatch', `point has ${actual} coordinates, expected ${expected}`);
    this.expected = expected;
    this.actual = actual;
  }
}

export class OutOfRangeIndex extends PointError {
  readonly size: number;
  readonly index: number;
  constructor(size: number, index: number) {
    super('OutOfRangeIndex', `coordinate ${index} out of range (expected < ${size})`);
    this.size = size;
    this.index = index;
  }
}

export class OutOfRangeRank extends PointError {
  readonly total: number;
  readonly rank: number;
  constructor(total: number, rank: number) {
    super('OutOfRangeRank', `rank ${rank} out of range (expected < ${total})`);
    this.total = total;
    this.rank = rank;
  }
}

/** Rust panics on `Point.coord(i)` past the dims. */
export class CoordOutOfRange extends PointError {
  readonly dim: number;
  readonly ndims: number;
  constructor(dim: number, ndims: number) {
    super('CoordOutOfRange', `coordinate axis ${dim} out of range (the point has ${ndims} dimensions)`);
    this.dim = dim;
    this.ndims = ndims;
  }
}

export class PointParseError extends PointError {
  readonly reason: string;
  constructor(reason: string) {
    super('ParseError', `cannot parse point: ${reason}`);
    this.reason = reason;
  }
}

// ---------------------------------------------------------------- ViewError / RegionError

export class InvalidDim extends ViewError {
  readonly dim: string;
  constructor(dim: string) {
    super('InvalidDim', `no dimension labelled ${JSON.stringify(dim)}`);
    this.dim = dim;
  }
}

export class ViewEmptyRange extends ViewError {
  readonly range: string;
  readonly dim: string;
  readonly size: number;
  constructor(range: string, dim: string, size: number) {
    super('EmptyRange', `range ${range} of dimension ${JSON.stringify(dim)} (size ${size}) is empty`);
    this.range = range;
    this.dim = dim;
    this.size = size;
  }
}

export class InvalidRange extends ViewError {
  readonly base: string;
  readonly selected: string;
  constructor(base: string, selected: string) {
    super('InvalidRange', `region ${selected} is not a subset of ${base}`);
    this.base = base;
    this.selected = selected;
  }
}

/** Rust panics in `ViewExt.range` on step 0 or on a step that makes the ranged slice invalid. */
export class ViewInvalidStep extends ViewError {
  readonly dim: string;
  readonly step: number;
  readonly size: number;
  readonly reason: string;
  constructor(dim: string, step: number, size: number, reason: string, options?: { cause?: unknown }) {
    super('InvalidStep', `invalid step ${step} for dimension ${JSON.stringify(dim)} of size ${size}: ${reason}`, options);
    this.dim = dim;
    this.step = step;
    this.size = size;
    this.reason = reason;
  }
}

export class InvalidPoint extends RegionError {
  readonly reason: string;
  constructor(reason: string) {
    super('InvalidPoint', `invalid point: ${reason}`);
    this.reason = reason;
  }
}

export class OutOfRangeBaseRank extends RegionError {
  readonly rank: number;
  readonly reason: string;
  constructor(rank: number, reason: string) {
    super('OutOfRangeBaseRank', `base rank ${rank} is not in the region: ${reason}`);
    this.rank = rank;
    this.reason = reason;
  }
}

/** `Region` whose label count differs from its slice's dimension count (Rust panics in `extent()`). */
export class RegionDimMismatch extends RegionError {
  readonly num_labels: number;
  readonly num_dims: number;
  constructor(numLabels: number, numDims: number) {
    super('DimMismatch', `region has ${numLabels} labels but its slice has ${numDims} dimensions (expected equal counts)`);
    this.num_labels = numLabels;
    this.num_dims = numDims;
  }
}

export class RegionParserError extends RegionParseError {
  readonly reason: string;
  constructor(reason: string) {
    super('ParserError', `cannot parse region: ${reason}`);
    this.reason = reason;
  }
}

export class RegionSliceError extends RegionParseError {
  readonly inner: string;
  constructor(inner: SliceError) {
    super('SliceError', `cannot parse region: ${inner.message}`, { cause: inner });
    this.inner = inner.variant;
  }
}

// ---------------------------------------------------------------- ShapeError

export class InvalidLabels extends ShapeError {
  readonly labels: string[];
  constructor(labels: string[]) {
    super('InvalidLabels', `unknown labels ${JSON.stringify(labels)}`);
    this.labels = labels;
  }
}

export class ShapeEmptyRange extends ShapeError {
  readonly range: string;
  constructor(range: string) {
    super('EmptyRange', `range ${range} is empty`);
    this.range = range;
  }
}

export class OutOfRange extends ShapeError {
  readonly range: string;
  readonly dim: string;
  readonly size: number;
  constructor(range: string, dim: string, size: number) {
    super('OutOfRange', `range ${range} is out of range for dimension ${JSON.stringify(dim)} of size ${size}`);
    this.range = range;
    this.dim = dim;
    this.size = size;
  }
}

export class ShapeSliceError extends ShapeError {
  readonly inner: string;
  constructor(inner: SliceError) {
    super('SliceError', `shape: ${inner.message}`, { cause: inner });
    this.inner = inner.variant;
  }
}

export class DimSliceMismatch extends ShapeError {
  readonly num_labels: number;
  readonly slice_dims: number;
  constructor(numLabels: number, sliceDims: number) {
    super('DimSliceMismatch', `shape has ${numLabels} labels but its slice has ${sliceDims} dimensions (expected equal counts)`);
    this.num_labels = numLabels;
    this.slice_dims = sliceDims;
  }
}

export class ShapeParseError extends ShapeError {
  readonly reason: string;
  constructor(reason: string) {
    super('ParseError', `cannot parse shape: ${reason}`);
    this.reason = reason;
  }
}
