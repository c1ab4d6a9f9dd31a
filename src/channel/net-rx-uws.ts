/**
 * The uWebSockets.js backend of a NetRx (the default): `App` or, with TLS, `SSLApp` (tls.ts);
 * tcp `listen` or unix `listen_unix`. Upgrades are admitted by the NetRx before uWS upgrades them.
 *
 * Invariants enforced here (besides server-backend.ts's):
 * - Frames above `maxFrameLength` are closed by uWS itself (maxPayloadLength).
 * - uWS never drops a message silently: `maxBackpressure` is above what flow control lets into
 *   its send buffer (reverse frames wait for `drain` above REVERSE_BUFFER_LIMIT), and the
 *   connection is closed rather than a message dropped if it is ever reached (the session then
 *   resends everything unacknowledged after the reconnect).
 * - uWS neuters a message's buffer after its callback: frames are copied out first (`copyIn`).
 * - A routed upgrade (a path the sink's `relay` resolves) becomes a relayed connection (relay.ts)
 *   once its upstream is open, or the server's own connection if the upstream cannot be reached.
 */
import uWS from 'uWebSockets.js';
import { formatAddr, type ChannelAddr } from './addr.js';
import { AUTH_HEADER } from './auth.js';
import { ChannelError } from './errors.js';
import { RETURN_HEADER } from './duplex.js';
import { CLIENT_CERT_HEADER, CLIENT_PROOF_HEADER, type ServeTlsOptions } from './tls.js';
import {
  INCARNATION_HEADER,
  RX_SLAB_BYTES,
  RX_SLAB_COPY_MAX,
  closedEnd,
  closedSend,
  type ConnIO,
  type ConnSink,
  type ServerBackend,
} from './server-backend.js';
import { Slab } from '../core/slab.js';
import { RelayConn, openUpstream, type RelayTarget } from './relay.js';

/** How long a relayed upgrade waits for its upstream before the server serves it itself. */
const RELAY_CONNECT_TIMEOUT_MS = 5000;

/** uWS copies a user data object's own properties onto its socket: a relayed one carries its RelayConn. */
interface RelayData {
  readonly relayConn: RelayConn;
}
const isRelay = (u: object): u is RelayData => (u as Partial<RelayData>).relayConn !== undefined;

/** Reverse frames wait for `drain` while uWS buffers more than this (below its maxBackpressure). */
const REVERSE_BUFFER_LIMIT = 256 * 1024;
/** Room in uWS's send buffer for acks and Init frames on top of the reverse frames' bound. */
const BACKPRESSURE_SLACK = 64 * 1024;

export class UwsBackend<C extends ConnIO> implements ServerBackend {
  private readonly app: uWS.TemplatedApp;
  private listenSocket: uWS.us_listen_socket | undefined;
  private readonly relays = new Set<RelayConn>();

  /** `tls` (PEM paths already checked by the caller) makes it an `SSLApp`; `where` names the address in errors. */
  constructor(
    private readonly sink: ConnSink<C>,
    tls: ServeTlsOptions | undefined,
    where: string,
  ) {
    this.app = tls === undefined ? uWS.App() : sslApp(tls, where);
    this.route();
  }

  private route(): void {
    const sink = this.sink;
    const cfg = sink.cfg;
    this.app.ws<C | RelayData>('/*', {
      maxPayloadLength: cfg.maxFrameLength,
      // A reverse Tx has at most maxWritesInFlight frames of batchBytes out after the buffer
      // passed REVERSE_BUFFER_LIMIT, plus acks.
      maxBackpressure: REVERSE_BUFFER_LIMIT + cfg.maxWritesInFlight * cfg.batchBytes + BACKPRESSURE_SLACK,
      closeOnBackpressureLimit: 1,
      idleTimeout: 0,
      compression: uWS.DISABLED,
      sendPingsAutomatically: false,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => {
        const u = ws.getUserData();
        if (isRelay(u)) {
          this.relays.add(u.relayConn);
          u.relayConn.attach({
            send: (b) => void ws.send(b, true),
            close: (code, reason) => (code === undefined ? ws.close() : ws.end(code, reason)),
            bufferedAmount: () => ws.getBufferedAmount(),
          });
          return;
        }
        const c = u;
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
        sink.opened(c);
      },
      drain: (ws) => {
        const c = ws.getUserData();
        if (isRelay(c)) return c.relayConn.drained();
        if (c.drainWaiters.length === 0 || ws.getBufferedAmount() > REVERSE_BUFFER_LIMIT) return;
        const w = c.drainWaiters;
        c.drainWaiters = [];
        for (const d of w) d();
      },
      message: (ws, msg) => {
        const u = ws.getUserData();
        if (isRelay(u)) u.relayConn.fromClient(msg);
        else sink.frame(u, this.copyIn(msg));
      },
      close: (ws, code, message) => {
        const c = ws.getUserData();
        if (isRelay(c)) {
          this.relays.delete(c.relayConn);
          c.relayConn.clientClosed(code);
          return;
        }
        c.write = closedSend;
        c.shut = closedEnd;
        c.drainWaiters = [];
        sink.closed(c, code, message.byteLength ? Buffer.from(message).toString() : '');
      },
    });
    this.app.any('/*', (res) => {
      res.writeStatus('426 Upgrade Required').end('actormesh channel: WebSocket upgrade required');
    });
  }

  private upgrade(res: uWS.HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
    // Headers are read before any response call (uWS invalidates `req` after this callback).
    const key = req.getHeader('sec-websocket-key');
    const proto = req.getHeader('sec-websocket-protocol');
    const ext = req.getHeader('sec-websocket-extensions');
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    const a = this.sink.admit({
      remote,
      proof: req.getHeader(AUTH_HEADER),
      returnHeader: req.getHeader(RETURN_HEADER),
      clientCert: req.getHeader(CLIENT_CERT_HEADER),
      clientProof: req.getHeader(CLIENT_PROOF_HEADER),
    });
    if (!a.ok) {
      res.cork(() => {
        res.writeStatus(a.status);
        for (const [k, v] of Object.entries(a.headers ?? {})) res.writeHeader(k, v);
        res.end(a.body, true);
      });
      return;
    }
    const url = req.getUrl();
    const target = url.length > 1 ? this.sink.relay?.(url.slice(1)) : undefined;
    if (target !== undefined) return this.relayUpgrade(res, target, key, proto, ext, context, remote, a.ret);
    this.upgradeOwn(res, key, proto, ext, context, remote, a.ret);
  }

  /** Upgrades to a connection of the server itself. */
  private upgradeOwn(res: uWS.HttpResponse, key: string, proto: string, ext: string, context: uWS.us_socket_context_t, remote: string, ret: string): void {
    // The status first: uWS would write `200 OK` before the first header, and upgrade() keeps a status already written.
    res.cork(() => {
      res.writeStatus('101 Switching Protocols').writeHeader(INCARNATION_HEADER, this.sink.incarnation);
      res.upgrade(this.sink.newConn(remote, ret), key, proto, ext, context);
    });
  }

  /** Opens the upstream of a routed upgrade, then upgrades the client into a relayed connection. */
  private relayUpgrade(
    res: uWS.HttpResponse,
    target: RelayTarget,
    key: string,
    proto: string,
    ext: string,
    context: uWS.us_socket_context_t,
    remote: string,
    ret: string,
  ): void {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void openUpstream(target, { maxPayload: this.sink.cfg.maxFrameLength, timeoutMs: RELAY_CONNECT_TIMEOUT_MS, incarnationHeader: INCARNATION_HEADER }).then(
      (opened) => {
        if (aborted) {
          opened?.up.terminate();
          return;
        }
        if (opened === undefined) return this.upgradeOwn(res, key, proto, ext, context, remote, ret);
        const rc = new RelayConn(opened.up, remote);
        res.cork(() => {
          res.writeStatus('101 Switching Protocols').writeHeader(INCARNATION_HEADER, opened.incarnation);
          res.upgrade({ relayConn: rc }, key, proto, ext, context);
        });
      },
    );
  }

  /**
   * Copies a uWS message out of uWS's receive buffer. Small frames (the latency path: one message
   * per frame) are carved from a shared slab, because `ArrayBuffer.slice` gives every frame its
   * own off-heap backing store (≈ 0.5 µs each); large frames get their own buffer. 8-aligned
   * starts keep frames' internal alignment (envelopes sit 4-aligned in a frame).
   */
  private copyIn(msg: ArrayBuffer): Uint8Array {
    return this.rxSlab.copy(new Uint8Array(msg));
  }
  private readonly rxSlab = new Slab(RX_SLAB_BYTES, { max: RX_SLAB_COPY_MAX, align: 8 });

  listen(a: ChannelAddr): Promise<number> {
    return new Promise((resolve, reject) => {
      const done = (ls: uWS.us_listen_socket | false) => {
        if (!ls) {
          reject(new ChannelError('Server', `uWS could not listen on ${formatAddr(a)} (address in use or not available?)`, formatAddr(a)));
          return;
        }
        this.listenSocket = ls;
        resolve(a.transport === 'tcp' ? uWS.us_socket_local_port(ls as unknown as uWS.us_socket) : 0);
      };
      if (a.transport === 'tcp') this.app.listen(a.host, a.port, done);
      else if (a.transport === 'unix') this.app.listen_unix(done, a.path);
    });
  }

  close(): void {
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    for (const r of [...this.relays]) r.terminate();
    this.relays.clear();
  }
}

/** The uWS SSLApp for `tls`. */
function sslApp(tls: ServeTlsOptions, where: string): uWS.TemplatedApp {
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
