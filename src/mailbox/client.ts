/**
 * `MailboxClient`: a MailboxSender that forwards envelopes over one channel Tx (Monarch
 * hyperactor/src/mailbox.rs `MailboxClient`). One client per channel address gives per-(process, destination) FIFO.
 *
 * Invariant: every envelope handed to `postUnchecked` either reaches the peer's queue or comes
 * back through its return handle marked `BrokenLink` (the Tx returned it: delivery timeout,
 * rejection, closed link, oversize frame). It never throws for delivery failures
 * (docs/architecture.md MB-3).
 * Until acknowledged, only the encoded bytes are kept (plus one shared handler per return
 * handle): a returned envelope is decoded back from its bytes, which is rare, so a fast stream
 * does not keep envelope objects alive long enough to be promoted to the old generation.
 * Over a network Tx (one that counts its frames), consecutive envelopes of one route are encoded
 * as route-shared runs in the encoder's slab (envelope-codec.ts `shareRoute`), restarted with a
 * full envelope whenever the Tx cut a frame since the previous post: a frame then opens with a
 * full envelope and its data goes out of the slab without copying (wire/frames.ts messageParts;
 * docs/architecture.md WIRE-2).
 * A client is `stale` (routers dial a fresh one) when its Tx closed but the address may well be
 * reachable: an ended duplex reverse direction, or a session lost to a server restart.
 */
import { NetTx, dial, dialReusing, type DialOptions, type Tx, type TxStats, type ChannelError, type LinkState } from '../channel/index.js';
import { EnvelopeDecoder, EnvelopeEncoder } from './envelope-codec.js';
import type { MessageEnvelope, ReturnHandle } from './envelope.js';
import { BaseMailboxSender } from './sender.js';
import { setDefaultDialer, type Dialer } from './routers.js';

export class MailboxClient extends BaseMailboxSender {
  private readonly encoder = new EnvelopeEncoder();
  private decoder: EnvelopeDecoder | undefined;
  private readonly handlers = new WeakMap<ReturnHandle, (bytes: Uint8Array, err: ChannelError) => void>();
  /** The Tx's session counters (`Tx.stats`), if it has them; and its frame count at the last encode. */
  private readonly txStats: TxStats | undefined;
  private framesSeen = -1;
  constructor(readonly tx: Tx) {
    super();
    this.txStats = tx.stats;
  }

  /** The Tx return handler for envelopes posted with `returnHandle` (one per handle). */
  private handlerFor(returnHandle: ReturnHandle): (bytes: Uint8Array, err: ChannelError) => void {
    // A stream of posts shares one handle: skip the WeakMap lookup while it repeats.
    if (returnHandle === this.lastHandle) return this.lastHandler!;
    let h = this.handlers.get(returnHandle);
    if (h === undefined) {
      h = (bytes, err) => {
        let env: MessageEnvelope;
        try {
          env = (this.decoder ??= new EnvelopeDecoder()).decode(bytes);
        } catch (e) {
          console.error(`actormesh: undelivered_message_abandoned (cannot decode returned envelope: ${(e as Error).message})`);
          return;
        }
        env.fail('BrokenLink', `channel to ${describe(this.tx)} failed: ${err.message}`, returnHandle);
      };
      this.handlers.set(returnHandle, h);
    }
    this.lastHandle = returnHandle;
    this.lastHandler = h;
    return h;
  }
  private lastHandle: ReturnHandle | undefined;
  private lastHandler: ((bytes: Uint8Array, err: ChannelError) => void) | undefined;

  /** Dials `addr` and wraps the Tx. */
  static dial(addr: string, opts: DialOptions = {}): MailboxClient {
    return new MailboxClient(dial(addr, opts));
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    let bytes: Uint8Array;
    const st = this.txStats;
    // Frames cut since the previous encode (including one its post sent at once) end the run.
    const frames = st !== undefined ? st.frames : -2;
    try {
      bytes = this.encoder.encode(envelope, st !== undefined && frames === this.framesSeen);
    } catch (e) {
      envelope.fail('BrokenLink', `cannot encode envelope for ${this.tx.addr.transport} channel: ${(e as Error).message}`, returnHandle);
      return;
    }
    this.framesSeen = frames;
    this.tx.tryPost(bytes, this.handlerFor(returnHandle));
  }

  /**
   * Posts an envelope that is already encoded as a full envelope (a gateway forwarding what it
   * received, not decoded): the bytes go out as they are. The next encoded envelope starts a new
   * route-shared run (a run must not span bytes this client did not lay out). If the envelope is
   * finally undelivered, `onReturn` gets its bytes and the reason.
   */
  postEncoded(bytes: Uint8Array, onReturn: (bytes: Uint8Array, err: ChannelError) => void): void {
    this.framesSeen = -1;
    this.tx.tryPost(bytes, onReturn);
  }

  /** True once the underlying Tx is closed for good. */
  get closed(): boolean {
    return this.tx.status === 'Closed';
  }

  /**
   * True when the Tx is closed but the address may well be reachable: it was the reverse
   * direction of a session that ended (channel/duplex.ts), or the server restarted and the
   * session was lost (ChannelError `ServerRestarted`). Routers then dial afresh.
   */
  get stale(): boolean {
    if (this.tx.status !== 'Closed') return false;
    if (this.tx.reverse === true) return true;
    return this.tx.closeError?.variant === 'ServerRestarted';
  }

  /**
   * The state of the network link under this client (see `NetTx.link`), for failure detectors;
   * undefined when the Tx is not a dialed network Tx (local, or a duplex reverse direction).
   */
  linkState(): LinkState | undefined {
    return this.tx instanceof NetTx ? this.tx.link : undefined;
  }

  /** Waits for pending envelopes to be acknowledged (bounded by the delivery timeout), then closes. */
  close(): Promise<void> {
    return this.tx.close();
  }

  /** Closes at once; pending envelopes come back as undeliverable (`BrokenLink`). */
  abort(reason?: string): void {
    this.tx.abort(reason);
  }
}

function describe(tx: Tx): string {
  const a = tx.addr;
  return a.transport === 'tcp' ? `tcp:${a.host}:${a.port}` : a.transport === 'unix' ? `unix:${a.path}` : `local:${a.index}`;
}

export interface ChannelDialerOptions extends DialOptions {
  /**
   * Duplex (channel/duplex.ts): send to a peer over the connection it dialed to this process
   * when it announced its address (default true; false = always dial, one-way channels). Set
   * `returnRx` to the Rx this process's mailbox serves to offer the same to the peers dialed.
   */
  reuseReverse?: boolean;
}

/**
 * A dialer that keeps the clients it opened, so that their owner can close them all
 * (`closeClients`) when it closes.
 */
export function recordingDialer(dial: Dialer): { readonly dialer: Dialer; readonly clients: MailboxClient[] } {
  const clients: MailboxClient[] = [];
  return {
    clients,
    dialer: (addr) => {
      const c = dial(addr) as MailboxClient;
      clients.push(c);
      return c;
    },
  };
}

/**
 * Closes `clients`, waiting at most `waitMs` for what they hold to be acknowledged (a client to a
 * dead peer would wait for its delivery timeout), then aborts whatever is left with `reason`.
 */
export async function closeClients(clients: readonly MailboxClient[], waitMs: number, reason: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(clients.map((c) => c.close().catch(() => undefined))),
    new Promise<void>((r) => {
      timer = setTimeout(r, waitMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  for (const c of clients) c.abort(reason);
}

/** A router dialer opening `MailboxClient`s over real channels (see `ChannelDialerOptions`). */
export function channelDialer(opts: ChannelDialerOptions = {}): Dialer {
  const { reuseReverse = true, ...dialOpts } = opts;
  return reuseReverse ? (addr) => new MailboxClient(dialReusing(addr, dialOpts)) : (addr) => MailboxClient.dial(addr, dialOpts);
}

/**
 * Makes every `DialMailboxRouter` without its own dialer open `MailboxClient`s over real channels
 * (with `opts`, e.g. the mesh secret and the duplex return address). Returns a function that
 * uninstalls it.
 */
export function installChannelDialer(opts: ChannelDialerOptions = {}): () => void {
  setDefaultDialer(channelDialer(opts));
  return () => setDefaultDialer(undefined);
}
