/**
 * Bounding comm-tree fan-out by reshaping the root slice (Monarch ndslice/src/reshape.rs `reshape_with_limit`):
 * every dim larger than `limit` is factored into dims of size `<= limit` with strides chosen so
 * that every coordinate keeps its base rank.
 *
 * Invariant: `reshapeWithLimit(s, l)` has the same members and the same row-major enumeration
 * as `s` (locations preserved); `reshapeSelection` selects the same base ranks on the reshaped
 * slice as the original selection on the original slice.
 */
import { InvalidInteger } from '../ndslice/errors.js';
import { Slice, type SliceLike } from '../ndslice/slice.js';
import { Range } from '../ndslice/range.js';
import { AllSel, RangeSel, Selection, validateSelection, type Selection as Sel } from './selection.js';
import { normalize } from './normalize.js';

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInteger('limit (expected an integer >= 1)', limit);
  return limit;
}

/** Greedy factorization of one size: `d` from `limit` down to 2 divided out while possible; a remaining factor > 1 appended. */
export function factorSize(size: number, limit: number): number[] {
  checkLimit(limit);
  if (size <= limit) return [size];
  const out: number[] = [];
  let n = size;
  for (let d = limit; d >= 2; d--) {
    while (n % d === 0) {
      out.push(d);
      n /= d;
    }
  }
  if (n > 1) out.push(n);
  return out;
}

/** `factorSize` of every dim (`1024, limit 8 → 8,8,8,2`; `30, limit 5 → 5,3,2`; `7, limit 4 → 7`). */
export function factorDims(sizes: readonly number[], limit: number): number[][] {
  checkLimit(limit);
  return sizes.map((s) => factorSize(s, limit));
}

/** The reshaped slice: factored sizes, strides expanded row-major inside each original dim, same offset. */
export function reshapeWithLimit(slice: SliceLike, limit: number): Slice {
  const factors = factorDims(slice.sizes, limit);
  const sizes: number[] = [];
  const strides: number[] = [];
  factors.forEach((fs, i) => {
    let stride = slice.strides[i]!;
    const local: number[] = new Array<number>(fs.length);
    for (let j = fs.length - 1; j >= 0; j--) {
      local[j] = stride;
      stride *= fs[j]!;
    }
    sizes.push(...fs);
    strides.push(...local);
  });
  return Slice.new(slice.offset, sizes, strides);
}

/** Labels of the reshaped dims: unchanged for unsplit dims, `label/0, label/1, …` for split ones. */
export function expandLabels(factors: readonly (readonly [string, readonly number[]])[]): string[] {
  const out: string[] = [];
  for (const [label, fs] of factors) {
    if (fs.length <= 1) out.push(label);
    else fs.forEach((_, j) => out.push(`${label}/${j}`));
  }
  return out;
}

/** Reshaped labels and slice of a labelled slice (a `Shape`/`Region`). */
export function reshapeShapeWithLimit(labels: readonly string[], slice: SliceLike, limit: number): { labels: string[]; slice: Slice } {
  const factors = factorDims(slice.sizes, limit);
  return { labels: expandLabels(labels.map((l, i) => [l, factors[i]!] as const)), slice: reshapeWithLimit(slice, limit) };
}

function allDims(n: number, inner: Sel): Sel {
  let s = inner;
  for (let i = 0; i < n; i++) s = new AllSel(s);
  return s;
}

function unionAll(arms: Sel[]): Sel {
  if (arms.length === 0) return Selection.false_();
  return arms.reduce((a, b) => Selection.union(a, b));
}

/**
 * Selects `{b + t·s < e}` (with `0 <= b < e <= W`) over the factor digits `j..` of one original
 * dim (`factors`, row-major), then `tail`: start / middle / end pieces over the leading digit when
 * the step divides the digit's weight, one element per digit value when the weight divides the step,
 * otherwise one arm per digit value (at most `factors[j]` arms per level).
 */
function progression(factors: readonly number[], j: number, b: number, e: number, s: number, tail: Sel): Sel {
  const k = factors.length;
  if (j === k - 1) return new RangeSel(new Range(b, e, s), tail);
  let w = 1;
  for (let m = j + 1; m < k; m++) w *= factors[m]!;
  const width = factors[j]! * w;
  if (b === 0 && s === 1 && e === width) return allDims(k - j, tail);
  const dlo = Math.floor(b / w);
  const dhi = Math.floor((e - 1) / w);
  const digit = (lo: number, hi: number, step: number, inner: Sel): Sel =>
    lo === 0 && hi === factors[j]! && step === 1 ? new AllSel(inner) : new RangeSel(new Range(lo, hi, step), inner);
  if (dlo === dhi) return digit(dlo, dlo + 1, 1, progression(factors, j + 1, b - dlo * w, e - dlo * w, s, tail));
  if (s % w === 0) {
    const last = b + Math.floor((e - 1 - b) / s) * s;
    const off = b % w;
    return digit(dlo, Math.floor(last / w) + 1, s / w, progression(factors, j + 1, off, off + 1, 1, tail));
  }
  if (w % s === 0) {
    const arms: Sel[] = [];
    if (b % w !== 0) arms.push(digit(dlo, dlo + 1, 1, progression(factors, j + 1, b - dlo * w, w, s, tail)));
    const fullLo = b % w === 0 ? dlo : dlo + 1;
    const fullHi = e % w === 0 ? dhi + 1 : dhi;
    if (fullLo < fullHi) arms.push(digit(fullLo, fullHi, 1, progression(factors, j + 1, b % s, w, s, tail)));
    if (e % w !== 0) {
      const o = b % s;
      if (o < e - dhi * w) arms.push(digit(dhi, dhi + 1, 1, progression(factors, j + 1, o, e - dhi * w, s, tail)));
    }
    return unionAll(arms);
  }
  const arms: Sel[] = [];
  for (let d = dlo; d <= dhi; d++) {
    const lo = Math.max(b, d * w);
    const first = lo + ((((b - lo) % s) + s) % s);
    const hi = Math.min(e, (d + 1) * w);
    if (first < hi) arms.push(digit(d, d + 1, 1, progression(factors, j + 1, first - d * w, hi - d * w, s, tail)));
  }
  return unionAll(arms);
}

function rewrite(s: Sel, dim: number, factors: readonly number[][], sizes: readonly number[]): Sel {
  switch (s.kind) {
    case 'true':
    case 'false':
      return s;
    case 'union':
      return Selection.union(rewrite(s.left, dim, factors, sizes), rewrite(s.right, dim, factors, sizes));
    case 'intersection':
      return Selection.intersection(rewrite(s.left, dim, factors, sizes), rewrite(s.right, dim, factors, sizes));
    default:
      break;
  }
  const fs = factors[dim]!;
  const inner = rewrite(s.inner, dim + 1, factors, sizes);
  switch (s.kind) {
    case 'all':
      return allDims(fs.length, inner);
    case 'any': {
      let out = inner;
      for (let i = 0; i < fs.length; i++) out = Selection.any(out);
      return out;
    }
    case 'first': {
      let out = inner;
      for (let i = 0; i < fs.length; i++) out = Selection.first(out);
      return out;
    }
    case 'range': {
      if (fs.length === 1) return new RangeSel(s.range, inner);
      const [b, e, st] = s.range.resolve(sizes[dim]!);
      if (b >= e) return Selection.false_();
      return progression(fs, 0, b, e, st, inner);
    }
  }
}

/**
 * Rewrites `sel` (over `slice`) onto `reshapeWithLimit(slice, limit)`, selecting the same base
 * ranks: `all`/`any`/`first` on a split dim repeat over its factor dims (uniform digits = uniform
 * index; lexicographic first = first index); a range becomes start/middle/end pieces over the
 * factor digits (see `progression`). Too deep → `SelectionTooDeep`.
 */
export function reshapeSelection(sel: Sel, slice: SliceLike, limit: number): Selection {
  const factors = factorDims(slice.sizes, limit);
  validateSelection(sel, slice);
  if (normalize(sel).kind === 'true') return Selection.true_();
  if (slice.sizes.length === 0) return sel;
  return rewrite(sel, 0, factors, slice.sizes);
}
