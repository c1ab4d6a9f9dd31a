/**
 * Split ports (Monarch hyperactor/src/reference.rs `PortId::split`): a fresh port on a relaying actor (the comm actor when casting)
 * that forwards to an original port, optionally pre-reducing.
 *
 * Invariants:
 * - Without a reducer every envelope is re-addressed to the target immediately, payload and
 *   bindings untouched, in arrival order.
 * - With a reducer, updates are buffered and flushed as ONE update (left fold in arrival order)
 *   when the buffer holds `SPLIT_MAX_BUFFER_SIZE` updates, or when the age alarm fires
 *   (`maxUpdateIntervalMs`, default `SPLIT_MAX_BUFFER_AGE`), armed when the buffer becomes
 *   non-empty. Nothing is ever reordered or dropped while the relaying mailbox is open
 *   (docs/architecture.md MB-4).
 */
import { PortId } from '../core/ids.js';
import { SPLIT_MAX_BUFFER_AGE, SPLIT_MAX_BUFFER_SIZE, config } from '../core/config.js';
import { MessageEnvelope } from './envelope.js';
import type { Mailbox } from './mailbox.js';
import { type ReducerOpts, type ReducerSpec, reducerOf } from './accum.js';
import { decodePayload } from './payload.js';

export interface SplitOptions {
  /** Pre-reduce with this reducer (looked up in the reducer registry). */
  reducer?: ReducerSpec;
  reducerOpts?: ReducerOpts;
  /** Flag put on forwarded envelopes (default true). */
  returnUndeliverable?: boolean;
}

/** Allocates a relaying port on `mailbox` forwarding to `target`; returns its id. */
export function splitPort(mailbox: Mailbox, target: PortId, opts: SplitOptions = {}): PortId {
  const index = mailbox.allocateIndex();
  const returnUndeliverable = opts.returnUndeliverable ?? true;
  const forward = (env: MessageEnvelope, data = env.data, bindings = env.bindings): void => {
    const out = new MessageEnvelope(mailbox.actorId, target, data, env.typeName, bindings, env.headers);
    out.returnUndeliverable = returnUndeliverable;
    mailbox.send(out);
  };
  if (opts.reducer === undefined) {
    mailbox.bind(index, { once: false, sink: () => {}, raw: (env) => forward(env) });
    return new PortId(mailbox.actorId, index);
  }
  const reducer = reducerOf<unknown>(opts.reducer);
  const maxSize = config.get(SPLIT_MAX_BUFFER_SIZE);
  const maxAge = opts.reducerOpts?.maxUpdateIntervalMs ?? config.get(SPLIT_MAX_BUFFER_AGE);
  let buffer: unknown[] = [];
  let last: MessageEnvelope | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer.length === 0 || last === undefined) return;
    let acc = buffer[0];
    for (let i = 1; i < buffer.length; i++) acc = reducer.reduce(acc, buffer[i]);
    buffer = [];
    const env = last;
    last = undefined;
    mailbox.sendMessage(target, env.typeName, acc, env.headers, returnUndeliverable);
  };
  mailbox.bind(index, {
    once: false,
    sink: () => {},
    raw: (env) => {
      let u: unknown;
      try {
        u = decodePayload(env.data, env.bindings, env.typeName);
      } catch (e) {
        return (e as Error).message;
      }
      buffer.push(u);
      last = env;
      if (buffer.length >= maxSize) flush();
      else if (timer === undefined) timer = setTimeout(flush, maxAge);
    },
    closed: () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      buffer = [];
    },
  });
  return new PortId(mailbox.actorId, index);
}
