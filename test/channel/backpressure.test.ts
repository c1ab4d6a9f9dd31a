// Pins docs/architecture.md CH-2 (acks held back while the queue is full).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, dial, anyAddr, type NetTx } from '../../src/channel/index.js';

test('a producer flooding a stopped consumer stays within bounded queues, and delivery resumes and completes when the consumer reads again', async () => {
  const highWaterBytes = 1024 * 1024;
  const windowBytes = 512 * 1024;
  const rxCapacity = 2000;
  const [addr, rx] = await serve(anyAddr('unix'), { rxCapacity, ackIntervalMs: 50, ackEveryN: 200 });
  const tx = dial(addr, { highWaterBytes, windowBytes, deliveryTimeoutMs: 1000 }) as NetTx;
  const size = 1024;
  let posted = 0;
  let maxBuffered = 0;
  let maxRx = 0;
  const heap0 = process.memoryUsage().heapUsed;
  let maxHeap = heap0;
  // Flood for ~3 s (well past the 1 s delivery timeout) while nobody reads.
  const floodUntil = Date.now() + 3000;
  const floodOver = new Promise((r) => setTimeout(r, 3000));
  while (Date.now() < floodUntil) {
    const m = new Uint8Array(size);
    new DataView(m.buffer).setUint32(0, posted, true);
    posted++;
    if (!tx.post(m)) {
      await Promise.race([tx.whenWritable(), floodOver]);
    } else if (posted % 64 === 0) await new Promise((r) => setImmediate(r));
    maxBuffered = Math.max(maxBuffered, tx.buffered.bytes);
    maxRx = Math.max(maxRx, rx.length);
    if (posted % 1024 === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
  }
  assert.equal(tx.status, 'Active', 'a slow but live consumer does not trip the delivery timeout');
  // The producer's queue stops at its high-water mark (+ what one turn posts before it notices).
  assert.ok(maxBuffered <= highWaterBytes + 64 * size, `producer buffered at most ${maxBuffered} bytes`);
  // The receiver stops acking at capacity, so it holds at most capacity + one window.
  assert.ok(maxRx <= rxCapacity + windowBytes / size + 256, `rx held at most ${maxRx} messages`);
  assert.ok(maxHeap - heap0 < 64 * 1024 * 1024, `heap grew by ${((maxHeap - heap0) / 1048576).toFixed(1)} MiB`);
  assert.ok(posted > rxCapacity, 'the producer filled the pipeline');

  // Resume: everything posted arrives once, in order.
  let next = 0;
  while (next < posted) {
    for (const m of await rx.recvMany()) {
      assert.equal(new DataView(m.buffer, m.byteOffset).getUint32(0, true), next++);
    }
  }
  await tx.close();
  assert.equal(tx.buffered.messages, 0);
  await rx.close();
});
