/**
 * `serveMailbox(rx, sender)`: the remote side of a MailboxClient (Monarch hyperactor/src/mailbox.rs `MailboxServer::serve`).
 * Every envelope received on `rx` is `post`ed into `sender` (a Proc, a host router, a
 * DialMailboxRouter…) with the return-to-sender handle (hyperactor/src/mailbox/undeliverable.rs).
 *
 * Invariants: envelopes are posted in arrival order, one at a time (from a network Rx directly in
 * the socket callback that received them, see `NetRx.consume`); an envelope that cannot be
 * decoded is logged and skipped (the channel already accepted it, so the stream goes on); an
 * envelope that cannot be delivered here is bounced to its sender's `Undeliverable` port marked
 * `BrokenLink` (a bounced bounce is only logged, see undeliverable.ts) (docs/architecture.md MB-3).
 */
import { ChannelError, type Rx } from '../channel/index.js';
import { EnvelopeDecoder } from './envelope-codec.js';
import type { MailboxSender } from './sender.js';
import { remoteReturnHandle } from './undeliverable.js';

export interface MailboxServerHandle {
  /** Resolves when the Rx is closed and drained (or the loop failed). */
  readonly done: Promise<void>;
  /** Envelopes posted so far and envelopes that could not be decoded. */
  readonly stats: { posted: number; malformed: number };
  /** Closes the Rx; `done` resolves once the queued envelopes are posted. */
  stop(): Promise<void>;
}

export interface ServeMailboxOptions {
  log?: (line: string) => void;
  /**
   * Sees each received envelope's bytes first and returns true when it took care of them (a
   * gateway forwarding them as they are); otherwise they are decoded and posted as usual.
   */
  forward?: (bytes: Uint8Array) => boolean;
}

export function serveMailbox(rx: Rx, sender: MailboxSender, opts: ServeMailboxOptions = {}): MailboxServerHandle {
  const log = opts.log ?? ((l: string) => console.warn(`[actormesh mailbox server] ${l}`));
  const decoder = new EnvelopeDecoder();
  const returnHandle = remoteReturnHandle(sender);
  const stats = { posted: 0, malformed: 0 };
  const forward = opts.forward;
  const deliver = (bytes: Uint8Array): void => {
    if (forward !== undefined && forward(bytes)) {
      stats.posted++;
      return;
    }
    let env;
    try {
      env = decoder.decode(bytes);
    } catch (e) {
      stats.malformed++;
      log(`dropping an undecodable envelope of ${bytes.length} bytes: ${(e as Error).message}`);
      return;
    }
    stats.posted++;
    sender.post(env, returnHandle);
  };
  const consumable = rx as Rx & { consume?: (sink: (m: Uint8Array) => void, onClose: () => void) => void };
  let done: Promise<void>;
  if (typeof consumable.consume === 'function') {
    // Network Rx: post each envelope from the socket callback that received it (no promise hop).
    let closed!: () => void;
    done = new Promise<void>((r) => (closed = r));
    consumable.consume((m) => {
      try {
        deliver(m);
      } catch (e) {
        log(`posting an envelope failed: ${(e as Error).message}`);
      }
    }, closed);
  } else {
    done = (async (): Promise<void> => {
      for (;;) {
        let batch: Uint8Array[];
        try {
          batch = await rx.recvMany();
        } catch (e) {
          if (e instanceof ChannelError && e.variant === 'Closed') return;
          throw e;
        }
        for (let i = 0; i < batch.length; i++) deliver(batch[i]!);
      }
    })();
  }
  return {
    done,
    stats,
    async stop() {
      await rx.close();
      await done;
    },
  };
}
