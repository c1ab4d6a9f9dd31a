// Pins docs/architecture.md CH-1 (exactly once, in order, across reconnects).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, dial, anyAddr, type NetRx, type NetTx } from '../../src/channel/index.js';
import { startProxy } from './_proxy.js';

function msg(i: number): Uint8Array {
  const m = new Uint8Array(8);
  new DataView(m.buffer).setUint32(0, i, true);
  return m;
}

test('a stream of 100k messages survives 10 socket resets: every message arrives exactly once and in order', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'), { ackEveryN: 500, ackIntervalMs: 20 });
  assert.equal(addr.transport, 'tcp');
  const proxy = await startProxy((addr as { port: number }).port);
  const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { minBackoffMs: 2, maxBackoffMs: 20, batchBytes: 8 * 1024 }) as NetTx;
  const N = 100_000;
  let expected = 0;
  const received = (async () => {
    while (expected < N) {
      for (const m of await rx.recvMany()) {
        const v = new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);
        assert.equal(v, expected, `message ${expected} arrives in order and once`);
        expected++;
      }
    }
  })();
  let cuts = 0;
  for (let i = 0; i < N; i++) {
    tx.post(msg(i));
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    if (i % 10_000 === 5_000) {
      // Let some frames get in flight, then reset every connection.
      await new Promise((r) => setTimeout(r, 2));
      proxy.cut();
      cuts++;
    }
  }
  await received;
  assert.equal(cuts, 10);
  assert.equal(expected, N);
  assert.ok(tx.stats.connects >= 5, `reconnected after resets (connects=${tx.stats.connects})`);
  assert.ok(tx.stats.resent > 0, 'unacknowledged messages were resent');
  assert.ok((rx as NetRx).stats.retransmitsDropped > 0, 'the server dropped retransmits it already had');
  await tx.close();
  assert.equal(tx.status, 'Closed');
  assert.equal(rx.length, 0);
  await rx.close();
  await proxy.close();
});

test('a session keeps its next sequence number across reconnects, so resent messages are dropped as retransmits', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'), { ackEveryN: 1_000_000, ackIntervalMs: 60_000 });
  const proxy = await startProxy((addr as { port: number }).port);
  const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { minBackoffMs: 2 }) as NetTx;
  for (let i = 0; i < 100; i++) tx.post(msg(i));
  // All 100 arrive but none is acked (huge ack thresholds), so after a reset the Tx resends them.
  for (let i = 0; i < 100; i++) {
    const m = await rx.recv();
    assert.equal(new DataView(m.buffer, m.byteOffset).getUint32(0, true), i);
  }
  assert.equal(tx.buffered.messages, 100);
  proxy.cut();
  // The server answers the new Init with Ack(100): the resend is trimmed or dropped, never redelivered.
  const sent = tx.send(msg(100));
  const m = await rx.recv();
  assert.equal(new DataView(m.buffer, m.byteOffset).getUint32(0, true), 100);
  await rx.close(); // flushes the ack
  await sent;
  assert.equal(rx.length, 0);
  await tx.close();
  await proxy.close();
});
