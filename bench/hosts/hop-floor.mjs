// The floor of one process hop on this machine, with no actormesh code: plain Node sockets, a
// 200-byte message echoed back. `direct`: A -> C -> A over one unix socket (a client and its proc
// on one host). `via gateway`: A -tcp-> B -unix-> C -tcp-> A (a client, a worker that only
// copies bytes, a proc answering the client directly). Run: node bench/hosts/hop-floor.mjs
// (N=<round trips per block>, 10 blocks, medians per block); sockets in a temp directory.
import net from 'node:net';
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const role = process.argv[2];
const N = Number(process.env.N ?? 5000);
if (role === 'C') {
  // echo proc: serves unix path; replies on the socket it got, or to replyPort via tcp
  const replyTo = process.argv[4];
  let out;
  if (replyTo) out = net.connect(Number(replyTo), '127.0.0.1', () => out.setNoDelay(true));
  net
    .createServer((s) => {
      s.setNoDelay?.(true);
      s.on('data', (d) => (out ?? s).write(d));
    })
    .listen(process.argv[3], () => process.send('ready'));
} else if (role === 'B') {
  // gateway: tcp in, unix out
  const up = net.connect(process.argv[3]);
  net
    .createServer((s) => {
      s.setNoDelay(true);
      s.on('data', (d) => up.write(d));
    })
    .listen(0, '127.0.0.1', function () {
      process.send(this.address().port);
    });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'hop-floor-'));
  const ready = (c) => new Promise((r) => c.once('message', r));
  const msg = Buffer.alloc(200, 1);
  async function rtt(send, recv) {
    const ts = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await new Promise((r) => {
        recv.once('data', r);
        send.write(msg);
      });
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    return Math.round(ts[N >> 1] * 1000);
  }
  // direct: A <-> C over unix
  const c1 = fork(process.argv[1], ['C', join(dir, 'c1.sock')]);
  await ready(c1);
  const d = net.connect(join(dir, 'c1.sock'));
  await new Promise((r) => d.once('connect', r));
  // gateway: A -tcp-> B -unix-> C2 -tcp-> A
  let back;
  const srv = net.createServer((s) => {
    s.setNoDelay(true);
    back = s;
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const c2 = fork(process.argv[1], ['C', join(dir, 'c2.sock'), String(srv.address().port)]);
  await ready(c2);
  const b = fork(process.argv[1], ['B', join(dir, 'c2.sock')]);
  const bport = await ready(b);
  const g = net.connect(bport, '127.0.0.1');
  g.setNoDelay(true);
  await new Promise((r) => g.once('connect', r));
  while (!back) await new Promise((r) => setTimeout(r, 10));
  for (let r = 0; r < 10; r++) {
    const x = await rtt(d, d),
      y = await rtt(g, back);
    console.log(`direct unix ${x} us, via gateway ${y} us, ratio ${(x / y).toFixed(2)}`);
  }
  for (const p of [c1, c2, b]) p.kill();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
