/**
 * The selection algebra (Monarch ndslice/src/selection.rs `Selection`): a tree consumed one dimension per structural node.
 *
 * | node | meaning at the current dim |
 * |---|---|
 * | `false` | nothing |
 * | `true` | everything at this and all remaining dims |
 * | `all(s)` | every index, then `s` at the next dim |
 * | `first(s)` | the smallest index for which `s` is non-empty, then `s` |
 * | `range(r, s)` | indices of `r.resolve(size)`, then `s` |
 * | `any(s)` | one uniformly random index, then `s` |
 * | `union(a, b)`, `intersection(a, b)` | set operations at the same dim |
 *
 * Invariants: nodes are immutable; `Range` steps are >= 1 (enforced by `Range`). Rust's `Label`
 * node (documented as not implemented) is not modelled.
 */
import { Range } from '../ndslice/range.js';
import type { SliceLike } from '../ndslice/slice.js';
import { InvalidSelection, SelectionDynamic, SelectionEmptyRange, SelectionNotImplemented, SelectionTooDeep } from './errors.js';

export type SelectionKind = 'false' | 'true' | 'all' | 'first' | 'range' | 'any' | 'union' | 'intersection';

/** `lenient` (default): bad ranges select nothing. `strict`: empty or out-of-range ranges throw `EmptyRange`. */
export interface EvalOptions {
  /** Fail on a range with `end <= start`. */
  disallowEmptyRanges?: boolean;
  /** Fail on a range whose start is `>= size` of its dimension. */
  disallowOutOfRange?: boolean;
  /** Fail on `any` (`SelectionDynamic`). */
  disallowDynamic?: boolean;
}

export const EvalOptions = {
  lenient(): EvalOptions {
    return { disallowEmptyRanges: false, disallowOutOfRange: false, disallowDynamic: false };
  },
  strict(): EvalOptions {
    return { disallowEmptyRanges: true, disallowOutOfRange: true, disallowDynamic: false };
  },
} as const;

/** Methods shared by every node; `this` is always one of the concrete node classes. */
abstract class SelectionBase {
  abstract readonly kind: SelectionKind;

  /** Base ranks selected in `slice`, depth-first, indices ascending (Monarch `Selection::eval`). */
  eval(slice: SliceLike, opts: EvalOptions = {}): number[] {
    return guardDepth(() => evalSelection(this as unknown as Selection, slice, opts));
  }

  /** Recursive membership of a coordinate vector (open ranges resolve against `coords.length`, as Rust). */
  contains(coords: readonly number[]): boolean {
    return containsRec(this as unknown as Selection, coords, 0);
  }

  /** Syntactic check: `all(…all(true))`. */
  isEquivalentToTrue(): boolean {
    let s = this as unknown as Selection;
    while (s.kind === 'all') s = s.inner;
    return s.kind === 'true';
  }

  /** Pads every branch to depth `n` (Monarch `Selection::canonicalize_to_dimensions`). */
  canonicalizeToDimensions(n: number): Selection {
    return canonicalize(this as unknown as Selection, n, 0);
  }

  /** Structural equality. */
  equals(other: Selection): boolean {
    return structurallyEqual(this as unknown as Selection, other);
  }

  /** Pretty display: `range(1:3:1, all(true_()))`. */
  toString(): string {
    return pretty(this as unknown as Selection);
  }

  /** Tagged-array JSON (the golden file's encoding): `["range", {start,end,step}, ["true"]]`. */
  toJSON(): SelectionJSON {
    return toJSONRec(this as unknown as Selection);
  }
}

export class FalseSel extends SelectionBase {
  readonly kind = 'false' as const;
}
export class TrueSel extends SelectionBase {
  readonly kind = 'true' as const;
}
export class AllSel extends SelectionBase {
  readonly kind = 'all' as const;
  constructor(readonly inner: Selection) {
    super();
  }
}
export class FirstSel extends SelectionBase {
  readonly kind = 'first' as const;
  constructor(readonly inner: Selection) {
    super();
  }
}
export class AnySel extends SelectionBase {
  readonly kind = 'any' as const;
  constructor(readonly inner: Selection) {
    super();
  }
}
export class RangeSel extends SelectionBase {
  readonly kind = 'range' as const;
  constructor(
    readonly range: Range,
    readonly inner: Selection,
  ) {
    super();
  }
}
export class UnionSel extends SelectionBase {
  readonly kind = 'union' as const;
  constructor(
    readonly left: Selection,
    readonly right: Selection,
  ) {
    super();
  }
}
export class IntersectionSel extends SelectionBase {
  readonly kind = 'intersection' as const;
  constructor(
    readonly left: Selection,
    readonly right: Selection,
  ) {
    super();
  }
}

export type Selection = FalseSel | TrueSel | AllSel | FirstSel | AnySel | RangeSel | UnionSel | IntersectionSel;

export type SelectionJSON =
  | ['true']
  | ['false']
  | ['all' | 'first' | 'any', SelectionJSON]
  | ['range', { start: number; end: number | null; step: number }, SelectionJSON]
  | ['union' | 'intersection', SelectionJSON, SelectionJSON];

const TRUE = new TrueSel();
const FALSE = new FalseSel();

function isSelection(x: unknown): x is Selection {
  return x instanceof SelectionBase;
}

function need(x: unknown, what: string): Selection {
  if (!isSelection(x)) throw new InvalidSelection(`${what} must be a Selection, got ${x === null ? 'null' : typeof x}`);
  return x;
}

/** Constructors (Rust's `dsl`) and selection-level functions. */
export const Selection = {
  true_(): Selection {
    return TRUE;
  },
  false_(): Selection {
    return FALSE;
  },
  all(inner: Selection = TRUE): Selection {
    return new AllSel(need(inner, 'all(inner)'));
  },
  first(inner: Selection = TRUE): Selection {
    return new FirstSel(need(inner, 'first(inner)'));
  },
  any(inner: Selection = TRUE): Selection {
    return new AnySel(need(inner, 'any(inner)'));
  },
  /** `range(r, inner)`; `r` may be a `Range`, an index `n` (= `n..n+1`) or `[start, end?, step?]`. */
  range(r: Range | number | readonly [number, (number | null)?, number?], inner: Selection = TRUE): Selection {
    return new RangeSel(Range.from(r), need(inner, 'range(_, inner)'));
  },
  union(a: Selection, b: Selection): Selection {
    return new UnionSel(need(a, 'union(a, _)'), need(b, 'union(_, b)'));
  },
  intersection(a: Selection, b: Selection): Selection {
    return new IntersectionSel(need(a, 'intersection(a, _)'), need(b, 'intersection(_, b)'));
  },
  /** `False` if either side is `False`; the other side if one is `True`; else `intersection(a, b)`. */
  reduceIntersection(a: Selection, b: Selection): Selection {
    if (a.kind === 'false' || b.kind === 'false') return FALSE;
    if (a.kind === 'true') return b;
    if (b.kind === 'true') return a;
    return new IntersectionSel(a, b);
  },
  isSelection,
  fromJSON,
} as const;

// ------------------------------------------------------------------ JSON

function toJSONRec(s: Selection): SelectionJSON {
  switch (s.kind) {
    case 'true':
    case 'false':
      return [s.kind];
    case 'all':
    case 'first':
    case 'any':
      return [s.kind, toJSONRec(s.inner)];
    case 'range':
      return ['range', s.range.toJSON(), toJSONRec(s.inner)];
    case 'union':
    case 'intersection':
      return [s.kind, toJSONRec(s.left), toJSONRec(s.right)];
  }
}

/** Parses the tagged-array encoding; malformed input → `InvalidSelection`. */
function fromJSON(j: unknown): Selection {
  if (!Array.isArray(j) || typeof j[0] !== 'string') throw new InvalidSelection(`expected a tagged array like ["all", ["true"]], got ${JSON.stringify(j)}`);
  const tag = j[0];
  const arity = (n: number) => {
    if (j.length !== n) throw new InvalidSelection(`"${tag}" expects ${n - 1} operand(s), got ${j.length - 1}`);
  };
  switch (tag) {
    case 'true':
      arity(1);
      return TRUE;
    case 'false':
      arity(1);
      return FALSE;
    case 'all':
      arity(2);
      return new AllSel(fromJSON(j[1]));
    case 'first':
      arity(2);
      return new FirstSel(fromJSON(j[1]));
    case 'any':
      arity(2);
      return new AnySel(fromJSON(j[1]));
    case 'range': {
      arity(3);
      const r = j[1] as { start?: unknown; end?: unknown; step?: unknown } | null;
      if (typeof r !== 'object' || r === null) throw new InvalidSelection(`"range" expects {start, end, step}, got ${JSON.stringify(r)}`);
      return new RangeSel(new Range(r.start as number, (r.end ?? null) as number | null, (r.step ?? 1) as number), fromJSON(j[2]));
    }
    case 'union':
      arity(3);
      return new UnionSel(fromJSON(j[1]), fromJSON(j[2]));
    case 'intersection':
      arity(3);
      return new IntersectionSel(fromJSON(j[1]), fromJSON(j[2]));
    default:
      throw new InvalidSelection(`unknown selection tag ${JSON.stringify(tag)} (expected true, false, all, first, any, range, union or intersection)`);
  }
}

// ------------------------------------------------------------------ displays

export function pretty(s: Selection): string {
  switch (s.kind) {
    case 'true':
      return 'true_()';
    case 'false':
      return 'false_()';
    case 'all':
    case 'first':
    case 'any':
      return `${s.kind}(${pretty(s.inner)})`;
    case 'range':
      return `range(${s.range.toString()}, ${pretty(s.inner)})`;
    case 'union':
    case 'intersection':
      return `${s.kind}(${pretty(s.left)}, ${pretty(s.right)})`;
  }
}

export function structurallyEqual(a: Selection, b: Selection): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'true':
    case 'false':
      return true;
    case 'all':
    case 'first':
    case 'any':
      return structurallyEqual(a.inner, (b as AllSel).inner);
    case 'range':
      return a.range.equals((b as RangeSel).range) && structurallyEqual(a.inner, (b as RangeSel).inner);
    case 'union':
    case 'intersection':
      return structurallyEqual(a.left, (b as UnionSel).left) && structurallyEqual(a.right, (b as UnionSel).right);
  }
}

// ------------------------------------------------------------------ eval

/**
 * Runs a recursive algorithm over a selection; a tree too deep for the JS stack becomes a typed
 * `InvalidSelection` instead of a bare `RangeError`.
 */
export function guardDepth<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new InvalidSelection('the selection is nested too deeply to process (build large unions with unionOf or ofRanksBalanced, which stay balanced)');
    }
    throw e;
  }
}

/** 0-d slices are evaluated as `(offset, [1], [1])`, as Monarch `Selection::eval` does. */
export function embed0d(slice: SliceLike): SliceLike {
  return slice.sizes.length === 0 ? { offset: slice.offset, sizes: [1], strides: [1] } : slice;
}

function validate(top: Selection, s: Selection, slice: SliceLike, opts: EvalOptions, dim: number): void {
  const nd = slice.sizes.length;
  if (dim === nd) {
    if (s.kind === 'true' || s.kind === 'false') return;
    throw new SelectionTooDeep(pretty(top), nd);
  }
  switch (s.kind) {
    case 'true':
    case 'false':
      return;
    case 'range': {
      const r = s.range;
      const size = slice.sizes[dim]!;
      if (opts.disallowEmptyRanges && r.end !== null && r.end <= r.start) throw new SelectionEmptyRange(r.toString(), dim, size);
      if (opts.disallowOutOfRange && r.start >= size) throw new SelectionEmptyRange(r.toString(), dim, size);
      return validate(top, s.inner, slice, opts, dim + 1);
    }
    case 'any':
      if (opts.disallowDynamic) throw new SelectionDynamic(pretty(top));
      return validate(top, s.inner, slice, opts, dim + 1);
    case 'all':
    case 'first':
      return validate(top, s.inner, slice, opts, dim + 1);
    case 'union':
    case 'intersection':
      validate(top, s.left, slice, opts, dim);
      return validate(top, s.right, slice, opts, dim);
  }
}

/** Eval's validation alone (too deep, strict ranges, dynamic), on the 0-d-embedded slice. */
export function validateSelection(sel: Selection, slice: SliceLike, opts: EvalOptions = {}): void {
  validate(sel, sel, embed0d(slice), opts, 0);
}

function evalSelection(sel: Selection, slice0: SliceLike, opts: EvalOptions): number[] {
  const slice = embed0d(slice0);
  validate(sel, sel, slice, opts, 0);
  const out: number[] = [];
  evalRec(sel, slice, 0, slice.offset, out);
  return out;
}

function evalAllRemaining(slice: SliceLike, dim: number, loc: number, out: number[]): void {
  if (dim === slice.sizes.length) {
    out.push(loc);
    return;
  }
  const size = slice.sizes[dim]!;
  const stride = slice.strides[dim]!;
  for (let i = 0; i < size; i++) evalAllRemaining(slice, dim + 1, loc + i * stride, out);
}

function evalRec(s: Selection, slice: SliceLike, dim: number, loc: number, out: number[]): void {
  const nd = slice.sizes.length;
  if (dim === nd) {
    if (s.kind === 'true') out.push(loc);
    return;
  }
  const size = slice.sizes[dim]!;
  const stride = slice.strides[dim]!;
  switch (s.kind) {
    case 'false':
      return;
    case 'true':
      return evalAllRemaining(slice, dim, loc, out);
    case 'all':
      for (let i = 0; i < size; i++) evalRec(s.inner, slice, dim + 1, loc + i * stride, out);
      return;
    case 'first':
      for (let i = 0; i < size; i++) {
        const before = out.length;
        evalRec(s.inner, slice, dim + 1, loc + i * stride, out);
        if (out.length > before) return;
      }
      return;
    case 'range': {
      const [b, e, st] = s.range.resolve(size);
      for (let i = b; i < e; i += st) evalRec(s.inner, slice, dim + 1, loc + i * stride, out);
      return;
    }
    case 'any':
      if (size > 0) evalRec(s.inner, slice, dim + 1, loc + Math.floor(Math.random() * size) * stride, out);
      return;
    case 'union': {
      const a: number[] = [];
      const b: number[] = [];
      evalRec(s.left, slice, dim, loc, a);
      evalRec(s.right, slice, dim, loc, b);
      mergeUnion(a, b, out);
      return;
    }
    case 'intersection': {
      const a: number[] = [];
      const b: number[] = [];
      evalRec(s.left, slice, dim, loc, a);
      evalRec(s.right, slice, dim, loc, b);
      mergeIntersection(a, b, out);
      return;
    }
  }
}

/** Merge of two (assumed ascending) streams; equal heads are emitted once. */
function mergeUnion(a: number[], b: number[], out: number[]): void {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out.push(x);
      i++;
    } else if (y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
}

function mergeIntersection(a: number[], b: number[], out: number[]): void {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) i++;
    else if (y < x) j++;
    else {
      out.push(x);
      i++;
      j++;
    }
  }
}

// ------------------------------------------------------------------ contains / canonicalize

function containsRec(s: Selection, coords: readonly number[], i: number): boolean {
  if (s.kind === 'true') return true;
  if (s.kind === 'false') return false;
  if (s.kind === 'any' || s.kind === 'first') throw new SelectionNotImplemented('contains', s.kind);
  if (s.kind === 'union') return containsRec(s.left, coords, i) || containsRec(s.right, coords, i);
  if (s.kind === 'intersection') return containsRec(s.left, coords, i) && containsRec(s.right, coords, i);
  if (i >= coords.length) return false;
  if (s.kind === 'all') return containsRec(s.inner, coords, i + 1);
  // As Monarch `Selection::contains`: open ranges resolve against the number of dims, not the dim size.
  const [b, e, st] = s.range.resolve(coords.length);
  const c = coords[i]!;
  return c >= b && c < e && (c - b) % st === 0 && containsRec(s.inner, coords, i + 1);
}

function nest(kind: 'all' | 'any', depth: number, leaf: Selection): Selection {
  let s = leaf;
  for (let k = 0; k < depth; k++) s = kind === 'all' ? new AllSel(s) : new AnySel(s);
  return s;
}

function canonicalize(s: Selection, n: number, depth: number): Selection {
  switch (s.kind) {
    case 'true':
    case 'false':
      return depth < n ? nest('all', n - depth, s) : s;
    case 'any':
      if (s.inner.kind === 'true' && depth < n) return nest('any', n - depth, TRUE);
      return new AnySel(canonicalize(s.inner, n, depth + 1));
    case 'all':
      return new AllSel(canonicalize(s.inner, n, depth + 1));
    case 'first':
      return new FirstSel(canonicalize(s.inner, n, depth + 1));
    case 'range':
      return new RangeSel(s.range, canonicalize(s.inner, n, depth + 1));
    case 'union':
      return new UnionSel(canonicalize(s.left, n, depth), canonicalize(s.right, n, depth));
    case 'intersection':
      return new IntersectionSel(canonicalize(s.left, n, depth), canonicalize(s.right, n, depth));
  }
}
