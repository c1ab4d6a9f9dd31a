// Client of the Moleculer (0.14.x) system in the peers suite: one broker per worker process
// (moleculer-worker.mjs) and, per start, one client broker in this process, all on the TCP
// transporter pinned to loopback (moleculer-tcp.mjs). Each actor is a service of its own; calls
// are `broker.call`, fire-and-forget is `broker.emit` of a balanced event. Moleculer action
// params are objects by convention (a falsy params value becomes {}), so a call carries {x}
// and answers x + 1.
//
// A start builds a fresh client broker, as a program starting from nothing would: a long-lived
// one keeps the stopped workers of earlier starts as offline nodes, and its gossip (one random
// online and one random offline node per period) then finds new workers ever later.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MOLECULER_VERSION, brokerPort, loopbackBroker } from './moleculer-tcp.mjs';
import { serve } from './protocol.mjs';

const workerPath = fileURLToPath(new URL('./moleculer-worker.mjs', import.meta.url));
const live = new Set();
let generation = 0;

function startWorker(nodeID, clientUrl, names) {
  const child = fork(workerPath, [nodeID, clientUrl, ...names], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve)).then(() => live.delete(child));
  return {
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null && child.connected) child.send('stop');
      return exited;
    },
  };
}

const driver = {
  async start(procs, perProc) {
    const g = generation++;
    const clientID = `peers-g${g}-client`;
    // waitForServices polls the registry every `dependencyInterval` ms (default 1000): 10 ms
    // keeps the spawn measurement from being rounded up to whole seconds.
    const broker = loopbackBroker(clientID, [], { dependencyInterval: 10, requestTimeout: 30_000 });
    await broker.start();
    const clientUrl = `127.0.0.1:${brokerPort(broker)}/${clientID}`;
    const names = Array.from({ length: procs * perProc }, (_, k) => `a${k}`);
    const workers = Array.from({ length: procs }, (_, i) => startWorker(`peers-g${g}-w${i}`, clientUrl, names.slice(i * perProc, (i + 1) * perProc)));
    const h = { broker, names, workers };
    try {
      await Promise.race([
        broker.waitForServices(names, 30_000),
        ...workers.map((w) => w.exited.then(() => Promise.reject(new Error('moleculer worker exited during start')))),
      ]);
    } catch (e) {
      await driver.stop(h);
      throw e;
    }
    return h;
  },
  call: (h, x) => h.broker.call(`${h.names[0]}.add`, { x }),
  tell: (h, s) => void h.broker.emit(`${h.names[0]}.tell`, s).catch(() => undefined),
  count: (h) => h.broker.call(`${h.names[0]}.count`),
  callAll: (h, x) => Promise.all(h.names.map((n) => h.broker.call(`${n}.add`, { x }))),
  async stop(h) {
    await Promise.all(h.workers.map((w) => w.stop()));
    await h.broker.stop();
  },
  async close() {
    for (const c of live) c.kill('SIGKILL');
  },
};

await serve(driver, { version: MOLECULER_VERSION });
