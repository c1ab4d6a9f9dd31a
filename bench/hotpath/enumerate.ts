/**
 * `enumerate`: base ranks of a sliced region of a 1M-rank extent, WASM kernel vs the plain-TS
 * reference (same odometer algorithm), through each of the three result APIs:
 * - `enumerate` (headline): the batch API a hot-path caller uses, a caller buffer reused across
 *   calls on both sides (`Region.baseRanksInto(buf)` vs reference `enumerateInto(slice, buf)`);
 * - `enumerate-lend`: zero copy, `Region.withBaseRanks(f)` (a view over WASM linear memory) vs the
 *   reference's `withEnumerate` (its own reused buffer); `f` reads one word;
 * - `enumerate-copy`: the safe default, a fresh Uint32Array per call on both sides
 *   (`Region.baseRanks()` vs reference `enumerate`), kept so the allocation cost is not hidden.
 * Region: extent `{a:100, b:100, c:100}` ranged `b` 0..100 step 2 → 500,000 ranks (inner runs of
 * 100 contiguous base ranks); also a fully strided variant (`c` step 2 as well: 250,000 ranks,
 * inner runs of 50 with stride 2), rows `enumerate-strided` (buffer) and `enumerate-strided-copy`.
 *
 * The machine is shared and noisy, so the two implementations are timed in alternating rounds and
 * the ratio is the median of the per-round ratios (reference/wasm, >1 = WASM faster).
 */
import { percentile, timeNs, type BenchRow } from '../lib.js';
import { Extent, Region } from '../../src/ndslice/index.js';
import { enumerate as refEnumerate, enumerateInto as refEnumerateInto, withEnumerate as refWithEnumerate } from '../../src/ndslice/reference.js';

export interface PartResult {
  results: BenchRow[];
  ratios: Record<string, number>;
  notes?: string[];
}

/**
 * Times `wasm` and `ts` in `rounds` alternating rounds; adds both rows and the median per-round
 * ratio (ts/wasm) under `name`, and a note with ns per item and the ratio range.
 */
export function compareRounds(
  out: PartResult & { notes: string[] },
  name: string,
  items: number,
  what: string,
  rounds: number,
  opts: { samples: number; minSampleMs: number; warmup: number },
  wasmFn: () => unknown,
  tsFn: () => unknown,
): void {
  const w: number[] = [];
  const t: number[] = [];
  const q: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const wasm = timeNs(wasmFn, opts);
    const ts = timeNs(tsFn, opts);
    w.push(wasm);
    t.push(ts);
    q.push(ts / wasm);
  }
  const wasm = percentile(w, 50);
  const ts = percentile(t, 50);
  out.results.push({ name, impl: 'wasm', value: wasm, unit: 'ns' }, { name, impl: 'ts-reference', value: ts, unit: 'ns' });
  out.ratios[name] = percentile(q, 50);
  out.notes.push(
    `${name}: ${what}: ${(wasm / items).toFixed(2)} ns/rank wasm, ${(ts / items).toFixed(2)} ns/rank ts; per-round ratios ${Math.min(...q).toFixed(2)}..${Math.max(...q).toFixed(2)}`,
  );
}

export function sameRanks(name: string, a: ArrayLike<number> | null, b: ArrayLike<number> | null): void {
  if (a === null || b === null || a.length !== b.length) throw new Error(`${name}: wasm and reference disagree`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`${name}: wasm and reference disagree at ${i}`);
}

export async function run(quick: boolean): Promise<PartResult> {
  const side = quick ? 40 : 100;
  const base = Region.fromExtent(
    Extent.of([
      ['a', side],
      ['b', side],
      ['c', side],
    ]),
  );
  const dense = base.range('b', [0, null, 2]);
  const strided = dense.range('c', [0, null, 2]);
  const rounds = quick ? 3 : 7;
  const opts = { samples: 1, minSampleMs: quick ? 20 : 70, warmup: 2 };
  const out = { results: [] as BenchRow[], ratios: {} as Record<string, number>, notes: [] as string[] };
  for (const [name, r] of [
    ['enumerate', dense],
    ['enumerate-strided', strided],
  ] as const) {
    const n = r.numRanks;
    const what = `${n} of ${base.numRanks} ranks (${r})`;
    const expect = refEnumerate(r.slice);
    const wBuf = new Uint32Array(n);
    const tBuf = new Uint32Array(n);
    sameRanks(name, r.baseRanks(), expect);
    sameRanks(name, r.baseRanksInto(wBuf), expect);
    sameRanks(name, refEnumerateInto(r.slice, tBuf), expect);
    sameRanks(
      name,
      r.withBaseRanks((v) => Uint32Array.from(v)),
      expect,
    );
    // caller buffer reused across calls, both sides
    compareRounds(
      out,
      name,
      n,
      what,
      rounds,
      opts,
      () => r.baseRanksInto(wBuf),
      () => refEnumerateInto(r.slice, tBuf),
    );
    if (name === 'enumerate') {
      const last = (v: Uint32Array) => v[v.length - 1];
      compareRounds(
        out,
        `${name}-lend`,
        n,
        what,
        rounds,
        opts,
        () => r.withBaseRanks(last),
        () => refWithEnumerate(r.slice, last),
      );
    }
    compareRounds(
      out,
      `${name}-copy`,
      n,
      what,
      rounds,
      opts,
      () => r.baseRanks(),
      () => refEnumerate(r.slice),
    );
  }
  return out;
}
