// Worker of the Moleculer system in the peers suite: one broker per process hosting one
// service per actor. argv: nodeID, the client's `127.0.0.1:port/nodeID`, then service names.
// Service `<name>`: action `add` ({x} -> x + 1), action `count` (tells received), and event
// `<name>.tell` (a 64-char string; fire-and-forget). IPC message 'stop' stops the broker and
// exits; so does the parent going away.
import { loopbackBroker } from './moleculer-tcp.mjs';

const [nodeID, clientUrl, ...names] = process.argv.slice(2);
const broker = loopbackBroker(nodeID, [clientUrl]);

for (const name of names) {
  let received = 0;
  broker.createService({
    name,
    actions: {
      add: (ctx) => ctx.params.x + 1,
      count: () => received,
    },
    events: {
      [`${name}.tell`]: (ctx) => {
        if (typeof ctx.params === 'string' && ctx.params.length === 64) received++;
      },
    },
  });
}

let stopping;
const stop = () => (stopping ??= broker.stop().finally(() => process.exit(0)));
process.on('message', (m) => m === 'stop' && stop());
process.on('disconnect', stop);
await broker.start();
