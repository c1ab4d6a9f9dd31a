/**
 * `serve(addr)` and `dial(addr)` (Monarch hyperactor/src/channel.rs `serve`, `dial`), dispatching on the transport.
 */
import { type ChannelAddr, formatAddr, toAddr } from './addr.js';
import { dialLocal, serveLocal } from './local.js';
import { NetRx, type ServeOptions } from './net-rx.js';
import { NetTx, type DialOptions } from './net-tx.js';
import type { Rx, Tx } from './types.js';
import { reverseTxFor } from './duplex.js';
import { defaultSecret } from './auth.js';
import type { DialTlsOptions } from './tls.js';

/** Serves `addr` (tcp port 0 / local 0 = any) and gives the bound address and the Rx. */
export async function serve(addr: ChannelAddr | string, opts: ServeOptions = {}): Promise<[ChannelAddr, Rx]> {
  const a = toAddr(addr);
  if (a.transport === 'local') {
    const rx = serveLocal(a);
    return [rx.addr, rx];
  }
  const rx = await NetRx.listen(a, opts);
  return [rx.addr, rx];
}

/** Dials `addr`. Network Txs connect in the background and reconnect until the delivery timeout. */
export function dial(addr: ChannelAddr | string, opts: DialOptions = {}): Tx {
  const a = toAddr(addr);
  if (a.transport === 'local') return dialLocal(a);
  const secret = opts.secret ?? defaultSecret();
  const tls = opts.tls ?? (a.transport === 'tcp' ? processTls : undefined);
  if ((secret !== undefined && opts.secret === undefined) || (tls !== undefined && opts.tls === undefined)) {
    return new NetTx(a, { ...opts, ...(secret !== undefined ? { secret } : {}), ...(tls !== undefined ? { tls } : {}) });
  }
  return new NetTx(a, opts);
}

let processTls: DialTlsOptions | undefined;

/**
 * The TLS options of this process's tcp dials that name none (`dial(addr)` without `tls`): set by
 * a worker serving TLS for itself and, through its environment, in every proc it starts, so the
 * links between machines all use TLS.
 */
export function setDefaultTls(tls: DialTlsOptions | undefined): void {
  processTls = tls;
}

export { formatAddr };

/**
 * Like `dial`, but reuses the reverse direction of a session when a peer serving `addr` dialed
 * this process and announced `addr` as its return address (duplex.ts): replies then travel over
 * the connection the peer opened, and no connection to `addr` is made.
 */
export function dialReusing(addr: ChannelAddr | string, opts: DialOptions = {}): Tx {
  return reverseTxFor(addr) ?? dial(addr, opts);
}
