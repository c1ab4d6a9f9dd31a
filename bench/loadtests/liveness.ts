/**
 * `npm run loadtest -- liveness [--duration S] [--broadcasts N]`
 *
 * Liveness judged from processes, not from answers on time: the long versions of
 * test/mesh/broadcast-flood.test.ts, test/mesh/supervision-liveness.test.ts and
 * test/api/host-exit.test.ts, on a mesh of 4 child processes (supervision polls every 200 ms).
 * - flood: N (default 200 000) broadcasts in one synchronous loop, then a call: every member
 *   handled each broadcast exactly once, no proc stopped, no supervision failure; the client's
 *   RSS and heap before / peak / after are reported, and after a GC the heap must be back below
 *   before + 25% of what the flood added + 50 MB.
 * - blocked client: right after sending, the client blocks its event loop S seconds (default 30)
 *   in synchronous work: every worker is still alive (its pid exists, no proc stopped, no
 *   supervision event), nothing sent before the block is lost and the next call answers.
 * - kill: a worker SIGKILLed reaches `onSupervise` as ProcStopped with Killed(9) within 3 s (the
 *   latency is reported); the live procs keep answering.
 * - exit: a script that never calls `shutdown()` exits by itself (also after one of its workers
 *   was SIGKILLed) and its worker pids are gone.
 */
import assert from 'node:assert/strict';
import type { Loadtest, LoadtestResult } from '../loadtest.js';
import { thisHost, isWorker, type ActorMeshOf, type MeshFailure, type ProcMesh } from '../../src/index.js';
import { Tally, LIVENESS_ACTORS } from '../../test/mesh/fixtures/liveness-actors.js';
import { MemoryWatch } from '../../test/_support/memory.js';
import { alive, checkExitsByItself } from '../../test/api/_exit-script.js';

/** The mesh the scenarios share, and what was sent to it. */
interface Run {
  procs: ProcMesh;
  mesh: ActorMeshOf<Tally>;
  pids: number[];
  /** Supervision events with the time they arrived. */
  failures: Array<{ at: number; f: MeshFailure }>;
  /** `add(1)` broadcasts sent so far (each member's expected sum and count). */
  sent: number;
  lines: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every worker alive: its pid exists, the alloc saw no proc stop, the owner got no failure. */
function assertAllAlive(r: Run, when: string): void {
  assert.deepEqual(
    r.pids.filter((p) => !alive(p)),
    [],
    `${when}: worker pids gone`,
  );
  assert.equal(r.procs.stoppedProcs.size, 0, `${when}: procs stopped: ${[...r.procs.stoppedProcs.keys()]}`);
  assert.deepEqual(
    r.procs.procMesh.events.map((e) => e.kind),
    [],
    `${when}: alloc events`,
  );
  assert.deepEqual(
    r.failures.map((x) => String(x.f)),
    [],
    `${when}: supervision events`,
  );
}

async function assertTotals(r: Run, timeoutMs: number): Promise<void> {
  const totals = (await r.mesh.totals.withOptions({ timeoutMs }).call()).values();
  assert.deepEqual(totals, Array(r.pids.length).fill({ sum: r.sent, count: r.sent }), 'every broadcast handled exactly once by every member');
}

async function flood(r: Run, n: number): Promise<void> {
  await assertTotals(r, 30_000); // warm: every link up
  const mem = MemoryWatch.start();
  const t0 = Date.now();
  for (let i = 0; i < n; i++) r.mesh.add.broadcast(1);
  r.sent += n;
  const loopMs = Date.now() - t0;
  mem.sample();
  mem.startSampling();
  try {
    await assertTotals(r, 120_000);
  } finally {
    mem.stopSampling();
  }
  const callMs = Date.now() - t0;
  await mem.settle();
  r.lines.push(`flood: ${n} broadcasts to 4 members in one synchronous loop of ${loopMs} ms; the call after them answered ${callMs} ms after the first`);
  r.lines.push(`flood: client ${mem}`);
  assertAllAlive(r, 'after the flood');
  assert.ok(mem.heapReleased, `the client heap is not released after the flood: ${mem}`);
}

async function blockedClient(r: Run, seconds: number): Promise<void> {
  const n = 10_000;
  for (let i = 0; i < n; i++) r.mesh.add.broadcast(1);
  r.sent += n;
  const inFlight = r.mesh.totals.withOptions({ timeoutMs: (seconds + 60) * 1000 }).call();
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    /* synchronous work: no timer, no socket, no child event runs meanwhile */
  }
  const blockedMs = Date.now() - t0;
  const goneRightAfter = r.pids.filter((p) => !alive(p));
  await sleep(2000); // whatever the blocked loop held back (alloc events, poll answers) arrives
  const inFlightTotals = (await inFlight).values();
  const t1 = Date.now();
  await assertTotals(r, 30_000);
  r.lines.push(
    `blocked client: event loop blocked ${blockedMs} ms right after ${n} broadcasts and a call; workers gone right after: ${goneRightAfter.length}, ` +
      `procs stopped: ${r.procs.stoppedProcs.size}, supervision events: ${r.failures.length}, slow notes: ${r.mesh.health.slow.size}; the next call answered in ${Date.now() - t1} ms`,
  );
  assert.deepEqual(goneRightAfter, [], 'worker pids gone right after the block');
  assert.deepEqual(inFlightTotals, Array(r.pids.length).fill({ sum: r.sent, count: r.sent }), 'the call in flight during the block');
  assertAllAlive(r, 'after the block');
}

async function kill(r: Run): Promise<void> {
  const victim = 2;
  const t0 = Date.now();
  process.kill(r.pids[victim]!, 'SIGKILL');
  while (r.failures.length === 0 && Date.now() - t0 < 10_000) await sleep(5);
  const first = r.failures[0];
  const latency = first === undefined ? undefined : first.at - t0;
  r.lines.push(
    `kill: SIGKILL of worker ${victim} (pid ${r.pids[victim]}) reported to onSupervise after ${latency ?? 'more than 10000'} ms: ${first?.f ?? 'nothing'}`,
  );
  assert.ok(first !== undefined && latency! <= 3000, `ProcStopped not reported within 3 s (after ${latency} ms)`);
  assert.equal(first.f.kind, 'ProcStopped');
  assert.equal(first.f.rank, victim);
  assert.match(first.f.error, /Killed\(9\)/);
  assert.equal(r.procs.stoppedProcs.get(victim)?.kind, 'Killed');
  assert.deepEqual((await r.mesh.slice({ gpus: [0, 2] }).rank.call()).values(), [0, 1], 'the live procs keep answering');
}

async function exitWithoutShutdown(lines: string[]): Promise<void> {
  for (const args of [[], ['kill-one']]) {
    const run = await checkExitsByItself(args);
    lines.push(
      `exit${args.length ? ` (${args.join(' ')})` : ''}: the script exited by itself with code ${run.code} after ${run.ms} ms; its workers ${run.pids.join(', ')} are gone`,
    );
  }
}

const liveness: Loadtest = async ({ durationS, args }): Promise<LoadtestResult> => {
  if (isWorker()) throw new Error('the liveness load test must not run inside a worker');
  const bi = args.indexOf('--broadcasts');
  const broadcasts = bi >= 0 ? Number(args[bi + 1]) : 200_000;
  const lines: string[] = [];
  let ok = true;
  const scenario = async (name: string, f: () => Promise<void>) => {
    try {
      await f();
      lines.push(`${name}: ok`);
    } catch (e) {
      ok = false;
      lines.push(`${name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const host = thisHost();
  try {
    const procs = await host.spawnProcs({ gpus: 4 }, { modules: [LIVENESS_ACTORS] });
    const failures: Run['failures'] = [];
    const mesh = await procs.spawn(
      'liveness',
      Tally,
      {},
      {
        monitorIntervalMs: 200,
        onSupervise: (f) => {
          failures.push({ at: Date.now(), f });
          return true;
        },
      },
    );
    const r: Run = { procs, mesh, pids: (await mesh.pid.call()).values(), failures, sent: 0, lines };
    await scenario('flood', () => flood(r, broadcasts));
    await scenario('blocked client', () => blockedClient(r, durationS));
    await scenario('kill', () => kill(r));
  } catch (e) {
    ok = false;
    lines.push(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    await host.shutdown().catch(() => undefined);
  }
  await scenario('exit', () => exitWithoutShutdown(lines));
  return { ok, lines };
};
export default liveness;
