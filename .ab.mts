// A/B in one process: node --import tsx ab.mts <rootA> <rootB> [tell|ask|both] [rounds]
const [ra, rb, which = 'both', roundsS = '12'] = process.argv.slice(2);
async function setup(root: string) {
  const { Actor, Proc } = await import(`${root}/src/actor/index.js`);
  const { ProcId } = await import(`${root}/src/core/ids.js`);
  class Counter extends Actor<void, any> {
    static typeName = 'bench::Counter';
    n = 0; target = -1; done: (() => void) | undefined;
    readonly handlers = {
      inc: (_cx: any, m: any) => { this.n += m.by; if (this.n === this.target) this.done!(); },
      get: (cx: any, m: any) => m.reply.send(cx, this.n),
    };
    expect(n: number): Promise<void> { this.target = this.n + n; return new Promise((r) => (this.done = r)); }
  }
  const proc = new Proc(ProcId.ranked('bench', 0));
  proc.setSupervisionCoordinator(() => {});
  const h = await proc.spawn('counter', Counter, undefined);
  const client = proc.instance('client');
  const ref = h.bind();
  const counter = h.actor as Counter;
  const msg = { type: 'inc', by: 1 };
  return {
    tell: async () => { const N = 200_000; const t0 = performance.now(); const p = counter.expect(N); for (let i = 0; i < N; i++) ref.send(client, msg); await p; return (performance.now() - t0) * 1e6 / N; },
    htell: async () => { const N = 1_000_000; const t0 = performance.now(); const p = counter.expect(N); for (let i = 0; i < N; i++) h.send(msg); await p; return (performance.now() - t0) * 1e6 / N; },
    ask: async () => { const n = 30_000; const t0 = performance.now(); for (let i = 0; i < n; i++) await ref.ask(client, { type: 'get' }, { timeoutMs: 5000 }); return (performance.now() - t0) * 1e6 / n; },
  };
}
const A = await setup(ra!), B = await setup(rb!);
const res: Record<string, number[]> = {};
const rounds = +roundsS;
for (let r = 0; r < rounds; r++) {
  for (const k of ['tell', 'htell', 'ask'] as const) {
    if (which !== 'both' && !which.split(',').includes(k)) continue;
    const order = r % 2 ? [['A', A], ['B', B]] as const : [['B', B], ['A', A]] as const;
    for (const [n, impl] of order) { const v = await impl[k](); if (r > 1) (res[`${k} ${n}`] ??= []).push(v); }
  }
}
const s = (xs: number[]) => { xs.sort((a, b) => a - b); return `min ${xs[0]!.toFixed(1)} med ${xs[xs.length >> 1]!.toFixed(1)}`; };
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(7), s(v));
process.exit(0);
