// Client of the fork-ipc baseline: what a user writes by hand with child_process.fork and
// process.send — request ids and a Map of pending promises per child. Driven by
// bench/suites/peers.ts over the protocol in protocol.mjs.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serve } from './protocol.mjs';

const workerPath = fileURLToPath(new URL('./fork-ipc-worker.mjs', import.meta.url));
const live = new Set();

/** One forked worker process hosting `perProc` actors; resolves once it reported ready. */
function startChild(perProc) {
  const child = fork(workerPath, [String(perProc)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  const pending = new Map();
  let nextId = 0;
  let failure;
  const fail = (err) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.ready) return resolve();
      const p = pending.get(m.id);
      if (p === undefined) return;
      pending.delete(m.id);
      p.resolve(m.v);
    });
    child.on('error', (e) => {
      fail(e);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      live.delete(child);
      const e = new Error(`fork-ipc worker exited (${signal ?? code})`);
      fail(e);
      reject(e);
    });
  });
  const request = (a, op, x) => {
    if (failure !== undefined) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ id, a, op, x });
    });
  };
  const tell = (a, p) => {
    if (failure === undefined) child.send({ a, op: 'tell', p });
  };
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.disconnect();
    });
  return ready.then(() => ({ request, tell, stop }));
}

const driver = {
  async start(procs, perProc) {
    const children = await Promise.all(Array.from({ length: procs }, () => startChild(perProc)));
    return { children, perProc };
  },
  call: (h, x) => h.children[0].request(0, 'add', x),
  tell: (h, s) => h.children[0].tell(0, s),
  count: (h) => h.children[0].request(0, 'count'),
  callAll: (h, x) => Promise.all(h.children.flatMap((c) => Array.from({ length: h.perProc }, (_, a) => c.request(a, 'add', x)))),
  stop: (h) => Promise.all(h.children.map((c) => c.stop())).then(() => undefined),
  async close() {
    for (const c of live) c.kill('SIGKILL');
  },
};

await serve(driver, { node: process.version });
