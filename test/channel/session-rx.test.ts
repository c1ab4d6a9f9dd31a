// The receiving half of the session protocol (src/channel/session-rx.ts) on its own: exactly once
// into the queue across retransmits and reconnects, gaps reported, acks cumulative and held back
// while the queue is full (with keep-alive acks), then released when the consumer catches up.
// Pins docs/architecture.md CH-1 (exactly once, in order, across reconnects), CH-2 (acks held back
// while the queue is full).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RxQueue } from '../../src/channel/queue.js';
import { SessionInbox, SessionRx, type AckLink, type RxStats } from '../../src/channel/session-rx.js';
import { channelConfig } from '../../src/channel/config.js';
import { FrameEncoder, FrameKind, decodeFrame } from '../../src/wire/frames.js';
import { eventually } from '../_support/eventually.js';

const msg = (i: number) => new Uint8Array([i]);

/** A connection that records the acks written to it. */
function link(): AckLink & { acks: number[] } {
  const acks: number[] = [];
  return {
    closing: false,
    acks,
    write(b: Uint8Array) {
      const f = decodeFrame(b);
      assert.equal(f.kind, FrameKind.Ack);
      acks.push((f as { seq: number }).seq);
    },
  };
}

function inbox(capacity: number, ackEveryN: number, ackIntervalMs = 5) {
  const queue = new RxQueue({ transport: 'local', index: 0 } as never, capacity);
  const stats: RxStats = { frames: 0, messages: 0, retransmitsDropped: 0, protocolErrors: 0, refused: 0 };
  const box = new SessionInbox(queue, { ...channelConfig(), ackEveryN, ackIntervalMs }, stats, new FrameEncoder(64));
  return { queue, stats, box };
}

test('retransmitted messages go into the queue once; a gap is reported and nothing of it is queued', () => {
  const { queue, stats, box } = inbox(100, 1000);
  const s = new SessionRx(1n, box);
  s.attach(link());
  assert.equal(s.accept(0, [msg(0), msg(1)]), undefined);
  assert.equal(s.accept(0, [msg(0), msg(1), msg(2)]), undefined, 'a resend overlapping what arrived');
  assert.equal(s.accept(1, [msg(1)]), undefined, 'a pure retransmit');
  assert.match(s.accept(5, [msg(5)]) ?? '', /sequence gap in session 1: expected seq 3, got 5/);
  const got: number[] = [];
  for (let m = queue.tryRecv(); m !== undefined; m = queue.tryRecv()) got.push(m[0]!);
  assert.deepEqual(got, [0, 1, 2]);
  assert.equal(stats.messages, 3);
  assert.equal(stats.retransmitsDropped, 3);
  s.quiesce();
});

test('acks are cumulative, sent every N messages, and a new connection first hears what already arrived', () => {
  const { box } = inbox(100, 2);
  const s = new SessionRx(7n, box);
  const first = link();
  s.attach(first);
  s.accept(0, [msg(0)]);
  assert.deepEqual(first.acks, [], 'one message: the ack waits (N = 2)');
  s.accept(1, [msg(1), msg(2)]);
  assert.deepEqual(first.acks, [3]);
  s.detach(first);
  const second = link();
  s.attach(second);
  assert.deepEqual(second.acks, [3], 'the reconnected sender learns where to resume');
  s.quiesce();
});

test('while the queue is full the ack is held back (keep-alive acks do not advance), and sent once the consumer drains it', async () => {
  const { queue, box } = inbox(2, 1);
  const s = new SessionRx(9n, box);
  const l = link();
  s.attach(l);
  s.accept(0, [msg(0), msg(1), msg(2)]);
  assert.ok(queue.full);
  assert.deepEqual(l.acks, [], 'nothing acknowledged while the queue is at capacity');
  await eventually(() => l.acks.length >= 2);
  assert.ok(
    l.acks.every((a) => a === 0),
    `keep-alive acks repeat the last ack, got ${l.acks.join(',')}`,
  );
  while (queue.tryRecv() !== undefined);
  await eventually(() => l.acks.includes(3));
  box.close();
  s.quiesce();
});
