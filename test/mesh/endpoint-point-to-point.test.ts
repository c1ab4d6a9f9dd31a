// Endpoint casts point to point (src/mesh/cast-plan.ts, reply-collector.ts) through real child
// processes: one plain envelope per member straight from the caller, the cast info in the payload.
// What a member sees and what the caller gets back must be exactly what a cast through the comm
// tree gives: per-sender order, cast point / mesh point / sender, replies in rank order, bindable
// arguments bound per receiver, concurrent calls kept apart, timeouts that leave nothing behind.
// Pins docs/architecture.md MESH-1 (cast path fixed per mesh), MESH-3 (same cast info on both
// paths).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, Rank, type ActorMeshOf, type ActorMeshRefOf, type ProcMesh } from '../../src/index.js';
import { TimeoutError } from '../../src/mailbox/errors.js';
import { EndpointUsageError } from '../../src/mesh/endpoint.js';
import { ReplyRouter } from '../../src/mesh/reply-collector.js';
import { type EndpointProbe, ENDPOINT_ACTORS, type SeenCast } from './fixtures/endpoint-actors.js';
import { spawnProbe } from './_endpoint-modes.js';
import { within } from '../_support/within.js';

type Probe = ActorMeshOf<EndpointProbe>;
type ProbeRef = ActorMeshRefOf<EndpointProbe>;

let procs: ProcMesh;
/** Point-to-point meshes with one and with two actors per proc. */
let p2p: { perProc1: Probe; perProc2: Probe };

after(() => thisHost().shutdown());

before(async () => {
  procs = await thisHost().spawnProcs({ hosts: 2, gpus: 2 }, { modules: [ENDPOINT_ACTORS] });
  p2p = {
    perProc1: await spawnProbe(procs, 'p2p1', 'p2p'),
    perProc2: await spawnProbe(procs, 'p2p2', 'p2p', { perProc: 2 }),
  };
});

const client = () => String(procs.client.cx.self);
/** The ranks in the whole mesh `root` of the members of `ref`, in `ref`'s rank order. */
function rootRanks(ref: ProbeRef, root: ProbeRef): number[] {
  const all = root.actorIds().map(String);
  return ref.actorIds().map((id) => all.indexOf(String(id)));
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a call sent after 1000 broadcasts sees exactly those broadcasts, in order, on every member (perProc 1 and 2)', async () => {
  for (const mesh of [p2p.perProc1, p2p.perProc2]) {
    for (let i = 1; i <= 500; i++) mesh.seq.broadcast(i);
    const mid = mesh.takeSeen.call();
    for (let i = 501; i <= 1000; i++) mesh.seq.broadcast(i);
    const end = mesh.takeSeen.call();
    assert.deepEqual((await mid).values(), Array(mesh.size).fill(range(1, 500)), `${mesh}: the first call sees broadcasts 1..500 and none sent after it`);
    assert.deepEqual((await end).values(), Array(mesh.size).fill(range(501, 1000)), `${mesh}: the second call sees broadcasts 501..1000`);
  }
});

test('per-sender order holds across slices and bindable-argument casts of one mesh', async () => {
  const mesh = p2p.perProc2;
  const slice = mesh.slice({ gpus: 1 });
  const inSlice = new Set(slice.actorIds().map(String));
  // Whole-mesh plain casts, slice casts and whole-mesh casts whose `Rank` argument takes the
  // rank-rebinding direct cast, interleaved on the same stream.
  for (let i = 1; i <= 999; i++) {
    if (i % 3 === 0) slice.seq.broadcast(i);
    else if (i % 3 === 1) mesh.seq.broadcast(i);
    else mesh.seqBound.broadcast(i, new Rank());
  }
  const seen = (await mesh.takeSeen.call()).values();
  mesh.actorIds().forEach((id, rank) => {
    const want = range(1, 999).filter((i) => i % 3 !== 0 || inSlice.has(String(id)));
    assert.deepEqual(seen[rank], want, `member ${id}`);
  });
});

test('castPoint, meshPoint and castSender seen by members are the same point to point as through the comm tree, for the whole mesh and slices', async () => {
  const tree = { perProc1: await spawnProbe(procs, 'tree1', 'tree'), perProc2: await spawnProbe(procs, 'tree2', 'tree', { perProc: 2 }) };
  const regions: Array<[string, (m: ProbeRef) => ProbeRef]> = [
    ['whole mesh', (m) => m],
    ['hosts=1', (m) => m.slice({ hosts: 1 })],
    ['gpus 1..2', (m) => m.slice({ gpus: [1, 2] })],
  ];
  const perProc2Regions: Array<[string, (m: ProbeRef) => ProbeRef]> = [
    ['actors=1', (m) => m.slice({ actors: 1 })],
    ['hosts=0, actors 1..2', (m) => m.slice({ hosts: 0, actors: [1, 2] })],
    ['one member', (m) => m.slice({ hosts: 1, gpus: 0, actors: 1 })],
  ];
  for (const key of ['perProc1', 'perProc2'] as const) {
    for (const [what, sub] of key === 'perProc1' ? regions : [...regions, ...perProc2Regions]) {
      const direct = (await sub(p2p[key]).info.call()).values();
      const viaTree = (await sub(tree[key]).info.call()).values();
      const label = `${key}, ${what}`;
      assert.ok(
        direct.every((s) => !s.viaHeaders),
        `${label}: the point-to-point mesh carries the cast info in the payload`,
      );
      assert.ok(
        viaTree.every((s) => s.viaHeaders),
        `${label}: the tree mesh carries it in headers`,
      );
      const strip = (s: SeenCast) => ({ castPoint: s.castPoint, meshPoint: s.meshPoint, sender: s.sender });
      assert.deepEqual(direct.map(strip), viaTree.map(strip), label);
      // And both are right: rank i of the region sees point i of the region, its own point in
      // the whole mesh, and this client as the sender.
      const region = sub(p2p[key]);
      const root = p2p[key];
      assert.deepEqual(
        direct.map((s) => s.castPoint),
        region.actorIds().map((_, i) => region.extent().pointOfRank(i).toString()),
        label,
      );
      assert.deepEqual(
        direct.map((s) => s.meshPoint),
        rootRanks(region, root).map((r) => root.extent().pointOfRank(r).toString()),
        label,
      );
      assert.deepEqual(
        direct.map((s) => s.sender),
        direct.map(client),
        label,
      );
    }
  }
});

test('call resolves with replies in rank order and the right points, also when the last rank answers first', async () => {
  for (const mesh of [p2p.perProc2, p2p.perProc2.slice({ gpus: 0 }), p2p.perProc1.slice({ hosts: [0, 2], gpus: 1 })]) {
    const vm = await mesh.inReverse.call(30);
    assert.equal(vm.numRanks, mesh.size);
    assert.equal(String(vm.region()), String(mesh.region));
    let i = 0;
    for (const [point, seen] of vm.iter()) {
      assert.equal(point.rank, i++);
      assert.equal(seen.castPoint, String(point), `${mesh}: the value at ${point} is that member's`);
    }
    const times = (await mesh.times.call(7)).values();
    assert.deepEqual(
      times,
      rootRanks(mesh, mesh.perProc === 2 ? p2p.perProc2 : p2p.perProc1).map((r) => 7000 + r),
    );
  }
});

test('stream yields every member of the region exactly once, with its point', async () => {
  for (const mesh of [p2p.perProc1, p2p.perProc2, p2p.perProc2.slice({ hosts: 1, actors: 0 })]) {
    const got: Array<[string, string]> = [];
    for await (const [point, seen] of mesh.inReverse.stream(10)) got.push([String(point), seen.castPoint]);
    const want = mesh.actorIds().map((_, i) => mesh.extent().pointOfRank(i).toString());
    assert.equal(got.length, mesh.size, `${mesh}: one item per member`);
    assert.deepEqual(got.map(([p]) => p).sort(), [...want].sort(), `${mesh}: each member once`);
    for (const [p, seen] of got) assert.equal(seen, p);
  }
});

test('bindable arguments (a Rank, a PortRef) still arrive bound to each receiver on a point-to-point mesh', async () => {
  for (const mesh of [p2p.perProc2, p2p.perProc2.slice({ gpus: 1, actors: 1 })]) {
    const ranks = (await mesh.rankArg.call(new Rank())).values();
    assert.deepEqual(
      ranks,
      mesh.actorIds().map((_, i) => ({ bound: i, castRank: i })),
      `${mesh}: a Rank arrives as the receiver's cast rank`,
    );
  }
  const cx = procs.client.cx;
  const [port, rx] = cx.openPort<number>();
  try {
    const mesh = p2p.perProc2.slice({ hosts: 0 });
    assert.deepEqual((await mesh.burst.call(port.bind(), 3)).values(), [3, 3, 3, 3]);
    const got: number[] = [];
    for (let k = 0; k < 12; k++) got.push(await within(rx.recv(), 30_000, `value ${k} on the port`));
    assert.deepEqual(
      got.sort((a, b) => a - b),
      rootRanks(mesh, p2p.perProc2)
        .flatMap((r) => [r * 1000, r * 1000 + 1, r * 1000 + 2])
        .sort((a, b) => a - b),
    );
  } finally {
    rx.close();
  }
});

test('200 concurrent calls from one client to the same mesh each get their own replies', async () => {
  const mesh = p2p.perProc2;
  const slice = mesh.slice({ hosts: 1 });
  const router = ReplyRouter.of(procs.client.cx);
  const calls = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? mesh : slice).times.call(i));
  const chosen = Array.from({ length: 20 }, (_, i) => mesh.times.choose(1000 + i));
  assert.ok(router.inFlight >= 220, `${router.inFlight} calls in flight`);
  const results = await Promise.all(calls);
  results.forEach((vm, i) => {
    const m = i % 2 === 0 ? mesh : slice;
    assert.deepEqual(
      vm.values(),
      rootRanks(m, mesh).map((r) => i * 1000 + r),
      `call ${i}`,
    );
  });
  (await Promise.all(chosen)).forEach((v, i) => assert.equal(Math.floor(v / 1000), 1000 + i, `choose ${i}`));
  assert.equal(router.inFlight, 0, 'every settled call left the reply router');
});

test('a call that times out rejects with TimeoutError; its late replies are dropped and later calls get their own', async () => {
  const mesh = p2p.perProc1;
  const router = ReplyRouter.of(procs.client.cx);
  await assert.rejects(
    mesh.late.withOptions({ timeoutMs: 300 }).call(1500),
    (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 300 && /late/.test(e.message),
  );
  assert.equal(router.inFlight, 0, 'the timed-out call left the reply router');
  // Queued behind the late answers, which arrive first and belong to the timed-out call.
  assert.deepEqual((await mesh.times.call(3)).values(), [3000, 3001, 3002, 3003]);
  assert.deepEqual((await mesh.late.call(0)).values(), [0, 1, 2, 3]);
  assert.equal(router.inFlight, 0);
});

test('timeoutMs must be > 0 (Infinity: no bound): other values are refused with a typed error, Infinity calls complete', async () => {
  const mesh = p2p.perProc1;
  for (const bad of [0, -5, Number.NaN, '100' as unknown as number]) {
    assert.throws(
      () => mesh.late.withOptions({ timeoutMs: bad }),
      (e: unknown) => e instanceof EndpointUsageError && e.variant === 'InvalidTimeout' && /timeoutMs/.test(e.message),
      String(bad),
    );
  }
  assert.deepEqual((await mesh.late.withOptions({ timeoutMs: Infinity }).call(200)).values(), [0, 1, 2, 3]);
});
