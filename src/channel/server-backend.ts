/**
 * The seam between a NetRx (net-rx.ts: sessions, frames, the reverse direction) and the WebSocket
 * server that carries its connections: uWebSockets.js (net-rx-uws.ts, the default) or the
 * pure-JS `ws` server (net-rx-ws.ts, a fallback and a yardstick for what uWS buys).
 *
 * Invariants every backend keeps:
 * - Nothing a client sends is read as a frame before `admit` accepted its upgrade; a refused
 *   upgrade gets the status, headers and body `admit` chose, and no WebSocket.
 * - Every accepted upgrade's response carries the server's incarnation (`INCARNATION_HEADER`).
 * - Each WebSocket message reaches `frame` once, in order, as bytes the NetRx owns from then on
 *   (8-aligned: envelopes in a frame are read 4-aligned); a closed connection reaches `closed`
 *   once, after which its `write`/`shut` are no-ops.
 */
import type { ChannelAddr } from './addr.js';
import type { ChannelConfig } from './config.js';
import type { FrameLink } from './session-tx.js';
import type { RelayResolver } from './relay.js';

/** Upgrade-response header carrying the server's incarnation (random per listening NetRx). */
export const INCARNATION_HEADER = 'x-actormesh-incarnation';

/**
 * Received frames that must be copied (uWS neuters its receive buffer; `ws` may hand a frame
 * unaligned) go into a shared slab of RX_SLAB_BYTES, 8-aligned, when at most RX_SLAB_COPY_MAX
 * bytes long; larger ones get a buffer of their own (core/slab.ts).
 */
export const RX_SLAB_COPY_MAX = 4096;
export const RX_SLAB_BYTES = 64 * 1024;

/** One WebSocket connection, as far as a backend is concerned: how to write to it and close it. */
export interface ConnIO {
  readonly connId: number;
  readonly remote: string;
  /** Sends one binary WebSocket message (copies `bytes`). No-op once closed. (Not `send`: uWS
   * merges user data into its WebSocket object, so names must not shadow its methods.) */
  write: (bytes: Uint8Array) => void;
  /** Closes with a close frame. */
  shut: (code: number, reason: string) => void;
  /** Duplex: how reverse frames reach this connection (set when it opens). */
  link: FrameLink | undefined;
  /** Reverse frames' completions waiting for the send buffer to drain (uWS). */
  drainWaiters: Array<() => void>;
}

export const closedSend = (_: Uint8Array): void => {};
export const closedEnd = (_c: number, _r: string): void => {};

/** What an upgrade request says about its client (headers the NetRx checks). */
export interface UpgradeRequest {
  readonly remote: string;
  readonly proof: string;
  readonly returnHeader: string;
  readonly clientCert: string;
  readonly clientProof: string;
}

/** `admit`'s answer: the connection's return address ('' for none), or a refusal. */
export type Admission =
  | { readonly ok: true; readonly ret: string }
  | { readonly ok: false; readonly status: string; readonly body: string; readonly headers?: Readonly<Record<string, string>> };

/** The NetRx as its backend sees it. */
export interface ConnSink<C extends ConnIO> {
  readonly cfg: ChannelConfig;
  readonly incarnation: string;
  /** Routed upgrades: where a route leads (relay.ts); absent or undefined = serve it here. */
  readonly relay?: RelayResolver;
  admit(req: UpgradeRequest): Admission;
  newConn(remote: string, ret: string): C;
  opened(c: C): void;
  frame(c: C, buf: Uint8Array): void;
  closed(c: C, code: number, why: string): void;
}

export interface ServerBackend {
  /** Listens on `addr` (tcp or unix path); resolves with the bound tcp port (0 for unix). */
  listen(addr: ChannelAddr): Promise<number>;
  /** Stops listening and drops every connection at once. */
  close(): void;
}
