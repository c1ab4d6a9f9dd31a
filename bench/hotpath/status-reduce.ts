/**
 * Status reduction during a spawn (Monarch hyperactor_mesh/src/v1/value_mesh.rs
 * `ValueMesh::merge_from_overlay`, hyperactor_mesh/src/resource.rs `GetRankStatus::wait`): n single-rank status
 * overlays, in shuffled rank order (each Running, ~1% Failed), merged one by one into an n-rank
 * status mesh with a completion check after every update, as the client side of a spawn does.
 *
 * Implementations, all measured in this run on the same overlays:
 * - `wasm` (ours): StatusAccumState over the rle kernel: dense interned codes in WASM memory,
 *   incremental NotExist count → O(1) completion check; multi-run / long-run overlays take one
 *   kernel call, single-rank replies are written from JS into the WASM-resident state (a call
 *   would cost more than the O(1) work).
 * - `ts-reference`: the same StatusAccumState algorithm over the plain-TS reference store.
 * - `monarch-clone`: Monarch's shape: generic ValueMesh<Status> accumulator (run-list merge +
 *   re-encode with a linearly de-duplicated table), a clone of the whole state per update (the
 *   snapshot pushed to the receiver), and a full O(n) NotExist scan per update. O(n²) per spawn.
 * Rows: `status-reduce-<size>`, ns per whole reduction. Ratios: `status-reduce` =
 * ts-reference/wasm and `status-reduce-vs-monarch` = monarch-clone/wasm at the largest size.
 */
import { Extent, Region } from '../../src/ndslice/index.js';
import { Status, StatusAccumState, StatusOverlay, ValueMesh, ValueMeshAccumulator, ValueOverlay } from '../../src/valuemesh/index.js';
import { RefDenseCodeState } from '../../src/valuemesh/reference.js';
import { blackhole, percentile, timeNs, type BenchRow } from '../lib.js';
import { prng } from '../../test/_support/prng.js';

interface Workload {
  region: Region;
  n: number;
  statusOverlays: StatusOverlay[];
  /** The same updates as generic overlays (built only when monarch-clone runs). */
  genericOverlays: () => ValueOverlay<Status>[];
}

function workload(n: number): Workload {
  const rnd = prng(n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const failed = Status.failed('proc spawn failed: exit code 1');
  const statuses = order.map((_, k) => (k % 100 === 37 ? failed : Status.Running));
  return {
    region: Region.fromExtent(Extent.new(['hosts', 'gpus'], [n / 8, 8])),
    n,
    statusOverlays: order.map((r, k) => StatusOverlay.single(r, statuses[k]!)),
    genericOverlays: () => order.map((r, k) => ValueOverlay.tryFromRuns([[r, r + 1, statuses[k]!]])),
  };
}

function reduceOurs(w: Workload, reference: boolean): number {
  const st = reference ? new StatusAccumState(w.region, new RefDenseCodeState(w.n, 0)) : new StatusAccumState(w.region);
  let completeAt = -1;
  const ovs = w.statusOverlays;
  for (let k = 0; k < ovs.length; k++) {
    st.apply(ovs[k]!);
    if (st.isComplete()) {
      completeAt = k;
      break;
    }
  }
  st.dispose();
  if (completeAt !== w.n - 1) throw new Error(`status-reduce: completed at ${completeAt}, expected ${w.n - 1}`);
  return completeAt;
}

function reduceMonarch(w: Workload, ovs: ValueOverlay<Status>[]): number {
  const acc = new ValueMeshAccumulator<Status>(ValueMesh.fromSingle(w.region, Status.NotExist));
  let state = acc.init();
  let completeAt = -1;
  for (let k = 0; k < ovs.length; k++) {
    state = acc.accumulate(state, ovs[k]!);
    const snapshot = state.clone(); // pushed to the receiver
    let notExist = false;
    for (const s of snapshot.values()) {
      if (s.isNotExist()) {
        notExist = true;
        break;
      }
    }
    if (!notExist) {
      completeAt = k;
      break;
    }
  }
  if (completeAt !== w.n - 1) throw new Error(`monarch-clone: completed at ${completeAt}, expected ${w.n - 1}`);
  return completeAt;
}

const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

export async function run(quick: boolean): Promise<{ results: BenchRow[]; ratios: Record<string, number>; notes?: string[] }> {
  const sizes = quick ? [1000, 10_000] : [1000, 10_000, 100_000];
  const monarchMax = quick ? 1000 : 10_000; // O(n²): 100k would take minutes
  const results: BenchRow[] = [];
  const byImpl: Record<string, Record<number, number>> = { wasm: {}, 'ts-reference': {}, 'monarch-clone': {} };
  const notes: string[] = [];
  // phase 1: ours (wasm, ts-reference) at every size; phase 2: monarch-clone, whose garbage
  // (a full clone per update) must not tax the other measurements
  const workloads = new Map<number, Workload>();
  for (const n of sizes) {
    const w = workload(n);
    workloads.set(n, w);
    // interleaved rounds, median of the round medians: the order of measurement and the GC debt
    // left by building the workload must not favour either implementation
    const opts = { samples: quick ? 3 : 5, minSampleMs: quick ? 10 : 30, warmup: 2 };
    const rounds = quick ? 3 : 5;
    const ws: number[] = [];
    const rs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        ws.push(timeNs(() => reduceOurs(w, false), opts));
        rs.push(timeNs(() => reduceOurs(w, true), opts));
      } else {
        rs.push(timeNs(() => reduceOurs(w, true), opts));
        ws.push(timeNs(() => reduceOurs(w, false), opts));
      }
    }
    byImpl.wasm![n] = percentile(ws, 50);
    byImpl['ts-reference']![n] = percentile(rs, 50);
  }
  for (const n of sizes) {
    if (n > monarchMax) continue;
    const w = workloads.get(n)!;
    const gen = w.genericOverlays();
    byImpl['monarch-clone']![n] = timeNs(() => blackhole(reduceMonarch(w, gen)), {
      samples: n >= 10_000 ? 1 : 3,
      minSampleMs: 0,
      warmup: n >= 10_000 ? 0 : 1,
    });
  }
  for (const n of sizes) {
    const name = `status-reduce-${label(n)}`;
    results.push({ name, impl: 'wasm', value: byImpl.wasm![n]!, unit: 'ns' });
    results.push({ name, impl: 'ts-reference', value: byImpl['ts-reference']![n]!, unit: 'ns' });
    if (n <= monarchMax) {
      results.push({ name, impl: 'monarch-clone', value: byImpl['monarch-clone']![n]!, unit: 'ns' });
    } else {
      const prev = Math.max(...Object.keys(byImpl['monarch-clone']!).map(Number));
      const est = byImpl['monarch-clone']![prev]! * (n / prev) ** 2;
      byImpl['monarch-clone']![n] = est;
      results.push({ name, impl: 'monarch-clone (extrapolated)', value: est, unit: 'ns' });
      notes.push(`monarch-clone at ${label(n)} NOT run (O(n²), minutes): extrapolated quadratically from ${label(prev)} as ${(est / 1e9).toFixed(1)} s`);
    }
  }
  const top = sizes[sizes.length - 1]!;
  const ratios: Record<string, number> = {
    'status-reduce': byImpl['ts-reference']![top]! / byImpl.wasm![top]!,
    'status-reduce-vs-monarch': byImpl['monarch-clone']![top]! / byImpl.wasm![top]!,
  };
  const perUpdate = (impl: string, n: number) => `${(byImpl[impl]![n]! / n).toFixed(1)} ns/update`;
  notes.push(
    `per update at ${label(top)}: wasm ${perUpdate('wasm', top)}, ts-reference ${perUpdate('ts-reference', top)}, monarch-clone ${perUpdate('monarch-clone', top)}`,
  );
  if (sizes.includes(10_000) && sizes.includes(100_000)) {
    notes.push(
      `growth 10k→100k: wasm ${(byImpl.wasm![100_000]! / byImpl.wasm![10_000]!).toFixed(1)}× (target ≤ 12×), ts-reference ${(byImpl['ts-reference']![100_000]! / byImpl['ts-reference']![10_000]!).toFixed(1)}×`,
    );
  } else {
    notes.push(`growth 1k→10k: wasm ${(byImpl.wasm![10_000]! / byImpl.wasm![1000]!).toFixed(1)}× (quick mode: 100k not run)`);
  }
  if (byImpl['monarch-clone']![1000] && byImpl['monarch-clone']![10_000]) {
    notes.push(`monarch-clone growth 1k→10k: ${(byImpl['monarch-clone']![10_000]! / byImpl['monarch-clone']![1000]!).toFixed(1)}× (quadratic)`);
  }
  if (ratios['status-reduce']! < 3) {
    notes.push(
      `status-reduce ratio ${ratios['status-reduce']!.toFixed(2)} misses the ≥3 target: with the incremental NotExist count a single-rank update is O(1) work (one store, one compare), which a JS→WASM call cannot beat; ours writes such updates from JS into the WASM-resident state, so wasm ≈ ts-reference by design and the gain is algorithmic (see status-reduce-vs-monarch)`,
    );
  }
  return { results, ratios, notes };
}
