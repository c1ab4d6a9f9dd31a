/**
 * Typed errors of the selection layer (Monarch ndslice/src/shape.rs `ShapeError`, selection.rs, selection/routing.rs).
 *
 * Invariant: `variant` is the Rust variant name (`SelectionTooDeep`, `EmptyRange`,
 * `SelectionDynamic`, `NonContiguous`, `ParseError`); where Rust panics (`contains` on
 * `Any`/`First`, routing through `First`, a selection too deep for a routing frame) we throw a
 * typed error with a variant name of our own (`NotImplemented`, `InvalidFrame`). Payload fields are
 * own properties. Evaluation errors are variants of ndslice's `ShapeError` (as in Monarch's
 * shape.rs) and `NonContiguous` of `SliceError`; the rest are `SelectionError` and
 * `SelectionParseError`.
 */
import { ActormeshError } from '../base/errors.js';
import { ShapeError, SliceError } from '../ndslice/errors.js';

/** Variants of `SelectionError` (ours: Rust panics or asserts in these places). */
export type SelectionErrorVariant = 'NotImplemented' | 'InvalidSelection' | 'InvalidFrame';

/** An operation a selection does not support, a value that is no selection, or a malformed routing frame. */
export class SelectionError extends ActormeshError<'SelectionError', SelectionErrorVariant> {
  constructor(variant: SelectionErrorVariant, message: string, options?: { cause?: unknown }) {
    super('SelectionError', variant, message, options);
  }
}

export class SelectionTooDeep extends ShapeError {
  /** Pretty display of the whole selection. */
  readonly expr: string;
  readonly num_dim: number;
  constructor(expr: string, numDim: number) {
    super('SelectionTooDeep', `selection \`${expr}\` exceeds dimensionality ${numDim}`);
    this.expr = expr;
    this.num_dim = numDim;
  }
}

/** Strict evaluation met a range that is empty or begins past the dimension's size. */
export class SelectionEmptyRange extends ShapeError {
  readonly range: string;
  readonly dim: number;
  readonly size: number;
  constructor(range: string, dim: number, size: number) {
    super(
      'EmptyRange',
      `range ${range} selects nothing in dimension ${dim} of size ${size} (strict evaluation expects a non-empty range starting below the size)`,
    );
    this.range = range;
    this.dim = dim;
    this.size = size;
  }
}

export class SelectionDynamic extends ShapeError {
  readonly expr: string;
  constructor(expr: string) {
    super('SelectionDynamic', `selection \`${expr}\` is dynamic (contains \`any\`), which these evaluation options disallow`);
    this.expr = expr;
  }
}

export class NonContiguous extends SliceError {
  constructor() {
    super('NonContiguous', 'reifySlice expects a contiguous (row-major, possibly offset) base slice');
  }
}

/** A selection's text does not parse (the kind has this one variant, `ParseError`). */
export class SelectionParseError extends ActormeshError<'SelectionParseError', 'ParseError'> {
  readonly input: string;
  /** Character offset (in the input with whitespace removed) where parsing failed. */
  readonly position: number;
  readonly reason: string;
  constructor(input: string, position: number, reason: string) {
    super('SelectionParseError', 'ParseError', `cannot parse selection ${JSON.stringify(input)} at position ${position}: ${reason}`);
    this.input = input;
    this.position = position;
    this.reason = reason;
  }
}

/** Rust panics ("not implemented") for these operations on `Any`/`First`/`Label`. */
export class SelectionNotImplemented extends SelectionError {
  readonly operation: string;
  readonly node: string;
  constructor(operation: string, node: string) {
    super('NotImplemented', `${operation} is not implemented for \`${node}\` selections`);
    this.operation = operation;
    this.node = node;
  }
}

/** A routing frame or packed frame set that does not fit its slice / program. */
export class InvalidFrame extends SelectionError {
  readonly reason: string;
  constructor(reason: string) {
    super('InvalidFrame', `invalid routing frame: ${reason}`);
    this.reason = reason;
  }
}

/** Something that is not a selection was given where one was expected. */
export class InvalidSelection extends SelectionError {
  readonly reason: string;
  constructor(reason: string) {
    super('InvalidSelection', `invalid selection: ${reason}`);
    this.reason = reason;
  }
}
