// A cast that bounces from a member outside a call's slice never fails that call (MeshHealth
// `bounced` with the member's base rank, src/mesh/supervision.ts; point-to-point bounces are
// mapped back to their member in src/mesh/actor-mesh.ts), while calls whose slice holds the
// member fail fast. Real child processes: 4 procs, proc 3 SIGKILLed while calls on procs 0..2
// are in flight.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, Rank, SupervisionError, CastUndeliverableError, type ActorMeshOf, type MeshFailure, type ProcMesh } from '../../src/index.js';
import type { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { type EndpointProbe, ENDPOINT_ACTORS } from './fixtures/endpoint-actors.js';
import { spawnProbe } from './_endpoint-modes.js';
import { eventually } from '../_support/eventually.js';

after(() => thisHost().shutdown());

/** Members of the live slice are kept busy this long, so calls sent now are in flight past the kill. */
const BUSY_MS = 1500;

interface Setup {
  procs: ProcMesh;
  meshes: Array<ActorMeshOf<EndpointProbe>>;
  pids: number[];
  failures: MeshFailure[];
  /** Bounced envelopes (type and destination) with the number of calls in flight when each came back. */
  bounces: Array<{ type: string; dest: string; pending: number }>;
  /** Calls not settled yet (read by the bounce watch). */
  pending: Set<Promise<unknown>>;
  /** Stops the procs and takes the bounce watch off the client. */
  stop(): Promise<void>;
}

/** 4 procs, a mesh with one and one with two actors per proc, and a watch on the client's bounces. */
async function setup(): Promise<Setup> {
  const procs = await thisHost().spawnProcs({ gpus: 4 }, { modules: [ENDPOINT_ACTORS] });
  const failures: MeshFailure[] = [];
  const onSupervise = (f: MeshFailure) => {
    failures.push(f);
    return true;
  };
  const meshes = [await spawnProbe(procs, 'one', 'p2p', { onSupervise }), await spawnProbe(procs, 'two', 'p2p', { perProc: 2, onSupervise })];
  const pids = (await meshes[0]!.pid.call()).values();
  // The meshes' own bounce routing wrapped the client's return handle on their first call; this
  // outer wrap only records what comes back, and when.
  const mailbox = procs.client.cx.mailbox;
  const inner = mailbox.returnHandle;
  const stop = async () => {
    mailbox.returnHandle = inner;
    await procs.stop();
  };
  const s: Setup = { procs, meshes, pids, failures, bounces: [], pending: new Set(), stop };
  mailbox.returnHandle = {
    returnUndeliverable(env: MessageEnvelope): void {
      s.bounces.push({ type: env.typeName, dest: String(env.dest.actor), pending: s.pending.size });
      inner.returnUndeliverable(env);
    },
  };
  return s;
}

function track<T>(s: Setup, p: Promise<T>): Promise<T> {
  s.pending.add(p);
  const done = () => void s.pending.delete(p);
  p.then(done, done);
  return p;
}

const liveOf = (m: ActorMeshOf<EndpointProbe>) => m.slice({ gpus: [0, 3] });
const expected = (m: ActorMeshOf<EndpointProbe>, i: number) =>
  liveOf(m)
    .actorIds()
    .map((_, r) => i * 1000 + r);

test(
  'calls on procs 0..2 in flight while proc 3 is SIGKILLed and its casts bounce all resolve; calls including proc 3 reject',
  { timeout: 60_000 },
  async () => {
    const s = await setup();
    try {
      const { meshes } = s;
      const inFlight: Array<{ mesh: ActorMeshOf<EndpointProbe>; i: number; p: Promise<{ values(): number[] }> }> = [];
      for (const m of meshes) {
        liveOf(m).late.broadcast(BUSY_MS);
        for (let i = 0; i < 10; i++) inFlight.push({ mesh: m, i, p: track(s, liveOf(m).times.call(i)) });
      }
      process.kill(s.pids[3]!, 'SIGKILL');
      // Same tick, before the death is known: casts of the same endpoint that include proc 3 go
      // out (and come back undeliverable), and more calls on the live slice start.
      const including = meshes.map((m) =>
        m.times.call(99).then(
          () => 'resolved',
          (e: unknown) => e,
        ),
      );
      for (const m of meshes) m.times.broadcast(-1);
      for (const m of meshes) inFlight.push({ mesh: m, i: 50, p: track(s, liveOf(m).times.call(50)) });

      for (const { mesh, i, p } of inFlight) assert.deepEqual((await p).values(), expected(mesh, i), `${mesh.name}: call ${i} on the live slice`);
      for (const e of await Promise.all(including)) {
        assert.ok(e instanceof CastUndeliverableError || e instanceof SupervisionError, `a call including proc 3 rejects with a typed error, got ${String(e)}`);
      }
      // The scenario really happened: casts of `times` to proc 3 bounced while live-slice calls of
      // `times` were still waiting.
      const deadProc = String(s.procs.procMesh.ref.ranks[3]!.procId);
      assert.ok(
        s.bounces.some((b) => b.type === 'ep:times' && b.dest.startsWith(deadProc) && b.pending > 0),
        `no bounce from proc 3 while calls were in flight: ${JSON.stringify(s.bounces)}`,
      );

      // The death reaches both owners; afterwards the live slice keeps working and the whole mesh fails fast.
      await eventually(() => s.failures.filter((f) => f.kind === 'ProcStopped').length === 2, 'ProcStopped of both meshes');
      for (const f of s.failures) assert.match(f.error, /Killed\(9\)/);
      for (const m of meshes) {
        assert.deepEqual((await liveOf(m).times.call(7)).values(), expected(m, 7));
        await assert.rejects(m.times.call(8), SupervisionError);
      }
    } finally {
      await s.stop();
    }
  },
);

test(
  "a bounced cast with a bindable argument (direct cast with headers) from outside a call's slice does not fail that call",
  { timeout: 60_000 },
  async () => {
    const s = await setup();
    try {
      const m = s.meshes[0]!;
      liveOf(m).late.broadcast(BUSY_MS);
      const call = track(s, liveOf(m).rankArg.call(new Rank()));
      process.kill(s.pids[3]!, 'SIGKILL');
      m.rankArg.broadcast(new Rank());
      assert.deepEqual(
        (await call).values().map((v) => v.bound),
        [0, 1, 2],
      );
    } finally {
      await s.stop();
    }
  },
);
