/**
 * The `ws` backend of a NetRx: a node http server whose upgrades are admitted by the NetRx
 * before `ws` handles them (same protocol as the uWS backend; kept as a fallback and to measure
 * what uWS buys). No TLS (the NetRx refuses `tls` with this backend).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import type { ChannelAddr } from './addr.js';
import { AUTH_HEADER } from './auth.js';
import { RETURN_HEADER } from './duplex.js';
import { CLIENT_CERT_HEADER, CLIENT_PROOF_HEADER } from './tls.js';
import { INCARNATION_HEADER, closedEnd, closedSend, type ConnIO, type ConnSink, type ServerBackend } from './server-backend.js';

const header = (v: string | string[] | undefined): string => (typeof v === 'string' ? v : '');

export class WsBackend<C extends ConnIO> implements ServerBackend {
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;

  constructor(private readonly sink: ConnSink<C>) {
    this.server = http.createServer((_req, res) => {
      res.writeHead(426).end('actormesh channel: WebSocket upgrade required');
    });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: sink.cfg.maxFrameLength });
    this.wss = wss;
    wss.on('headers', (headers) => headers.push(`${INCARNATION_HEADER}: ${sink.incarnation}`));
    this.server.on('upgrade', (req, socket, head) => {
      const remote = req.socket.remoteAddress ?? 'unix';
      const h = req.headers;
      const a = sink.admit({
        remote,
        proof: header(h[AUTH_HEADER]),
        returnHeader: header(h[RETURN_HEADER]),
        clientCert: header(h[CLIENT_CERT_HEADER]),
        clientProof: header(h[CLIENT_PROOF_HEADER]),
      });
      if (!a.ok) {
        const extra = Object.entries(a.headers ?? {})
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        socket.end(`HTTP/1.1 ${a.status}\r\n${extra}Connection: close\r\nContent-Length: ${Buffer.byteLength(a.body)}\r\n\r\n${a.body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
        const c = sink.newConn(remote, a.ret);
        c.write = (b) => ws.send(b);
        c.shut = (code, r) => ws.close(code, r);
        // `ws` may keep the frame's bytes until the write completes.
        c.link = { write: (b, done) => (c.write === closedSend ? undefined : ws.send(b, () => done())) };
        sink.opened(c);
        ws.on('message', (data: Buffer) => sink.frame(c, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
        let err = '';
        ws.on('error', (e) => {
          err = e.message;
        });
        ws.on('close', (code) => {
          c.write = closedSend;
          c.shut = closedEnd;
          sink.closed(c, code === 1009 || err ? 1006 : code, err);
        });
      });
    });
  }

  listen(a: ChannelAddr): Promise<number> {
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => resolve(a.transport === 'tcp' ? (server.address() as AddressInfo).port : 0);
      if (a.transport === 'tcp') server.listen(a.port, a.host, done);
      else if (a.transport === 'unix') server.listen(a.path, done);
    });
  }

  close(): void {
    this.wss.close();
    for (const ws of this.wss.clients) ws.terminate();
    this.server.close();
    this.server.closeAllConnections();
  }
}
