/**
 * The second process of the channel benchmark. Usage (spawned by bench/suites/channel.ts):
 *   node --import tsx bench/channel/peer.ts <raw-uws|raw-ws|actor-uws|actor-ws> [secret]
 * Prints one JSON line `{"addr": ...}` (raw: the WebSocket URL; actor: the Peer actor id) when
 * ready, then serves until stdin closes.
 *
 * envelope-uws: a channel served with `serveMailbox` into a counting MailboxSender (no actors,
 * no payload codec); an envelope of type `start` carries the expected count (u32), and the peer
 * prints `done` on stdout when that many `data` envelopes arrived.
 *
 * Raw modes (no runtime): the first message is a JSON text `{"count": bytes}` or `{"echo": true}`;
 * counting answers "done" once that many binary bytes arrived; echo sends every message back.
 */
import uWS from 'uWebSockets.js';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { servedProc, Peer } from './actors.js';
import { serve, anyAddr, formatAddr } from '../../src/channel/index.js';
import { serveMailbox } from '../../src/mailbox/server.js';
import { BaseMailboxSender } from '../../src/mailbox/sender.js';
import type { MessageEnvelope } from '../../src/mailbox/envelope.js';

const mode = process.argv[2];
const secret = process.argv[3];

type Ctl = { count?: number; echo?: boolean };
function ready(x: object): void {
  process.stdout.write(`${JSON.stringify(x)}\n`);
}
let gcLine = (): string => '';
if (process.env.AM_PEER_GC) {
  const gcs: number[] = [];
  const { PerformanceObserver } = await import('node:perf_hooks');
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) gcs.push(e.duration);
  }).observe({ entryTypes: ['gc'] });
  gcLine = () => `peer ${mode}: ${gcs.length} GCs, ${gcs.reduce((a, b) => a + b, 0).toFixed(1)} ms, max ${Math.max(0, ...gcs).toFixed(2)} ms\n`;
}
let splitLine = (): string => '';
if (process.env.AM_PEER_SPLIT) {
  // Time from the NetRx frame callback (ping read) to the SessionTx flush (dialed or reverse Tx) that writes the pong.
  const { NetRx } = await import('../../src/channel/net-rx.js');
  const { SessionTx } = await import('../../src/channel/session-tx.js');
  const xs: number[] = [];
  let tFrame = 0;
  const rxProto = NetRx.prototype as unknown as { onFrame: (...a: unknown[]) => void };
  const onFrame = rxProto.onFrame;
  rxProto.onFrame = function (this: unknown, ...a: unknown[]) {
    tFrame = performance.now();
    return onFrame.apply(this, a);
  };
  // And two points in between: the Proc receiving the ping envelope (serveMailbox's post) and the
  // MailboxClient taking the pong envelope (the actor runtime ran in between).
  const { Proc } = await import('../../src/actor/index.js');
  const { MailboxClient } = await import('../../src/mailbox/client.js');
  let tPost = 0;
  let tClient = 0;
  const toPost: number[] = [];
  const toClient: number[] = [];
  const procProto = Proc.prototype as unknown as { post: (...a: unknown[]) => void };
  const post = procProto.post;
  procProto.post = function (this: unknown, ...a: unknown[]) {
    if (tFrame && !tPost) tPost = performance.now();
    return post.apply(this, a);
  };
  const clientProto = MailboxClient.prototype as unknown as { postUnchecked: (...a: unknown[]) => void };
  const postUnchecked = clientProto.postUnchecked;
  clientProto.postUnchecked = function (this: unknown, ...a: unknown[]) {
    if (tFrame && !tClient) tClient = performance.now();
    return postUnchecked.apply(this, a);
  };
  const txProto = SessionTx.prototype as unknown as { flush: (...a: unknown[]) => void };
  const flush = txProto.flush;
  txProto.flush = function (this: unknown, ...a: unknown[]) {
    if (tFrame) {
      const t = performance.now();
      xs.push((t - tFrame) * 1000);
      if (tPost && tClient) {
        toPost.push((tPost - tFrame) * 1000);
        toClient.push((tClient - tPost) * 1000);
      }
    }
    tFrame = tPost = tClient = 0;
    return flush.apply(this, a);
  };
  const med = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1]?.toFixed(1);
  splitLine = () =>
    `peer ${mode}: frame -> flush median ${med(xs)} us over ${xs.length} (frame -> proc.post ${med(toPost)}, proc.post -> MailboxClient ${med(toClient)}, the rest is MailboxClient -> flush)\n`;
}
process.stdin.on('end', () => {
  process.stderr.write(gcLine() + splitLine());
  process.exit(0);
});
process.stdin.resume();

if (mode === 'raw-uws') {
  uWS
    .App()
    .ws<{ ctl?: Ctl; got: number }>('/*', {
      maxPayloadLength: 64 * 1024 * 1024,
      maxBackpressure: 64 * 1024 * 1024,
      idleTimeout: 0,
      compression: uWS.DISABLED,
      upgrade: (res, req, context) => {
        res.upgrade(
          { got: 0 },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      message: (ws, msg, isBinary) => {
        const d = ws.getUserData();
        if (!isBinary) {
          d.ctl = JSON.parse(Buffer.from(msg).toString()) as Ctl;
          d.got = 0;
          return;
        }
        if (d.ctl?.echo) {
          ws.send(msg, true);
          return;
        }
        d.got += msg.byteLength;
        if (d.got === d.ctl!.count) ws.send('done', false);
      },
    })
    .listen('127.0.0.1', 0, (ls) => {
      if (!ls) throw new Error('listen failed');
      ready({ addr: `ws://127.0.0.1:${uWS.us_socket_local_port(ls as unknown as uWS.us_socket)}/` });
    });
} else if (mode === 'raw-ws') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 }, () => {
    ready({ addr: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` });
  });
  wss.on('connection', (ws) => {
    let ctl: Ctl | undefined;
    let got = 0;
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        ctl = JSON.parse(data.toString()) as Ctl;
        got = 0;
        return;
      }
      if (ctl?.echo) {
        ws.send(data);
        return;
      }
      got += data.length;
      if (got === ctl!.count) ws.send('done');
    });
  });
} else if (mode === 'actor-uws' || mode === 'actor-ws') {
  const { proc } = await servedProc('peer', 'tcp', { backend: mode === 'actor-ws' ? 'ws' : 'uws', ...(secret ? { secret } : {}) });
  const h = await proc.spawn('peer', Peer, undefined);
  ready({ addr: String(h.actorId) });
} else if (mode === 'envelope-uws') {
  let expect = 0;
  let count = 0;
  class Counter extends BaseMailboxSender {
    postUnchecked(env: MessageEnvelope): void {
      if (env.typeName === 'start') {
        expect = new DataView(env.data.buffer, env.data.byteOffset).getUint32(0, true);
        count = 0;
      } else if (++count === expect) process.stdout.write('done\n');
    }
  }
  const [addr, rx] = await serve(anyAddr('tcp'), secret ? { secret } : {});
  serveMailbox(rx, new Counter());
  ready({ addr: formatAddr(addr) });
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
