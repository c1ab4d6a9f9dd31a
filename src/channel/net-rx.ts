/**
 * The network Rx: a uWebSockets.js server (tcp `listen`, unix `listen_unix`) where each
 * WebSocket carries one Tx session (Monarch hyperactor/src/channel/net.rs `NetRx`, `tcp::serve`, `unix::serve`).
 *
 * Invariants enforced here:
 * - Authentication happens in `upgrade`: without a valid proof (auth.ts) the request gets 401
 *   and no WebSocket exists, so nothing the client sent is ever read as a frame.
 * - Exactly once into the queue per session: a Messages frame is accepted only after Init;
 *   messages with seq < next are retransmits and are dropped; seq > next is a gap, answered with
 *   Reject and the connection is closed. `next` survives reconnects (sessions outlive sockets).
 *   A newer connection with the same session takes the session over and the stale one is closed.
 * - Any malformed frame closes only that connection, with a logged reason (and a Reject frame);
 *   frames above `maxFrameLength` are closed by uWS itself (maxPayloadLength) and logged.
 * - Acks are cumulative (`Ack(next)`: everything below `next` is enqueued), sent after
 *   `ackEveryN` messages or `ackIntervalMs`, and held back while the Rx queue is at capacity: with
 *   the Tx's bounded window this bounds memory on both sides when the consumer stops reading.
 *   While held back, a non-advancing Ack goes out every `ackIntervalMs` as a keep-alive, so a
 *   slow consumer is not mistaken for a dead peer by the Tx's delivery timeout.
 * - Duplex (duplex.ts): a client that announced its return address in the upgrade gets a reverse
 *   Tx for its session (attached to the session's current connection, re-attached on reconnect,
 *   ended by a clean close 1000 of the client, by session collection or by `close()`); Ack
 *   frames from that client acknowledge the reverse direction. Reverse frames are written while
 *   the socket's send buffer is below REVERSE_BUFFER_LIMIT, then after uWS's `drain`.
 * - The same session logic serves reverse messages arriving at a NetTx of this process
 *   (`openInbound`/`attachInbound`/`acceptInbound`): exactly once into this queue, acks held back
 *   while it is full.
 * - Incarnation: each NetRx picks a random `incarnation` when it starts listening and sends it in
 *   every upgrade response (header `INCARNATION_HEADER`, both backends). Sessions live in one
 *   incarnation only, so a NetTx that reconnects to a different one knows its session is lost.
 * - TLS (`tls` option, uws backend only, tls.ts): served by uWS `SSLApp`; with `tls.ca` an upgrade
 *   without a valid client certificate proof is refused (496) before any frame is read, after
 *   the secret was checked (both apply).
 */
import uWS from 'uWebSockets.js';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';
import { type ChannelAddr, formatAddr, toAddr } from './addr.js';
import { AUTH_HEADER, ProofChecker, type Secret } from './auth.js';
import { channelConfig, type ChannelConfig } from './config.js';
import { ChannelError, FrameError } from './errors.js';
import { QueuedRx, RxQueue } from './queue.js';
import type { Rx } from './types.js';
import { RETURN_HEADER, ReverseTx, addrKey, endedError, registerServed, unregisterServed } from './duplex.js';
import type { FrameLink } from './session-tx.js';
import { FrameEncoder, FrameKind, decodeFrame, type DecodedFrame } from '../wire/frames.js';
import { randomBytes } from 'node:crypto';
import { CERT_REQUIRED_STATUS, CLIENT_CERT_HEADER, CLIENT_PROOF_HEADER, ClientCertChecker, REFUSED_HEADER, readPem, type ServeTlsOptions } from './tls.js';

/** Upgrade-response header carrying the server's incarnation (random per listening NetRx). */
export const INCARNATION_HEADER = 'x-actormesh-incarnation';

export interface ServeOptions extends Partial<ChannelConfig> {
  /** The mesh secret clients must prove; omit for an open server. */
  secret?: Secret;
  /** Receives one line per refused or closed-for-cause connection. Default: console.warn. */
  log?: (line: string) => void;
  /** Duplex: give clients that announce a return address a reverse Tx (default true). */
  acceptReturn?: boolean;
  /**
   * WebSocket server implementation: `uws` (uWebSockets.js, the default) or `ws` (the pure-JS
   * `ws` server; same protocol, kept to measure what uWS buys and as a fallback).
   */
  backend?: 'uws' | 'ws';
  /**
   * Serve over TLS (uws backend only; PEM file paths, see tls.ts). With `ca`, clients must hold a
   * certificate issued by it (mutual TLS).
   */
  tls?: ServeTlsOptions;
}

interface Session {
  readonly id: bigint;
  next: number;
  acked: number;
  sinceAck: number;
  conn: Conn | undefined;
  timer: NodeJS.Timeout | undefined;
  detachedAt: number;
  /** Duplex: the reverse direction of this session (its client announced a return address). */
  reverse: ReverseTx | undefined;
}

/** The receiving state of a reverse direction at a NetTx of this process (see `openInbound`). */
export type InboundSession = Session;
/** A NetTx's connection as seen by the inbound session (acks go out through it). */
export type InboundConn = Conn;

interface Conn {
  readonly connId: number;
  readonly remote: string;
  session: Session | undefined;
  /** Set once we decided to close it; later frames are ignored. */
  closing: boolean;
  /** Sends one binary WebSocket message (copies `bytes`). No-op once closed. (Not `send`: uWS
   * merges user data into its WebSocket object, so names must not shadow its methods.) */
  write: (bytes: Uint8Array) => void;
  /** Closes with a close frame. */
  shut: (code: number, reason: string) => void;
  /** Duplex: the return address the client announced (canonical form), if any. */
  returnAddr: string | undefined;
  /** Duplex: how reverse frames reach this connection (set when it opens). */
  link: FrameLink | undefined;
  /** Reverse frames' completions waiting for the send buffer to drain (uWS). */
  drainWaiters: Array<() => void>;
}

/** Reverse frames wait for `drain` while uWS buffers more than this (below its maxBackpressure). */
const REVERSE_BUFFER_LIMIT = 256 * 1024;
/** Room in uWS's send buffer for acks and Init frames on top of the reverse frames' bound. */
const BACKPRESSURE_SLACK = 64 * 1024;

/** Received frames up to this size are copied into a shared slab of RX_SLAB_BYTES (see copyIn). */
const RX_SLAB_COPY_MAX = 4096;
const RX_SLAB_BYTES = 64 * 1024;

const closedSend = (_: Uint8Array): void => {};
const closedEnd = (_c: number, _r: string): void => {};

let nextConnId = 1;

export class NetRx extends QueuedRx implements Rx {
  readonly queue: RxQueue;
  private readonly sessions = new Map<bigint, Session>();
  private readonly conns = new Set<Conn>();
  private readonly enc = new FrameEncoder(256);
  private listenSocket: uWS.us_listen_socket | undefined;
  private httpServer: http.Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly deferred = new Set<Session>();
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly gc: NodeJS.Timeout;
  private closed = false;
  private readonly acceptReturn: boolean;
  /** Random id of this server instance, sent in every upgrade response (`INCARNATION_HEADER`). */
  readonly incarnation = randomBytes(8).toString('hex');
  /** Mutual TLS: checks the client certificate proofs (server with `tls.ca`). */
  private certChecker: ClientCertChecker | undefined;
  /** Counters for tests and diagnostics. */
  readonly stats = { frames: 0, messages: 0, retransmitsDropped: 0, protocolErrors: 0, refused: 0 };

  private constructor(
    public addr: ChannelAddr,
    private readonly cfg: ChannelConfig,
    private readonly checker: ProofChecker | undefined,
    private readonly log: (line: string) => void,
    acceptReturn: boolean,
  ) {
    super();
    this.acceptReturn = acceptReturn;
    this.queue = new RxQueue(addr, cfg.rxCapacity);
    this.queue.onBelowCapacity = () => {
      const ds = [...this.deferred];
      this.deferred.clear();
      for (const s of ds) this.ackNow(s);
      if (!this.deferred.size && this.keepAlive) {
        clearInterval(this.keepAlive);
        this.keepAlive = undefined;
      }
    };
    this.gc = setInterval(() => this.collectSessions(), Math.max(1000, cfg.deliveryTimeoutMs)).unref();
  }

  /** Listens on `addr` and resolves with the bound address (tcp port 0 → the real port). */
  static listen(addr: ChannelAddr, opts: ServeOptions = {}): Promise<NetRx> {
    const cfg = { ...channelConfig(), ...stripUndefined(opts) };
    const checker = opts.secret !== undefined ? new ProofChecker(opts.secret) : undefined;
    const rx = new NetRx(addr, cfg, checker, opts.log ?? ((l) => console.warn(`[actormesh channel] ${l}`)), opts.acceptReturn ?? true);
    if (addr.transport === 'unix' && addr.abstract) {
      return Promise.reject(
        new ChannelError('InvalidAddress', `cannot listen on abstract unix address ${formatAddr(addr)}; use a filesystem path`, formatAddr(addr)),
      );
    }
    if (addr.transport === 'unix' && existsSync(addr.path)) {
      return Promise.reject(new ChannelError('Server', `unix socket path ${addr.path} already exists`, formatAddr(addr)));
    }
    if (addr.transport === 'local') return Promise.reject(new ChannelError('InvalidAddress', 'NetRx serves tcp or unix, not local', formatAddr(addr)));
    let app: uWS.TemplatedApp | undefined;
    if (opts.tls !== undefined) {
      const where = formatAddr(addr);
      if (opts.backend === 'ws')
        return Promise.reject(new ChannelError('TlsError', `TLS is not supported with backend 'ws' (serving ${where}); use the default uws backend`, where));
      if (addr.transport !== 'tcp') return Promise.reject(new ChannelError('TlsError', `TLS is supported on tcp addresses only, not ${where}`, where));
      try {
        app = rx.sslApp(opts.tls, where);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const started = opts.backend === 'ws' ? rx.startWs() : rx.startUws(app ?? uWS.App());
    return started.then((r) => {
      registerServed(r);
      return r;
    });
  }

  private newConn(remote: string, returnAddr?: string): Conn {
    return {
      connId: nextConnId++,
      remote,
      session: undefined,
      closing: false,
      write: closedSend,
      shut: closedEnd,
      returnAddr,
      link: undefined,
      drainWaiters: [],
    };
  }

  /** The canonical return address in an upgrade header, '' when absent, undefined when invalid. */
  private returnOf(header: string | undefined): string | undefined {
    if (!header || !this.acceptReturn) return '';
    try {
      const a = toAddr(header);
      return a.transport === 'local' ? undefined : addrKey(a);
    } catch {
      return undefined;
    }
  }

  /** The uWS SSLApp for `tls` (files checked first, so that a bad path gets a clear error). */
  private sslApp(tls: ServeTlsOptions, where: string): uWS.TemplatedApp {
    readPem(tls.cert, 'cert', where);
    readPem(tls.key, 'key', where);
    if (tls.ca !== undefined) this.certChecker = new ClientCertChecker(readPem(tls.ca, 'ca', where), where);
    try {
      return uWS.SSLApp({ cert_file_name: tls.cert, key_file_name: tls.key, ...(tls.ca !== undefined ? { ca_file_name: tls.ca } : {}) });
    } catch (e) {
      throw new ChannelError(
        'TlsError',
        `cannot serve TLS on ${where}: uWS could not load cert ${tls.cert}, key ${tls.key}${tls.ca !== undefined ? `, ca ${tls.ca}` : ''} (${(e as Error).message}; are they PEM, and does the key match the certificate?)`,
        where,
        { cause: e },
      );
    }
  }

  /** The `ws` backend: a node http server whose upgrades are authenticated before `handleUpgrade`. */
  private startWs(): Promise<NetRx> {
    const server = http.createServer((_req, res) => {
      res.writeHead(426).end('actormesh channel: WebSocket upgrade required');
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: this.cfg.maxFrameLength });
    this.httpServer = server;
    this.wss = wss;
    wss.on('headers', (headers) => headers.push(`${INCARNATION_HEADER}: ${this.incarnation}`));
    server.on('upgrade', (req, socket, head) => {
      const remote = req.socket.remoteAddress ?? 'unix';
      const proofHeader = req.headers[AUTH_HEADER];
      const why = this.closed ? 'channel closed' : this.checker?.check(typeof proofHeader === 'string' ? proofHeader : '');
      if (why) {
        if (!this.closed) {
          this.stats.refused++;
          this.log(`refused connection from ${remote} to ${formatAddr(this.addr)}: ${why}`);
        }
        socket.end(`HTTP/1.1 ${this.closed ? '503 Service Unavailable' : '401 Unauthorized'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      const rh = req.headers[RETURN_HEADER];
      const ret = this.returnOf(typeof rh === 'string' ? rh : undefined);
      if (ret === undefined) {
        this.stats.refused++;
        this.log(`refused connection from ${remote} to ${formatAddr(this.addr)}: invalid ${RETURN_HEADER} header; expected a tcp or unix channel address`);
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
        const c = this.newConn(remote, ret || undefined);
        c.write = (b) => ws.send(b);
        c.shut = (code, r) => ws.close(code, r);
        // `ws` may keep the frame's bytes until the write completes.
        c.link = { write: (b, done) => (c.write === closedSend ? undefined : ws.send(b, () => done())) };
        this.conns.add(c);
        ws.on('message', (data: Buffer) => this.onFrame(c, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
        let err = '';
        ws.on('error', (e) => {
          err = e.message;
        });
        ws.on('close', (code) => {
          c.write = closedSend;
          c.shut = closedEnd;
          this.closed_(c, code === 1009 || err ? 1006 : code, err);
        });
      });
    });
    const a = this.addr;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(new ChannelError('Server', `cannot listen on ${formatAddr(a)}: ${e.message}`, formatAddr(a), { cause: e })));
      const done = () => {
        if (a.transport === 'tcp' && a.port === 0) this.addr = { ...a, port: (server.address() as AddressInfo).port };
        resolve(this);
      };
      if (a.transport === 'tcp') server.listen(a.port, a.host, done);
      else if (a.transport === 'unix') server.listen(a.path, done);
    });
  }

  private startUws(app: uWS.TemplatedApp): Promise<NetRx> {
    app.ws<Conn>('/*', {
      maxPayloadLength: this.cfg.maxFrameLength,
      // Above this uWS would drop a message silently: make sure flow control never gets there
      // (a reverse Tx has at most maxWritesInFlight frames of batchBytes out after the buffer
      // passed REVERSE_BUFFER_LIMIT, plus acks), and close the connection rather than drop if it
      // ever does (the session then resends everything unacknowledged after the reconnect).
      maxBackpressure: REVERSE_BUFFER_LIMIT + this.cfg.maxWritesInFlight * this.cfg.batchBytes + BACKPRESSURE_SLACK,
      closeOnBackpressureLimit: 1,
      idleTimeout: 0,
      compression: uWS.DISABLED,
      sendPingsAutomatically: false,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => {
        const c = ws.getUserData();
        c.write = (b) => void ws.send(b, true);
        c.shut = (code, r) => ws.end(code, r);
        // uWS copies on send. A frame is done at the next tick (like a socket write's callback),
        // or after `drain` while the send buffer is above the limit: until then later posts
        // coalesce into one frame (a send outside a uWS callback is a syscall of its own).
        c.link = {
          write: (b, done) => {
            if (c.write === closedSend) return;
            ws.send(b, true);
            if (ws.getBufferedAmount() > REVERSE_BUFFER_LIMIT) c.drainWaiters.push(done);
            else process.nextTick(done);
          },
          // A frame in parts: one WebSocket message in fragments, corked into one write (uWS
          // copies each part into its send buffer, so nothing is concatenated here).
          writeParts: (parts, done) => {
            if (c.write === closedSend) return;
            const last = parts.length - 1;
            ws.cork(() => {
              ws.sendFirstFragment(parts[0]!, true);
              for (let i = 1; i < last; i++) ws.sendFragment(parts[i]!);
              ws.sendLastFragment(parts[last]!);
            });
            if (ws.getBufferedAmount() > REVERSE_BUFFER_LIMIT) c.drainWaiters.push(done);
            else process.nextTick(done);
          },
        };
        this.conns.add(c);
      },
      drain: (ws) => {
        const c = ws.getUserData();
        if (c.drainWaiters.length === 0 || ws.getBufferedAmount() > REVERSE_BUFFER_LIMIT) return;
        const w = c.drainWaiters;
        c.drainWaiters = [];
        for (const d of w) d();
      },
      // uWS neuters `msg` after this callback; the queue keeps views into one copy.
      message: (ws, msg) => this.onFrame(ws.getUserData(), this.copyIn(msg)),
      close: (ws, code, message) => {
        const c = ws.getUserData();
        c.write = closedSend;
        c.shut = closedEnd;
        this.closed_(c, code, message.byteLength ? Buffer.from(message).toString() : '');
      },
    });
    app.any('/*', (res) => {
      res.writeStatus('426 Upgrade Required').end('actormesh channel: WebSocket upgrade required');
    });
    const a = this.addr;
    return new Promise((resolve, reject) => {
      const done = (ls: uWS.us_listen_socket | false) => {
        if (!ls) {
          reject(new ChannelError('Server', `cannot listen on ${formatAddr(a)}`, formatAddr(a)));
          return;
        }
        this.listenSocket = ls;
        if (a.transport === 'tcp' && a.port === 0) this.addr = { ...a, port: uWS.us_socket_local_port(ls as unknown as uWS.us_socket) };
        resolve(this);
      };
      if (a.transport === 'tcp') app.listen(a.host, a.port, done);
      else if (a.transport === 'unix') app.listen_unix(done, a.path);
    });
  }

  /**
   * Copies a uWS message out of uWS's receive buffer. Small frames (the latency path: one message
   * per frame) are carved from a shared slab, because `ArrayBuffer.slice` gives every frame its
   * own off-heap backing store (≈ 0.5 µs each); large frames get their own buffer. A slab is freed
   * once no message view into it is referenced any more.
   */
  private copyIn(msg: ArrayBuffer): Uint8Array {
    const n = msg.byteLength;
    if (n > RX_SLAB_COPY_MAX) return new Uint8Array(msg.slice(0));
    if (this.slabPos + n > this.slab.length) {
      this.slab = new Uint8Array(RX_SLAB_BYTES);
      this.slabPos = 0;
    }
    const out = this.slab.subarray(this.slabPos, this.slabPos + n);
    out.set(new Uint8Array(msg));
    // 8-aligned starts keep frames' internal alignment (envelopes sit 4-aligned in a frame).
    this.slabPos = (this.slabPos + n + 7) & ~7;
    return out;
  }
  private slab = new Uint8Array(0);
  private slabPos = 0;

  private upgrade(res: uWS.HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
    const key = req.getHeader('sec-websocket-key');
    const proto = req.getHeader('sec-websocket-protocol');
    const ext = req.getHeader('sec-websocket-extensions');
    const proof = req.getHeader(AUTH_HEADER);
    const retHeader = req.getHeader(RETURN_HEADER);
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    if (this.closed) {
      res.writeStatus('503 Service Unavailable').end('channel closed');
      return;
    }
    if (this.checker) {
      const why = this.checker.check(proof);
      if (why) {
        this.stats.refused++;
        this.log(`refused connection from ${remote} to ${formatAddr(this.addr)}: ${why}`);
        res.writeStatus('401 Unauthorized').end(`actormesh: ${why}`, true);
        return;
      }
    }
    if (this.certChecker) {
      const why = this.certChecker.check(req.getHeader(CLIENT_CERT_HEADER), req.getHeader(CLIENT_PROOF_HEADER));
      if (why) {
        this.stats.refused++;
        this.log(`refused connection from ${remote} to ${formatAddr(this.addr)}: ${why}`);
        res
          .writeStatus(`${CERT_REQUIRED_STATUS} SSL Certificate Required`)
          .writeHeader(REFUSED_HEADER, why.replace(/[^\x20-\x7e]/g, '?'))
          .end(`actormesh: ${why}`, true);
        return;
      }
    }
    const ret = this.returnOf(retHeader);
    if (ret === undefined) {
      this.stats.refused++;
      this.log(
        `refused connection from ${remote} to ${formatAddr(this.addr)}: invalid ${RETURN_HEADER} header ${JSON.stringify(retHeader.slice(0, 80))}; expected a tcp or unix channel address`,
      );
      res.writeStatus('400 Bad Request').end(`actormesh: invalid ${RETURN_HEADER} header`, true);
      return;
    }
    // The status first: uWS would write `200 OK` before the first header, and upgrade() keeps a status already written.
    res.cork(() => {
      res.writeStatus('101 Switching Protocols').writeHeader(INCARNATION_HEADER, this.incarnation);
      res.upgrade(this.newConn(remote, ret || undefined), key, proto, ext, context);
    });
  }

  private protocolError(c: Conn, reason: string): void {
    if (c.closing) return;
    c.closing = true;
    this.stats.protocolErrors++;
    this.log(`closing connection ${c.connId} from ${c.remote}: ${reason}`);
    try {
      c.write(this.enc.reject(reason));
      c.shut(1002, reason.length > 100 ? reason.slice(0, 100) : reason);
    } catch {
      /* already closed */
    }
  }

  /** One WebSocket message; `buf` is owned by the server from now on. */
  private onFrame(c: Conn, buf: Uint8Array): void {
    if (c.closing) return;
    this.stats.frames++;
    let f;
    try {
      f = decodeFrame(buf);
    } catch (e) {
      this.protocolError(c, e instanceof FrameError ? `malformed frame: ${e.message}` : `undecodable frame: ${String(e)}`);
      return;
    }
    switch (f.kind) {
      case FrameKind.Init: {
        if (c.session) return this.protocolError(c, 'second Init on one connection');
        let s = this.sessions.get(f.session);
        if (!s) {
          s = newSession(f.session);
          this.sessions.set(f.session, s);
        }
        const prev = s.conn;
        if (prev && prev !== c) {
          prev.session = undefined;
          this.protocolError(prev, `session ${f.session} taken over by connection ${c.connId}`);
          this.stats.protocolErrors--; // a takeover is not the peer's fault
        }
        s.conn = c;
        c.session = s;
        // Tell the reconnected Tx what already arrived so it trims its resend.
        if (s.next > 0) this.sendAck(s, s.next);
        if (c.returnAddr !== undefined && c.link !== undefined) {
          if (s.reverse === undefined || s.reverse.status === 'Closed')
            s.reverse = new ReverseTx(toAddr(c.returnAddr), this.cfg, randomBytes(8).readBigUInt64BE(0));
          s.reverse.attach(c.link, this.enc.init(s.reverse.id));
        }
        return;
      }
      case FrameKind.Messages: {
        const s = c.session;
        if (!s) return this.protocolError(c, 'Messages frame before Init');
        s.reverse?.heard();
        return this.accept(c, s, f);
      }
      case FrameKind.Ack: {
        const r = c.session?.reverse;
        if (r === undefined) return this.protocolError(c, 'unexpected frame kind Ack from a client without a reverse session; expected Init or Messages');
        r.acked(f.seq);
        return;
      }
      default:
        return this.protocolError(c, `unexpected frame kind ${FrameKind[f.kind]} from a client; expected Init, Messages or Ack`);
    }
  }

  /** A Messages frame of session `s` on connection `c`: exactly once into the queue, then acks. */
  private accept(c: Conn, s: Session, f: DecodedFrame & { kind: FrameKind.Messages }): void {
    const n = f.messages.length;
    if (f.seq > s.next) return this.protocolError(c, `sequence gap in session ${s.id}: expected seq ${s.next}, got ${f.seq}`);
    const skip = s.next - f.seq;
    if (skip >= n) {
      this.stats.retransmitsDropped += n;
      return;
    }
    this.stats.retransmitsDropped += skip;
    this.stats.messages += n - skip;
    this.queue.pushMany(f.messages, skip);
    s.next = f.seq + n;
    s.sinceAck += n - skip;
    if (s.sinceAck >= this.cfg.ackEveryN) this.ackNow(s);
    else if (!s.timer) s.timer = setTimeout(() => this.ackNow(s), this.cfg.ackIntervalMs);
  }

  // ---- the inbound side of a reverse direction (used by NetTx, net-tx.ts) ----

  /** A fresh inbound session for reverse session `id` (not listed with this server's sessions). */
  openInbound(id: bigint): InboundSession {
    return newSession(id);
  }
  /** Binds inbound session `s` to a NetTx connection; tells the peer what already arrived. */
  attachInbound(s: InboundSession, write: (b: Uint8Array) => void, shut: (code: number, reason: string) => void): InboundConn {
    const c = this.newConn('reverse');
    c.write = write;
    c.shut = shut;
    c.session = s;
    s.conn = c;
    if (s.next > 0) this.sendAck(s, s.next);
    return c;
  }
  /** Reverse Messages from the peer on connection `c`. */
  acceptInbound(c: InboundConn, f: DecodedFrame & { kind: FrameKind.Messages }): void {
    const s = c.session;
    if (c.closing || s === undefined) return;
    this.stats.frames++;
    this.accept(c, s, f);
  }
  /** Acks everything received on `c` now (best effort, before the NetTx closes). */
  flushInboundAck(c: InboundConn): void {
    const s = c.session;
    if (s !== undefined && s.conn === c && s.next > s.acked && !this.queue.full) this.sendAck(s, s.next);
  }
  /** The NetTx connection `c` is gone. */
  detachInbound(c: InboundConn): void {
    c.closing = true;
    c.write = closedSend;
    c.shut = closedEnd;
    const s = c.session;
    if (s !== undefined && s.conn === c) {
      s.conn = undefined;
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
      this.deferred.delete(s);
    }
  }
  /**
   * Takes every message synchronously as it arrives, in order, instead of through `recv` (the
   * latency path of a mailbox server: no promise per batch). `onClose` runs when the Rx closes.
   */
  consume(sink: (m: Uint8Array) => void, onClose: () => void): void {
    this.queue.consume(sink, onClose);
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** Logs one line through this server's log (reasons for closed connections). */
  logLine(line: string): void {
    this.log(line);
  }

  private ackNow(s: Session): void {
    if (s.timer) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    if (this.queue.full && !this.closed) {
      this.deferred.add(s);
      this.keepAlive ??= setInterval(() => {
        for (const d of this.deferred) this.sendAck(d, d.acked);
      }, this.cfg.ackIntervalMs);
      return;
    }
    this.sendAck(s, s.next);
  }

  /** Sends Ack(upTo): every message of the session below `upTo` is enqueued. */
  private sendAck(s: Session, upTo: number): void {
    if (upTo === s.next) s.sinceAck = 0;
    const c = s.conn;
    if (!c || c.closing) return;
    s.acked = upTo;
    c.write(this.enc.ack(upTo));
  }

  private closed_(c: Conn, code: number, why: string): void {
    this.conns.delete(c);
    // The server library closes protocol violations itself (e.g. a frame above maxPayloadLength)
    // with 1006 and a reason; a peer that merely went away gives 1006 without one, or a normal code.
    if (!c.closing && ((code === 1006 && why) || (code !== 1000 && code !== 1001 && code !== 1005 && code !== 1006))) {
      this.stats.protocolErrors++;
      this.log(
        `connection ${c.connId} from ${c.remote} closed by the server with code ${code}: ${why || 'no reason'}${/too big|max payload/i.test(why) ? ` (frame above the ${this.cfg.maxFrameLength}-byte limit)` : ''}`,
      );
    }
    c.closing = true;
    c.drainWaiters = [];
    const s = c.session;
    if (s && s.conn === c) {
      s.conn = undefined;
      s.detachedAt = Date.now();
    }
    if (s && s.reverse && c.link) {
      // 1000: the client closed its Tx for good, so the session (and its reverse) is over.
      if (code === 1000 && s.conn === undefined) s.reverse.end(endedError(s.reverse.addr, 'the peer closed the session'));
      else s.reverse.detach(c.link);
    }
  }

  /** Forgets sessions detached for longer than twice the delivery timeout (their Tx gave up). */
  private collectSessions(): void {
    const limit = Date.now() - 2 * this.cfg.deliveryTimeoutMs;
    for (const [id, s] of this.sessions) {
      if (!s.conn && s.detachedAt < limit) {
        if (s.timer) clearTimeout(s.timer);
        s.reverse?.end(endedError(s.reverse.addr, 'its session was forgotten by the server'));
        this.sessions.delete(id);
        this.deferred.delete(s);
      }
    }
  }

  /** Number of live connections (for tests and diagnostics). */
  get connections(): number {
    return this.conns.size;
  }

  /** Flushes acks (best effort), closes every connection and the listener; queued messages stay receivable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    unregisterServed(this);
    clearInterval(this.gc);
    if (this.keepAlive) clearInterval(this.keepAlive);
    for (const s of this.sessions.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
      if (s.next > s.acked) this.sendAck(s, s.next);
      s.reverse?.end(endedError(s.reverse.addr, `the server ${formatAddr(this.addr)} closed`));
    }
    for (const c of [...this.conns]) {
      c.closing = true;
      try {
        c.shut(1001, 'server closing');
      } catch {
        /* gone */
      }
    }
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    if (this.httpServer) {
      this.wss?.close();
      for (const ws of this.wss?.clients ?? []) ws.terminate();
      this.httpServer.close();
      this.httpServer.closeAllConnections();
    }
    const a = this.addr;
    if (a.transport === 'unix' && !a.abstract) {
      try {
        unlinkSync(a.path);
      } catch {
        /* already gone */
      }
    }
    this.queue.close();
  }
}

function newSession(id: bigint): Session {
  return { id, next: 0, acked: 0, sinceAck: 0, conn: undefined, timer: undefined, detachedAt: 0, reverse: undefined };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
