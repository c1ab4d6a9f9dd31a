/**
 * Typed errors of the selection layer (Monarch ndslice/src/shape.rs `ShapeError`, selection.rs, selection/routing.rs).
 *
 * Invariant: `variant` is the Rust variant name (`SelectionTooDeep`, `EmptyRange`,
 * `SelectionDynamic`, `NonContiguous`, `ParseError`); where Rust panics (`contains` on
 * `Any`/`First`, routing through `First`, a selection too deep for a routing frame) we throw a
 * typed error with a variant name of our own (`NotImplemented`, `InvalidFrame`). Payload fields are
 * own properties.
 */
import { ActormeshError } from '../errors.js';

export class SelectionTooDeep extends ActormeshError {
  /** Pretty display of the whole selection. */
  readonly expr: string;
  readonly num_dim: number;
  constructor(expr: string, numDim: number) {
    super('ShapeError', 'SelectionTooDeep', `selection \`${expr}\` exceeds dimensionality ${numDim}`);
    this.expr = expr;
    this.num_dim = numDim;
  }
}

/** Strict evaluation met a range that is empty or begins past the dimension's size. */
export class SelectionEmptyRange extends ActormeshError {
  readonly range: string;
  readonly dim: number;
  readonly size: number;
  constructor(range: string, dim: number, size: number) {
    super(
      'ShapeError',
      'EmptyRange',
      `range ${range} selects nothing in dimension ${dim} of size ${size} (strict evaluation expects a non-empty range starting below the size)`,
    );
    this.range = range;
    this.dim = dim;
    this.size = size;
  }
}

export class SelectionDynamic extends ActormeshError {
  readonly expr: string;
  constructor(expr: string) {
    super('ShapeError', 'SelectionDynamic', `selection \`${expr}\` is dynamic (contains \`any\`), which these evaluation options disallow`);
    this.expr = expr;
  }
}

export class NonContiguous extends ActormeshError {
  constructor() {
    super('SliceError', 'NonContiguous', 'reifySlice expects a contiguous (row-major, possibly offset) base slice');
  }
}

export class SelectionParseError extends ActormeshError {
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
export class SelectionNotImplemented extends ActormeshError {
  readonly operation: string;
  readonly node: string;
  constructor(operation: string, node: string) {
    super('SelectionError', 'NotImplemented', `${operation} is not implemented for \`${node}\` selections`);
    this.operation = operation;
    this.node = node;
  }
}

/** A routing frame or packed frame set that does not fit its slice / program. */
export class InvalidFrame extends ActormeshError {
  readonly reason: string;
  constructor(reason: string) {
    super('RoutingError', 'InvalidFrame', `invalid routing frame: ${reason}`);
    this.reason = reason;
  }
}

/** Something that is not a selection was given where one was expected. */
export class InvalidSelection extends ActormeshError {
  readonly reason: string;
  constructor(reason: string) {
    super('SelectionError', 'InvalidSelection', `invalid selection: ${reason}`);
    this.reason = reason;
  }
}
