// Shared helpers of the valuemesh tests: a seeded PRNG and random run lists / meshes / overlays.
import { Extent, Region } from '../../src/ndslice/index.js';
import type { ValueRun } from '../../src/valuemesh/index.js';
import { int, prng } from '../_support/prng.js';

export { int, prng };

export function region1(n: number, label = 'n'): Region {
  return Region.fromExtent(Extent.new([label], [n]));
}

/** Random dense values over `n` ranks drawn from `k` distinct small integers (runs likely). */
export function randomDense(rnd: () => number, n: number, k: number): number[] {
  const out: number[] = [];
  let v = int(rnd, 0, k - 1);
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.3) v = int(rnd, 0, k - 1);
    out.push(v);
  }
  return out;
}

/** Random sorted, non-overlapping (possibly touching, possibly gapped) runs within `0..n`. */
export function randomRuns(rnd: () => number, n: number, k: number, density = 0.5): ValueRun<number>[] {
  const out: ValueRun<number>[] = [];
  let at = 0;
  while (at < n) {
    at += rnd() < density ? 0 : int(rnd, 1, 4);
    if (at >= n) break;
    const end = Math.min(n, at + int(rnd, 1, 6));
    out.push({ start: at, end, value: int(rnd, 0, k - 1) });
    at = end;
  }
  return out;
}

/** Naive right-wins: apply runs rank by rank to a dense copy. */
export function naiveApply<T>(dense: readonly T[], runs: readonly ValueRun<T>[]): T[] {
  const out = dense.slice();
  for (const r of runs) for (let k = r.start; k < r.end; k++) out[k] = r.value;
  return out;
}

/** Triples from value runs (values used as codes). */
export function triples(runs: readonly ValueRun<number>[]): Uint32Array {
  const a = new Uint32Array(runs.length * 3);
  runs.forEach((r, i) => a.set([r.start, r.end, r.value], i * 3));
  return a;
}

export function fromTriples(t: Uint32Array): ValueRun<number>[] {
  const out: ValueRun<number>[] = [];
  for (let j = 0; j < t.length; j += 3) out.push({ start: t[j]!, end: t[j + 1]!, value: t[j + 2]! });
  return out;
}

/** Dense values of gapless runs over `0..n` (undefined where no run covers). */
export function densify<T>(runs: readonly ValueRun<T>[], n: number): (T | undefined)[] {
  const out = new Array<T | undefined>(n).fill(undefined);
  for (const r of runs) for (let k = r.start; k < r.end; k++) out[k] = r.value;
  return out;
}
