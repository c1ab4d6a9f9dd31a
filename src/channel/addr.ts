/**
 * Channel addresses as the channel layer uses them: parsing that throws `ChannelError`
 * (the grammar itself is core/addr.ts), and addresses to serve on (`anyAddr`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ADDR_EXPECTED, parseAddrWith, type ChannelAddr, type Transport } from '../core/addr.js';
import { ChannelError } from './errors.js';

export { type Transport, type ChannelAddr, formatAddr } from '../core/addr.js';

function invalid(input: string, why: string): ChannelError {
  return new ChannelError('InvalidAddress', `invalid channel address ${JSON.stringify(input)}: ${why}; expected ${ADDR_EXPECTED}`, input);
}

/** Parses a channel address (grammar: core/addr.ts); throws `ChannelError` (variant `InvalidAddress`) on bad input. */
export function parseAddr(input: string): ChannelAddr {
  return parseAddrWith(input, invalid);
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

/**
 * The WebSocket URL that dials `a` (`ws://h:p/<route>`, `wss://` with `tls`, `ws+unix://path:/`),
 * or undefined for an address no socket can dial (local, abstract unix).
 */
export function wsUrl(a: ChannelAddr, tls = false): string | undefined {
  if (a.transport === 'tcp') return `${tls ? 'wss' : 'ws'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/${a.route ?? ''}`;
  if (a.transport === 'unix' && !a.abstract) return `ws+unix://${a.path}:/`;
  return undefined;
}
