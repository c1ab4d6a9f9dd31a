// Client of the actormesh system in the peers suite, written as a user would: plain JS against
// the package's public API. `import ... from 'actormesh'` resolves through package.json
// "exports" (self-reference) to the BUILT dist/bundle/index.js, so the suite builds dist first.
//
// Every worker process imports this module (spawnProcs `modules`) to register the actor class,
// so the client part runs only under `if (!isWorker())`.
import { thisHost, isWorker, MeshActor, registerActor } from 'actormesh';

export class PeersAdder extends MeshActor {
  static typeName = 'bench::peers::Adder';
  received = 0;
  endpoints = {
    add: (cx, x) => x + 1,
    tell: (cx, p) => {
      if (typeof p === 'string' && p.length === 64) this.received++;
    },
    count: () => this.received,
  };
}
registerActor(PeersAdder);

const driver = {
  /** `procs` child processes ({gpus: procs}), `perProc` actors on each; default supervision. */
  async start(procs, perProc) {
    const p = await thisHost().spawnProcs({ gpus: procs }, { modules: [import.meta.url] });
    try {
      const mesh = await p.spawn('adder', PeersAdder, undefined, perProc > 1 ? { perProc } : {});
      return { procs: p, mesh };
    } catch (e) {
      await p.stop().catch(() => undefined);
      throw e;
    }
  },
  call: (h, x) => h.mesh.add.callOne(x),
  tell: (h, s) => h.mesh.tell.broadcast(s),
  count: (h) => h.mesh.count.callOne(),
  callAll: async (h, x) => (await h.mesh.add.call(x)).values(),
  stop: (h) => h.procs.stop(),
  close: () => thisHost().shutdown(),
};

if (!isWorker()) {
  const { serve } = await import('./protocol.mjs');
  // Which build this process loaded (the suite checks it is dist/, not the sources).
  await serve(driver, { resolved: import.meta.resolve('actormesh') });
}
