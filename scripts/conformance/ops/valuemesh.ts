/**
 * Golden-vector handlers for `value_mesh.*`, `rle.*`, `overlay.*`, `ranked_values.*`, `status.*`
 * and `accum.*` (encodings in hotpath.json `encoding`).
 *
 * Where a generic result has a status-specialised (WASM) twin, the handler computes both and
 * throws an untyped error if they disagree, so the golden file also checks the kernel path.
 */
import { Extent, Range, Region, Slice } from '../../../src/ndslice/index.js';
import {
  RankedValues,
  Status,
  StatusMesh,
  StatusMeshAccumulator,
  StatusOverlay,
  ValueMesh,
  ValueMeshAccumulator,
  ValueOverlay,
  WaitLoop,
  WatermarkUpdate,
  lowWatermarkAccumulator,
  maxReducer,
  mergeValueRuns,
  meshToRankedValuesWithDefault,
  minReducer,
  reduceOverlays,
  reduceStatusOverlays,
  rleFromDense,
  rleFromValueRuns,
  sumReducer,
  watermarkReducer,
  type ValueRun,
} from '../../../src/valuemesh/index.js';
import { mergeCodeRuns } from '../../../src/valuemesh/kernels.js';

type J = any;

function region(r: J): Region {
  if (r.slice) return new Region(r.labels, Slice.new(r.slice.offset, r.slice.sizes, r.slice.strides));
  let reg = Region.fromExtent(Extent.new(r.extent.labels, r.extent.sizes));
  for (const s of r.steps ?? []) reg = reg.range(s.dim, rng(s.range));
  return reg;
}
function rng(r: J): Range {
  return new Range(r.start, r.end ?? null, r.step ?? 1);
}
function applySteps(reg: Region, steps: J[]): Region {
  for (const s of steps) reg = reg.range(s.dim, rng(s.range));
  return reg;
}

/** JSON form of a value: statuses through their serde, everything else as is. */
function out(v: unknown): unknown {
  return v instanceof Status ? v.toJSON() : v;
}
const runsOut = (rs: readonly ValueRun<unknown>[]) => rs.map((r) => [r.start, r.end, out(r.value)]);
const runsIn = (rs: J[]): ValueRun<J>[] => rs.map(([start, end, value]: J[]) => ({ start, end, value }));
const statusRunsIn = (rs: J[]): ValueRun<Status>[] => rs.map(([start, end, v]: J[]) => ({ start, end, value: Status.fromJSON(v) }));

function meshIn(m: J): ValueMesh<J> {
  const vm = ValueMesh.new(region(m.region), m.values);
  return m.compress === false ? vm : vm.compress();
}

function meshOut(m: ValueMesh<unknown>): J {
  const rep = m.rep;
  const o: J = { rep: rep.kind, values: m.values().map(out) };
  if (rep.kind === 'compressed') {
    o.table = rep.table.map(out);
    o.idruns = rep.runs.map((r) => [r.start, r.end, r.id]);
    o.runs = runsOut(m.materializedRuns());
  }
  return o;
}

function isStatusJson(v: unknown): boolean {
  try {
    Status.fromJSON(v);
    return true;
  } catch {
    return false;
  }
}

function mismatch(what: string, a: unknown, b: unknown): never {
  throw new Error(`${what}: status/WASM path ${JSON.stringify(b)} differs from the generic path ${JSON.stringify(a)}`);
}

/** Interns arbitrary JSON values to u32 codes (for cross-checking the WASM merge). */
function codeRuns(rs: ValueRun<J>[], codes: Map<string, number>): Uint32Array {
  const a = new Uint32Array(rs.length * 3);
  rs.forEach((r, i) => {
    const k = JSON.stringify(r.value);
    if (!codes.has(k)) codes.set(k, codes.size);
    a.set([r.start, r.end, codes.get(k)!], i * 3);
  });
  return a;
}

export const ops: Record<string, (input: any) => unknown> = {
  'value_mesh.new': (i) => meshOut(ValueMesh.new(region(i.region), i.values)),
  'value_mesh.build_indexed': (i) => meshOut(ValueMesh.buildIndexed(region(i.region), i.pairs)),
  'value_mesh.from_dense': (i) => meshOut(ValueMesh.fromDense(region(i.region), i.values)),
  'value_mesh.from_single': (i) => meshOut(ValueMesh.fromSingle(region(i.region), i.value)),
  'value_mesh.from_ranges_with_default': (i) => meshOut(ValueMesh.fromRangesWithDefault(region(i.region), i.default, i.ranges)),
  'value_mesh.get': (i) => {
    const m = meshIn(i.mesh);
    return i.ranks.map((r: number) => out(m.get(r)) ?? null);
  },
  'value_mesh.merge_from_overlay': (i) => {
    const m = meshIn(i.mesh);
    m.mergeFromOverlay(ValueOverlay.tryFromRuns(runsIn(i.overlay)));
    return meshOut(m);
  },
  'value_mesh.sliced': (i) => {
    const m = meshIn(i.mesh);
    return meshOut(m.sliced(applySteps(m.region(), i.steps)));
  },
  'value_mesh.range': (i) => {
    let m = meshIn(i.mesh);
    for (const s of i.steps) m = m.range(s.dim, rng(s.range));
    return { extent: m.extent().toJSON(), values: m.values().map(out) };
  },
  'value_mesh.accumulate': (i) => {
    const reg = region(i.region);
    const statuses = isStatusJson(i.template_value) && i.updates.every((u: J[]) => u.every((r) => isStatusJson(r[2])));
    const acc = new ValueMeshAccumulator<J>(ValueMesh.fromSingle(reg, i.template_value));
    let state = acc.init();
    const sacc = statuses ? new StatusMeshAccumulator(reg) : undefined;
    const sstate = sacc?.init();
    const snaps: J[] = [];
    for (const u of i.updates) {
      state = acc.accumulate(state, ValueOverlay.tryFromRuns(runsIn(u)));
      const snap = { values: state.values().map(out) };
      if (sacc && sstate) {
        sacc.accumulate(sstate, StatusOverlay.tryFromRuns(statusRunsIn(u)));
        const got = sstate.snapshot().values().map(out);
        if (JSON.stringify(got) !== JSON.stringify(snap.values)) mismatch('accumulate', snap.values, got);
        const ne = snap.values.filter((v: J) => v === 'NotExist').length;
        if (sstate.countNotExist() !== ne) mismatch('NotExist count', ne, sstate.countNotExist());
      }
      snaps.push(snap);
    }
    sstate?.dispose();
    return snaps;
  },

  'rle.from_dense': (i) => {
    const r = rleFromDense(i.values);
    return { table: r.table, runs: r.runs.map((x) => [x.start, x.end, x.id]) };
  },
  'rle.from_value_runs': (i) => {
    const r = rleFromValueRuns(runsIn(i.runs));
    return { table: r.table, runs: r.runs.map((x) => [x.start, x.end, x.id]) };
  },
  'rle.merge_value_runs': (i) => {
    const left = runsIn(i.left);
    const right = runsIn(i.right);
    const generic = runsOut(mergeValueRuns(left, right));
    const codes = new Map<string, number>();
    const l = codeRuns(left, codes);
    const r = codeRuns(right, codes);
    const names = new Map([...codes].map(([k, v]) => [v, JSON.parse(k)]));
    const w = mergeCodeRuns(l, left.length, r, right.length, 0xffffffff).runs;
    const wasm: J[] = [];
    for (let j = 0; j < w.length; j += 3) wasm.push([w[j], w[j + 1], names.get(w[j + 2]!)]);
    if (JSON.stringify(wasm) !== JSON.stringify(generic)) mismatch('merge_value_runs', generic, wasm);
    return generic;
  },

  'overlay.push_runs': (i) => {
    const o = new ValueOverlay<J>();
    for (const [s, e, v] of i.pushes) o.pushRun({ start: s, end: e }, v);
    return runsOut(o.runs());
  },
  'overlay.push_inspect': (i) => {
    const o = new ValueOverlay<J>();
    return i.pushes.map(([s, e, v]: J[]) => {
      let ok = true;
      try {
        o.pushRun({ start: s, end: e }, v);
      } catch {
        ok = false;
      }
      return { ok, runs: runsOut(o.runs()) };
    });
  },
  'overlay.try_from_runs': (i) => runsOut(ValueOverlay.tryFromRuns(runsIn(i.runs)).runs()),
  'overlay.reduce': (i) => {
    const generic = runsOut(reduceOverlays(ValueOverlay.tryFromRuns(runsIn(i.left)), ValueOverlay.tryFromRuns(runsIn(i.right))).runs());
    if ([...i.left, ...i.right].every((r: J[]) => isStatusJson(r[2]))) {
      const s = reduceStatusOverlays(StatusOverlay.tryFromRuns(statusRunsIn(i.left)), StatusOverlay.tryFromRuns(statusRunsIn(i.right)));
      const got = runsOut(s.runs());
      if (JSON.stringify(got) !== JSON.stringify(generic)) mismatch('overlay.reduce', generic, got);
    }
    return generic;
  },

  'ranked_values.merge_from': (i) => runsOut(new RankedValues<J>(i.left).mergeFrom(new RankedValues<J>(i.right)).intervals()),
  'ranked_values.rank': (i) => {
    const rv = new RankedValues<J>(i.intervals);
    return i.values.map((v: number) => rv.rank(v));
  },
  'ranked_values.first_terminating': (i) => {
    const rv = new RankedValues<Status>(statusRunsIn(i.intervals));
    const f = (x: [number, Status] | undefined) => (x ? [x[0], x[1].toJSON()] : null);
    return { first_terminating: f(rv.firstTerminating()), first_failed: f(rv.firstFailed()) };
  },

  'status.compare': (i) => ['Less', 'Equal', 'Greater'][Status.fromJSON(i.a).compare(Status.fromJSON(i.b)) + 1],
  'status.predicates': (i) => {
    const s = Status.fromJSON(i.status);
    return { is_terminating: s.isTerminating(), is_failure: s.isFailure(), is_healthy: s.isHealthy(), is_not_exist: s.isNotExist() };
  },
  'status.display': (i) => Status.fromJSON(i.status).toString(),
  'status.mesh_to_rankedvalues_with_default': (i) => {
    const reg = region(i.region);
    const statuses: Status[] = i.values.map((v: J) => Status.fromJSON(v));
    const generic = ValueMesh.new(reg, statuses);
    const viaStatusMesh = StatusMesh.fromStatuses(reg, statuses);
    const d = Status.fromJSON(i.default);
    const a = runsOut(meshToRankedValuesWithDefault(generic, d, (s) => s.isNotExist(), i.len).intervals());
    const b = runsOut(meshToRankedValuesWithDefault(viaStatusMesh, d, (s) => s.isNotExist(), i.len).intervals());
    if (JSON.stringify(a) !== JSON.stringify(b)) mismatch('mesh_to_rankedvalues_with_default', a, b);
    return a;
  },
  'status.wait': (i) => {
    const reg = region(i.region);
    const loop = new WaitLoop(reg, i.num_ranks);
    let after = -1;
    for (let k = 0; k < i.snapshots.length; k++) {
      if (
        loop.offer(
          StatusMesh.fromStatuses(
            reg,
            i.snapshots[k].map((v: J) => Status.fromJSON(v)),
          ),
        )
      ) {
        after = k;
        break;
      }
    }
    const r = loop.finish(after >= 0 ? 'complete' : 'closed', 0);
    return { result: r.ok ? 'ok' : 'err', after: after >= 0 ? after : null, snapshot: r.snapshot.values().map(out) };
  },

  'accum.reduce': (i) => {
    const red = { max: maxReducer, min: minReducer, sum: sumReducer }[i.reducer as 'max' | 'min' | 'sum'];
    return (i.values as number[]).reduce((l, r) => red.reduce(l, r) as number);
  },
  'accum.watermark_reduce': (i) => {
    const ups = (i.updates as [number, number][]).map(([r, v]) => WatermarkUpdate.of(r, v));
    return ups.reduce((l, r) => watermarkReducer.reduce(l, r)).entries();
  },
  'accum.watermark': (i) => {
    const acc = lowWatermarkAccumulator<number>();
    let st = acc.init();
    return (i.updates as [number, number][]).map(([r, v]) => {
      st = acc.accumulate(st, WatermarkUpdate.of(r, v));
      return st.get();
    });
  },
};
