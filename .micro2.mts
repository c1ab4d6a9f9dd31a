import { Actor, type Handlers, OncePortRef, Proc } from './src/actor/index.js';
import { ProcId } from './src/core/ids.js';
type Msg = { type: 'inc'; by: number } | { type: 'get'; reply: OncePortRef<number> };
class Counter extends Actor<void, Msg> {
  static typeName = 'bench::Counter';
  n = 0; target = -1; done: (() => void) | undefined;
  readonly handlers: Handlers<Msg> = {
    inc: (_cx, m) => { this.n += m.by; if (this.n === this.target) this.done!(); },
    get: (cx, m) => m.reply.send(cx, this.n),
  };
  expect(n: number): Promise<void> { this.target = this.n + n; return new Promise((r) => (this.done = r)); }
}
const proc = new Proc(ProcId.ranked('bench', 0));
proc.setSupervisionCoordinator(() => {});
const h = await proc.spawn('counter', Counter, undefined);
const client = proc.instance('client');
const ref = h.bind();
const counter = h.actor;
const msg: Msg = { type: 'inc', by: 1 };
const which = process.argv[2] ?? 'both';
const T: number[] = [], A: number[] = [];
for (let r = 0; r < 15; r++) {
  if (which !== 'ask') {
    const N = 200_000; const t0 = performance.now();
    const p = counter.expect(N); for (let i = 0; i < N; i++) ref.send(client, msg); await p;
    const t = performance.now() - t0; if (r > 1) T.push(t * 1e6 / N);
  }
  if (which !== 'tell') {
    const n = 50_000; const t0 = performance.now();
    for (let i = 0; i < n; i++) await ref.ask(client, { type: 'get' }, { timeoutMs: 5000 });
    const t = performance.now() - t0; if (r > 1) A.push(t * 1e6 / n);
  }
}
const s = (xs: number[]) => { xs.sort((a, b) => a - b); return xs.length ? `min ${xs[0]!.toFixed(0)} med ${xs[xs.length >> 1]!.toFixed(0)}` : '-'; };
console.log(`${process.cwd().includes('base') ? 'base' : 'main'} tell ${s(T)} | ask ${s(A)}`);
await proc.destroyAndWait(1000);
process.exit(0);
