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
 */
import uWS from 'uWebSockets.js';
import type { ChannelAddr } from './addr.js';
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

/** Reverse frames wait for `drain` while uWS buffers more than this (below its maxBackpressure). */
const REVERSE_BUFFER_LIMIT = 256 * 1024;
/** Room in uWS's send buffer for acks and Init frames on top of the reverse frames' bound. */
const BACKPRESSURE_SLACK = 64 * 1024;

export class UwsBackend<C extends ConnIO> implements ServerBackend {
  private readonly app: uWS.TemplatedApp;
  private listenSocket: uWS.us_listen_socket | undefined;

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
    this.app.ws<C>('/*', {
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
        sink.opened(c);
      },
      drain: (ws) => {
        const c = ws.getUserData();
        if (c.drainWaiters.length === 0 || ws.getBufferedAmount() > REVERSE_BUFFER_LIMIT) return;
        const w = c.drainWaiters;
        c.drainWaiters = [];
        for (const d of w) d();
      },
      message: (ws, msg) => sink.frame(ws.getUserData(), this.copyIn(msg)),
      close: (ws, code, message) => {
        const c = ws.getUserData();
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
    // The status first: uWS would write `200 OK` before the first header, and upgrade() keeps a status already written.
    res.cork(() => {
      res.writeStatus('101 Switching Protocols').writeHeader(INCARNATION_HEADER, this.sink.incarnation);
      res.upgrade(this.sink.newConn(remote, a.ret), key, proto, ext, context);
    });
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
          reject(new Error('uWS could not listen'));
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
