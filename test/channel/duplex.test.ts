// Duplex sessions (src/channel/duplex.ts): the reverse direction of a dialed connection, with
// real sockets on loopback (and a real TCP proxy to break links).
// Pins docs/architecture.md CH-7 (reverse Tx as reliable as a dialed Tx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { serve, dial, dialReusing, anyAddr, formatAddr, NetRx, NetTx, ReverseTx, reverseTxFor, ChannelError, type Rx } from '../../src/channel/index.js';
import { FrameEncoder } from '../../src/wire/frames.js';
import { startProxy } from './_proxy.js';
import { eventually } from '../_support/eventually.js';

const u32 = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
const readU32 = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);

for (const backend of ['uws', 'ws'] as const)
  test(`a reply to the dialer travels over the connection the dialer opened (${backend} server): no connection to the dialer is made`, async () => {
    const [aAddr, aRx] = await serve(anyAddr('tcp'));
    const [bAddr, bRx] = await serve(anyAddr('tcp'), { backend });
    const tx = dial(bAddr, { returnRx: aRx });
    await tx.send(new TextEncoder().encode('ping'));
    assert.equal(new TextDecoder().decode(await bRx.recv()), 'ping');
    const back = dialReusing(formatAddr(aAddr));
    assert.ok(back instanceof ReverseTx, 'the reverse direction of the session is reused');
    await back.send(new TextEncoder().encode('pong'));
    assert.equal(new TextDecoder().decode(await aRx.recv()), 'pong');
    assert.equal((aRx as NetRx).connections, 0, 'nobody connected to the dialer');
    assert.equal((bRx as NetRx).connections, 1);
    await tx.close();
    await eventually(() => back.status === 'Closed');
    assert.equal(reverseTxFor(aAddr), undefined, 'a cleanly closed session ends its reverse direction');
    await aRx.close();
    await bRx.close();
  });

test('without a reverse session for an address, dialReusing dials it (one-way fallback)', async () => {
  const [aAddr, aRx] = await serve(anyAddr('tcp'));
  const [bAddr, bRx] = await serve(anyAddr('tcp'));
  const plain = dial(bAddr); // no returnRx: one-way, as Monarch
  await plain.send(u32(1));
  await bRx.recv();
  assert.equal(reverseTxFor(aAddr), undefined);
  const toA = dialReusing(aAddr);
  assert.ok(toA instanceof NetTx, 'dials when nobody announced the address');
  await toA.send(u32(2));
  assert.equal(readU32(await aRx.recv()), 2);
  assert.equal((aRx as NetRx).connections, 1);
  await Promise.all([plain.close(), toA.close()]);
  // A return Rx that no longer listens is not announced.
  const [cAddr, cRx] = await serve(anyAddr('tcp'));
  const [dAddr, dRx] = await serve(anyAddr('tcp'));
  await dRx.close();
  const ghost = dial(cAddr, { returnRx: dRx });
  await ghost.send(u32(3));
  await cRx.recv();
  assert.equal(reverseTxFor(dAddr), undefined);
  await ghost.close();
  await Promise.all([aRx.close(), bRx.close(), cRx.close()]);
});

test('the reverse direction delivers exactly once and in order across 10 forced socket drops', async () => {
  const [aAddr, aRx] = await serve(anyAddr('tcp'));
  const [, bRx] = await serve(anyAddr('tcp'));
  const proxy = await startProxy((bRx as NetRx).addr.transport === 'tcp' ? ((bRx as NetRx).addr as { port: number }).port : 0);
  const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { returnRx: aRx, minBackoffMs: 1, maxBackoffMs: 10 });
  await tx.send(u32(0));
  await bRx.recv();
  const rev = reverseTxFor(aAddr)!;
  assert.ok(rev, 'the server registered a reverse Tx for the announced address');
  const N = 20_000;
  const got: number[] = [];
  const reader = (async () => {
    while (got.length < N) for (const m of await aRx.recvMany()) got.push(readU32(m));
  })();
  let cuts = 0;
  for (let i = 0; i < N; i++) {
    rev.post(u32(i));
    if (i % 2000 === 1999) {
      await new Promise((r) => setImmediate(r));
      const connects = rev.stats.connects;
      if (proxy.cut() > 0) cuts++;
      await eventually(() => rev.stats.connects > connects); // re-attached to the reconnected socket
    }
    if (i % 256 === 0) await new Promise((r) => setImmediate(r));
  }
  await reader;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(cuts, 10);
  assert.equal(got.length, N);
  assert.equal(aRx.length, 0, 'no duplicate arrived after the last message');
  for (let i = 0; i < N; i++) if (got[i] !== i) assert.fail(`message ${i} arrived as ${got[i]}`);
  assert.ok(rev.stats.resent > 0, 'unacknowledged frames were resent after drops');
  assert.equal(rev.status, 'Active');
  await tx.close();
  await proxy.close();
  await Promise.all([aRx.close(), bRx.close()]);
});

test('when the dialer cannot come back, the reverse direction times out and returns every pending message', async () => {
  const [aAddr, aRx] = await serve(anyAddr('tcp'));
  const [bAddr, bRx] = await serve(anyAddr('tcp'), { deliveryTimeoutMs: 200 });
  const proxy = await startProxy((bAddr as { port: number }).port);
  const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { returnRx: aRx, minBackoffMs: 5, maxBackoffMs: 20 });
  await tx.send(u32(0));
  await bRx.recv();
  const rev = reverseTxFor(aAddr)!;
  await proxy.close(); // every connection cut, nothing listens any more
  const returned: Array<[number, ChannelError]> = [];
  for (let i = 1; i <= 3; i++) rev.tryPost(u32(i), (m, e) => returned.push([readU32(m), e]));
  const sent = rev.send(u32(4));
  await assert.rejects(sent, (e: unknown) => e instanceof ChannelError && e.variant === 'Timeout');
  await eventually(() => returned.length === 3);
  assert.deepEqual(
    returned.map(([i]) => i),
    [1, 2, 3],
  );
  for (const [, e] of returned) assert.match(e.message, /delivery timeout of 200 ms/);
  assert.equal(rev.status, 'Closed');
  assert.equal(reverseTxFor(aAddr), undefined, 'a dead reverse direction is not handed out again');
  const fallback = dialReusing(aAddr);
  assert.ok(fallback instanceof NetTx, 'later sends to the address dial it');
  fallback.abort();
  tx.abort();
  await Promise.all([aRx.close(), bRx.close()]);
});

/** A real `ws` server that answers every connection with `frames`, counting connections. */
async function rogueServer(frames: (enc: FrameEncoder) => Uint8Array[]): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    n++;
    for (const f of frames(new FrameEncoder(256))) ws.send(f.slice());
  });
  return {
    port: (wss.address() as AddressInfo).port,
    connections: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

async function expectClosedForCause(frames: (enc: FrameEncoder) => Uint8Array[], reason: RegExp): Promise<void> {
  const lines: string[] = [];
  const [, aRx] = await serve(anyAddr('tcp'), { log: (l) => lines.push(l) });
  const rogue = await rogueServer(frames);
  const tx = dial(`tcp:127.0.0.1:${rogue.port}`, { returnRx: aRx, minBackoffMs: 5, maxBackoffMs: 10 });
  tx.post(u32(1));
  await eventually(() => rogue.connections() >= 3 && lines.some((l) => reason.test(l)));
  assert.equal(tx.status, 'Active', 'the Tx reconnects after closing the bad connection');
  assert.equal((aRx as Rx).length, 0, 'nothing reached the Rx');
  tx.abort();
  await rogue.close();
  await aRx.close();
}

test('a malformed frame on the reverse direction closes that connection (client side), not the process', async () => {
  await expectClosedForCause(() => [new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])], /malformed frame/);
});

test('reverse Messages before the reverse Init close the connection', async () => {
  await expectClosedForCause((e) => [e.messages(0, [u32(7)], 0, 1, 4).slice()], /reverse Messages before the reverse Init/);
});

test('a sequence gap on the reverse direction closes the connection and delivers nothing', async () => {
  await expectClosedForCause((e) => [e.init(42n).slice(), e.messages(5, [u32(7)], 0, 1, 4).slice()], /sequence gap in session 42: expected seq 0, got 5/);
});

test('an invalid return address in the upgrade is refused with a logged reason', async () => {
  const lines: string[] = [];
  const [bAddr, bRx] = await serve(anyAddr('tcp'), { log: (l) => lines.push(l) });
  const ws = new WebSocket(`ws://127.0.0.1:${(bAddr as { port: number }).port}/`, { headers: { 'x-actormesh-return': 'nonsense' } });
  const status = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  ws.terminate();
  assert.equal(status, 400);
  await eventually(() => lines.some((l) => /invalid x-actormesh-return header/.test(l)));
  assert.equal((bRx as NetRx).connections, 0);
  await bRx.close();
});

test('messages posted in one turn on the reverse direction are coalesced into few frames', async () => {
  const [aAddr, aRx] = await serve(anyAddr('tcp'));
  const [bAddr, bRx] = await serve(anyAddr('tcp'));
  const tx = dial(bAddr, { returnRx: aRx });
  await tx.send(u32(0));
  await bRx.recv();
  const rev = reverseTxFor(aAddr)!;
  const frames = rev.stats.frames;
  for (let i = 0; i < 10_000; i++) rev.post(u32(i));
  let got = 0;
  while (got < 10_000) for (const m of await aRx.recvMany()) assert.equal(readU32(m), got++);
  const used = rev.stats.frames - frames;
  assert.ok(used <= 10, `10000 messages took ${used} frames; expected the first alone and the rest coalesced`);
  await tx.close();
  await Promise.all([aRx.close(), bRx.close()]);
});

test('a reverse direction whose receiver stops reading is bounded by its window and high-water mark', async () => {
  const [aAddr, aRx] = await serve(anyAddr('tcp'), { rxCapacity: 50, ackIntervalMs: 5 });
  const [bAddr, bRx] = await serve(anyAddr('tcp'), { windowBytes: 4096, batchBytes: 1024, highWaterBytes: 16_384 });
  const tx = dial(bAddr, { returnRx: aRx });
  await tx.send(u32(0));
  await bRx.recv();
  const rev = reverseTxFor(aAddr)!;
  const msg = (i: number) => {
    const m = new Uint8Array(64);
    new DataView(m.buffer).setUint32(0, i, true);
    return m;
  };
  let posted = 0;
  while (rev.post(msg(posted))) posted++;
  posted++; // the one that crossed the mark was taken too
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(rev.buffered.bytes >= 16_384, 'post refused only above the high-water mark');
  // Acks stop once the queue is at capacity; the sender then stops at its window (checked before
  // each frame of at most batchBytes).
  const bound = 50 + (4096 + 1024) / 64 + 1024 / 64;
  assert.ok(aRx.length <= bound, `the stopped receiver holds ${aRx.length} messages; expected at most ${bound} (capacity + window + one frame)`);
  assert.ok(aRx.length < posted, 'not everything was sent');
  const writable = rev.whenWritable();
  let got = 0;
  while (got < posted) for (const m of await aRx.recvMany()) assert.equal(readU32(m), got++);
  await writable;
  assert.equal(rev.status, 'Active');
  await tx.close();
  await Promise.all([aRx.close(), bRx.close()]);
});
