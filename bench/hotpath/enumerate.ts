/**
 * `enumerate`: base ranks of a sliced region of a 1M-rank extent, WASM kernel (`Region.baseRanks`)
 * vs the plain-TS reference (same odometer algorithm; both return a fresh Uint32Array).
 * Region: extent `{a:100, b:100, c:100}` ranged `b` 0..100 step 2 → 500,000 ranks (inner runs of
 * 100 contiguous base ranks); also a fully strided variant (`c` step 2 as well: 250,000 ranks,
 * inner runs of 50 with stride 2), row `enumerate-strided`.
 *
 * The machine is shared and noisy, so the two implementations are timed in alternating rounds and
 * the ratio is the median of the per-round ratios (reference/wasm, >1 = WASM faster).
 */
import { percentile, timeNs, type BenchRow } from '../lib.js';
import { Extent, Region } from '../../src/ndslice/index.js';
import { enumerate as refEnumerate } from '../../src/ndslice/reference.js';

export async function run(quick: boolean): Promise<{ results: BenchRow[]; ratios: Record<string, number>; notes?: string[] }> {
  const side = quick ? 40 : 100;
  const base = Region.fromExtent(Extent.of([['a', side], ['b', side], ['c', side]]));
  const dense = base.range('b', [0, null, 2]);
  const strided = dense.range('c', [0, null, 2]);
  const rounds = quick ? 3 : 9;
  const opts = { samples: 1, minSampleMs: quick ? 20 : 80, warmup: 2 };
  const results: BenchRow[] = [];
  const notes: string[] = [];
  const ratios: Record<string, number> = {};
  for (const [name, r] of [['enumerate', dense], ['enumerate-strided', strided]] as const) {
    const a = r.baseRanks();
    const b = refEnumerate(r.slice);
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error(`${name}: wasm and reference disagree`);
    const w: number[] = [];
    const t: number[] = [];
    const q: number[] = [];
    for (let k = 0; k < rounds; k++) {
      const wasm = timeNs(() => r.baseRanks(), opts);
      const ts = timeNs(() => refEnumerate(r.slice), opts);
      w.push(wasm);
      t.push(ts);
      q.push(ts / wasm);
    }
    const wasm = percentile(w, 50);
    const ts = percentile(t, 50);
    results.push({ name, impl: 'wasm', value: wasm, unit: 'ns' }, { name, impl: 'ts-reference', value: ts, unit: 'ns' });
    ratios[name] = percentile(q, 50);
    notes.push(`${name}: ${r.numRanks} of ${base.numRanks} ranks (${r}): ${(wasm / r.numRanks).toFixed(2)} ns/rank wasm, ${(ts / r.numRanks).toFixed(2)} ns/rank ts; per-round ratios ${Math.min(...q).toFixed(2)}..${Math.max(...q).toFixed(2)}`);
  }
  return { results, ratios, notes };
}
