/**
 * Producer process of the slow-consumer load test:
 *   node --import tsx bench/channel/flood-producer.ts <channel addr> <seconds> <size>
 * Floods the channel for <seconds> (respecting `post`'s backpressure signal), then waits until
 * everything is acknowledged. Prints JSON lines: {"t", "posted", "buffered", "rss", "heap"} every
 * 250 ms and finally {"done": true, "posted": N, "maxRss", "maxHeap", "maxBuffered"}.
 */
import { dial } from '../../src/channel/index.js';

const [addr, secondsArg, sizeArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const size = Number(sizeArg ?? 1024);
const tx = dial(addr!, { highWaterBytes: 4 * 1024 * 1024, windowBytes: 2 * 1024 * 1024 });
let posted = 0;
let maxRss = 0;
let maxHeap = 0;
let maxBuffered = 0;
const sample = () => {
  const m = process.memoryUsage();
  maxRss = Math.max(maxRss, m.rss);
  maxHeap = Math.max(maxHeap, m.heapUsed);
  maxBuffered = Math.max(maxBuffered, tx.buffered.bytes);
  process.stdout.write(`${JSON.stringify({ t: Date.now(), posted, buffered: tx.buffered.bytes, rss: m.rss, heap: m.heapUsed })}\n`);
};
const timer = setInterval(sample, 250);
const end = Date.now() + seconds * 1000;
const over = new Promise((r) => setTimeout(r, seconds * 1000));
while (Date.now() < end) {
  const m = new Uint8Array(size);
  new DataView(m.buffer).setUint32(0, posted, true);
  posted++;
  if (!tx.post(m)) await Promise.race([tx.whenWritable(), over]);
  else if ((posted & 255) === 0) await new Promise((r) => setImmediate(r));
}
sample();
await tx.close();
clearInterval(timer);
process.stdout.write(`${JSON.stringify({ done: true, posted, status: tx.status, maxRss, maxHeap, maxBuffered })}\n`);
process.exit(0);
