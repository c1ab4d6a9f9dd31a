/**
 * Channel addresses (Monarch hyperactor/src/channel.rs `ChannelAddr`): `tcp:IP:PORT`, `unix:/path`, `unix:@name`, `local:N`,
 * with `!` accepted as the separator (`tcp!1.2.3.4:80`) and zmq-style URLs (`tcp://h:p`,
 * `tcp://*:p`, `ipc:///path`, `inproc://N`). `toString()` always prints the canonical form
 * (`transport:address`), and `parse(toString(a))` equals `a`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ChannelError } from './errors.js';

export type Transport = 'tcp' | 'unix' | 'local';

export type ChannelAddr =
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number }
  | { readonly transport: 'unix'; readonly path: string; readonly abstract: boolean }
  | { readonly transport: 'local'; readonly index: number };

function invalid(input: string, why: string): ChannelError {
  return new ChannelError(
    'InvalidAddress',
    `invalid channel address ${JSON.stringify(input)}: ${why}; expected tcp:IP:PORT, unix:/path, unix:@name or local:N`,
    input,
  );
}

function parsePort(input: string, s: string): number {
  if (!/^\d{1,5}$/.test(s)) throw invalid(input, `port ${JSON.stringify(s)} is not a number`);
  const port = Number(s);
  if (port > 65535) throw invalid(input, `port ${port} is out of range 0..65535`);
  return port;
}

function parseHostPort(input: string, rest: string): ChannelAddr {
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
  return { transport: 'tcp', host, port: parsePort(input, portStr) };
}

function parseLocal(input: string, s: string): ChannelAddr {
  if (!/^\d+$/.test(s)) throw invalid(input, `local index ${JSON.stringify(s)} is not a non-negative integer`);
  return { transport: 'local', index: Number(s) };
}

function parseUnix(input: string, s: string): ChannelAddr {
  if (!s) throw invalid(input, 'empty unix socket path');
  if (s.startsWith('@')) return { transport: 'unix', path: s.slice(1), abstract: true };
  return { transport: 'unix', path: s, abstract: false };
}

/** Parses a channel address; throws `ChannelError` (variant `InvalidAddress`) on bad input. */
export function parseAddr(input: string): ChannelAddr {
  if (typeof input !== 'string') throw invalid(String(input), 'not a string');
  const url = /^(tcp|ipc|inproc):\/\/(.*)$/.exec(input);
  if (url) {
    const [, scheme, rest] = url as unknown as [string, string, string];
    if (scheme === 'tcp') return parseHostPort(input, rest);
    if (scheme === 'ipc') return parseUnix(input, rest);
    return parseLocal(input, rest);
  }
  const m = /^([a-z]+)[:!](.*)$/.exec(input);
  if (!m) throw invalid(input, 'missing transport prefix');
  const [, transport, rest] = m as unknown as [string, string, string];
  switch (transport) {
    case 'tcp':
      return parseHostPort(input, rest);
    case 'unix':
      return parseUnix(input, rest);
    case 'local':
      return parseLocal(input, rest);
    default:
      throw invalid(input, `unknown transport ${JSON.stringify(transport)}`);
  }
}

/** Canonical display form of an address. */
export function formatAddr(a: ChannelAddr): string {
  switch (a.transport) {
    case 'tcp':
      return a.host.includes(':') ? `tcp:[${a.host}]:${a.port}` : `tcp:${a.host}:${a.port}`;
    case 'unix':
      return a.abstract ? `unix:@${a.path}` : `unix:${a.path}`;
    case 'local':
      return `local:${a.index}`;
  }
}

/** Accepts a string or an address object. */
export function toAddr(a: ChannelAddr | string): ChannelAddr {
  return typeof a === 'string' ? parseAddr(a) : a;
}

let unixDir: string | undefined;
/** Where a parent's socket directory is passed to the child processes it spawns. */
const SOCKET_DIR_ENV = 'ACTORMESH_SOCKET_DIR';

/**
 * Directory (per process) for the sockets of `any('unix')`, removed with its sockets when the
 * process exits normally. The first process of a tree creates it under the OS temp dir and
 * publishes it in `ACTORMESH_SOCKET_DIR`, so child processes (spawned with a copy of the
 * environment) nest their own directories inside it: when the root exits, the directories of
 * children that were SIGKILLed go with it.
 */
function socketDir(): string {
  if (unixDir === undefined) {
    const parent = process.env[SOCKET_DIR_ENV];
    const nested = parent !== undefined && parent !== '' && existsSync(parent);
    const dir = mkdtempSync(join(nested ? parent : tmpdir(), 'actormesh-'));
    unixDir = dir;
    if (!nested) process.env[SOCKET_DIR_ENV] = dir;
    process.once('exit', () => {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort: the directory is only litter now */
      }
    });
  }
  return unixDir;
}

/**
 * A "serve anywhere" address: tcp → loopback, port 0; unix → a fresh socket path in a per-process
 * temporary directory (filesystem paths, because uWS cannot listen on abstract names); local → 0.
 */
export function anyAddr(transport: Transport): ChannelAddr {
  switch (transport) {
    case 'tcp':
      return { transport: 'tcp', host: '127.0.0.1', port: 0 };
    case 'unix':
      return { transport: 'unix', path: join(socketDir(), `${randomBytes(6).toString('hex')}.sock`), abstract: false };
    case 'local':
      return { transport: 'local', index: 0 };
  }
}

/** True only for transports that cross machines (tcp). */
export function isRemote(a: ChannelAddr): boolean {
  return a.transport === 'tcp';
}
