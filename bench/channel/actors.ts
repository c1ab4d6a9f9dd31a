/**
 * The actors of the channel benchmark and load test, and a helper that makes a Proc reachable
 * over a real channel (serve + serveMailbox + a DialMailboxRouter that dials direct proc ids).
 */
import { Actor, ActorRef, Proc, type Handlers } from '../../src/actor/index.js';
import { DirectProcId } from '../../src/core/ids.js';
import { DialMailboxRouter } from '../../src/mailbox/routers.js';
import { installChannelDialer } from '../../src/mailbox/client.js';
import { serveMailbox } from '../../src/mailbox/server.js';
import { serve, anyAddr, formatAddr, type Rx, type Transport } from '../../src/channel/index.js';

/**
 * A Proc served on a fresh address of `transport`; its forwarder dials other direct procs.
 * Duplex by default (channel/duplex.ts): the dialer announces this proc's address, so peers
 * answer over the connection this process opened. `duplex: false` (or env AM_ONEWAY=1, which
 * child processes inherit) keeps Monarch's one-way channels: each side dials the other.
 */
export async function servedProc(
  name: string,
  transport: Transport,
  opts: { secret?: string; backend?: 'uws' | 'ws'; duplex?: boolean } = {},
): Promise<{ proc: Proc; rx: Rx }> {
  const [addr, rx] = await serve(anyAddr(transport), {
    ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
  });
  const duplex = opts.duplex ?? !process.env.AM_ONEWAY;
  installChannelDialer({ ...(opts.secret !== undefined ? { secret: opts.secret } : {}), ...(duplex ? { returnRx: rx } : { reuseReverse: false }) });
  const proc = new Proc(new DirectProcId(formatAddr(addr), name), new DialMailboxRouter());
  serveMailbox(rx, proc);
  return { proc, rx };
}

/** Messages the sink (driver side) receives. */
export type SinkMsg = { type: 'done'; count: number } | { type: 'pong'; n: number };
/** Messages the peer side receives. */
export type PeerMsg = { type: 'start'; expect: number; replyTo: string } | { type: 'data'; data: Uint8Array } | { type: 'ping'; n: number; replyTo: string };

/** Counts `data` messages; after `expect` of them tells `replyTo`. Answers pings. */
export class Peer extends Actor<void, PeerMsg> {
  static typeName = 'bench::channel::Peer';
  private expect = 0;
  private count = 0;
  private replyTo: ActorRef<Sink> | undefined;
  readonly handlers: Handlers<PeerMsg> = {
    start: (_cx, m) => {
      this.expect = m.expect;
      this.count = 0;
      this.replyTo = ActorRef.attest<Sink>(m.replyTo);
    },
    data: (cx) => {
      if (++this.count === this.expect) this.replyTo!.send(cx, { type: 'done', count: this.count });
    },
    ping: (cx, m) => {
      this.refTo(m.replyTo).send(cx, { type: 'pong', n: m.n });
    },
  };
  private readonly refs = new Map<string, ActorRef<Sink>>();
  private refTo(id: string): ActorRef<Sink> {
    let r = this.refs.get(id);
    if (!r) this.refs.set(id, (r = ActorRef.attest<Sink>(id)));
    return r;
  }
}

/** Forwards what it receives to a callback (the benchmark driver awaits it). */
export class Sink extends Actor<void, SinkMsg> {
  static typeName = 'bench::channel::Sink';
  static on: (m: SinkMsg) => void = () => {};
  readonly handlers: Handlers<SinkMsg> = {
    done: (_cx, m) => Sink.on(m),
    pong: (_cx, m) => Sink.on(m),
  };
}
