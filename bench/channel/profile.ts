/**
 * CPU profile of the channel one-way workload, both processes:
 *
 *     node --cpu-prof --cpu-prof-dir=/tmp/am-prof/driver --import tsx bench/channel/profile.ts [actor|envelope] [size]
 *
 * (`... profile.ts envelope 64 --no-prof --reps 3` without --cpu-prof: rates only, e.g. to A/B two
 * work trees by running it from each in turn.)
 *
 * The driver (this process) floods a peer child process (started with --cpu-prof into
 * /tmp/am-prof/peer) four times with 200k (actor) or 1M (envelope) messages and prints the rates;
 * then `node --import tsx bench/channel/profile.ts --summary /tmp/am-prof` prints the top
 * self-time functions of each process (idle and GC included, so the split is visible).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorRef } from '../../src/actor/index.js';
import { MailboxClient } from '../../src/mailbox/client.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { LOG_RETURN_HANDLE } from '../../src/mailbox/sender.js';
import { ActorId, DirectProcId } from '../../src/core/ids.js';
import { servedProc, Sink, type Peer } from './actors.js';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

function summarize(file: string, top: number): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id)!.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}`;
    const dt = p.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[2] === '--summary') {
  const root = process.argv[3] ?? '/tmp/am-prof';
  for (const side of ['driver', 'peer']) {
    const dir = join(root, side);
    // The biggest profile of a directory is the main thread (tsx adds a small loader thread).
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f));
    files.sort((a, b) => statSync(b).size - statSync(a).size);
    console.log(`== ${side}`);
    for (const l of summarize(files[0]!, 20)) console.log(l);
  }
  process.exit(0);
}

const level = process.argv[2] ?? 'actor';
const size = Number(process.argv[3] ?? 64);
// `--no-prof`: the peer runs without the profiler (rates only, for A/B runs of two trees);
// `--reps N`: repetitions (default 4).
const noProf = process.argv.includes('--no-prof');
const ri = process.argv.indexOf('--reps');
const reps = ri > 0 ? Number(process.argv[ri + 1]) : 4;
const profDir = '/tmp/am-prof/peer';
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    ...(noProf ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]),
    join(here, 'peer.ts'),
    level === 'actor' ? 'actor-uws' : 'envelope-uws',
    's',
  ],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
const addr = await new Promise<string>((r) => child.stdout!.once('data', (d: Buffer) => r((JSON.parse(d.toString()) as { addr: string }).addr)));
const data = new Uint8Array(size).fill(7);
const tick = () => new Promise((r) => setImmediate(r));
if (level === 'actor') {
  const { proc } = await servedProc('driver', 'tcp', { secret: 's' });
  const sink = await proc.spawn('sink', Sink, undefined);
  const cx = proc.instance('client');
  const peer = ActorRef.attest<Peer>(addr);
  for (let rep = 0; rep < reps; rep++) {
    const n = 200_000;
    const done = new Promise((r) => (Sink.on = r));
    peer.send(cx, { type: 'start', expect: n, replyTo: String(sink.actorId) });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      peer.send(cx, { type: 'data', data });
      if ((i & 2047) === 2047) await tick();
    }
    await done;
    console.log(`actor one-way ${size} B: ${((n / (performance.now() - t0)) * 1000).toFixed(0)} msg/s`);
  }
} else {
  const client = MailboxClient.dial(addr, { secret: 's' });
  const from = new ActorId(new DirectProcId('tcp:127.0.0.1:1', 'driver'), 'bench', 0);
  const to = new ActorId(new DirectProcId(addr, 'peer'), 'counter', 0).port(1024n);
  for (let rep = 0; rep < reps; rep++) {
    const n = 1_000_000;
    const start = new Uint8Array(4);
    new DataView(start.buffer).setUint32(0, n, true);
    client.post(new MessageEnvelope(from, to, start, 'start'), LOG_RETURN_HANDLE);
    const done = new Promise((r) => child.stdout!.once('data', r));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      client.post(new MessageEnvelope(from, to, data, 'data'), LOG_RETURN_HANDLE);
      if ((i & 4095) === 4095) await tick();
    }
    await done;
    console.log(`envelope one-way ${size} B: ${((n / (performance.now() - t0)) * 1000).toFixed(0)} msg/s`);
  }
}
child.stdin!.end();
await new Promise((r) => child.on('exit', r));
process.exit(0);
