/**
 * The network Tx: a `ws` client (permessage-deflate off; unix sockets via `ws+unix:`) running one
 * session (Monarch hyperactor/src/channel/net.rs `NetTx`). The FIFO, acks, window, delivery timeout and return paths are
 * `SessionTx`'s (session-tx.ts); this module owns the connection.
 *
 * Invariants enforced here:
 * - After any (re)connect the client sends Init(session) first, then resends every unacked
 *   message from the oldest (SessionTx.linkUp); the server drops the ones it already has
 *   (docs/architecture.md CH-1).
 * - One frame is one WebSocket message: a frame given as parts (`writeParts`) is sent as that
 *   message's fragments, back to back under one cork, each with a zero masking key (no copy).
 * - The upgrade is refused (401/403) → the Tx is Closed for good (`Unauthorized`); a Reject frame
 *   → Closed (`Rejected`); any other loss → reconnect with exponential backoff until the delivery
 *   timeout.
 * - Duplex (duplex.ts): dialed with `returnRx` (a NetRx of this process), the upgrade announces
 *   that Rx's address while it listens, and the server may send a reverse session
 *   (Init(reverseId) + Messages) back over this socket. Those messages go into that Rx's queue
 *   through a `SessionRx` (session-rx.ts) that lives as long as this Tx (dedup by seq across
 *   reconnects, acks held back while the Rx is full).
 *   Anything malformed, or reverse Messages nobody asked for, closes only this connection.
 * - The connection (socket and reconnect timer) keeps the process alive only while messages are
 *   pending (SessionTx.keepAlive): an idle Tx never holds a finished program open.
 * - Incarnation: the Tx records the server's incarnation (upgrade response header) of its first
 *   connection. A later connection answered by another incarnation means the server restarted
 *   and the session is gone: the Tx is Closed for good (`ServerRestarted`) before it sends Init,
 *   so no old sequence number ever reaches the new server, and every unacknowledged message goes
 *   back through its return path (as with `abort`) (docs/architecture.md CH-6).
 * - `link` tells failure detectors whether the connection is up (open and Init sent) and since
 *   when it is down; a slow peer that holds back acks is still connected.
 * - TLS (`tls`, tls.ts): the Tx dials `wss://`; a certificate verification failure (the server's
 *   certificate, or the server refusing ours, or a 496 refusal for want of a client
 *   certificate) Closes it for good with `TlsError`; other connection failures reconnect.
 */
import WebSocket from 'ws';
import { randomBytes, randomFillSync } from 'node:crypto';
import { type ChannelAddr, formatAddr, wsUrl } from './addr.js';
import { AUTH_HEADER, makeProof, type Secret } from './auth.js';
import { channelConfig, type ChannelConfig } from './config.js';
import { ChannelError } from './errors.js';
import { RETURN_HEADER, addrKey } from './duplex.js';
import { SessionTx, type FrameLink } from './session-tx.js';
import { SessionRx, type AckLink } from './session-rx.js';
import { NetRx } from './net-rx.js';
import { INCARNATION_HEADER, RX_SLAB_BYTES, RX_SLAB_COPY_MAX } from './server-backend.js';
import { CERT_REQUIRED_STATUS, ClientCertProver, REFUSED_HEADER, certFailure, readPem, tlsReason, type DialTlsOptions } from './tls.js';
import type { LinkState, Rx } from './types.js';
import type { IncomingMessage } from 'node:http';
import { FrameEncoder, FrameKind, decodeFrame } from '../wire/frames.js';
import { Slab } from '../core/slab.js';

export interface DialOptions extends Partial<ChannelConfig> {
  /** The mesh secret to prove in the upgrade request. */
  secret?: Secret;
  /** First reconnect delay (ms); doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Duplex: an Rx this process serves (as returned by `serve`; a network one). Its address is
   * announced in the upgrade, and the peer may then send its traffic for that address back over
   * this connection, into this Rx (duplex.ts). Not announced once the Rx is closed.
   */
  returnRx?: Rx;
  /**
   * Dial over TLS (`wss://`; tcp addresses only; PEM file paths, see tls.ts). Give `cert` and
   * `key` for a server that requires client certificates (mutual TLS).
   */
  tls?: DialTlsOptions;
}

export class NetTx extends SessionTx {
  private readonly url: string;
  private readonly secret: Secret | undefined;
  private readonly session = randomBytes(8).readBigUInt64BE(0);
  private readonly enc = new FrameEncoder(256);
  private ws: WebSocket | undefined;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  /** Duplex: the NetRx reverse messages go to, and its inbound state (one reverse session at a time). */
  private readonly returnRx: NetRx | undefined;
  private readonly returnKey: string | undefined;
  private inbound: SessionRx | undefined;
  private inConn: (AckLink & { closing: boolean }) | undefined;
  /**
   * Received frames are copied here when `ws` hands them unaligned (envelopes are read
   * 4-aligned): small ones into the slab, 8-aligned, larger ones into a buffer of their own.
   */
  private readonly rxSlab = new Slab(RX_SLAB_BYTES, { max: RX_SLAB_COPY_MAX, align: 8 });
  /** The server incarnation of the first connection (undefined until then, or if the server sends none). */
  private incarnation: string | undefined;
  /** Link state for failure detectors (see `link`). */
  private connected = false;
  private downSince = Date.now();
  /** TLS: the options handed to `tls.connect` (file contents), and the client certificate prover. */
  private readonly tlsConnect: { ca: Buffer; cert?: Buffer; key?: Buffer; servername?: string } | undefined;
  private readonly prover: ClientCertProver | undefined;

  constructor(addr: ChannelAddr, opts: DialOptions = {}) {
    const o: Partial<DialOptions> = {};
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    delete o.returnRx;
    delete o.tls;
    const cfg: ChannelConfig = { ...channelConfig(), ...o };
    super(addr, cfg);
    this.secret = opts.secret;
    this.minBackoff = opts.minBackoffMs ?? 5;
    this.maxBackoff = opts.maxBackoffMs ?? 1000;
    this.backoff = this.minBackoff;
    const where = formatAddr(addr);
    const tls = opts.tls;
    // A routed address asks for its route as the WebSocket path (a worker relays it, relay.ts).
    const url = wsUrl(addr, tls !== undefined);
    if (url === undefined) throw new ChannelError('InvalidAddress', `cannot dial ${where} over the network; expected tcp:IP:PORT or unix:/path`, where);
    this.url = url;
    if (tls !== undefined) {
      if (addr.transport !== 'tcp') throw new ChannelError('TlsError', `TLS is supported on tcp addresses only, not ${where}`, where);
      if ((tls.cert === undefined) !== (tls.key === undefined))
        throw new ChannelError('TlsError', `tls.cert and tls.key go together (dialing ${where})`, where);
      const c: { ca: Buffer; cert?: Buffer; key?: Buffer; servername?: string } = { ca: readPem(tls.ca, 'ca', where) };
      if (tls.cert !== undefined && tls.key !== undefined) {
        c.cert = readPem(tls.cert, 'cert', where);
        c.key = readPem(tls.key, 'key', where);
        this.prover = new ClientCertProver(c.cert, c.key, where);
      }
      if (tls.servername !== undefined) c.servername = tls.servername;
      this.tlsConnect = c;
    }
    if (opts.returnRx !== undefined) {
      if (!(opts.returnRx instanceof NetRx))
        throw new ChannelError('InvalidAddress', `returnRx must be a network Rx (tcp or unix), not one serving ${formatAddr(opts.returnRx.addr)}`, where);
      this.returnRx = opts.returnRx;
      this.returnKey = addrKey(opts.returnRx.addr);
    }
    this.connect();
  }

  private connect(): void {
    if (this.status === 'Closed') return;
    const headers: Record<string, string> = {};
    if (this.secret !== undefined) headers[AUTH_HEADER] = makeProof(this.secret);
    // Announce the return address only while the Rx listens.
    if (this.returnRx !== undefined && !this.returnRx.isClosed) headers[RETURN_HEADER] = this.returnKey!;
    if (this.prover !== undefined) Object.assign(headers, this.prover.headers());
    const ws = new WebSocket(this.url, {
      ...this.tlsConnect,
      perMessageDeflate: false,
      headers,
      maxPayload: this.cfg.maxFrameLength,
      handshakeTimeout: 10_000,
      // Masking keys per frame size, see `maskKey`.
      generateMask: maskKey,
    });
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('upgrade', (res) => this.onUpgrade(ws, res));
    ws.on('open', () => {
      if (ws !== this.ws) return;
      this.backoff = this.minBackoff;
      ws.send(this.enc.init(this.session).slice());
      this.connected = true;
      // The socket under `ws` (a private field of ws 8): corked around the fragments of one
      // frame, so they leave in one writev.
      const sock = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
      const link: FrameLink = {
        write(frame, done) {
          zeroMaskNext = frame.length >= MERGE_BELOW;
          ws.send(frame, { binary: true }, done);
        },
        writeParts(parts, done) {
          // One WebSocket message in fragments, each with a zero masking key (no copy).
          sock?.cork();
          const last = parts.length - 1;
          for (let i = 0; i < last; i++) {
            zeroMaskNext = true;
            ws.send(parts[i]!, FRAGMENT);
          }
          zeroMaskNext = true;
          ws.send(parts[last]!, LAST_FRAGMENT, done);
          sock?.uncork();
        },
      };
      this.applyRef();
      this.linkUp(link);
    });
    ws.on('message', (data: Buffer) => this.onFrame(ws, data));
    ws.on('unexpected-response', (req, res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      if (code === CERT_REQUIRED_STATUS) {
        const why = res.headers[REFUSED_HEADER];
        this.fail(
          new ChannelError(
            'TlsError',
            `server ${formatAddr(this.addr)} refused the connection (${code}): mutual TLS requires a client certificate issued by its CA: ${typeof why === 'string' ? why : 'no valid client certificate'}${this.prover === undefined ? ' (this Tx has no tls.cert/tls.key)' : ''}`,
            formatAddr(this.addr),
          ),
        );
      } else if (code === 401 || code === 403)
        this.fail(
          new ChannelError(
            'Unauthorized',
            `server ${formatAddr(this.addr)} refused the connection (${code}): wrong or missing mesh secret`,
            formatAddr(this.addr),
          ),
        );
      else this.lost(ws);
    });
    ws.on('error', (e) => this.onError(ws, e));
    ws.on('close', () => this.lost(ws));
  }

  /**
   * The link's state for failure detectors: `connected` while a WebSocket is open and Init was
   * sent on it; else `downSinceMs`, the `Date.now()` at which it was lost (or at which this Tx was
   * made, if it never connected). A slow peer holding back acks stays connected.
   */
  get link(): LinkState {
    return { connected: this.connected, downSinceMs: this.connected ? undefined : this.downSince };
  }

  /** The upgrade succeeded: a server of another incarnation than the first means the session is lost. */
  private onUpgrade(ws: WebSocket, res: IncomingMessage): void {
    if (ws !== this.ws) return;
    const h = res.headers[INCARNATION_HEADER];
    if (typeof h !== 'string' || h === '') return;
    if (this.incarnation === undefined) {
      this.incarnation = h;
      return;
    }
    if (h === this.incarnation) return;
    const a = formatAddr(this.addr);
    const n = this.buffered.messages;
    // Before 'open': no Init, no resend reaches the new server (fail terminates the handshake).
    this.fail(
      new ChannelError(
        'ServerRestarted',
        `server ${a} restarted (incarnation ${this.incarnation} is gone, ${h} answered the reconnect): the session is lost, so the ${n} message(s) not acknowledged before were not delivered`,
        a,
      ),
    );
  }

  /** A connection error: certificate verification failures end the Tx (`TlsError`), anything else reconnects. */
  private onError(ws: WebSocket, e: Error & { code?: unknown }): void {
    if (ws !== this.ws) return;
    const cert = this.tlsConnect !== undefined ? certFailure(e) : undefined;
    if (cert === undefined) return this.lost(ws);
    const a = formatAddr(this.addr);
    const code = typeof e.code === 'string' ? ` (${e.code})` : '';
    const what =
      cert === 'peer'
        ? "the server refused this client's certificate"
        : e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || e.code === 'HOSTNAME_MISMATCH'
          ? `the server's certificate is not issued for ${this.tlsConnect!.servername ?? 'this address'}`
          : "the server's certificate did not verify against tls.ca";
    this.fail(new ChannelError('TlsError', `TLS handshake with ${a} failed: ${what}: ${tlsReason(e)}${code}`, a, { cause: e }));
  }

  /** The connection is gone: reconnect with backoff (status stays Active). */
  private lost(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.linkLost();
    this.dropInbound();
    this.linkDown();
    ws.removeAllListeners('open');
    ws.removeAllListeners('message');
    ws.on('error', () => {});
    try {
      ws.terminate();
    } catch {
      /* not open */
    }
    if (this.status === 'Closed' || this.reconnectTimer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.maxBackoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.applyRef();
  }

  protected override keepAlive(_on: boolean): void {
    this.applyRef();
  }

  /** Refs the socket and the reconnect timer while messages are pending, unrefs them otherwise. */
  private applyRef(): void {
    const on = this.keepingAlive;
    const sock = (this.ws as unknown as { _socket?: { ref?(): void; unref?(): void } } | undefined)?._socket;
    if (on) {
      sock?.ref?.();
      this.reconnectTimer?.ref();
    } else {
      sock?.unref?.();
      this.reconnectTimer?.unref();
    }
  }

  /** Closes this connection for cause (the server spoke garbage); the Tx reconnects. */
  private broken(ws: WebSocket, why: string): void {
    this.returnRx?.logLine(`closing connection to ${formatAddr(this.addr)}: ${why}`);
    this.lost(ws);
  }

  private onFrame(ws: WebSocket, data: Buffer): void {
    if (ws !== this.ws) return;
    this.heard();
    // Reverse messages stay views into the frame: it must start 8-aligned (envelopes are read
    // 4-aligned, as net-rx-uws.ts's copyIn guarantees for the forward direction).
    const buf = this.returnRx !== undefined && (data.byteOffset & 7) !== 0 ? this.rxSlab.copy(data) : data;
    let f;
    try {
      f = decodeFrame(buf);
    } catch (e) {
      this.broken(ws, `malformed frame: ${(e as Error).message}`);
      return;
    }
    switch (f.kind) {
      case FrameKind.Ack:
        this.acked(f.seq);
        return;
      case FrameKind.Reject:
        this.fail(new ChannelError('Rejected', `server ${formatAddr(this.addr)} rejected the session: ${f.reason}`, formatAddr(this.addr)));
        return;
      case FrameKind.Init: {
        // The server opens (or resumes) the reverse direction of this session.
        const rx = this.returnRx;
        if (rx === undefined || rx.isClosed) return this.broken(ws, 'reverse session offered but no return address was announced');
        if (this.inbound === undefined || this.inbound.id !== f.session) this.inbound = new SessionRx(f.session, rx.inbox);
        this.dropInbound();
        this.inConn = { closing: false, write: (b) => ws.send(b) };
        this.inbound.attach(this.inConn);
        return;
      }
      case FrameKind.Messages: {
        const rx = this.returnRx;
        const s = this.inbound;
        if (rx === undefined || s === undefined || this.inConn === undefined) return this.broken(ws, 'reverse Messages before the reverse Init');
        if (rx.isClosed) return; // not acked: the peer's delivery timeout returns them
        rx.stats.frames++;
        const gap = s.accept(f.seq, f.messages);
        if (gap !== undefined) {
          rx.stats.protocolErrors++;
          this.broken(ws, gap);
        }
        return;
      }
    }
  }

  private dropInbound(): void {
    const c = this.inConn;
    if (c === undefined) return;
    this.inConn = undefined;
    c.closing = true;
    if (this.inbound !== undefined && this.inbound.link === c) {
      this.inbound.detach(c);
      this.inbound.quiesce();
    }
  }

  private linkLost(): void {
    if (!this.connected) return;
    this.connected = false;
    this.downSince = Date.now();
  }

  protected teardown(): void {
    this.linkLost();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    // Acknowledge what the reverse direction delivered, so the peer returns only the rest.
    if (ws && this.inConn && this.returnRx && !this.returnRx.queue.full) this.inbound?.flushAck();
    this.dropInbound();
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      try {
        // Code 1000 tells the server this session is over (it ends the reverse direction).
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        else ws.terminate();
      } catch {
        /* not open */
      }
    }
  }
}

/**
 * Frames of at least this many bytes get a zero masking key: still flagged masked (as RFC 6455
 * requires of clients), but `ws` neither XORs nor copies the payload and writes header + our bytes
 * with one writev (masking protects browsers' proxies, not us). Smaller frames get a random key,
 * so `ws` masks them into one buffer with its header: one plain write, which on the latency path
 * (one small frame per round trip) is measurably cheaper than a two-buffer writev.
 */
const MERGE_BELOW = 4096;
const FRAGMENT = { binary: true, fin: false } as const;
const LAST_FRAGMENT = { binary: true, fin: true } as const;
/** Set by the link right before each Messages `ws.send` (which calls `maskKey` synchronously). */
let zeroMaskNext = false;
const maskPool = Buffer.alloc(1024);
let maskAt = maskPool.length;
function maskKey(mask: Buffer): void {
  if (zeroMaskNext) {
    zeroMaskNext = false;
    mask[0] = mask[1] = mask[2] = mask[3] = 0;
    return;
  }
  if (maskAt === maskPool.length) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  mask[0] = maskPool[maskAt++]!;
  mask[1] = maskPool[maskAt++]!;
  mask[2] = maskPool[maskAt++]!;
  mask[3] = maskPool[maskAt++]!;
}
