/**
 * Same-process A/B of the local ask round trip between two work trees:
 *
 *     node --import tsx bench/tools/ab-ask.ts <treeA> <treeB> [rounds]
 *
 * e.g. `git worktree add /tmp/base HEAD~1 && node --import tsx bench/tools/ab-ask.ts /tmp/base .`
 * (each tree needs its node_modules, e.g. a symlink to this one's). Both trees are loaded into one
 * process (separate module instances), each with one proc, one actor answering `get` and one client;
 * rounds of 30k sequential `ask`s alternate between them (A first on even rounds), after a warm-up
 * of 20k each. Prints min and median ns per ask of each tree. On this shared 2-core machine this
 * resolves differences of a few percent that separate runs (minutes apart) cannot.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type AskLoop = (n: number) => Promise<number>;

async function setup(tree: string): Promise<AskLoop> {
  const root = pathToFileURL(resolve(tree)).href;
  const { Actor, Proc } = await import(`${root}/src/actor/index.ts`);
  const { ProcId } = await import(`${root}/src/core/ids.ts`);
  class Counter extends Actor {
    static typeName = 'bench::AbCounter';
    n = 0;
    handlers = { get: (cx: unknown, m: { reply: { send(cx: unknown, v: number): void } }) => m.reply.send(cx, this.n) };
  }
  const proc = new Proc(ProcId.ranked('ab', 0));
  proc.setSupervisionCoordinator(() => {});
  const h = await proc.spawn('counter', Counter, undefined);
  const client = proc.instance('client');
  const ref = h.bind();
  return async (n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await ref.ask(client, { type: 'get' }, { timeoutMs: 5000 });
    return ((performance.now() - t0) * 1e6) / n;
  };
}

const [treeA, treeB] = [process.argv[2], process.argv[3]];
if (treeA === undefined || treeB === undefined) {
  console.error('usage: node --import tsx bench/tools/ab-ask.ts <treeA> <treeB> [rounds]');
  process.exit(2);
}
const rounds = Number(process.argv[4] ?? 12);
const a = await setup(treeA);
const b = await setup(treeB);
await a(20_000);
await b(20_000);
const ra: number[] = [];
const rb: number[] = [];
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    ra.push(await a(30_000));
    rb.push(await b(30_000));
  } else {
    rb.push(await b(30_000));
    ra.push(await a(30_000));
  }
}
const stats = (x: number[]): string => {
  const y = [...x].sort((p, q) => p - q);
  return `min ${y[0]!.toFixed(0)} ns, median ${y[y.length >> 1]!.toFixed(0)} ns per ask`;
};
console.log(`A ${treeA}: ${stats(ra)}\nB ${treeB}: ${stats(rb)}`);
process.exit(0);
