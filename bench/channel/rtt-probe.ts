/**
 * Round-trip probe (diagnostics for the channel benchmark's rtt rows):
 *
 *     node --import tsx bench/channel/rtt-probe.ts [rounds]
 *
 * Starts an `actor-uws` peer (bench/channel/peer.ts), runs actor ping-pong round trips and prints
 * percentiles, how many round trips overlapped a GC in this process, and the slowest ones.
 * Duplex by default (the peer answers over the connection this process dialed); `AM_ONEWAY=1`
 * makes both processes use one-way channels (each dials the other), for A/B runs; with
 * `AM_PROBE_PROF=DIR` the peer writes a CPU profile (see below).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { ActorRef } from '../../src/actor/index.js';
import { servedProc, Sink, type Peer, type SinkMsg } from './actors.js';
import { NetRx } from '../../src/channel/net-rx.js';
import { NetTx } from '../../src/channel/net-tx.js';
import { SessionTx } from '../../src/channel/session-tx.js';

// Split each round trip at three points in this process: the NetTx flush that writes the ping,
// the NetRx frame callback that reads the pong, and the Sink handler.
// (The pong frame arrives at the NetRx when the peer dialed us, at the NetTx when it answers over
// our connection: duplex, channel/duplex.ts.)
let tFlush = 0;
let tFrame = 0;
for (const proto of [NetRx.prototype, NetTx.prototype] as unknown as Array<{ onFrame: (...a: unknown[]) => void }>) {
  const onFrame = proto.onFrame;
  proto.onFrame = function (this: unknown, ...a: unknown[]) {
    tFrame = performance.now();
    return onFrame.apply(this, a);
  };
}
const txProto = SessionTx.prototype as unknown as { flush: (...a: unknown[]) => void };
const flush = txProto.flush;
txProto.flush = function (this: unknown, ...a: unknown[]) {
  if (!tFlush) tFlush = performance.now();
  return flush.apply(this, a);
};

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 5000);
// AM_PROBE_PROF=DIR: the peer writes a CPU profile to DIR/peer (run this process with
// `node --cpu-prof --cpu-prof-dir=DIR/driver`, then `bench/channel/profile.ts --summary DIR`).
// AM_PROBE_PERF=1: the peer runs with --perf-basic-prof (JIT symbols for `perf record`).
const prof = [
  ...(process.env.AM_PROBE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.AM_PROBE_PROF, 'peer')}`] : []),
  ...(process.env.AM_PROBE_PERF ? ['--perf-basic-prof'] : []),
];
const child = spawn(process.execPath, ['--import', 'tsx', ...prof, join(here, 'peer.ts'), 'actor-uws', 's'], { stdio: ['pipe', 'pipe', 'inherit'] });
const addr = await new Promise<string>((r) => child.stdout!.once('data', (d: Buffer) => r((JSON.parse(d.toString()) as { addr: string }).addr)));
const { proc, rx } = await servedProc('driver', 'tcp', { secret: 's' });
const sink = await proc.spawn('sink', Sink, undefined);
// One more split point: serveMailbox posting the pong envelope into the proc.
let tPost = 0;
const procPost = proc.post.bind(proc);
(proc as { post: typeof proc.post }).post = (env, h) => {
  tPost = performance.now();
  procPost(env, h);
};
const cx = proc.instance('client');
const peer = ActorRef.attest<Peer>(addr);
let waiter: ((m: SinkMsg) => void) | undefined;
Sink.on = (m) => waiter?.(m);
const gcs: Array<[number, number]> = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcs.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });
const sends: number[] = [];
const wires: number[] = [];
const recvs: number[] = [];
const decodes: number[] = [];
const run = async (n: number) => {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    tFlush = 0;
    const t0 = performance.now();
    let t3 = 0;
    const p = new Promise<SinkMsg>(
      (r) =>
        (waiter = (m) => {
          t3 = performance.now();
          r(m);
        }),
    );
    peer.send(cx, { type: 'ping', n: i, replyTo: String(sink.actorId) });
    await p;
    const t4 = performance.now();
    out.push([t0, (t4 - t0) * 1000]);
    sends.push((tFlush - t0) * 1000);
    wires.push((tFrame - tFlush) * 1000);
    recvs.push((t3 - tFrame) * 1000);
    decodes.push((tPost - tFrame) * 1000);
  }
  return out;
};
await run(500);
sends.length = wires.length = recvs.length = decodes.length = 0;
gcs.length = 0;
const r = await run(rounds);
const sorted = r.map((x) => x[1]).sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(1);
const slow = r.filter((x) => x[1] > 500);
const slowGc = slow.filter(([t, d]) => gcs.some(([gs, gd]) => gs < t + d / 1000 && gs + gd > t));
console.log(
  `rtt us: p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${q(1)}; ${gcs.length} GCs (${gcs.reduce((a, g) => a + g[1], 0).toFixed(1)} ms); ${slow.length} round trips > 500 us, ${slowGc.length} of them overlap a GC here`,
);
const gaps = slow.slice(1).map((x, i) => (x[0] - slow[i]![0]).toFixed(0));
console.log(`ms between round trips > 500 us: ${gaps.slice(0, 30).join(' ')}`);
const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!.toFixed(1);
console.log(
  `median split us: send->flush ${med(sends)}, flush->pong frame (wire + peer) ${med(wires)}, pong frame->Sink handler ${med(recvs)} (of which frame->proc.post ${med(decodes)})`,
);
console.log(`connections to this process's server: ${(rx as NetRx).connections} (duplex: 0, the peer answers over our connection; AM_ONEWAY=1: 1)`);
child.stdin!.end();
await new Promise((res) => child.on('exit', res));
process.exit(0);
