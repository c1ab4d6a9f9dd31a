/**
 * `npm run bench -- hosts [--json] [--quick] [--verbose]`
 *
 * Purpose: what the multi-host path (`HostMesh.attach` to `actormesh worker` processes, procs
 * spawned on them, every message to a proc through its worker's port, the gateway) costs
 * against the single-machine path (`thisHost().spawnProcs`, the client talks to each proc on its
 * own unix socket), through the package as a user runs it: a plain-JS client
 * (bench/hosts/client.mjs) importing 'actormesh', which resolves through package.json "exports"
 * to the BUILT dist/bundle/index.js (the suite runs `npm run build:ts` first when src/ is newer
 * than dist/), workers started with the package's bin (`node dist/bundle/cli.js worker --listen
 * tcp:127.0.0.1:0`, ACTORMESH_SECRET in their environment), the actor module
 * (bench/hosts/actors.mjs) imported by every proc by URL.
 *
 * Rows (impl `hosts` = the multi-host path, `thisHost` = one host):
 * - `attach-1`, `attach-4`, `attach-8` (ms): `HostMesh.attach(addrs, {secret, logs: 'off'})` to
 *   the first 1 / 4 / 8 of 8 running workers, from no host mesh in the client process (so it
 *   includes serving the client's TCP port and dialing every worker); each attach is stopped
 *   (`hosts.stop()`, not timed) before the next; the workers are reused. Median of the rounds.
 * - `spawnProcs` (ms): from an attached host mesh of 4 workers, `spawnProcs({gpus: 2})` (8 procs,
 *   2 per worker) + `procs.spawn` of one actor mesh (one actor per proc), against
 *   `thisHost().spawnProcs({gpus: 8})` + the same spawn. A `call()` to all 8 right after checks
 *   every reply (not timed; its time is in the notes).
 * - `call-sync-p50`, `call-sync-p99` (µs): sequential `callOne` to one member (host 0 / gpu 0 of
 *   the 4 × 2 procs, i.e. a proc of the first worker; gpu 0 of the thisHost procs).
 * - `fanout-call` (µs per `call()`, median): one `mesh.add.call(x)` to all 8 members (4 hosts ×
 *   2 procs against 8 procs on this host), waiting for all 8 replies.
 *
 * Method: one client process (own process group, driven over the peers line protocol by
 * PeerClient). It starts 8 workers (not timed). Attach: a warm-up attach to 8 and to 1 (not
 * recorded), then 7 rounds (--quick: 2) of attach-1/4/8 in an order rotated per round. Spawn and
 * calls: one host mesh attached to workers 0-3 for the whole phase (not timed), a warm-up round
 * with small counts (not recorded), then 5 rounds (--quick: 1); each round spawns both
 * variants, runs call-sync on both, then fanout-call on both, then stops both, the variant that
 * goes first alternating per round. Each measured loop is preceded by warm-up calls on the
 * fresh procs (call-sync 500, fanout 50). Every reply is checked (x + 1; all 8 for a fanout). The
 * client reads its own CPU (`process.cpuUsage`) and that of the procs and workers
 * (/proc/<pid>/task/<tid>/sched) around the call loops: CPU per call in the notes. Every step
 * has a timeout (60 s): on a timeout or crash the client's whole group is killed and the rest
 * is skipped; a step that reports an error (wrong reply, failed attach) has its rows omitted. At
 * the end the client attaches to all 8 workers and shuts them down (`HostMesh.shutdown`, they
 * exit 0), the suite kills the client's group and looks for any process left with this run's
 * marker in its environment.
 *
 * Ratios: both sides are ours, so "> 1 = ours better" reads "> 1 = the multi-host path
 * better": ratio = thisHost / hosts for every time (`spawnProcs`, `call-sync-p50`,
 * `fanout-call`). Target (issue): the gateway hop costs ≤ 1.3× in latency, i.e. the call-sync
 * and fanout-call ratios ≥ 1/1.3 ≈ 0.77.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow, SuiteOptions, SuiteResult } from '../lib.js';
import { PeerClient, PeerError } from '../peers/client.js';
import { ensureDistFresh } from '../peers/build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STEP_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;
const WORKERS = 8;
const ATTACH_SIZES = [1, 4, 8] as const;
const SHAPE = { hosts: 4, perHost: 2 };
const VARIANTS = ['hosts', 'thisHost'] as const;
type Variant = (typeof VARIANTS)[number];
/** Target of the issue: the gateway hop costs at most 1.3× the single-host latency. */
const LATENCY_TARGET = 1 / 1.3;

interface Loop {
  n: number;
  maxMs: number;
  warm: number;
}
interface Sizes {
  callSync: Loop;
  fanout: Loop;
}
const FULL: Sizes = { callSync: { n: 3000, maxMs: 3000, warm: 500 }, fanout: { n: 300, maxMs: 3000, warm: 50 } };
const QUICK: Sizes = { callSync: { n: 500, maxMs: 1500, warm: 200 }, fanout: { n: 50, maxMs: 1500, warm: 20 } };
const WARMUP: Sizes = { callSync: { n: 300, maxMs: 1000, warm: 200 }, fanout: { n: 30, maxMs: 1000, warm: 20 } };

type Result = Record<string, number | undefined>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function short(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '?';
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** The client died or hung: nothing more can be measured. */
class ClientGone extends Error {}

class Run {
  client: PeerClient | undefined;
  /** `${row}|${impl}` → one value per round. */
  readonly values = new Map<string, number[]>();
  /** `${row}|${impl}` → first error (the rows are omitted). */
  readonly failed = new Map<string, string>();
  /** Extra figures per round for the notes: key → values. */
  readonly extra = new Map<string, number[]>();
  readonly notes: string[] = [];
  gone: string | undefined;

  async step(op: string, params: Record<string, unknown>, failKeys: string[]): Promise<Result | undefined> {
    if (this.client === undefined || this.gone !== undefined) throw new ClientGone(this.gone ?? 'no client');
    try {
      return await this.client.request<Result>(op, params, STEP_TIMEOUT_MS);
    } catch (e) {
      const msg = `${op}: ${(e as Error).message}`;
      if (e instanceof PeerError && e.kind !== 'failed') {
        const tail = this.client.tail.slice(-5).join(' | ');
        this.gone = tail ? `${msg} (last output: ${tail})` : msg;
        throw new ClientGone(this.gone);
      }
      for (const k of failKeys) if (!this.failed.has(k)) this.failed.set(k, msg);
      return undefined;
    }
  }

  add(map: Map<string, number[]>, key: string, v: number | undefined): void {
    if (v === undefined || !Number.isFinite(v)) return;
    let xs = map.get(key);
    if (xs === undefined) map.set(key, (xs = []));
    xs.push(v);
  }
}

/** Attach phase: warm-up, then `rounds` rounds of attach-1/4/8 in a rotated order. */
async function attachPhase(run: Run, rounds: number): Promise<void> {
  for (const k of [WORKERS, 1]) await run.step('attach', { k }, [`attach-${k}|hosts`]);
  // A warm-up failure is noted; the rows depend on the rounds only.
  for (const [k, why] of run.failed) run.notes.push(`warm-up: ${k.replace('|', ' ')}: ${why}`);
  run.failed.clear();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < ATTACH_SIZES.length; i++) {
      const k = ATTACH_SIZES[(i + r) % ATTACH_SIZES.length]!;
      const res = await run.step('attach', { k }, [`attach-${k}|hosts`]);
      if (res === undefined) continue;
      run.add(run.values, `attach-${k}|hosts`, res.ms);
      run.add(run.extra, `attach-stop-${k}`, res.stopMs);
    }
  }
}

/** One round of spawn + call-sync + fanout on both variants (or the warm-up, not recorded). */
async function round(run: Run, order: Variant[], sizes: Sizes, record: boolean): Promise<void> {
  const keep = (map: Map<string, number[]>, key: string, v: number | undefined) => {
    if (record) run.add(map, key, v);
  };
  for (const v of order) {
    const r = await run.step('spawn', { variant: v, shape: SHAPE }, [`spawnProcs|${v}`, `call-sync|${v}`, `fanout-call|${v}`]);
    if (r === undefined) continue;
    keep(run.values, `spawnProcs|${v}`, r.ms);
    keep(run.extra, `spawn-procs-${v}`, r.procsMs);
    keep(run.extra, `spawn-actors-${v}`, r.actorsMs);
    keep(run.extra, `spawn-firstcall-${v}`, r.firstCallMs);
  }
  for (const v of order) {
    const r = await run.step('call-sync', { variant: v, ...sizes.callSync }, [`call-sync|${v}`]);
    if (r === undefined) continue;
    keep(run.values, `call-sync-p50|${v}`, r.p50Us);
    keep(run.values, `call-sync-p99|${v}`, r.p99Us);
    keep(run.extra, `call-sync-n-${v}`, r.n);
    keep(run.extra, `call-sync-cpu-client-${v}`, r.cpuClientUs);
    keep(run.extra, `call-sync-cpu-proc-${v}`, r.cpuProcUs);
    keep(run.extra, `call-sync-cpu-worker-${v}`, r.cpuWorkerUs);
  }
  for (const v of order) {
    const r = await run.step('fanout', { variant: v, ...sizes.fanout }, [`fanout-call|${v}`]);
    if (r === undefined) continue;
    keep(run.values, `fanout-call|${v}`, r.p50Us);
    keep(run.extra, `fanout-n-${v}`, r.n);
    keep(run.extra, `fanout-cpu-client-${v}`, r.cpuClientUs);
    keep(run.extra, `fanout-cpu-procs-${v}`, r.cpuProcsUs);
    keep(run.extra, `fanout-cpu-workers-${v}`, r.cpuWorkersUs);
  }
  for (const v of order) {
    const r = await run.step('stop', { variant: v }, [`stop|${v}`]);
    if (r !== undefined) keep(run.extra, `stop-${v}`, r.ms);
  }
}

/** Processes (other than this one) whose environment carries this run's marker. */
function leftovers(marker: string): string[] {
  const out: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) continue;
      out.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim().slice(0, 120)}`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** Row names in table order: name, unit, impls. */
const ROWS: { name: string; unit: string; impls: Variant[] }[] = [
  ...ATTACH_SIZES.map((k) => ({ name: `attach-${k}`, unit: 'ms', impls: ['hosts'] as Variant[] })),
  { name: 'spawnProcs', unit: 'ms', impls: [...VARIANTS] },
  { name: 'call-sync-p50', unit: 'µs', impls: [...VARIANTS] },
  { name: 'call-sync-p99', unit: 'µs', impls: [...VARIANTS] },
  { name: 'fanout-call', unit: 'µs', impls: [...VARIANTS] },
];
/** The step whose failure omits a row. */
const stepOf = (row: string) => (row.startsWith('call-sync') ? 'call-sync' : row);

function summarize(run: Run): { results: BenchRow[]; ratios: Record<string, number> } {
  const results: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const med = new Map<string, number>();
  for (const { name, unit, impls } of ROWS) {
    const spread: string[] = [];
    for (const impl of impls) {
      const xs = run.values.get(`${name}|${impl}`);
      if (xs === undefined || xs.length === 0 || run.failed.has(`${stepOf(name)}|${impl}`)) continue;
      const m = median(xs);
      med.set(`${name}|${impl}`, m);
      results.push({ name, impl, value: m, unit });
      spread.push(`${impl} ${xs.map(short).join('/')}`);
    }
    if (spread.length > 0) run.notes.push(`${name} per round (${unit}): ${spread.join('; ')}`);
  }
  for (const name of ['spawnProcs', 'call-sync-p50', 'fanout-call']) {
    const multi = med.get(`${name}|hosts`);
    const single = med.get(`${name}|thisHost`);
    if (multi === undefined || single === undefined) {
      run.notes.push(`ratio ${name}: not computed (no ${multi === undefined ? 'hosts' : 'thisHost'} value)`);
      continue;
    }
    ratios[name] = single / multi;
    const target =
      name === 'spawnProcs' ? 'no target' : `target ≥ ${LATENCY_TARGET.toFixed(2)} (≤ 1.3×): ${ratios[name]! >= LATENCY_TARGET ? 'met' : 'MISSED'}`;
    run.notes.push(
      `ratio ${name}: ${ratios[name]!.toFixed(3)} = thisHost ${short(single)} / hosts ${short(multi)} (the multi-host path costs ${(multi / single).toFixed(2)}×; ${target})`,
    );
  }
  return { results, ratios };
}

function extraNotes(run: Run): void {
  const m = (k: string) => {
    const xs = run.extra.get(k);
    return xs === undefined || xs.length === 0 ? undefined : median(xs);
  };
  run.notes.push(
    `attach stop() (not timed in the rows; closes the client's port when the last host mesh goes): ` +
      ATTACH_SIZES.map((k) => `${k}: ${short(m(`attach-stop-${k}`))} ms`).join(', '),
  );
  for (const v of VARIANTS)
    run.notes.push(
      `spawnProcs ${v}: spawnProcs ${short(m(`spawn-procs-${v}`))} ms + actor spawn ${short(m(`spawn-actors-${v}`))} ms (medians); ` +
        `first call() to all 8 after it ${short(m(`spawn-firstcall-${v}`))} ms; procs.stop() ${short(m(`stop-${v}`))} ms`,
    );
  for (const v of VARIANTS) {
    const worker = m(`call-sync-cpu-worker-${v}`);
    run.notes.push(
      `call-sync ${v}: ${short(m(`call-sync-n-${v}`))} calls per round; CPU per call (median over rounds, µs): client ${short(m(`call-sync-cpu-client-${v}`))}, ` +
        `proc ${short(m(`call-sync-cpu-proc-${v}`))}${worker !== undefined ? `, worker (gateway) ${short(worker)}` : ''}`,
    );
  }
  for (const v of VARIANTS) {
    const workers = m(`fanout-cpu-workers-${v}`);
    run.notes.push(
      `fanout-call ${v} (${v === 'hosts' ? `${SHAPE.hosts} hosts × ${SHAPE.perHost} procs` : `${SHAPE.hosts * SHAPE.perHost} procs on this host`}): ` +
        `${short(m(`fanout-n-${v}`))} call()s per round; CPU per call() (µs): client ${short(m(`fanout-cpu-client-${v}`))}, ` +
        `8 procs ${short(m(`fanout-cpu-procs-${v}`))}${workers !== undefined ? `, ${SHAPE.hosts} workers ${short(workers)}` : ''}`,
    );
  }
}

export default async function hostsSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const t0 = Date.now();
  const verbose = opts.args.includes('--verbose');
  const sizes = opts.quick ? QUICK : FULL;
  const attachRounds = opts.quick ? 2 : 7;
  const rounds = opts.quick ? 1 : 5;
  const run = new Run();
  // Every process of this run (client, workers, procs) inherits the marker: what is left at the
  // end is found by it.
  const marker = `ACTORMESH_BENCH_HOSTS_RUN=${randomBytes(6).toString('hex')}`;
  process.env[marker.split('=')[0]!] = marker.split('=')[1]!;

  const onExit = () => run.client?.killGroup();
  const onSignal = (sig: NodeJS.Signals) => {
    run.client?.killGroup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let stopped = false;
  try {
    const build = ensureDistFresh(ROOT);
    run.notes.push(...build.notes);
    if (!build.ok) throw new ClientGone('dist/ could not be built');
    run.client = await PeerClient.start('hosts', join(ROOT, 'bench', 'hosts', 'client.mjs'), ROOT, { timeoutMs: STEP_TIMEOUT_MS, verbose });
    run.notes.push(`client ${JSON.stringify(run.client.info)}`);
    const resolved = run.client.info.resolved;
    if (typeof resolved !== 'string' || !resolved.includes('/dist/bundle/'))
      throw new ClientGone(`'actormesh' resolved to ${String(resolved)}, not the built dist/bundle`);

    const ws = await run.step('start-workers', { n: WORKERS }, []);
    if (ws === undefined) throw new ClientGone(`workers did not start: ${[...run.failed.values()].join('; ')}`);
    const readyMs = (ws as unknown as { readyMs: number[] }).readyMs;
    run.notes.push(
      `${WORKERS} workers (actormesh ${String(ws.version)}, protocol ${String(ws.protocol)}) started in parallel in ${short(ws.ms)} ms (ready lines after ${readyMs.map(short).join('/')} ms)`,
    );

    await attachPhase(run, attachRounds);

    const setup = await run.step('setup-hosts', { hosts: SHAPE.hosts }, ['spawnProcs|hosts', 'call-sync|hosts', 'fanout-call|hosts']);
    if (setup !== undefined)
      run.notes.push(`host mesh of ${SHAPE.hosts} workers for the spawn and call steps attached in ${short(setup.ms)} ms (not timed in the rows)`);
    const warmFailed = new Map(run.failed);
    await round(run, ['hosts', 'thisHost'], WARMUP, false);
    for (const [k, why] of run.failed) if (!warmFailed.has(k)) run.notes.push(`warm-up: ${k.replace('|', ' ')}: ${why}`);
    for (const k of [...run.failed.keys()]) if (!warmFailed.has(k)) run.failed.delete(k);
    for (let r = 0; r < rounds; r++) await round(run, r % 2 === 0 ? ['hosts', 'thisHost'] : ['thisHost', 'hosts'], sizes, true);
    await run.step('teardown-hosts', {}, ['teardown-hosts|hosts']);

    const sd = await run.step('shutdown-workers', {}, ['shutdown-workers|hosts']);
    if (sd !== undefined) {
      const r = sd as unknown as { ms: number; missingHosts: string[]; exitCodes: unknown };
      run.notes.push(
        `shutdown of the ${WORKERS} workers (attach + HostMesh.shutdown): ${short(r.ms)} ms, missing hosts: ${r.missingHosts.length === 0 ? 'none' : r.missingHosts.join(', ')}, exit codes ${JSON.stringify(r.exitCodes)}`,
      );
    }
  } catch (e) {
    if (!(e instanceof ClientGone)) throw e;
    run.notes.push(`ERROR: ${e.message} — the remaining steps were skipped`);
  } finally {
    if (run.client !== undefined) {
      await run.client.stop(EXIT_TIMEOUT_MS);
      stopped = await run.client.waitGroupGone(5_000);
      if (!stopped) run.notes.push("WARNING: processes of the client's group still running after SIGKILL of the group");
    }
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const left = leftovers(marker);
  if (left.length > 0) run.notes.push(`WARNING: ${left.length} process(es) of this run still running: ${left.join('; ')}`);

  const { results, ratios } = summarize(run);
  extraNotes(run);
  for (const [k, why] of run.failed) run.notes.push(`ERROR ${k.replace('|', ' ')}: ${why} — rows omitted`);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  run.notes.push(
    `hosts: ${attachRounds} attach round(s), warm-up + ${rounds} spawn/call round(s) in ${secs} s; rows are medians over rounds; ` +
      `ratios = thisHost / hosts (> 1 = the multi-host path faster; target for call-sync-p50 and fanout-call ≥ ${LATENCY_TARGET.toFixed(2)}, i.e. the gateway hop ≤ 1.3×)` +
      `${stopped && left.length === 0 ? '; every process of the run stopped' : ''}`,
  );
  return { suite: 'hosts', results, ratios, notes: run.notes };
}
