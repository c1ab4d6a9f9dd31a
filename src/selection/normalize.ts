/**
 * `normalize` (Monarch ndslice/src/selection/normal.rs `NormalizedSelection`): a canonical form used as the routing-frame dedup key.
 *
 * Unions and intersections become ordered sets (order: `false < true < all < first < range < any <
 * union < intersection`, payloads compared structurally, as Rust's derived `Ord`), rewritten
 * bottom-up by: flatten nested unions/intersections; identities (`all(true) → true`, `all(false) →
 * false`, drop `true` from intersections and `false` from unions, singleton set → its element,
 * empty intersection → `true`, empty union → `false`); absorption (union containing `true` →
 * `true`, intersection containing `false` → `false`).
 *
 * Invariant: normalization preserves meaning, so two frames with equal keys route to the same
 * ranks. Rust also rewrites `all(all(x)) → all(x)`, which drops a dimension (`*,*,0` would key
 * like `*,0`) and can make routing dedup drop a frame that selects different ranks; we leave
 * that rule out (the intended behaviour), and test the case it breaks.
 */
import { Range } from '../ndslice/range.js';
import { AllSel, AnySel, FirstSel, IntersectionSel, RangeSel, Selection, UnionSel } from './selection.js';

export type NormalizedSelection =
  | { readonly kind: 'false' }
  | { readonly kind: 'true' }
  | { readonly kind: 'all' | 'first' | 'any'; readonly inner: NormalizedSelection }
  | { readonly kind: 'range'; readonly range: Range; readonly inner: NormalizedSelection }
  | { readonly kind: 'union' | 'intersection'; readonly set: readonly NormalizedSelection[] };

const ORDER: Record<NormalizedSelection['kind'], number> = {
  false: 0,
  true: 1,
  all: 2,
  first: 3,
  range: 4,
  any: 6,
  union: 7,
  intersection: 8,
};

const N_TRUE: NormalizedSelection = { kind: 'true' };
const N_FALSE: NormalizedSelection = { kind: 'false' };

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpRange(a: Range, b: Range): number {
  if (a.start !== b.start) return cmpNum(a.start, b.start);
  if (a.end !== b.end) {
    if (a.end === null) return -1; // Option: None < Some
    if (b.end === null) return 1;
    return cmpNum(a.end, b.end);
  }
  return cmpNum(a.step, b.step);
}

/** Total order matching Rust's derived `Ord` on `NormalizedSelection`. */
export function compareNormalized(a: NormalizedSelection, b: NormalizedSelection): number {
  if (a === b) return 0;
  const ka = ORDER[a.kind];
  const kb = ORDER[b.kind];
  if (ka !== kb) return cmpNum(ka, kb);
  switch (a.kind) {
    case 'true':
    case 'false':
      return 0;
    case 'all':
    case 'first':
    case 'any':
      return compareNormalized(a.inner, (b as typeof a).inner);
    case 'range': {
      const bb = b as typeof a;
      return cmpRange(a.range, bb.range) || compareNormalized(a.inner, bb.inner);
    }
    case 'union':
    case 'intersection': {
      const sa = a.set;
      const sb = (b as typeof a).set;
      const n = Math.min(sa.length, sb.length);
      for (let i = 0; i < n; i++) {
        const c = compareNormalized(sa[i]!, sb[i]!);
        if (c) return c;
      }
      return cmpNum(sa.length, sb.length);
    }
  }
}

/** Sorted, duplicate-free set. */
function toSet(items: NormalizedSelection[]): NormalizedSelection[] {
  items.sort(compareNormalized);
  const out: NormalizedSelection[] = [];
  for (const x of items) if (out.length === 0 || compareNormalized(out[out.length - 1]!, x) !== 0) out.push(x);
  return out;
}

function rewriteSet(kind: 'union' | 'intersection', children: NormalizedSelection[]): NormalizedSelection {
  // Flatten.
  const flat: NormalizedSelection[] = [];
  for (const c of children) {
    if (c.kind === kind) flat.push(...c.set);
    else flat.push(c);
  }
  // Identities.
  const unit = kind === 'union' ? 'false' : 'true';
  const set = toSet(flat.filter((c) => c.kind !== unit));
  if (set.length === 0) return kind === 'union' ? N_FALSE : N_TRUE;
  if (set.length === 1) return set[0]!;
  // Absorption.
  const zero = kind === 'union' ? 'true' : 'false';
  if (set.some((c) => c.kind === zero)) return kind === 'union' ? N_TRUE : N_FALSE;
  return { kind, set };
}

/** Bottom-up normalization (see the module comment). */
export function normalize(s: Selection): NormalizedSelection {
  switch (s.kind) {
    case 'true':
      return N_TRUE;
    case 'false':
      return N_FALSE;
    case 'all': {
      const inner = normalize(s.inner);
      if (inner.kind === 'true' || inner.kind === 'false') return inner;
      return { kind: 'all', inner };
    }
    case 'first':
    case 'any':
      return { kind: s.kind, inner: normalize(s.inner) };
    case 'range':
      return { kind: 'range', range: s.range, inner: normalize(s.inner) };
    case 'union':
    case 'intersection':
      return rewriteSet(s.kind, [normalize(s.left), normalize(s.right)]);
  }
}

/** Back to a `Selection`; sets become left-associated binary trees in set order. */
export function reifyNormalized(n: NormalizedSelection): Selection {
  switch (n.kind) {
    case 'true':
      return Selection.true_();
    case 'false':
      return Selection.false_();
    case 'all':
      return new AllSel(reifyNormalized(n.inner));
    case 'first':
      return new FirstSel(reifyNormalized(n.inner));
    case 'any':
      return new AnySel(reifyNormalized(n.inner));
    case 'range':
      return new RangeSel(n.range, reifyNormalized(n.inner));
    case 'union':
    case 'intersection': {
      if (n.set.length === 0) return n.kind === 'union' ? Selection.false_() : Selection.true_();
      let acc = reifyNormalized(n.set[0]!);
      for (let i = 1; i < n.set.length; i++)
        acc = n.kind === 'union' ? new UnionSel(acc, reifyNormalized(n.set[i]!)) : new IntersectionSel(acc, reifyNormalized(n.set[i]!));
      return acc;
    }
  }
}

/** A string that is equal for two selections iff their normal forms are equal (a hash key). */
export function normalizedKey(n: NormalizedSelection): string {
  switch (n.kind) {
    case 'true':
      return 'T';
    case 'false':
      return 'F';
    case 'all':
      return `A${normalizedKey(n.inner)}`;
    case 'first':
      return `P${normalizedKey(n.inner)}`;
    case 'any':
      return `Y${normalizedKey(n.inner)}`;
    case 'range':
      return `R${n.range.start}:${n.range.end ?? ''}:${n.range.step}${normalizedKey(n.inner)}`;
    case 'union':
      return `U(${n.set.map(normalizedKey).join(',')})`;
    case 'intersection':
      return `I(${n.set.map(normalizedKey).join(',')})`;
  }
}

/** `normalizedKey(normalize(s))`. */
export function selectionKey(s: Selection): string {
  return normalizedKey(normalize(s));
}
