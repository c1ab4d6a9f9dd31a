/**
 * `npm run bench -- cast [--json] [--quick]`
 *
 * Real child processes (ProcessAlloc over unix sockets), one comm actor per proc.
 * - `cast1024-vs-p2p`: one cast with reply reduction (`endpoint.reduce(sumAccumulator())`) to 1024
 *   actors (8 procs × 128 actors) through the comm tree, vs the client sending the same endpoint
 *   message point-to-point to each of the 1024 actors and summing the 1024 replies itself. Time per
 *   round (all replies in); ratio = p2p / cast (>1 = the comm tree is faster).
 * - `callone-vs-raw`: sequential `callOne` round trips to one actor in a child process (through the
 *   root comm actor, reply through its split port) vs a raw WebSocket ping-pong of 64-byte
 *   messages with a uWebSockets.js echo server in a child process (the channels issue's
 *   transport without any actor machinery). Ratio = raw / ours (< 1: the price of the actor layer).
 * `--quick`: 4 procs × 16 actors, fewer samples.
 */
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import type { BenchRow, SuiteOptions, SuiteResult } from '../lib.js';
import { percentile, timeNsAsync } from '../lib.js';
import { thisHost, isWorker, MeshActor, registerActor, sumAccumulator, PortRef, type Context } from '../../src/index.js';
import { PortId } from '../../src/core/ids.js';
import { portIndexOf } from '../../src/core/typeinfo.js';
import { endpointMessage, MODE_CALL, type CallReply } from '../../src/mesh/endpoint.js';

export class CastBenchActor extends MeshActor<Record<string, never>> {
  static readonly typeName = 'bench::CastBenchActor';
  readonly endpoints = {
    value: (_cx: Context, x: number): number => x,
  };
}
registerActor(CastBenchActor);

async function rawWsPingPong(rounds: number, samples: number): Promise<number> {
  const server = spawn(
    process.execPath,
    [
      '-e',
      `const uws = require('uWebSockets.js');
       uws.App().ws('/*', { message: (ws, m, b) => { ws.send(m, b); } })
         .listen('127.0.0.1', 0, (t) => { console.log(uws.us_socket_local_port(t)); });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      server.once('exit', (c) => reject(new Error(`echo server exited with ${c}`)));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise<void>((r, j) => {
      ws.once('open', () => r());
      ws.once('error', j);
    });
    const payload = Buffer.alloc(64, 7);
    let waiter: (() => void) | undefined;
    ws.on('message', () => waiter?.());
    const one = () =>
      new Promise<void>((r) => {
        waiter = r;
        ws.send(payload);
      });
    const ns = await timeNsAsync(
      async () => {
        for (let i = 0; i < rounds; i++) await one();
      },
      { samples },
    );
    ws.close();
    return ns / rounds;
  } finally {
    server.kill('SIGKILL');
  }
}

export default async function cast({ quick }: SuiteOptions): Promise<SuiteResult> {
  if (isWorker()) throw new Error('the cast bench suite must not run inside a worker');
  const nProcs = quick ? 4 : 8;
  const perProc = quick ? 16 : 128;
  const samples = quick ? 3 : 10;
  const n = nProcs * perProc;
  const host = thisHost();
  const results: BenchRow[] = [];
  try {
    const procs = await host.spawnProcs({ procs: nProcs }, { modules: [import.meta.url] });
    const mesh = await procs.spawn('castbench', CastBenchActor, {}, { perProc, monitorIntervalMs: 0 });
    const cx = procs.client.cx;

    // Cast with reduction through the comm tree.
    const castRound = async () => {
      const total = await mesh.value.reduce(sumAccumulator(), 1);
      if (total !== n) throw new Error(`cast reduce returned ${total}, expected ${n}`);
    };
    // Point-to-point: the client addresses every actor and sums the replies itself.
    const ids = mesh.actorIds();
    const port = portIndexOf('ep:value');
    const dests = ids.map((a) => new PortId(a, port));
    const p2pRound = async () => {
      const [h, rx] = cx.openPort<CallReply>('reply');
      const reply = new PortRef<unknown>(h.portId, 'reply');
      const msg = endpointMessage('value', [1], MODE_CALL, reply);
      for (const d of dests) cx.mailbox.sendMessage(d, 'ep:value', msg);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (await rx.recv(30_000))[2] as number;
      rx.close();
      if (sum !== n) throw new Error(`p2p sum ${sum}, expected ${n}`);
    };
    // Warm up every process's JIT on both paths, then measure the two interleaved (the machine is
    // shared: interleaving exposes both to the same load) and take the medians.
    for (let i = 0; i < (quick ? 5 : 40); i++) {
      await castRound();
      await p2pRound();
    }
    const castSamples: number[] = [];
    const p2pSamples: number[] = [];
    for (let s = 0; s < samples; s++) {
      castSamples.push(await timeNsAsync(castRound, { samples: 1, warmup: 1, minSampleMs: 100 }));
      p2pSamples.push(await timeNsAsync(p2pRound, { samples: 1, warmup: 1, minSampleMs: 100 }));
    }
    const castNs = percentile(castSamples, 50);
    const p2pNs = percentile(p2pSamples, 50);
    results.push({ name: `cast${n}`, impl: 'comm-tree', value: castNs / 1e6, unit: 'ms/round' });
    results.push({ name: `cast${n}`, impl: 'p2p', value: p2pNs / 1e6, unit: 'ms/round' });

    // callOne round trip vs raw ws ping-pong.
    const one = mesh.slice({ procs: nProcs - 1, actors: 0 });
    const rounds = quick ? 50 : 200;
    for (let i = 0; i < 20; i++) await one.value.callOne(i);
    const callNs =
      (await timeNsAsync(
        async () => {
          for (let i = 0; i < rounds; i++) await one.value.callOne(i);
        },
        { samples },
      )) / rounds;
    const rawNs = await rawWsPingPong(rounds, samples);
    results.push({ name: 'callone', impl: 'actormesh', value: callNs / 1e3, unit: 'µs/rtt' });
    results.push({ name: 'callone', impl: 'raw-ws', value: rawNs / 1e3, unit: 'µs/rtt' });

    return {
      suite: 'cast',
      results,
      ratios: {
        [`cast${n}-vs-p2p`]: p2pNs / castNs,
        'callone-vs-raw': rawNs / callNs,
      },
      notes: [`${nProcs} child procs × ${perProc} actors = ${n} actors; ${samples} samples (median of per-sample means)`],
    };
  } finally {
    await host.shutdown();
  }
}
