/**
 * Actor one-way throughput probe (diagnostics for the channel benchmark's oneway rows):
 *
 *     node --import tsx bench/channel/tput-probe.ts [size=1024] [repetitions=5]
 *
 * Starts an `actor-uws` peer (bench/channel/peer.ts) and floods it from an actor in this process,
 * a warm-up of 10k messages then repetitions of 100k, like the suite's actormesh row. Per
 * repetition it prints the rate, how long the sending loop took of the whole (≈ all of it: the
 * sender is the bottleneck), and this process's CPU time per message (user + sys), which is less
 * sensitive than the rate to other jobs on the machine: use it for A/B runs of two trees.
 */
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorRef } from '../../src/actor/index.js';
import { servedProc, Sink, type Peer } from './actors.js';
const here = dirname(fileURLToPath(import.meta.url));
const size = Number(process.argv[2] ?? 1024);
const reps = Number(process.argv[3] ?? 5);
const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'peer.ts'), 'actor-uws', 's'], { stdio: ['pipe', 'pipe', 'inherit'] });
const addr = await new Promise<string>((r) => child.stdout!.once('data', (d: Buffer) => r((JSON.parse(d.toString()) as { addr: string }).addr)));
const data = new Uint8Array(size).fill(7);
const tick = () => new Promise((r) => setImmediate(r));
const { proc } = await servedProc('driver', 'tcp', { secret: 's' });
const sink = await proc.spawn('sink', Sink, undefined);
const cx = proc.instance('client');
const peer = ActorRef.attest<Peer>(addr);
for (let rep = 0; rep <= reps; rep++) {
  const n = rep === 0 ? 10000 : 100_000;
  const done = new Promise((r) => (Sink.on = r));
  peer.send(cx, { type: 'start', expect: n, replyTo: String(sink.actorId) });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    peer.send(cx, { type: 'data', data });
    if ((i & 2047) === 2047) await tick();
  }
  const t1 = performance.now();
  await done;
  const t2 = performance.now();
  const c = process.cpuUsage(c0);
  console.log(
    `${size} B: ${((n / (t2 - t0)) * 1000).toFixed(0)} msg/s; posting took ${(t1 - t0).toFixed(1)} ms of ${(t2 - t0).toFixed(1)} ms; driver cpu ${((c.user + c.system) / n).toFixed(3)} us/msg (sys ${(c.system / n).toFixed(3)})`,
  );
}
child.stdin!.end();
await new Promise((r) => child.on('exit', r));
process.exit(0);
