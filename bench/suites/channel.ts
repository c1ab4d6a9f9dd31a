/**
 * `npm run bench -- channel [--json] [--quick] [--profile DIR]`: channels between two processes
 * on loopback, against the same bytes moved with no runtime, in one run.
 *
 * - oneway-64B / oneway-1KiB: actor→actor one-way throughput (msg/s). `actormesh`: an actor
 *   in this process floods a Peer actor in a child process over a uWS channel (envelopes in
 *   FlatBuffers, sessions, acks, auth). `raw`: the same payload bytes as batched WebSocket
 *   messages (256 per message) from a `ws` client to a bare uWS server in a child process.
 *   `ws-server`: the actormesh workload with the child's channel served by the `ws` server.
 * - rtt-median: actor↔actor ping-pong (`actormesh`) against a raw 64 B ws↔uWS echo (`raw`), and
 *   against the actormesh ping-pong over the `ws` server (`ws-server`); p99 printed too.
 * - envelope rows: the channel + mailbox layers alone (MailboxClient → serveMailbox into a counting
 *   sender, no actors, no payload codec), to show what the layers below the actor runtime cost.
 * Ratios (>1 = ours better): rates ours/raw, times raw/ours; uws-vs-ws = uWS/ws for actormesh.
 * All peers live for the whole run and the implementations are interleaved per repetition (and
 * per block of round trips), so load changes on the shared machine hit them alike.
 * `--profile DIR` writes V8 CPU profiles of the actormesh child (receiving) process into DIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { ActorRef } from '../../src/actor/index.js';
import type { Context } from '../../src/actor/instance.js';
import { percentile, type BenchRow, type Suite, type SuiteResult } from '../lib.js';
import { servedProc, Sink, type Peer, type SinkMsg } from '../channel/actors.js';
import { MailboxClient } from '../../src/mailbox/client.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { LOG_RETURN_HANDLE } from '../../src/mailbox/sender.js';
import { ActorId, DirectProcId } from '../../src/core/ids.js';

const here = dirname(fileURLToPath(import.meta.url));
const peerScript = join(here, '..', 'channel', 'peer.ts');
const SECRET = 'bench-mesh-secret';

interface Child {
  proc: ChildProcess;
  addr: string;
}

function startPeer(mode: string, profileDir?: string): Promise<Child> {
  const args = ['--import', 'tsx'];
  if (profileDir) args.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  args.push(peerScript, mode, SECRET);
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve({ proc, addr: (JSON.parse(buf.slice(0, nl)) as { addr: string }).addr });
    });
    proc.on('exit', (code) => reject(new Error(`peer ${mode} exited with ${code}`)));
  });
}

async function stopPeer(c: Child): Promise<void> {
  await new Promise<void>((r) => {
    c.proc.removeAllListeners('exit');
    c.proc.on('exit', () => r());
    c.proc.stdin!.end();
    setTimeout(() => c.proc.kill('SIGKILL'), 5000).unref();
  });
}

const tick = () => new Promise((r) => setImmediate(r));

// ---- raw: ws client → bare server, batched ------------------------------------------------------

async function rawConnect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  return ws;
}

async function rawOneway(ws: WebSocket, size: number, n: number): Promise<number> {
  const perMsg = 256;
  const batch = Buffer.alloc(perMsg * size, 7);
  const batches = Math.ceil(n / perMsg);
  ws.send(JSON.stringify({ count: batches * batch.length }));
  const done = new Promise((r) => ws.once('message', r));
  const t0 = process.hrtime.bigint();
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const written = () => {
    inFlight--;
    wake?.();
  };
  for (let b = 0; b < batches; b++) {
    while (inFlight >= 64) await new Promise<void>((r) => (wake = r));
    inFlight++;
    ws.send(batch, { binary: true }, written);
  }
  await done;
  return (batches * perMsg) / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function rawRtt(ws: WebSocket, rounds: number): Promise<number[]> {
  ws.send(JSON.stringify({ echo: true }));
  // (the next rawOneway sends its own control message, switching the peer back to counting)
  const msg = Buffer.alloc(64, 1);
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    const got = new Promise((r) => ws.once('message', r));
    ws.send(msg, { binary: true });
    await got;
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

// ---- actormesh: actor → actor over channels ----------------------------------------------------

interface Driver {
  cx: Context;
  sinkId: string;
  next(): Promise<SinkMsg>;
}

let driver: Driver | undefined;
async function getDriver(): Promise<Driver> {
  if (driver) return driver;
  const { proc } = await servedProc('driver', 'tcp', { secret: SECRET });
  const sink = await proc.spawn('sink', Sink, undefined);
  const queue: SinkMsg[] = [];
  let waiter: ((m: SinkMsg) => void) | undefined;
  Sink.on = (m) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(m);
    } else queue.push(m);
  };
  driver = {
    cx: proc.instance('driver-client'),
    sinkId: String(sink.actorId),
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => (waiter = r))),
  };
  return driver;
}

async function actorOneway(peerId: string, size: number, n: number): Promise<number> {
  const d = await getDriver();
  const peer = ActorRef.attest<Peer>(peerId);
  const data = new Uint8Array(size).fill(7);
  peer.send(d.cx, { type: 'start', expect: n, replyTo: d.sinkId });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    peer.send(d.cx, { type: 'data', data });
    if ((i & 2047) === 2047) await tick();
  }
  const m = await d.next();
  if (m.type !== 'done' || m.count !== n) throw new Error(`peer reported ${JSON.stringify(m)}`);
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function actorRtt(peerId: string, rounds: number): Promise<number[]> {
  const d = await getDriver();
  const peer = ActorRef.attest<Peer>(peerId);
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    peer.send(d.cx, { type: 'ping', n: i, replyTo: d.sinkId });
    const m = await d.next();
    if (m.type !== 'pong' || m.n !== i) throw new Error(`expected pong ${i}, got ${JSON.stringify(m)}`);
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

// ---- envelope level: MailboxClient → serveMailbox → counting sender (no actors, no codec) ----------

async function envelopeOneway(child: Child, client: MailboxClient, size: number, n: number): Promise<number> {
  const from = new ActorId(new DirectProcId('tcp:127.0.0.1:1', 'driver'), 'bench', 0);
  const to = new ActorId(new DirectProcId(child.addr, 'peer'), 'counter', 0).port(1024n);
  const start = new Uint8Array(4);
  new DataView(start.buffer).setUint32(0, n, true);
  client.post(new MessageEnvelope(from, to, start, 'start'), LOG_RETURN_HANDLE);
  const done = new Promise<void>((resolve) => {
    let buf = '';
    const on = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('done')) {
        child.proc.stdout!.off('data', on);
        resolve();
      }
    };
    child.proc.stdout!.on('data', on);
  });
  const data = new Uint8Array(size).fill(7);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    client.post(new MessageEnvelope(from, to, data, 'data'), LOG_RETURN_HANDLE);
    if ((i & 4095) === 4095) await tick();
  }
  await done;
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const best = (xs: number[]) => Math.max(...xs);
const median = (xs: number[]) => percentile(xs, 50);

const suite: Suite = async ({ quick, args }) => {
  const pi = args.indexOf('--profile');
  const profileDir = pi >= 0 ? args[pi + 1] : undefined;
  const reps = quick ? 2 : 3;
  const nActor = { 64: quick ? 50_000 : 300_000, 1024: quick ? 20_000 : 100_000 } as Record<number, number>;
  const rounds = quick ? 500 : 3000;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const rates: Record<string, Record<string, number>> = {};
  const rtts: Record<string, number[]> = {};

  // All peers run for the whole suite and the workloads are interleaved (each repetition runs
  // every implementation once), so a load change on this shared machine hits all of them alike.
  const rawPeer = await startPeer('raw-uws');
  const rawWsPeer = await startPeer('raw-ws');
  const envPeer = await startPeer('envelope-uws');
  const actorPeer = await startPeer('actor-uws', profileDir);
  const actorWsPeer = await startPeer('actor-ws');
  const rawWs = await rawConnect(rawPeer.addr);
  const rawWsWs = await rawConnect(rawWsPeer.addr);
  const envClient = MailboxClient.dial(envPeer.addr, { secret: SECRET });
  const oneway: Record<string, (size: number, n: number) => Promise<number>> = {
    raw: (size, n) => rawOneway(rawWs, size, n * 10),
    'raw-ws': (size, n) => rawOneway(rawWsWs, size, n * 10),
    envelope: (size, n) => envelopeOneway(envPeer, envClient, size, n * 3),
    actormesh: (size, n) => actorOneway(actorPeer.addr, size, n),
    'ws-server': (size, n) => actorOneway(actorWsPeer.addr, size, n),
  };
  for (const size of [64, 1024]) {
    const samples: Record<string, number[]> = {};
    // Warm-up: one full-size run of every implementation (a tenth was too little: the actor
    // path's first 100k-message runs at 1 KiB still ran 30–50 % below the later ones, JIT tiers
    // and heap sizing settling, which alone moved the 1 KiB ratio 0.2–0.5 between suite runs).
    for (const impl of Object.keys(oneway)) await oneway[impl]!(size, quick ? nActor[size]! / 10 : nActor[size]!);
    for (let i = 0; i < reps; i++) {
      for (const impl of Object.keys(oneway)) (samples[impl] ??= []).push(await oneway[impl]!(size, nActor[size]!));
    }
    rates[size] = {};
    for (const impl of Object.keys(oneway)) rates[size]![impl] = best(samples[impl]!);
    // Each repetition runs raw and actormesh within a second of each other: their ratio per
    // repetition shows how much of the spread of the best-of ratio is the machine.
    const perRep = samples.actormesh!.map((v, i) => v / samples.raw![i]!);
    notes.push(
      `oneway-${size === 64 ? '64B' : '1KiB'} actormesh/raw per repetition: ${perRep.map((r) => r.toFixed(3)).join(', ')} (actormesh ${samples.actormesh!.map((v) => (v / 1e6).toFixed(2)).join(', ')} M msg/s; raw ${samples.raw!.map((v) => (v / 1e6).toFixed(2)).join(', ')} M msg/s)`,
    );
  }
  const rtt: Record<string, (rounds: number) => Promise<number[]>> = {
    raw: (r) => rawRtt(rawWs, r),
    actormesh: (r) => actorRtt(actorPeer.addr, r),
    'ws-server': (r) => actorRtt(actorWsPeer.addr, r),
  };
  for (const impl of Object.keys(rtt)) await rtt[impl]!(200); // warm-up
  // Fine-grained interleaving (blocks of 100 round trips): load on this shared machine changes
  // within a second (and an idle machine's sleeping cores make loopback round trips 2.5× slower
  // than busy ones), and coarse blocks let it favour whichever implementation ran at a quiet
  // moment. The order inside a block alternates (forward, then backward), so no implementation
  // always runs right after the same other one; each block's medians are kept, and the notes add
  // the median over blocks of the per-block ratio raw/actormesh (both measured within ≈ 10 ms).
  const blocks = quick ? 5 : 30;
  const impls = Object.keys(rtt);
  const blockRatios: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const order = b & 1 ? [...impls].reverse() : impls;
    const med: Record<string, number> = {};
    for (const impl of order) {
      const xs = await rtt[impl]!(Math.ceil(rounds / blocks));
      (rtts[impl] ??= []).push(...xs);
      med[impl] = median(xs);
    }
    blockRatios.push(med.raw! / med.actormesh!);
  }
  rawWs.close();
  rawWsWs.close();
  await envClient.close();
  for (const c of [rawPeer, rawWsPeer, envPeer, actorPeer, actorWsPeer]) await stopPeer(c);

  for (const size of [64, 1024]) {
    const name = size === 64 ? 'oneway-64B' : 'oneway-1KiB';
    for (const impl of ['actormesh', 'raw', 'ws-server']) rows.push({ name, impl, value: rates[size]![impl]!, unit: 'msg/s' });
    rows.push({ name, impl: 'envelope', value: rates[size]!.envelope!, unit: 'msg/s' });
    notes.push(
      `${name}: raw with a plain ws server instead of uWS: ${rates[size]!['raw-ws']!.toExponential(3)} msg/s; envelope level (MailboxClient -> serveMailbox, no actors/codec): ${rates[size]!.envelope!.toExponential(3)} msg/s = ${(rates[size]!.envelope! / rates[size]!.raw!).toFixed(3)} of raw`,
    );
  }
  for (const impl of ['actormesh', 'raw', 'ws-server']) {
    rows.push({ name: 'rtt-median', impl, value: median(rtts[impl]!), unit: 'us' });
    notes.push(
      `rtt ${impl}: median ${median(rtts[impl]!).toFixed(1)} us, p99 ${percentile(rtts[impl]!, 99).toFixed(1)} us (${rtts[impl]!.length} round trips)`,
    );
  }
  notes.push(
    `rtt raw/actormesh per block of ${Math.ceil(rounds / blocks)} round trips: median ${median(blockRatios).toFixed(3)}, min ${Math.min(...blockRatios).toFixed(3)}, max ${Math.max(...blockRatios).toFixed(3)} over ${blocks} blocks`,
  );
  const out: SuiteResult = {
    suite: 'channel',
    results: rows,
    ratios: {
      'oneway-64B-vs-raw': rates[64]!.actormesh! / rates[64]!.raw!,
      'oneway-1KiB-vs-raw': rates[1024]!.actormesh! / rates[1024]!.raw!,
      'rtt-vs-raw': median(rtts.raw!) / median(rtts.actormesh!),
      'uws-vs-ws-64B': rates[64]!.actormesh! / rates[64]!['ws-server']!,
      'uws-vs-ws-1KiB': rates[1024]!.actormesh! / rates[1024]!['ws-server']!,
      'uws-vs-ws-rtt': median(rtts['ws-server']!) / median(rtts.actormesh!),
    },
    notes,
  };
  return out;
};
export default suite;
