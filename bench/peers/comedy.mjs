// Client of the Comedy (npm `comedy` 2.1.x) system in the peers suite: actors in forked
// processes (`mode: 'forked'`, one process per forked actor). One actor per process is a forked
// PeersAdder addressed directly; 16 actors per process are in-memory children of a forked
// PeersHost (see comedy-host.cjs).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { serve } from './protocol.mjs';

const require = createRequire(import.meta.url);
const actors = require('comedy');

// Comedy resolves a definition path starting with `//` as an absolute path, in every process.
const absolute = (f) => '/' + fileURLToPath(new URL(f, import.meta.url));
const ADDER = absolute('./comedy-adder.cjs');
const HOST = absolute('./comedy-host.cjs');

// Programmatic configuration (`config: {}`): no actors.json lookup or file watch.
const system = actors({ config: {} });
system.getLog().setLevel(system.getLog().levels().Silent);
const root = await system.rootActor();

const driver = {
  async start(procs, perProc) {
    const refs = await Promise.all(
      Array.from({ length: procs }, () =>
        perProc === 1 ? root.createChild(ADDER, { mode: 'forked' }) : root.createChild(HOST, { mode: 'forked', customParameters: { perProc } }),
      ),
    );
    return { refs, perProc };
  },
  call: (h, x) => h.refs[0].sendAndReceive('add', x),
  // `send` resolves once Comedy handed the message over; a lost tell shows in the count.
  tell: (h, s) => void h.refs[0].send('tell', s).catch(() => undefined),
  count: (h) => h.refs[0].sendAndReceive('count'),
  callAll: (h, x) =>
    h.perProc === 1
      ? Promise.all(h.refs.map((r) => r.sendAndReceive('add', x)))
      : Promise.all(h.refs.flatMap((r) => Array.from({ length: h.perProc }, (_, a) => r.sendAndReceive('call', { a, x })))),
  stop: (h) => Promise.all(h.refs.map((r) => r.destroy())).then(() => undefined),
  close: () => system.destroy(),
};

await serve(driver, { version: require('comedy/package.json').version });
