// Pins docs/architecture.md SEL-1 (comm-tree parent a function of the root slice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slice } from '../../src/ndslice/slice.js';
import { ActormeshError } from '../../src/base/errors.js';
import {
  Selection,
  RoutingFrame,
  resolveRouting,
  dedupedNextSteps,
  commTreeParent,
  simulateCast,
  compileRoute,
  WasmRouter,
  InvalidFrame,
  SelectionNotImplemented,
  decodeRouteProgram,
  selectionOnRoot,
  traceRoute,
  type CastRouting,
} from '../../src/selection/index.js';
import { ReferenceRouter } from '../../src/selection/reference.js';
import { prng, randomSelection, randomSlice, sorted } from './gen.js';

const S = Selection;
const zhg = Slice.new(0, [2, 4, 8], [32, 8, 1]);

function parentsMap(r: CastRouting): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < r.parents.length; i += 2) {
    assert.ok(!m.has(r.parents[i]!), `rank ${r.parents[i]} received two messages`);
    m.set(r.parents[i]!, r.parents[i + 1]!);
  }
  return m;
}

/** Drives the kernel one hop (one WASM call) at a time, like comm actors exchanging ForwardMessages. */
function hopByHop(router: WasmRouter, first: number, root: number): { delivered: number[]; parents: Map<number, number> } {
  const queue: [number, number, Int32Array][] = [[first, -1, Int32Array.of(first, 0, root)]];
  const delivered: number[] = [];
  const parents = new Map<number, number>();
  for (let h = 0; h < queue.length; h++) {
    const [rank, parent, frames] = queue[h]!;
    parents.set(rank, parent);
    const hop = router.resolve(rank, frames);
    if (hop.deliverHere) delivered.push(rank);
    for (const [peer, fr] of hop.nextSteps) queue.push([peer, rank, fr]);
  }
  return { delivered, parents };
}

test('delivered set equals eval for random selections on random slices, each rank once (WASM, reference, RoutingFrame)', () => {
  const r = prng(42);
  for (let k = 0; k < 300; k++) {
    const slice = randomSlice(r);
    const sel = randomSelection(r, slice.numDim);
    const want = sorted(sel.eval(slice));
    const program = compileRoute(slice, sel);
    const wasm = new WasmRouter(program).routeAll();
    const ref = new ReferenceRouter(program).routeAll();
    const sim = simulateCast(slice, sel);
    const ctx = `${sel} on ${slice}`;
    assert.deepEqual(sorted(wasm.delivered), want, `wasm: ${ctx}`);
    assert.equal(new Set(wasm.delivered).size, wasm.delivered.length, `wasm delivered twice: ${ctx}`);
    assert.deepEqual(Array.from(ref.delivered), Array.from(wasm.delivered), `reference: ${ctx}`);
    assert.deepEqual(Array.from(ref.parents), Array.from(wasm.parents), `reference parents: ${ctx}`);
    assert.deepEqual(sorted(sim.delivered), want, `RoutingFrame: ${ctx}`);
    const hops = hopByHop(new WasmRouter(program), program.offset, program.root);
    assert.deepEqual(hops.delivered, Array.from(wasm.delivered), `hop by hop: ${ctx}`);
    const rootFrames = Int32Array.of(program.offset, 0, program.root);
    const wHop = new WasmRouter(program).resolve(program.offset, rootFrames);
    const rHop = new ReferenceRouter(program).resolve(program.offset, rootFrames);
    assert.equal(wHop.deliverHere, rHop.deliverHere);
    assert.deepEqual(
      [...wHop.nextSteps].map(([p, f]) => [p, Array.from(f)]),
      [...rHop.nextSteps].map(([p, f]) => [p, Array.from(f)]),
      `first hop: ${ctx}`,
    );
  }
});

test('the comm-tree parent of every rank is a pure function of the root slice', () => {
  const r = prng(9);
  for (let k = 0; k < 100; k++) {
    const slice = randomSlice(r);
    const a = randomSelection(r, slice.numDim);
    for (const sel of [a, S.all()]) {
      const wasm = parentsMap(new WasmRouter(compileRoute(slice, sel)).routeAll());
      const sim = simulateCast(slice, sel).parents;
      for (const [rank, parent] of wasm) {
        assert.equal(parent, commTreeParent(slice, rank) ?? -1, `rank ${rank} of ${slice} for ${sel}`);
        assert.equal(sim.get(rank), parent);
      }
    }
  }
  assert.equal(commTreeParent(zhg, 0), undefined);
  assert.equal(commTreeParent(zhg, 32 + 8 * 2 + 5), 32 + 16);
  assert.equal(commTreeParent(zhg, 32 + 8 * 2), 32);
  assert.equal(commTreeParent(zhg, 32), 0);
});

test('any delivers to exactly one rank and takes one forward step', () => {
  const program = compileRoute(zhg, S.any(S.any(S.any())));
  for (let k = 0; k < 20; k++) {
    const w = new WasmRouter(program).routeAll();
    assert.equal(w.delivered.length, 1);
    assert.ok(w.delivered[0]! >= 0 && w.delivered[0]! < 64);
    assert.equal(simulateCast(zhg, S.any()).delivered.length, 1);
  }
  assert.equal(RoutingFrame.root(S.any(S.all(S.all())), zhg).nextSteps().length, 1);
  const hosts = new WasmRouter(compileRoute(zhg, S.any(S.all(S.all())))).routeAll();
  assert.equal(hosts.delivered.length, 32);
});

test('BFS fan-out of range(0..=0, *) is 1, 4, then 8 per host, with 32 deliveries', () => {
  let level = [RoutingFrame.root(S.range(0, S.all()), zhg)];
  const widths: number[] = [];
  let deliveries = 0;
  while (level.length) {
    const next: RoutingFrame[] = [];
    for (const f of level) {
      if (f.deliverHere()) deliveries++;
      else next.push(...f.nextSteps());
    }
    widths.push(next.length);
    level = next;
  }
  assert.deepEqual(widths, [1, 4, 32, 0]);
  assert.equal(deliveries, 32);
});

test('dedup halves the deliveries of union(all(true), all(true))', () => {
  const count = (dedup: boolean): number => {
    let n = 0;
    const go = (f: RoutingFrame): void => {
      if (f.deliverHere()) n++;
      else for (const x of dedup ? dedupedNextSteps(f) : f.nextSteps()) go(x);
    };
    go(RoutingFrame.root(S.union(S.all(), S.all()), zhg));
    return n;
  };
  assert.equal(count(false), 128);
  assert.equal(count(true), 64);
  const sel = S.union(S.all(), S.all());
  const program = compileRoute(zhg, sel);
  const w = new WasmRouter(program).routeAll();
  assert.equal(w.delivered.length, 64);
  const noDedup = simulateCast(zhg, sel, { dedup: false });
  assert.equal(noDedup.delivered.length, 64, 'a rank delivers once per message even without dedup');
  assert.ok(w.frames < 2 * 64, `${w.frames} frames forwarded with dedup`);
});

test('frames that select different dims are not deduplicated together', () => {
  // Rust's normalize rewrites all(all(x)) → all(x), which would key these two residuals alike.
  const s4 = Slice.new(0, [2, 2, 2, 2], [8, 4, 2, 1]);
  const sel = S.union(S.range(0, S.all(S.all(S.range(0)))), S.range(0, S.all(S.range(0, S.all()))));
  const want = sorted(sel.eval(s4));
  assert.deepEqual(sorted(new WasmRouter(compileRoute(s4, sel)).routeAll().delivered), want);
  assert.deepEqual(sorted(simulateCast(s4, sel).delivered), want);
});

test('0-d slices route to the offset for true and nowhere for false', () => {
  const p = Slice.new(42, [], []);
  for (const [sel, want] of [
    [S.true_(), [42]],
    [S.all(), [42]],
    [S.false_(), []],
    [S.all(S.false_()), []],
  ] as const) {
    assert.deepEqual(Array.from(new WasmRouter(compileRoute(p, sel)).routeAll().delivered), want);
    assert.deepEqual(simulateCast(p, sel).delivered, want);
  }
});

test('frames survive JSON serialization between hops', () => {
  const sel = S.union(S.all(S.range([1, 3], S.all())), S.range(1, S.intersection(S.all(S.range([0, 4])), S.all(S.range([2, 8])))));
  const queue: [number, RoutingFrame[]][] = [[0, [RoutingFrame.root(sel, zhg)]]];
  const delivered: number[] = [];
  for (let h = 0; h < queue.length; h++) {
    const [rank, frames] = queue[h]!;
    const res = resolveRouting(rank, frames);
    if (res.deliverHere) delivered.push(rank);
    for (const [peer, fr] of res.nextSteps) queue.push([peer, JSON.parse(JSON.stringify(fr)).map((j: unknown) => RoutingFrame.fromJSON(j))]);
  }
  assert.deepEqual(sorted(delivered), sorted(sel.eval(zhg)));
});

test('bad frames and unroutable selections throw typed errors, never RuntimeError', () => {
  const router = new WasmRouter(compileRoute(zhg, S.all()));
  assert.throws(() => router.resolve(0, Int32Array.of(0, 9, 2)), InvalidFrame);
  assert.throws(() => router.resolve(0, Int32Array.of(0, 0, 9999)), InvalidFrame);
  assert.throws(() => router.resolve(0, Int32Array.of(0, 0)), InvalidFrame);
  assert.throws(() => router.resolve(-1, Int32Array.of(0, 0, 2)), InvalidFrame);
  assert.throws(() => new WasmRouter(compileRoute(zhg, S.first())).routeAll(), SelectionNotImplemented);
  assert.throws(() => simulateCast(zhg, S.first()), SelectionNotImplemented);
  assert.throws(
    () => compileRoute(zhg, S.all(S.all(S.all(S.all())))),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'SelectionTooDeep',
  );
  assert.throws(
    () => compileRoute(Slice.new(0, [2 ** 31 + 1], [1]), S.all()),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'RankOverflow',
  );
  for (const bad of [
    null,
    {},
    { here: [0], dim: 0, selection: ['true'], slice: { offset: 0, sizes: [2], strides: [1] }, extra: 1 },
    { here: [5], dim: 1, selection: ['true'], slice: { offset: 0, sizes: [2], strides: [1] } },
    { here: [0], dim: 0, selection: ['bogus'], slice: { offset: 0, sizes: [2], strides: [1] } },
  ]) {
    try {
      RoutingFrame.fromJSON(bad);
    } catch (e) {
      assert.ok(e instanceof ActormeshError, `untyped error for ${JSON.stringify(bad)}: ${e}`);
    }
  }
  assert.throws(() => RoutingFrame.fromJSON({ here: [5], dim: 1, selection: ['true'], slice: { offset: 0, sizes: [2], strides: [1] } }), InvalidFrame);
});

test('two routers sharing the kernel keep their own programs and intersection residuals', () => {
  const a = S.intersection(S.all(S.range([0, 2])), S.all(S.range([1, 3])));
  const b = S.range(1, S.intersection(S.all(), S.range([2, 4])));
  const ra = new WasmRouter(compileRoute(zhg, a));
  const rb = new WasmRouter(compileRoute(zhg, b));
  const first = sorted(ra.routeAll().delivered);
  assert.deepEqual(sorted(rb.routeAll().delivered), sorted(b.eval(zhg)));
  assert.deepEqual(sorted(ra.routeAll().delivered), first);
  assert.deepEqual(first, sorted(a.eval(zhg)));
  const hop = ra.resolve(0, Int32Array.of(0, 0, ra.program.root));
  assert.ok(hop.nextSteps.size > 0);
});

test('packed frames plus program words let every hop run in a fresh router, as in another process', () => {
  const sel = S.union(S.intersection(S.all(S.range([0, 3])), S.all(S.range([1, 4], S.range([2, 6])))), S.range(1, S.range(3)));
  const program = compileRoute(zhg, sel);
  const queue: [number, Int32Array, Int32Array][] = [[0, Int32Array.of(0, 0, program.root), program.words]];
  const delivered: number[] = [];
  for (let h = 0; h < queue.length; h++) {
    const [rank, frames, words] = queue[h]!;
    const router = new WasmRouter(decodeRouteProgram(words));
    const hop = router.resolve(rank, frames);
    if (hop.deliverHere) delivered.push(rank);
    const sent = router.programWords();
    for (const [peer, fr] of hop.nextSteps) queue.push([peer, fr, sent]);
  }
  assert.deepEqual(sorted(delivered), sorted(sel.eval(zhg)));
});

test('malformed program words are rejected with InvalidFrame', () => {
  const good = compileRoute(zhg, S.all(S.range([0, 2]))).words;
  const mutate = (i: number, v: number) => {
    const w = good.slice();
    w[i] = v;
    return w;
  };
  const base = 5 + 2 * 3;
  const cyclic = good.slice();
  const n = cyclic[2]!;
  cyclic[base + (n - 1) * 8 + 1] = n - 1; // root's child is itself
  for (const w of [
    new Int32Array(3),
    mutate(0, 99),
    mutate(2, 1000),
    mutate(4, -1),
    mutate(base + 2 * 8, 42),
    mutate(base + 2 * 8 + 1, 777),
    cyclic,
    mutate(5, -3),
  ]) {
    assert.throws(() => decodeRouteProgram(w), InvalidFrame);
  }
  assert.equal(decodeRouteProgram(good).root, good[4]);
});

test('selectionOnRoot re-expresses a sliced cast over the root slice', () => {
  const root = Slice.new(0, [4, 8], [8, 1]);
  const sliced = Slice.new(10, [2, 3], [16, 2]);
  assert.deepEqual(sorted(selectionOnRoot(root, sliced, S.all(S.all())).eval(root)), sorted(sliced.iter()));
  const sub = S.range(1, S.range([0, 2]));
  assert.deepEqual(sorted(selectionOnRoot(root, sliced, sub).eval(root)), sorted(sub.eval(sliced)));
});

test('traceRoute ends at the destination when it is selected', () => {
  const root = RoutingFrame.root(S.all(S.range([1, 3], S.all())), zhg);
  const path = traceRoute(root, [1, 2, 5])!;
  assert.deepEqual(path[0], [0, 0, 0]);
  assert.deepEqual(path[path.length - 1], [1, 2, 5]);
  assert.deepEqual(path, [
    [0, 0, 0],
    [1, 0, 0],
    [1, 2, 0],
    [1, 2, 5],
  ]);
  assert.equal(traceRoute(root, [1, 0, 5]), undefined);
});

test('a range step near 2^31 on a huge dimension neither overflows nor hangs', () => {
  const line = Slice.new(0, [2 ** 31 - 1], [1]);
  const sel = S.range([0, null, 2 ** 30 + 5]);
  const program = compileRoute(line, sel);
  assert.deepEqual(Array.from(new WasmRouter(program).routeAll().delivered), [0, 2 ** 30 + 5]);
  assert.deepEqual(Array.from(new ReferenceRouter(program).routeAll().delivered), [0, 2 ** 30 + 5]);
});
