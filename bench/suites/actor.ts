/**
 * `npm run bench -- actor [--json] [--quick]`
 *
 * One sender, one actor whose handler increments a counter, compared with nact (npm) in the same
 * run on the same workload:
 * - `tell`: N one-way messages (in bursts of 1000: send 1000, wait until handled) through an `ActorRef` (serialized envelope path: encode, route
 *   through mailbox → proc → muxer → mailbox, decode, handle) vs nact `dispatch`; msg/s.
 * - `handle-tell`: N one-way messages through the local `ActorHandle.send` short-circuit (no
 *   serialization) vs nact `dispatch`; msg/s.
 * - `ask`: sequential request/reply round trips through a once port (both directions serialized)
 *   vs nact `query`; ns per round trip.
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
  const nactTellOnce = async (): Promise<void> => {
    for (let b = 0; b < N; b += BURST) {
      nTarget = nCount + BURST;
      const p = new Promise<void>((r) => (nDone = r));
      for (let i = 0; i < BURST; i++) nact.dispatch(nactActor, msg);
      await p;
    }
  };
  const oursTellOnce = async (): Promise<void> => {
    for (let b = 0; b < N; b += BURST) {
      const p = counter.expect(BURST);
      for (let i = 0; i < BURST; i++) ref.send(client, msg);
      await p;
    }
  };
  const oursHandleTellOnce = async (): Promise<void> => {
    for (let b = 0; b < N; b += BURST) {
      const p = counter.expect(BURST);
      for (let i = 0; i < BURST; i++) h.send(msg);
      await p;
    }
  };
  const oursAskOnce = async (): Promise<void> => {
    for (let i = 0; i < A; i++) await ref.ask(client, { type: 'get' }, { timeoutMs: 5000 });
  };
  const nactAskOnce = async (): Promise<void> => {
    for (let i = 0; i < A; i++) await nact.query(nactActor, (sender: unknown) => ({ type: 'get', sender }), 5000);
  };
  // Interleave the implementations sample by sample, so that load from other processes on this
  // shared machine hits both alike; report medians.
  const runs = { oursTell: [] as number[], oursHandleTell: [] as number[], nactTell: [] as number[], oursAsk: [] as number[], nactAsk: [] as number[] };
  for (let s = -1; s < samples; s++) {
    const t1 = await seconds(oursTellOnce);
    const t2 = await seconds(nactTellOnce);
    const t3 = await seconds(oursHandleTellOnce);
    const t4 = await seconds(oursAskOnce);
    const t5 = await seconds(nactAskOnce);
    if (s < 0) continue; // warm-up round
    runs.oursTell.push(N / t1);
    runs.nactTell.push(N / t2);
    runs.oursHandleTell.push(N / t3);
    runs.oursAsk.push((t4 * 1e9) / A);
    runs.nactAsk.push((t5 * 1e9) / A);
  }
  const oursTell = median(runs.oursTell);
  const nactTell = median(runs.nactTell);
  const oursHandleTell = median(runs.oursHandleTell);
  const oursAsk = median(runs.oursAsk);
  const nactAsk = median(runs.nactAsk);
  nact.stop(system);
  await proc.destroyAndWait(1000);

  const results: BenchRow[] = [
    { name: 'tell', impl: 'actormesh', value: oursTell, unit: 'msg/s' },
    { name: 'tell', impl: 'nact', value: nactTell, unit: 'msg/s' },
    { name: 'handle-tell', impl: 'actormesh', value: oursHandleTell, unit: 'msg/s' },
    { name: 'handle-tell', impl: 'nact', value: nactTell, unit: 'msg/s' },
    { name: 'ask', impl: 'actormesh', value: oursAsk, unit: 'ns' },
    { name: 'ask', impl: 'nact', value: nactAsk, unit: 'ns' },
  ];
  return {
    suite: 'actor',
    results,
    ratios: {
      'tell-vs-nact': oursTell / nactTell,
      'handle-tell-vs-nact': oursHandleTell / nactTell,
      'ask-vs-nact': nactAsk / oursAsk,
    },
    notes: [`N=${N} tells per sample in bursts of ${BURST}, ${A} asks per sample, median of ${samples} samples`],
  };
}
