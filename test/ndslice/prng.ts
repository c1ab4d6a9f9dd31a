/** Seeded PRNG and random ndslice values for the property tests (not a test file itself). */
import { Extent, Range, Region, Slice } from '../../src/ndslice/index.js';
import { ActormeshError } from '../../src/base/errors.js';
import { int, prng } from '../_support/prng.js';

export { int, prng };

/** A random valid slice: strides in a random nesting order, each a multiple of the one below, with gaps. */
export function randomSlice(rnd: () => number, maxDims = 4, maxSize = 6): Slice {
  const d = int(rnd, 0, maxDims);
  const sizes = Array.from({ length: d }, () => (rnd() < 0.05 ? 0 : int(rnd, 1, maxSize)));
  const order = Array.from({ length: d }, (_, i) => i).sort(() => rnd() - 0.5);
  const strides = new Array<number>(d).fill(0);
  let total = 1;
  let prev = 1;
  for (const i of order) {
    const stride = prev * Math.max(1, Math.ceil(total / prev)) * int(rnd, 1, 3);
    strides[i] = stride;
    total = stride * (sizes[i] === 0 ? 2 : sizes[i]!);
    prev = stride;
  }
  return Slice.new(int(rnd, 0, 40), sizes, strides);
}

const LABELS = ['x', 'y', 'zone', 'host', 'gpu', 'dim/0', 'a b', 'q"uote', 'back\\slash', 'tab\there', 'ünï', 'n_1'];

export function randomExtent(rnd: () => number, maxDims = 4, maxSize = 6): Extent {
  const d = int(rnd, 0, maxDims);
  const pool = LABELS.slice().sort(() => rnd() - 0.5);
  return Extent.of(Array.from({ length: d }, (_, i) => [pool[i]!, int(rnd, 1, maxSize)] as const));
}

/** A random region: a full extent ranged on a few dims; steps that Rust would panic on are skipped. */
export function randomRegion(rnd: () => number, base?: Region): Region {
  let r = base ?? Region.fromExtent(randomExtent(rnd));
  const steps = int(rnd, 0, 3);
  for (let k = 0; k < steps && r.labels.length; k++) {
    const dim = r.labels[int(rnd, 0, r.labels.length - 1)]!;
    const size = r.slice.sizes[r.labels.indexOf(dim)]!;
    if (size === 0) continue;
    const start = int(rnd, 0, size - 1);
    const end = rnd() < 0.3 ? null : int(rnd, start + 1, size + 2);
    try {
      r = r.range(dim, new Range(start, end, int(rnd, 1, 3)));
    } catch (e) {
      if (!(e instanceof ActormeshError) || e.variant !== 'InvalidStep') throw e;
    }
  }
  return r;
}
