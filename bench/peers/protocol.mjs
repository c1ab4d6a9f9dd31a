// Client side of the line protocol between bench/suites/peers.ts and one system's client process.
//
// The suite writes one JSON command per line on the client's stdin: {"id", "op", ...params}.
// The client answers each with one stdout line `@@peers {"id","ok":true,"result"}` or
// `@@peers {"id","ok":false,"error"}`; it prints `@@peers {"ready":true}` once at start.
// Child processes of the client inherit its stdout, so every protocol line carries the prefix
// and the suite ignores (forwards to stderr) anything else. Commands run one at a time.
// End of stdin (the suite went away) closes the system and exits.
import { createInterface } from 'node:readline';
import { workloads } from './workloads.mjs';

export const PREFIX = '@@peers ';

function send(obj) {
  process.stdout.write(PREFIX + JSON.stringify(obj) + '\n');
}

function errorText(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Serves the protocol for `driver` (see workloads.mjs for the driver interface) until `exit` or
 * end of stdin; the process exits when done. `info` (e.g. the version in use) goes out with the
 * ready line.
 */
export async function serve(driver, info = {}) {
  const state = { single: undefined, fanout: undefined };
  const ops = Object.fromEntries(Object.entries(workloads).map(([name, fn]) => [name, (cmd) => fn(driver, state, cmd)]));
  serveOps(
    ops,
    async () => {
      // Best effort: stop what is still running, then the system itself.
      for (const k of ['single', 'fanout']) {
        if (state[k] !== undefined) await driver.stop(state[k]).catch(() => undefined);
        state[k] = undefined;
      }
      await driver.close().catch(() => undefined);
    },
    info,
  );
}

/**
 * The command loop: `ops[cmd.op](cmd)` answers each command, one at a time in arrival order;
 * `exit` or the end of stdin runs `close` (once) and exits the process. Sends the ready line.
 */
export function serveOps(ops, close, info = {}) {
  let closing;
  const closeOnce = () => (closing ??= close());
  let chain = Promise.resolve();
  const handle = async (line) => {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch {
      return;
    }
    if (cmd.op === 'exit') {
      await closeOnce();
      send({ id: cmd.id, ok: true, result: {} });
      process.exit(0);
    }
    const fn = ops[cmd.op];
    if (fn === undefined) {
      send({ id: cmd.id, ok: false, error: `unknown op ${cmd.op}` });
      return;
    }
    try {
      send({ id: cmd.id, ok: true, result: await fn(cmd) });
    } catch (e) {
      send({ id: cmd.id, ok: false, error: errorText(e) });
    }
  };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() !== '') chain = chain.then(() => handle(line));
  });
  // End of stdin: finish the queued commands, then stop everything and exit.
  rl.on('close', () => {
    chain = chain.then(closeOnce).then(() => process.exit(0));
  });
  send({ ready: true, pid: process.pid, info });
}
