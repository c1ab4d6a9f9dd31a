/**
 * `Range(start, end?, step)`: a half-open, stepped range over one dimension (Rust `ndslice::Range`).
 *
 * Invariant: `start` and `end` are non-negative integers and `step >= 1` (Rust accepts step 0 and
 * panics later; we reject it here). `resolve(size)` clamps `end` to `size` but not `start`: callers
 * detect `end <= start`.
 */
import { InvalidInteger, ShapeError } from './errors.js';

/** A zero step, rejected at construction (Rust panics on it later). */
export class RangeInvalidStep extends ShapeError {
  readonly step: number;
  constructor(step: number) {
    super('InvalidStep', `invalid range step ${step} (expected an integer >= 1)`);
    this.step = step;
  }
}

export function checkNat(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidInteger(what, v);
  return v;
}

export class Range {
  readonly start: number;
  readonly end: number | null;
  readonly step: number;

  constructor(start: number, end: number | null = null, step = 1) {
    this.start = checkNat('range start', start);
    this.end = end === null || end === undefined ? null : checkNat('range end', end);
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 1) throw new RangeInvalidStep(step);
    this.step = step;
  }

  /** `n..n+1`. */
  static index(n: number): Range {
    return new Range(n, checkNat('index', n) + 1, 1);
  }

  /** Accepts a Range, an index, or `[start, end?, step?]`. */
  static from(r: Range | number | readonly [number, (number | null)?, number?]): Range {
    if (r instanceof Range) return r;
    if (typeof r === 'number') return Range.index(r);
    if (Array.isArray(r)) return new Range(r[0] as number, (r[1] ?? null) as number | null, (r[2] ?? 1) as number);
    throw new InvalidInteger('range', r);
  }

  /** `(start, min(end ?? size, size), step)`; the start is not clamped. */
  resolve(size: number): [number, number, number] {
    const end = this.end === null ? size : Math.min(this.end, size);
    return [this.start, end, this.step];
  }

  equals(o: Range): boolean {
    return this.start === o.start && this.end === o.end && this.step === o.step;
  }

  /** `a:b:s`, or `a::s` when open-ended. */
  toString(): string {
    return `${this.start}:${this.end === null ? '' : this.end}:${this.step}`;
  }

  toJSON(): { start: number; end: number | null; step: number } {
    return { start: this.start, end: this.end, step: this.step };
  }
}
