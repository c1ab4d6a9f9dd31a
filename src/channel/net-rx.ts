/**
 * The network Rx: a WebSocket server (server-backend.ts: uWebSockets.js by default, net-rx-uws.ts;
 * or the `ws` server, net-rx-ws.ts) where each WebSocket carries one Tx session (Monarch
 * hyperactor/src/channel/net.rs `NetRx`, `tcp::serve`, `unix::serve`).
 *
 * Invariants enforced here:
 * - Authentication happens in `upgrade`: without a valid proof (auth.ts) the request gets 401
 *   and no WebSocket exists, so nothing the client sent is ever read as a frame
 *   (docs/architecture.md CH-5).
 * - One `SessionRx` per client session (session-rx.ts: exactly once into the queue, cumulative
 *   acks held back while the queue is full): a Messages frame is accepted only after Init; a
 *   sequence gap is answered with Reject and the connection is closed. A newer connection with
 *   the same session takes the session over and the stale one is closed.
 * - Any malformed frame closes only that connection, with a logged reason (and a Reject frame);
 *   frames above `maxFrameLength` are closed by the backend itself and logged
 *   (docs/architecture.md WIRE-1).
 * - Duplex (duplex.ts): a client that announced its return address in the upgrade gets a reverse
 *   Tx for its session (attached to the session's current connection, re-attached on reconnect,
 *   ended by a clean close 1000 of the client, by session collection or by `close()`); Ack
 *   frames from that client acknowledge the reverse direction. Reverse frames are written while
 *   the socket's send buffer has room, then after its `drain` (net-rx-uws.ts).
 * - The reverse direction of a NetTx dialed with this Rx as its `returnRx` feeds this queue
 *   through the same `SessionInbox` (`inbox`), so its acks are held back while the queue is full.
 * - Incarnation: each NetRx picks a random `incarnation` when it starts listening and its backend
 *   sends it in every upgrade response (header `INCARNATION_HEADER`). Sessions live in one
 *   incarnation only, so a NetTx that reconnects to a different one knows its session is lost
 *   (docs/architecture.md CH-6).
 * - TLS (`tls` option, uws backend only, tls.ts): served by uWS `SSLApp`; with `tls.ca` an upgrade
 *   without a valid client certificate proof is refused (496) before any frame is read, after
 *   the secret was checked (both apply).
 */
import { existsSync, unlinkSync } from 'node:fs';
import { type ChannelAddr, formatAddr, toAddr } from './addr.js';
import { ProofChecker, type Secret } from './auth.js';
import { channelConfig, type ChannelConfig } from './config.js';
import { ChannelError, FrameError } from './errors.js';
import { QueuedRx, RxQueue } from './queue.js';
import type { Rx } from './types.js';
import { RETURN_HEADER, ReverseTx, addrKey, endedError } from './duplex.js';
import { closedEnd, closedSend, type Admission, type ConnIO, type ConnSink, type ServerBackend, type UpgradeRequest } from './server-backend.js';
import { UwsBackend } from './net-rx-uws.js';
import type { RelayResolver } from './relay.js';
import { WsBackend } from './net-rx-ws.js';
import { SessionInbox, SessionRx, type RxStats } from './session-rx.js';
import { FrameEncoder, FrameKind, decodeFrame } from '../wire/frames.js';
import { randomBytes } from 'node:crypto';
import { CERT_REQUIRED_STATUS, ClientCertChecker, REFUSED_HEADER, readPem, type ServeTlsOptions } from './tls.js';

export { INCARNATION_HEADER } from './server-backend.js';

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
  /**
   * Relays (uws backend): an upgrade whose WebSocket path this resolves is joined to the
   * connection it names instead of being served here (relay.ts: a worker's port to its procs).
   */
  relay?: RelayResolver;
}

/** A client session of this server: its receiving state, and the reverse direction if any. */
class Session extends SessionRx<Conn> {
  /** Duplex: the reverse direction of this session (its client announced a return address). */
  reverse: ReverseTx | undefined;
}

interface Conn extends ConnIO {
  session: Session | undefined;
  /** Set once we decided to close it; later frames are ignored. */
  closing: boolean;
  /** Duplex: the return address the client announced (canonical form), if any. */
  returnAddr: string | undefined;
}

let nextConnId = 1;

export class NetRx extends QueuedRx implements Rx {
  readonly queue: RxQueue;
  private readonly sessions = new Map<bigint, Session>();
  private readonly conns = new Set<Conn>();
  private readonly enc = new FrameEncoder(256);
  /** The queue, config and held-back acks shared by this server's sessions and reverse inbound ones. */
  readonly inbox: SessionInbox;
  private backend: ServerBackend | undefined;
  private readonly gc: NodeJS.Timeout;
  private closed = false;
  private readonly acceptReturn: boolean;
  /** Random id of this server instance, sent in every upgrade response (`INCARNATION_HEADER`). */
  readonly incarnation = randomBytes(8).toString('hex');
  /** Routed upgrades (uws backend): where a route leads (relay.ts). */
  private relay: RelayResolver | undefined;
  /** Mutual TLS: checks the client certificate proofs (server with `tls.ca`). */
  private certChecker: ClientCertChecker | undefined;
  /** Counters for tests and diagnostics. */
  readonly stats: RxStats = { frames: 0, messages: 0, retransmitsDropped: 0, protocolErrors: 0, refused: 0 };

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
    this.inbox = new SessionInbox(this.queue, cfg, this.stats, this.enc);
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
    const where = formatAddr(addr);
    try {
      if (opts.tls !== undefined) {
        if (opts.backend === 'ws')
          throw new ChannelError('TlsError', `TLS is not supported with backend 'ws' (serving ${where}); use the default uws backend`, where);
        if (addr.transport !== 'tcp') throw new ChannelError('TlsError', `TLS is supported on tcp addresses only, not ${where}`, where);
        // Files checked first, so that a bad path gets a clear error.
        readPem(opts.tls.cert, 'cert', where);
        readPem(opts.tls.key, 'key', where);
        if (opts.tls.ca !== undefined) rx.certChecker = new ClientCertChecker(readPem(opts.tls.ca, 'ca', where), where);
      }
      rx.relay = opts.relay;
      const sink = rx.sink();
      rx.backend = opts.backend === 'ws' ? new WsBackend(sink) : new UwsBackend(sink, opts.tls, where);
    } catch (e) {
      return Promise.reject(e);
    }
    return rx.backend.listen(addr).then(
      (port) => {
        if (addr.transport === 'tcp' && addr.port === 0) rx.addr = { ...addr, port };
        return rx;
      },
      (e: unknown) => {
        throw new ChannelError('Server', `cannot listen on ${where}${e instanceof Error ? `: ${e.message}` : ''}`, where, { cause: e });
      },
    );
  }

  /** This server as its backend sees it. */
  private sink(): ConnSink<Conn> {
    return {
      cfg: this.cfg,
      incarnation: this.incarnation,
      ...(this.relay !== undefined ? { relay: this.relay } : {}),
      admit: (req) => this.admit(req),
      newConn: (remote, ret) => this.newConn(remote, ret),
      opened: (c) => this.conns.add(c),
      frame: (c, buf) => this.onFrame(c, buf),
      closed: (c, code, why) => this.closed_(c, code, why),
    };
  }

  /** A connection admitted with return address `ret` ('' for none). */
  private newConn(remote: string, ret: string): Conn {
    return {
      connId: nextConnId++,
      remote,
      session: undefined,
      closing: false,
      write: closedSend,
      shut: closedEnd,
      returnAddr: ret || undefined,
      link: undefined,
      drainWaiters: [],
    };
  }
  /**
   * Admission of an upgrade: the mesh secret's proof, then (mutual TLS) the
   * client certificate's, then a valid return address if one is announced.
   */
  private admit(req: UpgradeRequest): Admission {
    if (this.closed) return { ok: false, status: '503 Service Unavailable', body: 'channel closed' };
    const refuse = (why: string): void => {
      this.stats.refused++;
      this.log(`refused connection from ${req.remote} to ${formatAddr(this.addr)}: ${why}`);
    };
    const why = this.checker?.check(req.proof);
    if (why) {
      refuse(why);
      return { ok: false, status: '401 Unauthorized', body: `actormesh: ${why}` };
    }
    const certWhy = this.certChecker?.check(req.clientCert, req.clientProof);
    if (certWhy) {
      refuse(certWhy);
      return {
        ok: false,
        status: `${CERT_REQUIRED_STATUS} SSL Certificate Required`,
        body: `actormesh: ${certWhy}`,
        headers: { [REFUSED_HEADER]: certWhy.replace(/[^\x20-\x7e]/g, '?') },
      };
    }
    const ret = this.returnOf(req.returnHeader);
    if (ret === undefined) {
      refuse(`invalid ${RETURN_HEADER} header ${JSON.stringify(req.returnHeader.slice(0, 80))}; expected a tcp or unix channel address`);
      return { ok: false, status: '400 Bad Request', body: `actormesh: invalid ${RETURN_HEADER} header` };
    }
    return { ok: true, ret };
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
          s = new Session(f.session, this.inbox);
          this.sessions.set(f.session, s);
        }
        const prev = s.link;
        if (prev && prev !== c) {
          prev.session = undefined;
          this.protocolError(prev, `session ${f.session} taken over by connection ${c.connId}`);
          this.stats.protocolErrors--; // a takeover is not the peer's fault
        }
        c.session = s;
        s.attach(c);
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
        const gap = s.accept(f.seq, f.messages);
        if (gap !== undefined) this.protocolError(c, gap);
        return;
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

  /** Connection `c` closed with `code` (1006 when it just went away). */
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
    s?.detach(c);
    if (s && s.reverse && c.link) {
      // 1000: the client closed its Tx for good, so the session (and its reverse) is over.
      if (code === 1000 && s.link === undefined) s.reverse.end(endedError(s.reverse.addr, 'the peer closed the session'));
      else s.reverse.detach(c.link);
    }
  }

  /** Forgets sessions detached for longer than twice the delivery timeout (their Tx gave up). */
  private collectSessions(): void {
    const limit = Date.now() - 2 * this.cfg.deliveryTimeoutMs;
    for (const [id, s] of this.sessions) {
      if (!s.link && s.detachedAt < limit) {
        s.quiesce();
        s.reverse?.end(endedError(s.reverse.addr, 'its session was forgotten by the server'));
        this.sessions.delete(id);
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
    this.inbox.close();
    clearInterval(this.gc);
    for (const s of this.sessions.values()) {
      s.quiesce();
      s.flushAck();
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
    this.backend?.close();
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

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
