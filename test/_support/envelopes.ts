// Shared assertions on decoded envelopes (not a test file itself).
import assert from 'node:assert/strict';
import type { MessageEnvelope } from '../../src/mailbox/envelope.js';
import type { Mailbox } from '../../src/mailbox/mailbox.js';

/** `got` has `want`'s route (sender, destination, type), ttl, return flag and payload bytes. */
export function assertSameEnvelope(got: MessageEnvelope, want: MessageEnvelope): void {
  assert.equal(got.sender.key, want.sender.key);
  assert.equal(got.dest.key, want.dest.key);
  assert.equal(got.typeName, want.typeName);
  assert.equal(got.ttl, want.ttl);
  assert.equal(got.returnUndeliverable, want.returnUndeliverable);
  assert.deepEqual(Buffer.from(got.data), Buffer.from(want.data));
}

/** Binds port `index` of `mb` to a list that collects every envelope delivered there. */
export function captureEnvelopes(mb: Mailbox, index: bigint): MessageEnvelope[] {
  const got: MessageEnvelope[] = [];
  mb.bind(index, { once: false, raw: (env: MessageEnvelope) => void got.push(env), sink: () => {} } as never);
  return got;
}
