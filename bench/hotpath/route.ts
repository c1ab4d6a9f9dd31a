/**
 * `route`: one cast routed through every hop of the comm tree of a `{hosts: 1024, gpus: 8}` mesh
 * (8192 comm actors), WASM routing kernel vs its plain-TS reference (same program, same frames,
 * same dedup), same run. Per whole cast (ns). Variants:
 * - `route`: selection `*` (all 8192 ranks);
 * - `route-slice`: every other host, gpus 0..4 (`0::2,0:4`, 2048 ranks);
 * - `route-reshaped`: `*` over the mesh reshaped with limit 8 (1024 → 8,8,8,2: bounded fan-out).
 * Impls: `wasm` (the whole cast in one kernel call), `wasm-per-hop` (one kernel call per comm
 * actor, as comm actors would, including JS grouping of the peer frames), `ts-reference`
 * (ReferenceRouter.routeAll), `ts-reference-per-hop` (ReferenceRouter.resolve per comm actor), `monarch-ts` (RoutingFrame objects, normalize per forwarded frame,
 * as Monarch's resolve_routing). Ratios: `<variant>` = ts-reference/wasm (whole cast),
 * `<variant>-per-hop` = ts-reference-per-hop/wasm-per-hop, `<variant>-vs-monarch` = monarch-ts/wasm-per-hop.
 */
import { timeNs, type BenchRow } from '../lib.js';
import { Slice } from '../../src/ndslice/slice.js';
import { Selection, compileRoute, WasmRouter, simulateCast, reshapeWithLimit, reshapeSelection, type RouteProgram } from '../../src/selection/index.js';
import { ReferenceRouter } from '../../src/selection/reference.js';

interface HopRouter {
  resolve(rank: number, frames: Int32Array): { deliverHere: boolean; nextSteps: Map<number, Int32Array> };
}

function perHop(program: RouteProgram, router: HopRouter = new WasmRouter(program)): number {
  const queue: [number, Int32Array][] = [[program.offset, Int32Array.of(program.offset, 0, program.root)]];
  let delivered = 0;
  for (let h = 0; h < queue.length; h++) {
    const [rank, frames] = queue[h]!;
    const hop = router.resolve(rank, frames);
    if (hop.deliverHere) delivered++;
    for (const e of hop.nextSteps) queue.push(e);
  }
  return delivered;
}

export async function run(quick: boolean): Promise<{ results: BenchRow[]; ratios: Record<string, number>; notes?: string[] }> {
  const hosts = quick ? 128 : 1024;
  const mesh = Slice.rowMajor([hosts, 8]);
  const opts = quick ? { samples: 3, minSampleMs: 20, warmup: 2 } : { samples: 7, minSampleMs: 100, warmup: 3 };
  const reshaped = reshapeWithLimit(mesh, 8);
  const variants: [string, Slice, Selection][] = [
    ['route', mesh, Selection.all(Selection.all())],
    ['route-slice', mesh, Selection.range([0, null, 2], Selection.range([0, 4]))],
    ['route-reshaped', reshaped, reshapeSelection(Selection.all(Selection.all()), mesh, 8)],
  ];
  const results: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const notes: string[] = [];
  for (const [name, slice, sel] of variants) {
    const program = compileRoute(slice, sel);
    const want = sel.eval(slice).length;
    const w = new WasmRouter(program).routeAll();
    const r = new ReferenceRouter(program).routeAll();
    const m = simulateCast(slice, sel);
    if (w.delivered.length !== want || r.delivered.length !== want || m.delivered.length !== want || perHop(program) !== want) {
      throw new Error(`${name}: implementations disagree on the delivered count (want ${want})`);
    }
    const wasm = timeNs(() => new WasmRouter(program).routeAll(), opts);
    const hop = timeNs(() => perHop(program), opts);
    const ref = timeNs(() => new ReferenceRouter(program).routeAll(), opts);
    const refHop = timeNs(() => perHop(program, new ReferenceRouter(program)), opts);
    const monarch = timeNs(() => simulateCast(slice, sel), { ...opts, samples: Math.min(opts.samples, 5) });
    const compile = timeNs(() => compileRoute(slice, sel), opts);
    results.push(
      { name, impl: 'wasm', value: wasm, unit: 'ns' },
      { name, impl: 'wasm-per-hop', value: hop, unit: 'ns' },
      { name, impl: 'ts-reference', value: ref, unit: 'ns' },
      { name, impl: 'ts-reference-per-hop', value: refHop, unit: 'ns' },
      { name, impl: 'monarch-ts', value: monarch, unit: 'ns' },
    );
    ratios[name] = ref / wasm;
    ratios[`${name}-per-hop`] = refHop / hop;
    ratios[`${name}-vs-monarch`] = monarch / hop;
    notes.push(
      `${name}: ${slice} sel ${sel}, ${want} deliveries, ${w.messages} messages, ${w.frames} frames; ` +
        `wasm ${(wasm / 1e6).toFixed(2)} ms, per-hop ${(hop / 1e6).toFixed(2)} ms, ts ${(ref / 1e6).toFixed(2)} ms, ts per-hop ${(refHop / 1e6).toFixed(2)} ms, monarch-ts ${(monarch / 1e6).toFixed(2)} ms, compile ${(compile / 1e3).toFixed(1)} µs`,
    );
  }
  return { results, ratios, notes };
}
