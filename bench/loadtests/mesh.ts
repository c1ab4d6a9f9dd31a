/**
 * `npm run loadtest -- mesh --duration 60 [--procs 8] [--per-proc 16]`
 *
 * Real child processes (ProcessAlloc), `procs × perProc` actors, one comm actor per proc. For the
 * whole duration the client keeps sending, in rounds:
 * - one cast of a sequence-numbered message to the (live part of the) mesh, and
 * - one sequence-numbered point-to-point message to every live actor,
 * each round closed by a `ping` call on the cast stream (flow control). Every actor checks that
 * each stream (cast, p2p) arrives gap-free and in order. Halfway through, the last proc is
 * SIGKILLed; the owner must receive the supervision event, casts to the whole mesh must then fail
 * fast with SupervisionError, and traffic continues on the live slice.
 * At the end every live actor reports what it received: lost = sent − delivered must be 0 and no
 * actor may have seen a gap or a reordering. Client memory is sampled over time.
 */
import type { LoadtestOptions, LoadtestResult } from '../loadtest.js';
import { thisHost, isWorker, MeshActor, registerActor, SupervisionError, type Context, type MeshFailure, meshPoint } from '../../src/index.js';
import { PortId } from '../../src/core/ids.js';
import { portIndexOf } from '../../src/core/typeinfo.js';
import { endpointMessage, MODE_NONE } from '../../src/mesh/endpoint.js';

interface Report {
  rank: number;
  rss: number;
  cast: number;
  p2p: number;
  errors: string[];
}

export class LoadActor extends MeshActor<Record<string, never>> {
  static readonly typeName = 'loadtest::LoadActor';
  private last: Record<string, number> = { cast: 0, p2p: 0 };
  private errors: string[] = [];
  readonly endpoints = {
    seq: (_cx: Context, stream: 'cast' | 'p2p', i: number, payload: Uint8Array): void => {
      const want = this.last[stream]! + 1;
      if (i !== want && this.errors.length < 10) this.errors.push(`${stream}: got ${i}, expected ${want}`);
      if (payload.length !== 256 || payload[0] !== (i & 0xff)) this.errors.push(`${stream} ${i}: corrupt payload`);
      this.last[stream] = i;
    },
    ping: (): number => 1,
    pid: (): number => process.pid,
    report: (cx: Context): Report => ({
      rank: meshPoint(cx)!.rank,
      rss: process.memoryUsage().rss,
      cast: this.last.cast!,
      p2p: this.last.p2p!,
      errors: this.errors,
    }),
  };
}
registerActor(LoadActor);

function argOf(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

const mb = (n: number) => (n / 1048576).toFixed(1);

export default async function mesh({ durationS, args }: LoadtestOptions): Promise<LoadtestResult> {
  if (isWorker()) throw new Error('the mesh load test must not run inside a worker');
  const nProcs = argOf(args, '--procs', 8);
  const perProc = argOf(args, '--per-proc', 16);
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const host = thisHost();
  const failures: MeshFailure[] = [];
  let ok = true;
  try {
    const procs = await host.spawnProcs({ procs: nProcs }, { modules: [import.meta.url] });
    const mesh = await procs.spawn(
      'load',
      LoadActor,
      {},
      {
        perProc,
        monitorIntervalMs: 500,
        onSupervise: (f) => {
          failures.push(f);
          return true;
        },
      },
    );
    const cx = procs.client.cx;
    const n = nProcs * perProc;
    const pids = (await mesh.pid.call()).values();
    const ids = mesh.actorIds();
    const port = portIndexOf('ep:seq');
    const dests = ids.map((a) => new PortId(a, port));
    const sentCast = new Array<number>(n).fill(0);
    const sentP2p = new Array<number>(n).fill(0);
    const killedProc = nProcs - 1;
    const killedRanks = new Set(Array.from({ length: perProc }, (_, j) => killedProc * perProc + j));
    let live = mesh.slice({ procs: [0, nProcs] });
    let killed = false;
    let castSeq = 0;
    const p2pSeq = new Array<number>(n).fill(0);
    let rounds = 0;
    let failFast = 'not checked';
    const mem: string[] = [];
    const t0 = Date.now();
    const end = t0 + durationS * 1000;
    let nextMem = t0;
    const payload = (i: number) => {
      const p = new Uint8Array(256);
      p[0] = i & 0xff;
      return p;
    };
    while (Date.now() < end) {
      const now = Date.now();
      if (!killed && now >= t0 + (durationS * 1000) / 2) {
        process.kill(pids[killedProc * perProc]!, 'SIGKILL');
        killed = true;
        live = mesh.slice({ procs: [0, nProcs - 1] });
        log(`t=${((now - t0) / 1000).toFixed(1)}s: SIGKILLed proc ${killedProc} (pid ${pids[killedProc * perProc]})`);
      }
      if (now >= nextMem) {
        const m = process.memoryUsage();
        mem.push(`t=${((now - t0) / 1000).toFixed(0)}s rss=${mb(m.rss)}MB heap=${mb(m.heapUsed)}MB`);
        nextMem = now + Math.max(1000, (durationS * 1000) / 10);
      }
      for (let b = 0; b < 10; b++) {
        castSeq++;
        live.seq.broadcast('cast', castSeq, payload(castSeq));
        for (const r of live.region.slice.iter()) sentCast[r]!++;
        for (let r = 0; r < n; r++) {
          if (killed && killedRanks.has(r)) continue;
          const i = ++p2pSeq[r]!;
          cx.mailbox.sendMessage(dests[r]!, 'ep:seq', endpointMessage('seq', ['p2p', i, payload(i)], MODE_NONE, null));
          sentP2p[r]!++;
        }
      }
      rounds++;
      await live.ping.withOptions({ timeoutMs: 20_000 }).call();
    }
    // Supervision: the owner must have been told about the killed proc.
    const deadline = Date.now() + 5000;
    while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    try {
      mesh.ping.broadcast();
      failFast = 'NO (cast to the whole mesh was accepted)';
      ok = false;
    } catch (e) {
      failFast = e instanceof SupervisionError ? 'yes (SupervisionError)' : `NO (${(e as Error).message})`;
      if (!(e instanceof SupervisionError)) ok = false;
    }
    const reports = (await live.report.withOptions({ timeoutMs: 20_000 }).call()).values();
    let sent = 0;
    let delivered = 0;
    let lost = 0;
    const errors: string[] = [];
    for (const rep of reports) {
      const r = rep.rank;
      sent += sentCast[r]! + sentP2p[r]!;
      delivered += rep.cast + rep.p2p;
      lost += sentCast[r]! - rep.cast + (sentP2p[r]! - rep.p2p);
      for (const e of rep.errors) errors.push(`rank ${r}: ${e}`);
    }
    const toKilled = [...killedRanks].reduce((a, r) => a + sentCast[r]! + sentP2p[r]!, 0);
    log(`actors: ${nProcs} procs x ${perProc} = ${n}; duration ${durationS}s; ${rounds} rounds of 10 casts + 10 p2p per live actor`);
    log(
      `messages sent to live actors: ${sent} (casts ${castSeq}, each to every live actor; p2p ${sentP2p.reduce((a, b) => a + b, 0) - [...killedRanks].reduce((a, r) => a + sentP2p[r]!, 0)})`,
    );
    log(`delivered: ${delivered}; lost: ${lost}; order/gap errors: ${errors.length}`);
    log(`sent to the killed proc's actors (before and after the kill, not counted): ${toKilled}`);
    log(`throughput: ${(delivered / durationS).toFixed(0)} msg/s delivered`);
    log(`supervision events received by the owner: ${failures.length}`);
    for (const f of failures.slice(0, 3)) log(`  ${f}`);
    log(`cast to the whole mesh after the kill fails fast: ${failFast}`);
    log(`client memory over time: ${mem.join('; ')}`);
    const rss = reports.map((r) => r.rss);
    log(`worker process rss at the end: min ${mb(Math.min(...rss))}MB, max ${mb(Math.max(...rss))}MB`);
    for (const e of errors.slice(0, 5)) log(`  ${e}`);
    if (lost !== 0 || errors.length > 0 || failures.length === 0 || !failures.some((f) => f.kind === 'ProcStopped')) ok = false;
  } catch (e) {
    ok = false;
    log(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    await host.shutdown().catch(() => undefined);
  }
  return { ok, lines };
}
