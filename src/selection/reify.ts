/**
 * Building selections from ranks and slices (Monarch ndslice/src/selection.rs): `ofRanks`, `reifySlice`,
 * `reifySlices`, `difference`, `without`, `selectionFrom`, `selectionOnRoot`.
 *
 * Invariant: every selection built here evaluates (leniently) on its base slice to exactly the
 * given ranks / the members of the given view.
 */
import { Range } from '../ndslice/range.js';
import { Slice, type SliceLike } from '../ndslice/slice.js';
import { InvalidLabels, ValueNotInSlice } from '../ndslice/errors.js';
import { NonContiguous } from './errors.js';
import { EvalOptions, RangeSel, Selection, UnionSel } from './selection.js';
import { normalize } from './normalize.js';

function asSlice(s: SliceLike): Slice {
  return s instanceof Slice ? s : Slice.unchecked(s.offset, s.sizes, s.strides);
}

function pointSelection(coords: readonly number[]): Selection {
  let acc: Selection = Selection.true_();
  for (let i = coords.length - 1; i >= 0; i--) acc = new RangeSel(Range.index(coords[i]!), acc);
  return acc;
}

/**
 * Union of `arms` in order: left-associated up to 2 arms, balanced beyond, so that a union of
 * thousands of ranks stays shallow (depth log2 n) for the recursive algorithms.
 */
export function unionOf(arms: readonly Selection[]): Selection {
  if (arms.length === 0) return Selection.false_();
  const build = (lo: number, hi: number): Selection => (hi - lo === 1 ? arms[lo]! : new UnionSel(build(lo, (lo + hi) >>> 1), build((lo + hi) >>> 1, hi)));
  return build(0, arms.length);
}

/** One nested single-index range per rank, ascending, duplicates dropped; `ValueNotInSlice` for a non-member. */
function rankArms(slice: SliceLike, ranks: Iterable<number>): Selection[] {
  const s = asSlice(slice);
  const sorted = Array.from(new Set(ranks)).sort((a, b) => a - b);
  const arms: Selection[] = [];
  for (const r of sorted) {
    const c = s.tryCoordinates(r);
    if (!c) throw new ValueNotInSlice(r);
    arms.push(pointSelection(c));
  }
  return arms;
}

/**
 * The tree of Monarch's `Selection::of_ranks` (ndslice/src/selection.rs): the ranks ascending
 * with duplicates dropped (its `BTreeSet`), each `range(c0, range(c1, … range(cn-1, true)))` of
 * its coordinates (a 0-d slice's one rank is `true`), folded left by `union`:
 * `union(union(r0, r1), r2)`; no ranks → `false`; a rank outside the slice → `ValueNotInSlice`
 * (the smallest such rank). The chain is as deep as the rank count, so the recursive algorithms
 * run out of stack (`InvalidSelection`) for several thousand ranks: use `ofRanksBalanced` there.
 */
export function ofRanks(slice: SliceLike, ranks: Iterable<number>): Selection {
  const arms = rankArms(slice, ranks);
  if (arms.length === 0) return Selection.false_();
  let acc = arms[0]!;
  for (let i = 1; i < arms.length; i++) acc = new UnionSel(acc, arms[i]!);
  return acc;
}

/**
 * The arms of `ofRanks` joined by `unionOf` instead: the same ranks, depth log2 n, for rank
 * sets of any size (casting to a region that is not a sub-slice of its root).
 */
export function ofRanksBalanced(slice: SliceLike, ranks: Iterable<number>): Selection {
  return unionOf(rankArms(slice, ranks));
}

function sliceMembers(s: Slice): number[] {
  const out: number[] = [];
  const nd = s.sizes.length;
  if (s.sizes.some((x) => x === 0)) return out;
  const c = new Array<number>(nd).fill(0);
  for (;;) {
    let loc = s.offset;
    for (let i = 0; i < nd; i++) loc += c[i]! * s.strides[i]!;
    out.push(loc);
    let i = nd - 1;
    while (i >= 0 && ++c[i]! >= s.sizes[i]!) c[i--] = 0;
    if (i < 0) return out;
  }
}

/**
 * A selection over the contiguous `base` that selects exactly the members of `view`: per-dim
 * ranges when the view's strides are multiples of the base's, else `ofRanks(view members)`.
 * Non-contiguous base → `NonContiguous`; view origin outside the base → `ValueNotInSlice`.
 */
export function reifySlice(base: SliceLike, view: SliceLike): Selection {
  const b = asSlice(base);
  const v = asSlice(view);
  if (!b.isContiguous()) throw new NonContiguous();
  if (v.len === 0) return Selection.false_();
  if (v.numDim !== b.numDim || v.sizes.some((sz, i) => sz > b.sizes[i]!)) return ofRanks(b, sliceMembers(v));
  const origin = b.coordinates(v.offset);
  const ranges: Range[] = [];
  for (let i = 0; i < v.numDim; i++) {
    const vs = v.strides[i]!;
    const bs = b.strides[i]!;
    if (bs === 0 || vs % bs !== 0) return ofRanks(b, sliceMembers(v));
    const step = vs / bs;
    if (step === 0) return ofRanks(b, sliceMembers(v));
    const start = origin[i]!;
    ranges.push(new Range(start, start + step * v.sizes[i]!, step));
  }
  let acc: Selection = Selection.true_();
  for (let i = ranges.length - 1; i >= 0; i--) acc = new RangeSel(ranges[i]!, acc);
  return acc;
}

/**
 * The `reifySlice` of the non-empty views folded left by `union`, as Monarch's
 * `ReifySlice::reify_slices` (ndslice/src/selection.rs); `false` if there are none.
 */
export function reifySlices(base: SliceLike, views: Iterable<SliceLike>): Selection {
  let acc: Selection | undefined;
  for (const view of views) {
    if (asSlice(view).len === 0) continue;
    const arm = reifySlice(base, view);
    acc = acc === undefined ? arm : new UnionSel(acc, arm);
  }
  return acc ?? Selection.false_();
}

/** Ranks selected by `sel` in `slice` (evaluated with `opts`) that are not in `exclusions`. */
export function difference(sel: Selection, slice: SliceLike, exclusions: Iterable<number>, opts: EvalOptions = EvalOptions.strict()): number[] {
  const ex = new Set(exclusions);
  return sel.eval(slice, opts).filter((r) => !ex.has(r));
}

/** `ofRanks(slice, eval(sel) − exclusions)`. */
export function without(sel: Selection, slice: SliceLike, exclusions: Iterable<number>): Selection {
  return ofRanks(slice, difference(sel, slice, exclusions, EvalOptions.lenient()));
}

type RangeInput = Range | number | readonly [number, (number | null)?, number?];

/** `all` for unconstrained dims, `range` for constrained ones, in label order; unknown label → `InvalidLabels`. */
export function selectionFrom(shape: { readonly labels: readonly string[] }, constraints: Iterable<readonly [string, RangeInput]>): Selection {
  const byLabel = new Map<string, Range>();
  const unknown: string[] = [];
  for (const [label, r] of constraints) {
    if (!shape.labels.includes(label)) unknown.push(label);
    else byLabel.set(label, Range.from(r));
  }
  if (unknown.length) throw new InvalidLabels(unknown);
  let acc: Selection = Selection.true_();
  for (let i = shape.labels.length - 1; i >= 0; i--) {
    const r = byLabel.get(shape.labels[i]!);
    acc = r ? new RangeSel(r, acc) : Selection.all(acc);
  }
  return acc;
}

/** `all` before the constrained dim, then `range(r, true)`. */
export function selectionFromOne(shape: { readonly labels: readonly string[] }, label: string, r: RangeInput): Selection {
  const dim = shape.labels.indexOf(label);
  if (dim < 0) throw new InvalidLabels([label]);
  let acc: Selection = new RangeSel(Range.from(r), Selection.true_());
  for (let i = 0; i < dim; i++) acc = Selection.all(acc);
  return acc;
}

/**
 * A cast's selection over a sliced mesh re-expressed over the root slice (Monarch hyperactor_mesh/src/v1/actor_mesh.rs `ActorMeshRef::cast`):
 * `normalize(sel) == true` ⇒ `reifySlice(root, sliced)`, else `ofRanks(root, eval(sel, sliced))`.
 */
export function selectionOnRoot(root: SliceLike, sliced: SliceLike, sel: Selection): Selection {
  if (normalize(sel).kind === 'true') return reifySlice(root, sliced);
  return ofRanks(root, sel.eval(sliced));
}
