// actormesh quickstart: spawn procs, spawn actors, call, slice, handle a failure.
// Run: npx tsx examples/quickstart.ts
import { thisHost, isWorker, MeshActor, registerActor, meshPoint, sumAccumulator, SupervisionError, type Context } from 'actormesh';

// An actor with endpoints. Every proc imports this module, so it must only define things at the
// top level; the program itself runs under `if (!isWorker())` below.
export class Counter extends MeshActor<{ start: number }> {
  static readonly typeName = 'quickstart::Counter';
  n: number;
  constructor(p: { start: number }) {
    super();
    this.n = p.start;
  }
  readonly endpoints = {
    incr: (cx: Context, by: number) => {
      this.n += by;
      return this.n;
    },
    whoami: (cx: Context) => `rank ${meshPoint(cx)!.rank} in process ${process.pid}`,
    crash: (cx: Context, why: string): void => {
      throw new Error(why);
    },
  };
}
registerActor(Counter);

async function main(): Promise<void> {
  // 1. Four procs on this machine (one child process each), with a `gpus` dimension.
  const procs = await thisHost().spawnProcs({ gpus: 4 }, { modules: [import.meta.url] });

  // 2. One Counter per proc; failures of its members come to onSupervise.
  const counters = await procs.spawn('counter', Counter, { start: 10 }, {
    monitorIntervalMs: 200,
    onSupervise: (failure) => {
      console.log(`supervision: ${failure}`);
      return true; // handled: the client keeps running
    },
  });

  // 3. Call an endpoint on every member: a ValueMesh of results over the mesh.
  const after = await counters.incr.call(1);
  console.log('incr ->', after.values()); // [11, 11, 11, 11]
  console.log('whoami ->', (await counters.whoami.call()).values());

  // 4. Slice: gpus 1 and 3 only; ranks inside the slice are 0 and 1.
  const odd = counters.slice({ gpus: [1, 4, 2] });
  console.log('odd incr ->', (await odd.incr.call(5)).values()); // [16, 16]
  console.log('one member ->', await counters.slice({ gpus: 0 }).incr.callOne(100)); // 111
  console.log('random member ->', await counters.whoami.choose());
  console.log('sum over the mesh ->', await counters.incr.reduce(sumAccumulator(), 0)); // 111+11+16+16
  for await (const [point, v] of counters.incr.stream(0)) console.log(`  stream: ${point} -> ${v}`);

  // 5. Handle a failure: member 2 throws outside a call, the owner is told, and later casts that
  //    include it fail fast while the rest of the mesh keeps working.
  counters.slice({ gpus: 2 }).crash.broadcast('out of memory (simulated)');
  await new Promise((r) => setTimeout(r, 1000));
  try {
    await counters.incr.call(1);
  } catch (e) {
    if (!(e instanceof SupervisionError)) throw e;
    console.log('call on the whole mesh failed fast:', e.message);
  }
  console.log('healthy slice still works ->', (await counters.slice({ gpus: [0, 2] }).incr.call(1)).values());

  await thisHost().shutdown();
}

if (!isWorker()) await main();
