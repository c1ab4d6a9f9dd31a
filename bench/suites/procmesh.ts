/**
 * `npm run bench -- procmesh [--json] [--quick]`
 *
 * - `spawn8`: allocate 8 child procs (ProcessAlloc), spawn one actor on each and get the first
 *   reply from all 8 — against, in the same run, forking 8 Node processes (same `--import tsx`
 *   loader) that import the package barrel and report ready over IPC. ms per run (median);
 *   ratio `spawn8-vs-fork` = fork / ours (target ≥ 0.67, i.e. ours ≤ 1.5× the fork baseline).
 * - `spawn-local-128` / `spawn-local-1024`: spawn one actor mesh (CreateOrUpdate cast,
 *   GetRankStatus accumulated into a StatusMesh port, waitRankStatus) on LocalAlloc meshes of 128
 *   and 1024 in-process procs (allocation not timed); ms per spawn (median). The note reports the
 *   growth 128 → 1024 (8× the ranks: linear ⇒ ~8, quadratic ⇒ ~64).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchRow, SuiteOptions, SuiteResult } from '../lib.js';
import { Actor, type Handlers, type OncePortRef, registerActor } from '../../src/actor/index.js';
import { Extent } from '../../src/ndslice/index.js';
import { LocalAllocator, ProcessAllocator } from '../../src/mesh/alloc/index.js';
import { AllocatedProcMesh } from '../../src/mesh/index.js';

type PingMsg = { type: 'Ping'; reply: OncePortRef<number> };
export class BenchPing extends Actor<undefined, PingMsg> {
  static typeName = 'bench::procmesh::Ping';
  readonly handlers: Handlers<PingMsg> = { Ping: (cx, m) => m.reply.send(cx, process.pid) };
}
registerActor(BenchPing, { module: import.meta.url });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Forks 8 processes that import the package and report ready; ms until all 8 reported. */
async function fork8(): Promise<number> {
  const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  const script = `import(${JSON.stringify(entry)}).then(() => { process.send('ready'); process.disconnect(); });`;
  const t0 = process.hrtime.bigint();
  const kids = Array.from({ length: 8 }, () =>
    fork('-e', [script], { execArgv: ['--import', 'tsx', '--input-type=module'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
  );
  await Promise.all(
    kids.map(
      (k) =>
        new Promise<void>((resolve, reject) => {
          k.once('message', () => resolve());
          k.once('error', reject);
          k.once('exit', (c) => (c === 0 ? undefined : reject(new Error(`fork baseline child exited with ${c}`))));
        }),
    ),
  );
  const t = ms(t0);
  await Promise.all(kids.map((k) => (k.exitCode !== null ? undefined : new Promise((r) => k.once('exit', r)))));
  return t;
}

/** Allocates 8 child procs, spawns one BenchPing each, pings all; ms until every reply. */
async function spawn8(): Promise<number> {
  const client = AllocatedProcMesh.createClient();
  try {
    const t0 = process.hrtime.bigint();
    // Children import the registered actor modules (the agent, this one for BenchPing) first.
    const alloc = await new ProcessAllocator().allocate({ extent: Extent.from({ hosts: 2, gpus: 4 }), transport: 'unix' });
    const mesh = await AllocatedProcMesh.allocate(client.cx, alloc, 'bench');
    const am = await mesh.spawn(client.cx, 'ping', BenchPing, undefined);
    await Promise.all(am.actorRefs().map((r) => r.ask(client.cx, { type: 'Ping' }, { timeoutMs: 30_000 })));
    const t = ms(t0);
    await mesh.stop();
    return t;
  } finally {
    await client.close();
  }
}

/** ms per spawn on a LocalAlloc mesh of `n` procs (median of `samples` spawns). */
async function spawnLocal(n: number, samples: number): Promise<number> {
  const client = AllocatedProcMesh.createClient();
  const alloc = await new LocalAllocator().allocate({ extent: Extent.from({ procs: n }), transport: 'local' });
  const mesh = await AllocatedProcMesh.allocate(client.cx, alloc, `local${n}`);
  try {
    await mesh.spawn(client.cx, 'warmup', BenchPing, undefined);
    const xs: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = process.hrtime.bigint();
      await mesh.spawn(client.cx, `s${i}`, BenchPing, undefined);
      xs.push(ms(t0));
    }
    return median(xs);
  } finally {
    await mesh.stop();
    await client.close();
  }
}

export default async function procmeshSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const rounds = opts.quick ? 1 : 5;
  const results: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const notes: string[] = [];

  // Interleave ours and the baseline round by round (shared, noisy machine).
  const ours: number[] = [];
  const base: number[] = [];
  await fork8(); // warm the tsx cache
  for (let i = 0; i < rounds; i++) {
    base.push(await fork8());
    ours.push(await spawn8());
  }
  const o = median(ours);
  const b = median(base);
  results.push({ name: 'spawn8', impl: 'actormesh', value: o, unit: 'ms' });
  results.push({ name: 'spawn8', impl: 'fork', value: b, unit: 'ms' });
  ratios['spawn8-vs-fork'] = b / o;
  notes.push(`spawn8 rounds (ms): actormesh ${ours.map((x) => x.toFixed(0)).join(', ')}; fork ${base.map((x) => x.toFixed(0)).join(', ')}`);

  const samples = opts.quick ? 3 : 7;
  const t128 = await spawnLocal(128, samples);
  const t1024 = await spawnLocal(1024, samples);
  results.push({ name: 'spawn-local-128', impl: 'actormesh', value: t128, unit: 'ms' });
  results.push({ name: 'spawn-local-1024', impl: 'actormesh', value: t1024, unit: 'ms' });
  notes.push(`spawn growth 128 → 1024 procs (8× ranks): ×${(t1024 / t128).toFixed(2)} (linear ≈ 8, quadratic ≈ 64)`);
  return { suite: 'procmesh', results, ratios, notes };
}
