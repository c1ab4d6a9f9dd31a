/**
 * The one grammar of channel addresses (Monarch `hyperactor/src/channel.rs` `ChannelAddr`, its
 * `FromStr` and `Display`), shared by the channel layer (channel/addr.ts, which dials and serves
 * them) and by direct proc ids (core/ids.ts, which embed them): `tcp:IP:PORT`, `unix:/path`,
 * `unix:@name`, `local:N`, with `!` accepted as the separator (`tcp!1.2.3.4:80`) and zmq-style
 * URLs (`tcp://h:p`, `tcp://*:p`, `ipc:///path`, `inproc://N`). `formatAddr` always prints the
 * canonical form (`transport:address`), and parsing it gives the same address back.
 *
 * A tcp address may name a route behind its port (`tcp:10.0.0.7:26600/proc/w%5B3%5D`): the
 * WebSocket path a connection asks for, which a worker's port relays to one of its procs
 * (channel/relay.ts). Routes are made of unreserved URL characters and `%XX` escapes only
 * (`routeSegment`), so a routed address never contains a comma or a space.
 */
import { isIP } from 'node:net';

export type Transport = 'tcp' | 'unix' | 'local';

export type ChannelAddr =
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number; readonly route?: string }
  | { readonly transport: 'unix'; readonly path: string; readonly abstract: boolean }
  | { readonly transport: 'local'; readonly index: number };

/** What a channel address must look like (for error messages). */
export const ADDR_EXPECTED = 'tcp:IP:PORT, unix:/path, unix:@name or local:N';

/** Makes the error thrown for a bad address (`input`, and why it is bad). */
export type AddrErrorFactory = (input: string, why: string) => Error;

function parsePort(invalid: AddrErrorFactory, input: string, s: string): number {
  if (!/^\d{1,5}$/.test(s)) throw invalid(input, `port ${JSON.stringify(s)} is not a number`);
  const port = Number(s);
  if (port > 65535) throw invalid(input, `port ${port} is out of range 0..65535`);
  return port;
}

/** Characters of a route: unreserved URL characters, `%` escapes and `/` separators. */
const ROUTE_RE = /^[A-Za-z0-9._~%/-]+$/;

/** `s` as one route segment: unreserved URL characters kept, everything else `%XX` (UTF-8). */
export function routeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseHostPort(invalid: AddrErrorFactory, input: string, hostPort: string): ChannelAddr {
  let rest = hostPort;
  let route: string | undefined;
  const slash = rest.indexOf('/', rest.startsWith('[') ? rest.indexOf(']') + 1 : 0);
  if (slash >= 0) {
    route = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (!ROUTE_RE.test(route)) throw invalid(input, `bad route ${JSON.stringify(route)} (unreserved URL characters, %XX escapes and / only)`);
  }
  // [v6]:port, v4:port, host:port
  let host: string;
  let portStr: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw invalid(input, 'unterminated IPv6 address');
    host = rest.slice(1, close);
    portStr = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw invalid(input, 'missing :PORT');
    host = rest.slice(0, colon);
    portStr = rest.slice(colon + 1);
  }
  if (host === '*') host = '0.0.0.0';
  if (!host) throw invalid(input, 'missing host');
  if (!isIP(host) && !/^[A-Za-z0-9.-]+$/.test(host)) throw invalid(input, `bad host ${JSON.stringify(host)}`);
  const port = parsePort(invalid, input, portStr);
  return route === undefined ? { transport: 'tcp', host, port } : { transport: 'tcp', host, port, route };
}

function parseLocal(invalid: AddrErrorFactory, input: string, s: string): ChannelAddr {
  if (!/^\d+$/.test(s)) throw invalid(input, `local index ${JSON.stringify(s)} is not a non-negative integer`);
  return { transport: 'local', index: Number(s) };
}

function parseUnix(invalid: AddrErrorFactory, input: string, s: string): ChannelAddr {
  if (!s) throw invalid(input, 'empty unix socket path');
  if (s.startsWith('@')) return { transport: 'unix', path: s.slice(1), abstract: true };
  return { transport: 'unix', path: s, abstract: false };
}

/**
 * Parses a channel address; throws what `onError` makes of a bad one (the channel layer's
 * `parseAddr` throws `ChannelError` `InvalidAddress`, proc id parsing `IdParseError`).
 */
export function parseAddrWith(input: string, invalid: AddrErrorFactory): ChannelAddr {
  if (typeof input !== 'string') throw invalid(String(input), 'not a string');
  const url = /^(tcp|ipc|inproc):\/\/(.*)$/.exec(input);
  if (url) {
    const [, scheme, rest] = url as unknown as [string, string, string];
    if (scheme === 'tcp') return parseHostPort(invalid, input, rest);
    if (scheme === 'ipc') return parseUnix(invalid, input, rest);
    return parseLocal(invalid, input, rest);
  }
  const m = /^([a-z]+)[:!](.*)$/.exec(input);
  if (!m) throw invalid(input, 'missing transport prefix');
  const [, transport, rest] = m as unknown as [string, string, string];
  switch (transport) {
    case 'tcp':
      return parseHostPort(invalid, input, rest);
    case 'unix':
      return parseUnix(invalid, input, rest);
    case 'local':
      return parseLocal(invalid, input, rest);
    default:
      throw invalid(input, `unknown transport ${JSON.stringify(transport)}`);
  }
}

/** Canonical display form of an address. */
export function formatAddr(a: ChannelAddr): string {
  switch (a.transport) {
    case 'tcp':
      return `${a.host.includes(':') ? `tcp:[${a.host}]:${a.port}` : `tcp:${a.host}:${a.port}`}${a.route !== undefined ? `/${a.route}` : ''}`;
    case 'unix':
      return a.abstract ? `unix:@${a.path}` : `unix:${a.path}`;
    case 'local':
      return `local:${a.index}`;
  }
}
