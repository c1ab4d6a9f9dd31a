// Pins docs/architecture.md CH-3 (pending messages returned on delivery timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { serve, dial, anyAddr, ChannelError, type NetTx, type Transport } from '../../src/channel/index.js';
import { FrameEncoder, FrameKind, decodeFrame } from '../../src/wire/frames.js';

const u32 = (i: number) => {
  const m = new Uint8Array(4);
  new DataView(m.buffer).setUint32(0, i, true);
  return m;
};
const val = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const t of ['tcp', 'unix', 'local'] as Transport[]) {
  test(`${t}: messages of one Tx arrive in order and send resolves once the peer enqueued`, async () => {
    const [addr, rx] = await serve(anyAddr(t));
    const tx = dial(addr);
    for (let i = 0; i < 1000; i++) tx.post(u32(i));
    await tx.send(u32(1000));
    assert.equal(rx.length, 1001, 'send resolved after everything before it was enqueued');
    let i = 0;
    for await (const m of rx) {
      assert.equal(val(m), i++);
      if (i === 1001) break;
    }
    await tx.close();
    await rx.close();
  });
}

test('the ws server backend speaks the same protocol: ordered delivery, acks, auth', async () => {
  const logs: string[] = [];
  const [addr, rx] = await serve(anyAddr('tcp'), { backend: 'ws', secret: 'k', log: (l) => logs.push(l) });
  const tx = dial(addr, { secret: 'k' });
  for (let i = 0; i < 5000; i++) tx.post(u32(i));
  await tx.send(u32(5000));
  for (let i = 0; i <= 5000; i++) assert.equal(val(await rx.recv()), i);
  const intruder = dial(addr, { secret: 'wrong' });
  assert.equal((await intruder.whenClosed())?.variant, 'Unauthorized');
  assert.match(logs.join('\n'), /wrong secret/);
  await tx.close();
  await rx.close();
});

test('the server acks every N messages', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'), { ackEveryN: 10, ackIntervalMs: 60_000 });
  const tx = dial(addr);
  for (let i = 0; i < 9; i++) tx.post(u32(i));
  while (rx.length < 9) await sleep(5);
  await sleep(30);
  assert.equal(tx.buffered.messages, 9, 'no ack before N messages');
  await tx.send(u32(9));
  assert.equal(tx.buffered.messages, 0);
  await rx.close();
  await tx.close();
});

test('the server acks after the ack interval when fewer than N messages arrived', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'), { ackEveryN: 1_000_000, ackIntervalMs: 40 });
  const tx = dial(addr);
  const t0 = Date.now();
  await tx.send(u32(1));
  assert.ok(Date.now() - t0 >= 30, 'the ack waited for the interval');
  await rx.close();
  await tx.close();
});

test('a Tx that cannot deliver within the delivery timeout closes for good and returns every pending message', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r)); // nothing listens there now
  const tx = dial(`tcp:127.0.0.1:${port}`, { deliveryTimeoutMs: 200, maxBackoffMs: 20 });
  const returned: Array<[number, string]> = [];
  for (let i = 0; i < 5; i++) tx.tryPost(u32(i), (m, e) => returned.push([val(m), e.variant]));
  const sent = tx.send(u32(5));
  const reason = await tx.whenClosed();
  assert.equal(reason?.variant, 'Timeout');
  assert.equal(tx.status, 'Closed');
  assert.deepEqual(
    returned,
    [0, 1, 2, 3, 4].map((i) => [i, 'Timeout']),
  );
  await assert.rejects(sent, (e: ChannelError) => e.variant === 'Timeout');
  // After Closed, messages come straight back.
  const late = await new Promise<string>((r) => tx.tryPost(u32(9), (_m, e) => r(e.variant)));
  assert.equal(late, 'Timeout');
});

test('a client may dial before the server listens', async () => {
  const addr = anyAddr('unix');
  const tx = dial(addr, { minBackoffMs: 5, maxBackoffMs: 20 });
  const sent = tx.send(u32(42));
  await sleep(50);
  const [, rx] = await serve(addr);
  await sent;
  assert.equal(val(await rx.recv()), 42);
  await tx.close();
  await rx.close();
});

test('the server rejects a sequence gap and the Tx side sees a Reject frame', async () => {
  const logs: string[] = [];
  const [addr, rx] = await serve(anyAddr('tcp'), { log: (l) => logs.push(l) });
  const enc = new FrameEncoder();
  const ws = new WebSocket(`ws://127.0.0.1:${(addr as { port: number }).port}/`);
  const frames: string[] = [];
  await new Promise<void>((resolve) => {
    ws.on('open', () => {
      ws.send(enc.init(77n).slice());
      ws.send(enc.messages(3, [u32(1)], 0, 1, 4).slice());
    });
    ws.on('message', (d: Buffer) => {
      const f = decodeFrame(new Uint8Array(d));
      if (f.kind === FrameKind.Reject) frames.push(f.reason);
    });
    ws.on('close', () => resolve());
  });
  assert.equal(frames.length, 1);
  assert.match(frames[0]!, /sequence gap in session 77: expected seq 0, got 3/);
  assert.match(logs[0]!, /sequence gap/);
  assert.equal(rx.length, 0);
  await rx.close();
});

test('a message larger than the frame limit comes back with a Codec error', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'), { maxFrameLength: 1024 });
  const tx = dial(addr, { maxFrameLength: 1024 }) as NetTx;
  const err = await new Promise<ChannelError>((r) => tx.tryPost(new Uint8Array(4096), (_m, e) => r(e)));
  assert.equal(err.variant, 'Codec');
  assert.match(err.message, /exceeds the frame limit of 1024 bytes/);
  await tx.send(u32(1));
  assert.equal(rx.length, 1);
  await tx.close();
  await rx.close();
});

test('closing a local Rx closes its Txs and returns later messages', async () => {
  const [addr, rx] = await serve('local:0');
  const tx = dial(addr);
  tx.post(u32(1));
  await rx.close();
  assert.equal(tx.status, 'Closed');
  assert.equal((await tx.whenClosed())?.variant, 'Closed');
  const back = await new Promise<number>((r) => tx.tryPost(u32(2), (m) => r(val(m))));
  assert.equal(back, 2);
  assert.equal(val(await rx.recv()), 1, 'queued messages stay receivable after close');
  await assert.rejects(rx.recv(), (e: ChannelError) => e.variant === 'Closed');
});

test('dialing a local address that is not served is a ChannelError', () => {
  assert.throws(
    () => dial('local:987654'),
    (e: unknown) => e instanceof ChannelError && e.variant === 'Client',
  );
});

test('a connected Tx whose server goes silent times out and returns every unacknowledged message', async () => {
  // A bare server that acknowledges the first three frames (the third one late), then never
  // answers again but keeps the connection open: only the delivery timeout can end this.
  const { WebSocketServer } = await import('ws');
  const enc = new FrameEncoder();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let frames = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (d: Buffer) => {
      const f = decodeFrame(new Uint8Array(d));
      if (f.kind !== FrameKind.Messages) return;
      const ack = enc.ack(f.seq + f.messages.length).slice();
      frames++;
      if (frames <= 2) ws.send(ack);
      else if (frames === 3) setTimeout(() => ws.send(ack), 50);
    });
  });
  const tx = dial(`tcp:127.0.0.1:${(wss.address() as net.AddressInfo).port}`, { deliveryTimeoutMs: 300 });
  await tx.send(u32(0)); // sent once connected
  await tx.send(u32(1)); // sent at once on the idle connection
  const returned: number[] = [];
  tx.tryPost(u32(2), (m) => returned.push(val(m))); // acked late
  await sleep(10);
  tx.tryPost(u32(3), (m) => returned.push(val(m))); // never acked, posted in a later turn
  const reason = await Promise.race([tx.whenClosed(), sleep(30_000).then(() => undefined)]);
  assert.equal(reason?.variant, 'Timeout', 'the Tx timed out');
  assert.deepEqual(returned, [3]);
  wss.close();
  for (const c of wss.clients) c.terminate();
});
