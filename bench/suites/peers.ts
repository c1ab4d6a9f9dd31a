/**
 * `npm run bench -- peers [--json] [--quick] [--verbose]`
 *
 * Purpose: actormesh side by side with three other ways a Node user could run the same jobs
 * across processes, measured in the same run on the same machine:
 * - `actormesh`: the package's public API as a user writes it (bench/peers/actormesh.mjs, plain
 *   JS importing 'actormesh', which resolves through package.json "exports" to the BUILT
 *   dist/bundle/index.js; the suite runs `npm run build:ts` first when src/ is newer than dist/);
 * - `comedy` (npm comedy 2.1.x): actors in forked processes (`mode: 'forked'`);
 * - `moleculer` (0.14.x): one broker per process, TCP transporter on loopback only (no UDP
 *   discovery; static 127.0.0.1 urls);
 * - `fork-ipc`: a hand-written child_process.fork + process.send baseline (request ids and a Map
 *   of pending promises).
 *
 * Workloads (same semantics everywhere; the actor answers x + 1; bench/peers/workloads.mjs):
 * 1. `call-sync`: one call at a time to one actor in one child process: p50 and p99 latency
 *    (µs) and calls/s;
 * 2. `call-pipelined`: 100 calls in flight to that actor (each reply issues the next), calls/s;
 * 3. `tell-oneway`: fire-and-forget of a 64-byte string to that actor, batches of 1000 with a
 *    turn of the event loop between them; the rate runs until a count call shows all N received
 *    (checked equal to N; Comedy lets a call overtake earlier tells, so the count is asked again
 *    until it is N — notes give how many count calls that took), msg/s;
 * 4. `spawn`: from nothing to 4 child processes × 1 actor and one reply from each (wall clock,
 *    process start included), ms; torn down after each measurement;
 * 5. `fanout-call`: 4 processes × 16 actors, one call to each of the 64 and wait for all 64
 *    replies, ms per fanout (median of the round's fanouts). actormesh: one `mesh.add.call(x)`
 *    on a `perProc: 16` mesh; the others: 64 calls and Promise.all (Comedy: 16 in-memory actors
 *    under one forked actor per process, which forwards each call).
 *
 * Method: each system runs in its own client process (`node bench/peers/<system>.mjs`, its own
 * process group) driven over a line protocol (bench/peers/protocol.mjs). A warm-up of
 * workloads 1-3 with small counts (not recorded), then R rounds (5; --quick: 1, smaller
 * counts). In a round every system runs every workload once, interleaved workload by workload,
 * the systems in an order rotated per round (round r starts at system r mod 4), so machine
 * noise hits all alike. The clients live across rounds; the actors of workloads 1-3 and 5 are
 * set up and torn down once per round per system (not timed), workload 4 starts from nothing
 * each time. Every step has a timeout (60 s): a system that times out or crashes is killed
 * (its whole process group), reported in the notes with its error, and all its rows are
 * omitted; a workload that reports an error (e.g. a wrong reply or count) has that workload's
 * rows omitted. Every process group is killed at the end, also on error.
 *
 * Rows: `{name, impl, value, unit}`, the median over rounds, for name in call-sync-p50 (µs),
 * call-sync-p99 (µs), call-sync (calls/s), call-pipelined (calls/s), tell-oneway (msg/s),
 * spawn (ms), fanout-call (ms); impl in actormesh | comedy | moleculer | fork-ipc. Ratios:
 * `<name>` = actormesh against the best other system of the run (>1 = actormesh better:
 * best/ours for times, ours/best for rates); a note per ratio names that peer.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow, SuiteOptions, SuiteResult } from '../lib.js';
import { PeerClient, PeerError } from '../peers/client.js';
import { ensureDistFresh } from '../peers/build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SYSTEMS = ['actormesh', 'comedy', 'moleculer', 'fork-ipc'] as const;
type System = (typeof SYSTEMS)[number];

const STEP_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 15_000;

interface Sizes {
  callSync: { n: number; maxMs: number };
  pipelined: { n: number; depth: number; maxMs: number };
  tell: { n: number; batch: number; maxWaitMs: number };
  fanout: { n: number; maxMs: number };
}
// `maxMs` caps a loop's time (a slow system does fewer iterations, its rate stays honest).
const FULL: Sizes = {
  callSync: { n: 2000, maxMs: 3000 },
  pipelined: { n: 20_000, depth: 100, maxMs: 4000 },
  tell: { n: 20_000, batch: 1000, maxWaitMs: 30_000 },
  fanout: { n: 100, maxMs: 3000 },
};
const QUICK: Sizes = {
  callSync: { n: 500, maxMs: 1500 },
  pipelined: { n: 5000, depth: 100, maxMs: 2000 },
  tell: { n: 5000, batch: 1000, maxWaitMs: 30_000 },
  fanout: { n: 30, maxMs: 1500 },
};
const WARMUP: Sizes = {
  callSync: { n: 300, maxMs: 1000 },
  pipelined: { n: 3000, depth: 100, maxMs: 1000 },
  tell: { n: 3000, batch: 1000, maxWaitMs: 30_000 },
  fanout: { n: 10, maxMs: 1000 },
};
const SPAWN = { procs: 4, perProc: 1 };
const FANOUT = { procs: 4, perProc: 16 };

/** Row names in table order, with their unit and whether lower is better. */
const ROWS: { name: string; unit: string; lowerIsBetter: boolean }[] = [
  { name: 'call-sync-p50', unit: 'µs', lowerIsBetter: true },
  { name: 'call-sync-p99', unit: 'µs', lowerIsBetter: true },
  { name: 'call-sync', unit: 'calls/s', lowerIsBetter: false },
  { name: 'call-pipelined', unit: 'calls/s', lowerIsBetter: false },
  { name: 'tell-oneway', unit: 'msg/s', lowerIsBetter: false },
  { name: 'spawn', unit: 'ms', lowerIsBetter: true },
  { name: 'fanout-call', unit: 'ms', lowerIsBetter: true },
];

/** Each workload op, the rows its result feeds, and the setup it needs. */
type Result = Record<string, number>;
const WORKLOAD_ROWS: Record<string, (r: Result) => Record<string, number>> = {
  'call-sync': (r) => ({ 'call-sync-p50': r.p50Us!, 'call-sync-p99': r.p99Us!, 'call-sync': r.perSec! }),
  'call-pipelined': (r) => ({ 'call-pipelined': r.perSec! }),
  'tell-oneway': (r) => ({ 'tell-oneway': r.perSec! }),
  spawn: (r) => ({ spawn: r.ms! }),
  'fanout-call': (r) => ({ 'fanout-call': r.p50Ms! }),
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function short(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** State of one run: live clients, what failed, what was measured. */
class Run {
  readonly clients = new Map<System, PeerClient>();
  /** Systems out of the run (timed out, crashed, or could not start), with why. */
  readonly dead = new Map<System, string>();
  /** `${workload}|${system}` → first error of that workload. */
  readonly failed = new Map<string, string>();
  /** row → impl → one value per round. */
  readonly values = new Map<string, Map<System, number[]>>();
  readonly tellPolls = new Map<System, number[]>();
  readonly notes: string[] = [];
  constructor(readonly verbose: boolean) {}

  killAll(): void {
    for (const c of this.clients.values()) c.killGroup();
  }

  markDead(sys: System, why: string): void {
    if (this.dead.has(sys)) return;
    const c = this.clients.get(sys);
    const tail = c?.tail.slice(-5).join(' | ');
    this.dead.set(sys, tail ? `${why} (last output: ${tail})` : why);
    c?.killGroup();
  }

  /**
   * Runs one op on one system. Returns the result, or undefined when the system is out or the
   * op failed (recorded under `failKey`, default the op itself).
   */
  async step(sys: System, op: string, params: object, failKey = op): Promise<Result | undefined> {
    const c = this.clients.get(sys);
    if (c === undefined || this.dead.has(sys)) return undefined;
    try {
      return await c.request<Result>(op, params as Record<string, unknown>, STEP_TIMEOUT_MS);
    } catch (e) {
      const msg = (e as Error).message;
      if (e instanceof PeerError && e.kind !== 'failed') this.markDead(sys, `${op}: ${msg}`);
      else if (!this.failed.has(`${failKey}|${sys}`)) this.failed.set(`${failKey}|${sys}`, `${op}: ${msg}`);
      return undefined;
    }
  }

  record(sys: System, op: string, r: Result): void {
    for (const [row, v] of Object.entries(WORKLOAD_ROWS[op]!(r))) {
      if (!Number.isFinite(v)) continue;
      let byImpl = this.values.get(row);
      if (byImpl === undefined) this.values.set(row, (byImpl = new Map()));
      let xs = byImpl.get(sys);
      if (xs === undefined) byImpl.set(sys, (xs = []));
      xs.push(v);
    }
    if (op === 'tell-oneway') {
      const polls = this.tellPolls.get(sys) ?? [];
      polls.push(r.polls!);
      this.tellPolls.set(sys, polls);
    }
  }
}

/**
 * Runs a setup op on every live system; returns those where it worked. A failed setup counts
 * as a failure of the workloads that need it (their rows are omitted).
 */
async function setup(run: Run, order: System[], op: string, params: object, workloads: string[]): Promise<Set<System>> {
  const ok = new Set<System>();
  for (const s of order) {
    if (run.dead.has(s)) continue;
    if ((await run.step(s, op, params)) !== undefined) ok.add(s);
    const why = run.failed.get(`${op}|${s}`);
    if (why === undefined) continue;
    run.failed.delete(`${op}|${s}`);
    for (const w of workloads) if (!run.failed.has(`${w}|${s}`)) run.failed.set(`${w}|${s}`, why);
  }
  return ok;
}

/** One round (or the warm-up): every workload once per system, interleaved. */
async function round(run: Run, order: System[], sizes: Sizes, opts: { record: boolean; warmup: boolean }): Promise<void> {
  const go = (s: System) => !run.dead.has(s);
  const measure = async (s: System, op: string, params: object) => {
    const r = await run.step(s, op, params);
    if (r !== undefined && opts.record) run.record(s, op, r);
  };

  // Workloads 1-3 on one actor in one child process per system.
  const single = await setup(run, order, 'setup-single', {}, ['call-sync', 'call-pipelined', 'tell-oneway']);
  const singleOps: [string, object][] = [
    ['call-sync', sizes.callSync],
    ['call-pipelined', sizes.pipelined],
    ['tell-oneway', sizes.tell],
  ];
  for (const [op, params] of singleOps) for (const s of order) if (go(s) && single.has(s)) await measure(s, op, params);
  for (const s of order) if (go(s) && single.has(s)) await run.step(s, 'teardown-single', {}, 'teardown');
  if (opts.warmup) return;

  // Workload 4: from nothing, each time.
  for (const s of order) if (go(s)) await measure(s, 'spawn', SPAWN);

  // Workload 5 on 4 x 16 actors per system.
  const fan = await setup(run, order, 'setup-fanout', FANOUT, ['fanout-call']);
  for (const s of order) if (go(s) && fan.has(s)) await measure(s, 'fanout-call', sizes.fanout);
  for (const s of order) if (go(s) && fan.has(s)) await run.step(s, 'teardown-fanout', {}, 'teardown');
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  return xs.map((_, i) => xs[(i + by) % xs.length]!);
}

/** Rows (median over rounds), ratios against the best peer, and the notes about them. */
function summarize(run: Run): { results: BenchRow[]; ratios: Record<string, number> } {
  const results: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const workloadOf = (row: string) => Object.keys(WORKLOAD_ROWS).find((op) => row === op || row.startsWith(`${op}-`))!;
  for (const { name, unit, lowerIsBetter } of ROWS) {
    const byImpl = run.values.get(name);
    const med = new Map<System, number>();
    const spread: string[] = [];
    for (const sys of SYSTEMS) {
      const xs = byImpl?.get(sys);
      if (xs === undefined || xs.length === 0 || run.dead.has(sys) || run.failed.has(`${workloadOf(name)}|${sys}`)) continue;
      med.set(sys, median(xs));
      results.push({ name, impl: sys, value: median(xs), unit });
      spread.push(`${sys} ${xs.map(short).join('/')}`);
    }
    if (spread.length > 0) run.notes.push(`${name} per round (${unit}): ${spread.join('; ')}`);
    const ours = med.get('actormesh');
    const peers = [...med.entries()].filter(([s]) => s !== 'actormesh');
    if (ours === undefined || peers.length === 0) {
      run.notes.push(`ratio ${name}: not computed (${ours === undefined ? 'no actormesh value' : 'no peer value'})`);
      continue;
    }
    const [bestSys, best] = peers.reduce((a, b) => ((lowerIsBetter ? b[1] < a[1] : b[1] > a[1]) ? b : a));
    ratios[name] = lowerIsBetter ? best / ours : ours / best;
    run.notes.push(`ratio ${name}: ${ratios[name]!.toFixed(3)} = actormesh ${short(ours)} vs best peer ${bestSys} ${short(best)} ${unit}`);
  }
  return { results, ratios };
}

export default async function peersSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const t0 = Date.now();
  const run = new Run(opts.args.includes('--verbose'));
  const sizes = opts.quick ? QUICK : FULL;
  const rounds = opts.quick ? 1 : 5;
  let stopped = false;

  // Whatever happens, no process of ours outlives the suite.
  const onExit = () => run.killAll();
  const onSignal = (sig: NodeJS.Signals) => {
    run.killAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const build = ensureDistFresh(ROOT);
    run.notes.push(...build.notes);
    if (!build.ok) run.dead.set('actormesh', 'dist/ could not be built');

    await Promise.all(
      SYSTEMS.filter((s) => !run.dead.has(s)).map(async (s) => {
        try {
          const c = await PeerClient.start(s, join(ROOT, 'bench', 'peers', `${s}.mjs`), ROOT, { timeoutMs: STEP_TIMEOUT_MS, verbose: run.verbose });
          run.clients.set(s, c);
        } catch (e) {
          run.dead.set(s, `client did not start: ${(e as Error).message}`);
        }
      }),
    );
    for (const [s, c] of run.clients) run.notes.push(`${s}: client ${JSON.stringify(c.info)}`);
    const resolved = run.clients.get('actormesh')?.info.resolved;
    if (typeof resolved === 'string' && !resolved.includes('/dist/bundle/'))
      run.markDead('actormesh', `'actormesh' resolved to ${resolved}, not the built dist/bundle`);

    await round(run, [...SYSTEMS], WARMUP, { record: false, warmup: true });
    for (let r = 0; r < rounds; r++) {
      await round(run, rotate(SYSTEMS, r % SYSTEMS.length), sizes, { record: true, warmup: false });
    }
  } finally {
    await Promise.all([...run.clients.values()].map((c) => c.stop(EXIT_TIMEOUT_MS)));
    const left: string[] = [];
    for (const [s, c] of run.clients) if (!(await c.waitGroupGone(5_000))) left.push(s);
    if (left.length > 0) run.notes.push(`WARNING: processes of ${left.join(', ')} still running after SIGKILL of their groups`);
    stopped = left.length === 0;
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const { results, ratios } = summarize(run);
  for (const [s, polls] of run.tellPolls)
    if (polls.some((p) => p > 1)) run.notes.push(`tell-oneway: ${s} needed ${polls.join('/')} count calls per round (a call overtook earlier tells)`);
  for (const [s, why] of run.dead) run.notes.push(`ERROR ${s}: ${why} — all its rows omitted`);
  for (const [k, why] of run.failed) {
    const [op, s] = k.split('|');
    run.notes.push(`ERROR ${s} ${op}: ${why}${op === 'teardown' ? '' : ' — rows omitted'}`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  run.notes.push(`peers: warm-up + ${rounds} round(s) in ${secs} s; rows are medians over rounds${stopped ? '; every client process group stopped' : ''}`);
  return { suite: 'peers', results, ratios, notes: run.notes };
}
