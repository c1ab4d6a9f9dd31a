/**
 * `remap`: a ~1M-rank sub-region remapped into its parent (Rust's sorted-merge semantics, walked
 * run by run), WASM kernel vs the plain-TS reference (same algorithm), through each result API:
 * - `remap` (headline): caller buffer reused across calls on both sides
 *   (`Region.remapInto(target, buf)` vs reference `remapInto(parent, target, buf)`);
 * - `remap-lend`: zero copy, `Region.withRemap(target, f)` (view over WASM linear memory) vs the
 *   reference's `withRemap` (its own reused buffer); `f` reads one word;
 * - `remap-copy`: a fresh Uint32Array per call on both sides (`Region.remap` vs reference `remap`).
 * Parent: extent `{a:128, b:128, c:128}` (2,097,152 ranks); target: `c` 0..128 step 2
 * (1,048,576 ranks, every other base rank).
 *
 * Timed in alternating rounds; the ratio is the median of the per-round ratios (reference/wasm).
 */
import type { BenchRow } from '../lib.js';
import { Extent, Region } from '../../src/ndslice/index.js';
import { remap as refRemap, remapInto as refRemapInto, withRemap as refWithRemap } from '../../src/ndslice/reference.js';
import { compareRounds, sameRanks, type PartResult } from './enumerate.js';

export async function run(quick: boolean): Promise<PartResult> {
  const side = quick ? 48 : 128;
  const parent = Region.fromExtent(
    Extent.of([
      ['a', side],
      ['b', side],
      ['c', side],
    ]),
  );
  const target = parent.range('c', [0, null, 2]);
  const n = target.numRanks;
  const expect = refRemap(parent.slice, target.slice);
  const wBuf = new Uint32Array(n);
  const tBuf = new Uint32Array(n);
  sameRanks('remap', parent.remap(target), expect);
  sameRanks('remap', parent.remapInto(target, wBuf), expect);
  sameRanks('remap', refRemapInto(parent.slice, target.slice, tBuf), expect);
  sameRanks(
    'remap',
    parent.withRemap(target, (v) => Uint32Array.from(v)),
    expect,
  );
  const rounds = quick ? 3 : 7;
  const opts = { samples: 1, minSampleMs: quick ? 20 : 90, warmup: 2 };
  const out = { results: [] as BenchRow[], ratios: {} as Record<string, number>, notes: [] as string[] };
  const what = `${n} target ranks into ${parent.numRanks} (${target})`;
  const last = (v: Uint32Array) => v[v.length - 1];
  compareRounds(
    out,
    'remap',
    n,
    what,
    rounds,
    opts,
    () => parent.remapInto(target, wBuf),
    () => refRemapInto(parent.slice, target.slice, tBuf),
  );
  compareRounds(
    out,
    'remap-lend',
    n,
    what,
    rounds,
    opts,
    () => parent.withRemap(target, last),
    () => refWithRemap(parent.slice, target.slice, last),
  );
  compareRounds(
    out,
    'remap-copy',
    n,
    what,
    rounds,
    opts,
    () => parent.remap(target),
    () => refRemap(parent.slice, target.slice),
  );
  return out;
}
