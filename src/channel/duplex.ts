/**
 * Duplex sessions: replies travel over the connection the peer dialed.
 *
 * Monarch's Tx is one-way: when A dialed B and B answers A, B dials A's server, so every pair of
 * talking processes holds two connections, each used in one direction. Here a dialer that also
 * serves a channel (its "return address", e.g. the address of its mailbox server) announces it in
 * the upgrade request (header `RETURN_HEADER`). The server then gives that session a *reverse
 * Tx* (`ReverseTx`): a full Tx whose frames go server → client over the dialed WebSocket, and
 * registers it here under the return address. `dialReusing(addr)` (used by the mailbox dialer)
 * hands out the registered reverse Tx instead of dialing when there is one.
 *
 * Protocol on one WebSocket (frame kinds of wire/frames.ts, nothing new on the wire):
 *   client → server: Init(session), Messages (forward), Ack(next) (acks of the reverse direction)
 *   server → client: Ack(next) (forward acks), Init(reverseId), Messages (reverse), Reject
 * The server sends Init(reverseId) each time a connection of the session comes up, before any
 * reverse Messages, so the client can tell a resumed reverse session (dedup by seq continues)
 * from a new one (a new ReverseTx after the old one ended: seq restarts at 0).
 *
 * Invariants (the same guarantees as a dialed Tx; docs/architecture.md CH-7):
 * - A reverse Tx belongs to the session, not to a socket: when the client reconnects with the
 *   same session id, the server re-attaches the reverse Tx to the new socket and resends every
 *   unacknowledged frame in order; the client drops seq < next (exactly once into its Rx).
 * - Its delivery timeout, window, high-water mark and return paths are those of `SessionTx`.
 * - It ends (Closed, pending messages returned) when the client closes its Tx for good (close
 *   code 1000), when the server forgets the session or closes, or on its delivery timeout; it is
 *   then unregistered, so the next `dialReusing` dials as before (fallback).
 * - Only an authenticated connection (auth.ts, checked at upgrade) can register a reverse Tx; an
 *   open server (no secret) trusts the announced return address, like every other frame it gets.
 */
import { type ChannelAddr, formatAddr, toAddr } from './addr.js';
import type { ChannelConfig } from './config.js';
import { ChannelError } from './errors.js';
import { SessionTx, type FrameLink } from './session-tx.js';
import type { Tx } from './types.js';

/** Upgrade-request header carrying the dialer's return address (its served channel address). */
export const RETURN_HEADER = 'x-actormesh-return';

/** Canonical registry key of an address (`tcp:127.0.0.1:80`, `unix:/p`, …). */
export function addrKey(a: ChannelAddr | string): string {
  return formatAddr(toAddr(a));
}

/** Live reverse Txs by the return address their client announced (for `dialReusing`). */
const reverse = new Map<string, ReverseTx>();

/** The live reverse Tx to `addr` (a session whose client announced `addr`), if any. */
export function reverseTxFor(addr: ChannelAddr | string): ReverseTx | undefined {
  const t = reverse.get(typeof addr === 'string' ? addr : formatAddr(addr)) ?? (typeof addr === 'string' ? reverse.get(safeKey(addr)) : undefined);
  return t !== undefined && t.status === 'Active' ? t : undefined;
}
function safeKey(addr: string): string {
  try {
    return addrKey(addr);
  } catch {
    return addr;
  }
}

/** Number of registered reverse Txs (tests, diagnostics). */
export function reverseTxCount(): number {
  return reverse.size;
}

/**
 * The Tx of the reverse direction of one session (server side). `close()` waits for pending
 * messages to be acknowledged and then ends the reverse direction (later users dial instead).
 */
export class ReverseTx extends SessionTx {
  /** Marks a Tx whose closing does not mean the address is unreachable (see MailboxClient.stale). */
  readonly reverse = true;
  /** Random id of this reverse session, sent in Init(reverseId) on every attach. */
  readonly id: bigint;
  private readonly key: string;

  constructor(addr: ChannelAddr, cfg: ChannelConfig, id: bigint) {
    super(addr, cfg);
    this.id = id;
    this.key = addrKey(addr);
    // The newest session announcing an address wins: its connection is the live one.
    reverse.set(this.key, this);
  }

  /**
   * A connection of the session came up: `init` (the Init(reverseId) frame) goes first, then
   * every unacknowledged frame from the oldest.
   */
  attach(link: FrameLink, init: Uint8Array): void {
    if (this.status === 'Closed') return;
    link.write(init, noop);
    this.linkUp(link);
  }

  /** The connection `link` went away; the Tx waits for the client to reconnect. */
  detach(link: FrameLink): void {
    if (this.frameLink === link) this.linkDown();
  }

  /** Ends the reverse direction (pending messages come back with `err`). */
  end(err: ChannelError): void {
    this.fail(err);
  }

  protected teardown(): void {
    if (reverse.get(this.key) === this) reverse.delete(this.key);
  }
}
const noop = (): void => {};

/**
 * The Tx to use for `addr`: the registered reverse Tx when a peer serving `addr` dialed this
 * process and announced it, else `dial()`.
 */
export function reverseOr(addr: ChannelAddr | string, dial: () => Tx): Tx {
  return reverseTxFor(addr) ?? dial();
}

export function endedError(addr: ChannelAddr, why: string): ChannelError {
  return new ChannelError('Closed', `reverse channel to ${formatAddr(addr)} ended: ${why}`, formatAddr(addr));
}
