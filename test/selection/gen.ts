// Seeded random slices and selections shared by the selection tests (not a test file itself).
import { Slice } from '../../src/ndslice/slice.js';
import { Selection } from '../../src/selection/index.js';
import { int, prng } from '../_support/prng.js';

export { int, prng };

/** A valid slice with 1..4 dims, descending strides (ascending enumeration), maybe offset and gaps. */
export function randomSlice(r: () => number): Slice {
  const nd = int(r, 1, 4);
  const sizes = Array.from({ length: nd }, () => int(r, 1, 5));
  const strides = new Array<number>(nd);
  let acc = int(r, 1, 2);
  for (let i = nd - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= sizes[i]! * int(r, 1, 2);
  }
  return Slice.new(int(r, 0, 3) * 7, sizes, strides);
}

/** A random static selection (no any/first) of depth at most `dims`. */
export function randomSelection(r: () => number, dims: number, depth = 0): Selection {
  const x = r();
  if (depth >= dims) return x < 0.85 ? Selection.true_() : Selection.false_();
  if (x < 0.06) return Selection.true_();
  if (x < 0.1) return Selection.false_();
  if (x < 0.4) return Selection.all(randomSelection(r, dims, depth + 1));
  if (x < 0.72) {
    const start = int(r, 0, 5);
    const end = r() < 0.2 ? null : start + int(r, 0, 5);
    return Selection.range([start, end, int(r, 1, 3)], randomSelection(r, dims, depth + 1));
  }
  if (depth > 2 && x < 0.86) return Selection.all(randomSelection(r, dims, depth + 1));
  if (x < 0.86) return Selection.union(randomSelection(r, dims, depth), randomSelection(r, dims, depth));
  return Selection.intersection(randomSelection(r, dims, depth), randomSelection(r, dims, depth));
}

export const sorted = (xs: Iterable<number>): number[] => Array.from(xs).sort((a, b) => a - b);
