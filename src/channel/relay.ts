/**
 * Relayed connections: the fast path through a worker's port (one port per machine)
 * (docs/architecture.md HOST-1). A client
 * that dials a routed address (`tcp:W:26600/proc/<id>`, core/addr.ts) asks for that route in its
 * WebSocket upgrade; the server resolves it (`ServeOptions.relay`, the worker maps it to one of
 * its procs' local sockets) and joins the client's WebSocket to a `ws` connection to that
 * upstream, message for message. The session protocol (Init, Messages, Ack, Reject) then runs end
 * to end between the client's NetTx and the upstream's NetRx: the relaying process decodes
 * nothing, keeps no session state and takes no part in acknowledgement (Monarch's worker gateway
 * forwards envelopes instead; here the hop costs one read and one write per message).
 *
 * Invariants:
 * - The client's upgrade is admitted by the relaying server first (its secret and TLS checks),
 *   and the client is upgraded only once the upstream connection is open, with the upstream's
 *   incarnation: a client that later reaches another upstream (or the server itself) at the same
 *   route sees a different incarnation, so its session is never resumed into the wrong peer
 *   (docs/architecture.md CH-6).
 * - Messages cross in order, each exactly as received, in both directions; nothing is buffered
 *   beyond the sockets' own buffers (upstream reading pauses while the client's send buffer is
 *   above RELAY_BUFFER_LIMIT).
 * - Either side closing closes the other: 1000 (the client ended its session) is passed on as
 *   1000; anything else is a lost connection on the other side too, so the session resends what
 *   was not acknowledged.
 * - The client's return address is not passed upstream: the upstream answers by dialing the
 *   client, so replies do not come back through the relay.
 * - A route that does not resolve, or whose upstream cannot be reached, is served by the
 *   relaying server itself (the worker's gateway routes or bounces it as before).
 */
import WebSocket from 'ws';
import { formatAddr, wsUrl, type ChannelAddr } from './addr.js';
import { ChannelError } from './errors.js';

/** Where a route leads: the upstream channel (tcp or unix) and the headers to dial it with. */
export interface RelayTarget {
  readonly addr: ChannelAddr;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Resolves the route a client asked for (its WebSocket path without the leading `/`). */
export type RelayResolver = (route: string) => RelayTarget | undefined;

/** Upstream reading pauses while the client's send buffer holds more than this. */
export const RELAY_BUFFER_LIMIT = 1024 * 1024;

/** The `ws` URL of a relay's upstream (a tcp address or a unix socket path). */
function upstreamUrl(a: ChannelAddr): string {
  const url = wsUrl(a);
  if (url === undefined)
    throw new ChannelError('InvalidAddress', `cannot relay to ${formatAddr(a)}: expected a tcp address or a unix socket path`, formatAddr(a));
  return url;
}

/** The client side of a relayed connection, as the server backend drives it. */
export interface RelayClient {
  send(bytes: Uint8Array): void;
  /** Closes with a close frame (`code` 1000..4999 sendable codes) or, without `code`, abruptly. */
  close(code?: number, reason?: string): void;
  bufferedAmount(): number;
}

/**
 * One relayed connection. Made once the upstream is open (`openUpstream`); `attach` joins it to
 * the client's upgraded socket.
 */
export class RelayConn {
  private client: RelayClient | undefined;
  private pending: Uint8Array[] = [];
  private closed = false;
  private paused = false;

  constructor(
    private readonly up: WebSocket,
    readonly remote: string,
  ) {
    up.on('message', (data: Buffer) => this.fromUpstream(data));
    up.on('close', (code: number, reason: Buffer) => this.upstreamClosed(code, reason.toString()));
    up.on('error', () => undefined); // 'close' follows
  }

  attach(client: RelayClient): void {
    this.client = client;
    for (const m of this.pending) client.send(m);
    this.pending = [];
  }

  /** A message from the client: to the upstream (`ws` copies it while masking, before returning). */
  fromClient(msg: ArrayBuffer): void {
    if (this.closed) return;
    this.up.send(msg);
  }

  /** The client's send buffer drained: read the upstream again. */
  drained(): void {
    if (this.paused && this.client !== undefined && this.client.bufferedAmount() <= RELAY_BUFFER_LIMIT) {
      this.paused = false;
      socketOf(this.up)?.resume();
    }
  }

  /** The client's connection closed with `code`. */
  clientClosed(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.client = undefined;
    if (code === 1000 && this.up.readyState === WebSocket.OPEN) this.up.close(1000);
    else this.up.terminate();
  }

  /** Drops both sides at once (the server is closing). */
  terminate(): void {
    const c = this.client;
    this.clientClosed(1006);
    c?.close();
  }

  private fromUpstream(data: Buffer): void {
    const c = this.client;
    if (c === undefined) {
      if (!this.closed) this.pending.push(new Uint8Array(data));
      return;
    }
    c.send(data);
    if (!this.paused && c.bufferedAmount() > RELAY_BUFFER_LIMIT) {
      this.paused = true;
      socketOf(this.up)?.pause();
    }
  }

  private upstreamClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    if (c === undefined) return;
    if (code === 1000 || code === 1001) c.close(code, reason);
    else c.close();
  }
}

/**
 * Dials the upstream of `target`; resolves with the open connection and the incarnation its
 * upgrade response carried, or undefined when it cannot be reached (within `timeoutMs`).
 */
export function openUpstream(
  target: RelayTarget,
  opts: { maxPayload: number; timeoutMs: number; incarnationHeader: string },
): Promise<{ up: WebSocket; incarnation: string } | undefined> {
  return new Promise((resolve) => {
    let incarnation = '';
    let settled = false;
    const up = new WebSocket(upstreamUrl(target.addr), { perMessageDeflate: false, headers: { ...target.headers }, maxPayload: opts.maxPayload });
    const timer = setTimeout(() => fail(), opts.timeoutMs);
    const fail = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      up.removeAllListeners();
      up.on('error', () => undefined);
      up.terminate();
      resolve(undefined);
    };
    up.once('upgrade', (res) => {
      const h = res.headers[opts.incarnationHeader];
      incarnation = typeof h === 'string' ? h : '';
    });
    up.once('error', fail);
    up.once('unexpected-response', (req) => {
      req.destroy();
      fail();
    });
    up.once('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      up.removeAllListeners('error');
      up.removeAllListeners('unexpected-response');
      resolve({ up, incarnation });
    });
  });
}

function socketOf(ws: WebSocket): { pause(): void; resume(): void } | undefined {
  return (ws as unknown as { _socket?: { pause(): void; resume(): void } })._socket;
}
