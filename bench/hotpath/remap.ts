/**
 * `remap`: a ~1M-rank sub-region remapped into its parent (Rust's sorted-merge semantics, walked
 * run by run), WASM kernel (`Region.remap`) vs the plain-TS reference (same algorithm; both return
 * a fresh Uint32Array).
 * Parent: extent `{a:128, b:128, c:128}` (2,097,152 ranks); target: `c` 0..128 step 2
 * (1,048,576 ranks, every other base rank).
 *
 * Timed in alternating rounds; the ratio is the median of the per-round ratios (reference/wasm).
 */
import { percentile, timeNs, type BenchRow } from '../lib.js';
import { Extent, Region } from '../../src/ndslice/index.js';
import { remap as refRemap } from '../../src/ndslice/reference.js';

export async function run(quick: boolean): Promise<{ results: BenchRow[]; ratios: Record<string, number>; notes?: string[] }> {
  const side = quick ? 48 : 128;
  const parent = Region.fromExtent(Extent.of([['a', side], ['b', side], ['c', side]]));
  const target = parent.range('c', [0, null, 2]);
  const a = parent.remap(target)!;
  const b = refRemap(parent.slice, target.slice)!;
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error('remap: wasm and reference disagree');
  const rounds = quick ? 3 : 9;
  const opts = { samples: 1, minSampleMs: quick ? 20 : 100, warmup: 2 };
  const w: number[] = [];
  const t: number[] = [];
  const q: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const wasm = timeNs(() => parent.remap(target), opts);
    const ts = timeNs(() => refRemap(parent.slice, target.slice), opts);
    w.push(wasm);
    t.push(ts);
    q.push(ts / wasm);
  }
  const wasm = percentile(w, 50);
  const ts = percentile(t, 50);
  return {
    results: [
      { name: 'remap', impl: 'wasm', value: wasm, unit: 'ns' },
      { name: 'remap', impl: 'ts-reference', value: ts, unit: 'ns' },
    ],
    ratios: { remap: percentile(q, 50) },
    notes: [
      `remap: ${target.numRanks} target ranks into ${parent.numRanks} (${target}): ${(wasm / target.numRanks).toFixed(2)} ns/target rank wasm, ${(ts / target.numRanks).toFixed(2)} ts; per-round ratios ${Math.min(...q).toFixed(2)}..${Math.max(...q).toFixed(2)}`,
    ],
  };
}
