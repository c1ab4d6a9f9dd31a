/**
 * `npm run bench -- actor [--json] [--quick]`
 *
 * One sender, one actor whose handler increments a counter, compared with nact (npm) in the same
 * run on the same workload:
 * - `tell`: N one-way messages sent in one flood, then wait until all were handled; `tell-burst`:
 *   the same N in bursts of 1000 (send 1000, wait until handled) through an `ActorRef` (serialized envelope path: encode, route
 *   through mailbox → proc → muxer → mailbox, decode, handle) vs nact `dispatch`; msg/s.
 * - `handle-tell` (+ `-burst`): N one-way messages through the local `ActorHandle.send` short-circuit (no
 *   serialization) vs nact `dispatch`; msg/s.
 * - `ask`: sequential request/reply round trips through a once port (both directions serialized:
 *   the request's payload without its reply port, which travels in the envelope; the reply's
 *   payload) vs nact `query`; ns per round trip.
 * Ratios (>1 = ours better): rates ours/nact, times nact/ours.
 */
import nact from 'nact';
import type { BenchRow, SuiteOptions, SuiteResult } from '../lib.js';
import { Actor, type Handlers, OncePortRef, Proc } from '../../src/actor/index.js';
import { ProcId } from '../../src/core/ids.js';

type Msg = { type: 'inc'; by: number } | { type: 'get'; reply: OncePortRef<number> };

class Counter extends Actor<void, Msg> {
  static typeName = 'bench::Counter';
  n = 0;
  target = -1;
  done: (() => void) | undefined;
  readonly handlers: Handlers<Msg> = {
    inc: (_cx, m) => {
      this.n += m.by;
      if (this.n === this.target) this.done!();
    },
    get: (cx, m) => m.reply.send(cx, this.n),
  };
  /** Resolves when the counter reaches `n` more than now. */
  expect(n: number): Promise<void> {
    this.target = this.n + n;
    return new Promise((r) => (this.done = r));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Seconds taken by one run of `once`. */
async function seconds(once: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await once();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export default async function actorSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const N = opts.quick ? 20_000 : 200_000;
  const A = opts.quick ? 2_000 : 20_000;
  const samples = opts.quick ? 3 : 5;
  /** The sender sends BURST messages, then waits until the actor handled them (both impls). */
  const BURST = 1000;

  // --- actormesh ---
  const proc = new Proc(ProcId.ranked('bench', 0));
  proc.setSupervisionCoordinator(() => {});
  const h = await proc.spawn('counter', Counter, undefined);
  const client = proc.instance('client');
  const ref = h.bind();
  const counter = h.actor;
  const msg: Msg = { type: 'inc', by: 1 };

  // --- nact ---
  const system = nact.start();
  let nCount = 0;
  let nTarget = -1;
  let nDone: (() => void) | undefined;
  const nactActor = nact.spawn(
    system,
    (state: number = 0, m: { type: string; by?: number; sender?: unknown }, ctx: { self: unknown }) => {
      if (m.type === 'inc') {
        nCount += m.by!;
        if (nCount === nTarget) nDone!();
        return state + m.by!;
      }
      // nact's dispatch takes (ref, msg, sender) at runtime; its typings omit the sender.
      (nact.dispatch as (to: unknown, msg: unknown, sender: unknown) => void)(m.sender, state, ctx.self);
      return state;
    },
    'counter',
  );

  /** Sends n messages in bursts of `burst` (burst = n: one flood), waiting for each burst. */
  const oursTell = (burst: number) => async (): Promise<void> => {
    for (let b = 0; b < N; b += burst) {
      const p = counter.expect(burst);
      for (let i = 0; i < burst; i++) ref.send(client, msg);
      await p;
    }
  };
  const oursHandleTell = (burst: number) => async (): Promise<void> => {
    for (let b = 0; b < N; b += burst) {
      const p = counter.expect(burst);
      for (let i = 0; i < burst; i++) h.send(msg);
      await p;
    }
  };
  const nactTell = (burst: number) => async (): Promise<void> => {
    for (let b = 0; b < N; b += burst) {
      nTarget = nCount + burst;
      const p = new Promise<void>((r) => (nDone = r));
      for (let i = 0; i < burst; i++) nact.dispatch(nactActor, msg);
      await p;
    }
  };
  const oursAsk = async (): Promise<void> => {
    for (let i = 0; i < A; i++) await ref.ask(client, { type: 'get' }, { timeoutMs: 5000 });
  };
  const nactAsk = async (): Promise<void> => {
    for (let i = 0; i < A; i++) await nact.query(nactActor, (sender: unknown) => ({ type: 'get', sender }), 5000);
  };
  // Interleave the implementations sample by sample, so that load from other processes on this
  // shared machine hits both alike; report medians. Round -1 is a warm-up.
  const work: Record<string, [() => Promise<void>, 'rate' | 'time', number]> = {
    'tell/actormesh': [oursTell(N), 'rate', N],
    'tell/nact': [nactTell(N), 'rate', N],
    'tell-burst/actormesh': [oursTell(BURST), 'rate', N],
    'tell-burst/nact': [nactTell(BURST), 'rate', N],
    'handle-tell/actormesh': [oursHandleTell(N), 'rate', N],
    'handle-tell-burst/actormesh': [oursHandleTell(BURST), 'rate', N],
    'ask/actormesh': [oursAsk, 'time', A],
    'ask/nact': [nactAsk, 'time', A],
  };
  const samplesOf: Record<string, number[]> = {};
  for (let s = -1; s < samples; s++) {
    for (const [key, [fn, kind, n]] of Object.entries(work)) {
      const t = await seconds(fn);
      if (s < 0) continue;
      (samplesOf[key] ??= []).push(kind === 'rate' ? n / t : (t * 1e9) / n);
    }
  }
  const m = (key: string): number => median(samplesOf[key]!);
  nact.stop(system);
  await proc.destroyAndWait(1000);

  const results: BenchRow[] = [
    { name: 'tell', impl: 'actormesh', value: m('tell/actormesh'), unit: 'msg/s' },
    { name: 'tell', impl: 'nact', value: m('tell/nact'), unit: 'msg/s' },
    { name: 'tell-burst', impl: 'actormesh', value: m('tell-burst/actormesh'), unit: 'msg/s' },
    { name: 'tell-burst', impl: 'nact', value: m('tell-burst/nact'), unit: 'msg/s' },
    { name: 'handle-tell', impl: 'actormesh', value: m('handle-tell/actormesh'), unit: 'msg/s' },
    { name: 'handle-tell', impl: 'nact', value: m('tell/nact'), unit: 'msg/s' },
    { name: 'handle-tell-burst', impl: 'actormesh', value: m('handle-tell-burst/actormesh'), unit: 'msg/s' },
    { name: 'handle-tell-burst', impl: 'nact', value: m('tell-burst/nact'), unit: 'msg/s' },
    { name: 'ask', impl: 'actormesh', value: m('ask/actormesh'), unit: 'ns' },
    { name: 'ask', impl: 'nact', value: m('ask/nact'), unit: 'ns' },
  ];
  return {
    suite: 'actor',
    results,
    ratios: {
      'tell-vs-nact': m('tell/actormesh') / m('tell/nact'),
      'tell-burst-vs-nact': m('tell-burst/actormesh') / m('tell-burst/nact'),
      'handle-tell-vs-nact': m('handle-tell/actormesh') / m('tell/nact'),
      'handle-tell-burst-vs-nact': m('handle-tell-burst/actormesh') / m('tell-burst/nact'),
      'ask-vs-nact': m('ask/nact') / m('ask/actormesh'),
    },
    notes: [`N=${N} tells per sample (tell: one flood of N; tell-burst: bursts of ${BURST}, each awaited), ${A} asks per sample, median of ${samples} samples`],
  };
}
