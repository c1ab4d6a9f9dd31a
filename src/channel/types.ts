/**
 * The Tx/Rx contract of Monarch hyperactor/src/channel.rs `Tx`, `Rx`, over opaque byte messages.
 */
import type { ChannelAddr } from './addr.js';
import type { ChannelError } from './errors.js';

export type TxStatus = 'Active' | 'Closed';

/** Receives a message that was finally not delivered, with the reason. */
export type ReturnHandler = (message: Uint8Array, error: ChannelError) => void;

/** The sending half of a channel. Messages of one Tx are delivered in order, each at most once. */
export interface Tx {
  readonly addr: ChannelAddr;
  /**
   * Fire-and-forget. Returns false when the Tx holds more than its high-water mark of
   * undelivered bytes: a producer that cares about memory waits for `whenWritable()`.
   * On a Closed Tx the message is dropped.
   */
  post(message: Uint8Array): boolean;
  /** Like `post`, but the message comes back through `onReturn` if it is finally undelivered. */
  tryPost(message: Uint8Array, onReturn: ReturnHandler): boolean;
  /** Resolves when the peer acknowledged (enqueued) the message; rejects with a ChannelError. */
  send(message: Uint8Array): Promise<void>;
  /** `Active` until the Tx is closed for good (delivery timeout, rejection, close()). */
  readonly status: TxStatus;
  /** Resolves once the status is `Closed`, with the reason (undefined after a clean close()). */
  whenClosed(): Promise<ChannelError | undefined>;
  /** Resolves when the undelivered bytes are below the high-water mark. */
  whenWritable(): Promise<void>;
  /** Messages and bytes posted and not yet acknowledged. */
  readonly buffered: { readonly messages: number; readonly bytes: number };
  /** Waits (up to the delivery timeout) for pending messages to be acknowledged, then closes. */
  close(): Promise<void>;
  /**
   * Closes at once, for good: every message not yet acknowledged is returned through its return
   * path with a ChannelError `Closed` naming `reason`. Nothing of the Tx keeps the process alive
   * afterwards (use it when the peer is known dead, or to bound a shutdown).
   */
  abort(reason?: string): void;
  /**
   * Session counters of a network Tx (session-tx.ts); absent on a local Tx. `frames` counts the
   * Messages frames written so far: a sender that lays out route-shared runs (mailbox/client.ts)
   * starts a new run whenever it moved since the sender's previous post.
   */
  readonly stats?: TxStats;
  /** True on the reverse direction of a duplex session (duplex.ts): once Closed, dial afresh. */
  readonly reverse?: boolean;
  /** Why a network Tx closed (undefined while Active and after a clean `close()`). */
  readonly closeError?: ChannelError | undefined;
}

/** Counters of a network Tx's session (`Tx.stats`), for senders, tests and diagnostics. */
export interface TxStats {
  /** Messages frames written so far (resends after a reconnect included). */
  readonly frames: number;
  /** Connections on which the session's Init was sent. */
  readonly connects: number;
  /** Messages sent again after a reconnect. */
  readonly resent: number;
}

/**
 * The state of a network Tx's connection, for failure detectors: a slow or busy peer is still
 * connected; only a link that stays down is suspicious.
 */
export interface LinkState {
  /** True while a connection is open and the session's Init was sent on it. */
  readonly connected: boolean;
  /** `Date.now()` when the link was last lost (or when the Tx was made, if never connected); undefined while connected. */
  readonly downSinceMs: number | undefined;
}

/** The receiving half of a channel. */
export interface Rx extends AsyncIterable<Uint8Array> {
  readonly addr: ChannelAddr;
  /** The next message; rejects with ChannelError `Closed` once closed and drained. */
  recv(): Promise<Uint8Array>;
  /** The next message if one is queued. */
  tryRecv(): Uint8Array | undefined;
  /** Every queued message (at least one; waits if none). The fast path for consumers. */
  recvMany(): Promise<Uint8Array[]>;
  /** Number of queued messages. */
  readonly length: number;
  /** Stops accepting connections/messages; queued messages can still be received. */
  close(): Promise<void>;
}
