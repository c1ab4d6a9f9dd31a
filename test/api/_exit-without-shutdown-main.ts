// Child script for host-exit.test.ts: a user program that spawns procs, calls once and returns
// without `thisHost().shutdown()`. It must exit by itself (code 0) and take its workers along.
// argv[2] === 'kill-one': SIGKILL one worker first (its dead link must not hold the exit).
// argv[2] === 'await-port': first await, with no timeout, a message an actor sends to a port of
// the client 1.5 s later (a waiting `recv` is pending work: the script must not be shut down).
import { thisHost, isWorker } from '../../src/index.js';
import { Tally, LIVENESS_ACTORS } from '../mesh/fixtures/liveness-actors.js';

if (!isWorker()) {
  const procs = await thisHost().spawnProcs({ gpus: 3 }, { modules: [LIVENESS_ACTORS] });
  const mesh = await procs.spawn('t', Tally, {}, { onSupervise: () => true });
  const pids = (await mesh.pid.call()).values();
  console.log(JSON.stringify({ pids }));
  if (process.argv[2] === 'await-port') {
    const [port, rx] = procs.client.cx.openPort<string>();
    mesh.slice({ gpus: 0 }).later.broadcast(port.bind(), 1500);
    console.log(`port: ${await rx.recv()}`);
  }
  mesh.add.broadcast(1);
  if (process.argv[2] === 'kill-one') {
    process.kill(pids[1]!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    mesh.slice({ gpus: 0 }).add.broadcast(1);
  }
  console.log(`main done: ${JSON.stringify((await mesh.slice({ gpus: 0 }).totals.call()).values())}`);
}
