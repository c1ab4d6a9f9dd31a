/**
 * `npm run loadtest -- channel [--duration S]`: the long versions of the channel reliability and
 * security tests (test/channel/*.test.ts), on real sockets and processes.
 *
 * - flood: a producer *process* floods a consumer that stops reading for S seconds; the
 *   producer's memory must stay bounded and, once the consumer resumes, every message arrives
 *   once, in order.
 * - resets: a stream through a TCP proxy whose connections are cut every 100 ms for S/3 seconds:
 *   exactly once, in order.
 * - malformed: 100k malformed inputs from many connections while a valid stream runs: the
 *   server stays up, every offending connection is closed with a logged reason, nothing is lost.
 * - auth: 500 connections with wrong or missing secrets: all refused, nothing delivered.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { serve, dial, anyAddr, formatAddr, type NetRx, type NetTx } from '../../src/channel/index.js';
import { FrameEncoder } from '../../src/wire/frames.js';
import { startProxy } from '../../test/channel/_proxy.js';
import type { Loadtest, LoadtestResult } from '../loadtest.js';

const here = dirname(fileURLToPath(import.meta.url));
const val = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);
const MiB = 1024 * 1024;

async function flood(seconds: number, lines: string[]): Promise<boolean> {
  const [addr, rx] = await serve(anyAddr('tcp'), { rxCapacity: 20_000 });
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'channel', 'flood-producer.ts'), formatAddr(addr), String(seconds), '1024'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let final: { posted: number; status: string; maxRss: number; maxHeap: number; maxBuffered: number } | undefined;
  const samples: Array<{ rss: number; heap: number; buffered: number; posted: number }> = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const j = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (j.done) final = j;
      else samples.push(j);
    }
  });
  const exited = new Promise((r) => child.on('exit', r));
  // The consumer does not read while the producer floods (from its first sample on).
  while (!samples.length) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const stalledAt = rx.length;
  const postedWhileStalled = samples[samples.length - 1]!.posted;
  let next = 0;
  let ordered = true;
  const t0 = Date.now();
  while (!final || next < final.posted) {
    const batch = await Promise.race([rx.recvMany(), exited.then(() => [] as Uint8Array[])]);
    if (!batch.length && final && next < final.posted) break;
    for (const m of batch) if (val(m) !== next++) ordered = false;
  }
  await exited;
  await rx.close();
  const f = final!;
  const lateRss = samples.slice(Math.floor(samples.length / 3)).map((s) => s.rss);
  const ok = !!f && f.status === 'Closed' && next === f.posted && ordered && f.maxBuffered <= 4 * MiB + 256 * 1024 && f.maxHeap < 256 * MiB;
  lines.push(
    `flood: producer flooded ${seconds} s of 1 KiB messages against a consumer that stopped reading: it could post ${postedWhileStalled} (rx held ${stalledAt} msgs), ${f?.posted} in total; ` +
      `producer max buffered ${((f?.maxBuffered ?? 0) / MiB).toFixed(2)} MiB, max heap ${((f?.maxHeap ?? 0) / MiB).toFixed(1)} MiB, ` +
      `rss ${(Math.min(...lateRss) / MiB).toFixed(0)}..${(Math.max(...lateRss) / MiB).toFixed(0)} MiB after warm-up; ` +
      `after resuming: ${next} delivered in order=${ordered} in ${Date.now() - t0} ms -> ${ok ? 'ok' : 'FAILED'}`,
  );
  return ok;
}

async function resets(seconds: number, lines: string[]): Promise<boolean> {
  const [addr, rx] = await serve(anyAddr('tcp'), { ackEveryN: 500, ackIntervalMs: 20 });
  const proxy = await startProxy((addr as { port: number }).port);
  const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { minBackoffMs: 2, maxBackoffMs: 20 }) as NetTx;
  let posted = 0;
  let expected = 0;
  let ordered = true;
  let producing = true;
  const consumer = (async () => {
    while (producing || expected < posted) {
      for (const m of await rx.recvMany()) if (val(m) !== expected++) ordered = false;
    }
  })();
  const cutter = setInterval(() => proxy.cut(), 100);
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const m = new Uint8Array(8);
    new DataView(m.buffer).setUint32(0, posted++, true);
    if (!tx.post(m)) await tx.whenWritable();
    if ((posted & 1023) === 0) await new Promise((r) => setImmediate(r));
  }
  clearInterval(cutter);
  const marker = new Uint8Array(8);
  new DataView(marker.buffer).setUint32(0, posted++, true);
  await tx.send(marker).catch(() => {});
  producing = false;
  await Promise.race([consumer, new Promise((r) => setTimeout(r, 30_000))]);
  const ok = ordered && expected === posted && tx.status === 'Active';
  lines.push(
    `resets: ${posted} messages, ${tx.stats.connects} connections (cut every 100 ms), ${tx.stats.resent} resent, ${(rx as NetRx).stats.retransmitsDropped} retransmits dropped; delivered ${expected} in order=${ordered} -> ${ok ? 'ok' : 'FAILED'}`,
  );
  await tx.close();
  await rx.close();
  await proxy.close();
  return ok;
}

async function malformed(inputs: number, lines: string[]): Promise<boolean> {
  const logs: string[] = [];
  const [addr, rx] = await serve(anyAddr('tcp'), { maxFrameLength: 64 * 1024, log: (l) => logs.push(l) });
  const url = `ws://127.0.0.1:${(addr as { port: number }).port}/`;
  const tx = dial(addr);
  const enc = new FrameEncoder();
  const N = 200_000;
  let expected = 0;
  let ordered = true;
  const consumer = (async () => {
    while (expected < N) {
      for (const m of await rx.recvMany()) {
        if (m.length !== 8 || new DataView(m.buffer, m.byteOffset).getUint32(4, true) !== 0xabcdef) continue;
        if (val(m) !== expected++) ordered = false;
      }
    }
  })();
  const producer = (async () => {
    for (let i = 0; i < N; i++) {
      const m = new Uint8Array(8);
      const dv = new DataView(m.buffer);
      dv.setUint32(0, i, true);
      dv.setUint32(4, 0xabcdef, true);
      tx.post(m);
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const kinds: Array<() => Uint8Array[]> = [
    () => Array.from({ length: 20 }, () => randomBytes(1 + Math.floor(Math.random() * 300))),
    () => {
      const f = enc.messages(0, [randomBytes(60)], 0, 1, 60).slice();
      return Array.from({ length: 20 }, () => f.subarray(0, Math.floor(Math.random() * (f.length - 70))));
    },
    () => [enc.ack(3).slice(), enc.reject('x').slice()],
    () => [enc.messages(7, [randomBytes(4)], 0, 1, 4).slice()],
    () => [new Uint8Array(100 * 1024)],
  ];
  let sent = 0;
  let conns = 0;
  let unclosed = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let k = w; sent < inputs; k++) {
        const frames = kinds[k % kinds.length]!();
        await new Promise<void>((resolve) => {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          const t = setTimeout(() => {
            unclosed++;
            ws.terminate();
          }, 5000);
          ws.on('open', () => {
            ws.send(enc.init(randomBytes(8).readBigUInt64BE(0)).slice());
            for (const f of frames) ws.send(f);
            sent += frames.length;
          });
          ws.on('error', () => {});
          ws.on('close', () => {
            clearTimeout(t);
            conns++;
            resolve();
          });
        });
      }
    }),
  );
  await producer;
  await consumer;
  const ok = ordered && expected === N && unclosed === 0 && (rx as NetRx).stats.protocolErrors === conns && logs.length >= conns;
  lines.push(
    `malformed: ${sent} malformed inputs over ${conns} connections, ${(rx as NetRx).stats.protocolErrors} closed with ${logs.length} logged reasons, ${unclosed} left open; valid stream ${expected}/${N} in order=${ordered} -> ${ok ? 'ok' : 'FAILED'}`,
  );
  await tx.close();
  await rx.close();
  return ok;
}

async function auth(attempts: number, lines: string[]): Promise<boolean> {
  const [addr, rx] = await serve(anyAddr('unix'), { secret: 'the-secret', log: () => {} });
  let refused = 0;
  for (let i = 0; i < attempts; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, j) => {
        const tx = dial(addr, (i + j) % 2 ? { secret: `wrong-${i + j}` } : {});
        tx.post(new Uint8Array([1, 2, 3]));
        const why = await tx.whenClosed();
        if (why?.variant === 'Unauthorized') refused++;
      }),
    );
  }
  const ok = refused === attempts && rx.length === 0 && (rx as NetRx).stats.frames === 0;
  lines.push(
    `auth: ${refused}/${attempts} wrong or missing secrets refused, ${rx.length} messages delivered, ${(rx as NetRx).stats.frames} frames read -> ${ok ? 'ok' : 'FAILED'}`,
  );
  await rx.close();
  return ok;
}

const loadtest: Loadtest = async ({ durationS }): Promise<LoadtestResult> => {
  const lines: string[] = [];
  let ok = true;
  ok = (await auth(500, lines)) && ok;
  ok = (await malformed(100_000, lines)) && ok;
  ok = (await resets(Math.max(3, durationS / 3), lines)) && ok;
  ok = (await flood(durationS, lines)) && ok;
  return { ok, lines };
};
export default loadtest;
