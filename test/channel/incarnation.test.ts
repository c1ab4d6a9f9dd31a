// Server incarnations (Monarch issue #4310): a server restarted on the address of a long-lived
// client's session must not poison that session. Real servers on 127.0.0.1, restarted on the same port.
// Pins docs/architecture.md CH-6 (sessions live in one incarnation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetRx, dial, formatAddr, toAddr, ChannelError, INCARNATION_HEADER, type NetTx } from '../../src/channel/index.js';
import { ActorId, RankedProcId, WorldId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { Mailbox } from '../../src/mailbox/mailbox.js';
import { UNROUTABLE, returnHandleOf } from '../../src/mailbox/sender.js';
import { DialMailboxRouter } from '../../src/mailbox/routers.js';
import { MailboxClient, channelDialer } from '../../src/mailbox/client.js';
import { serveMailbox } from '../../src/mailbox/server.js';
import WebSocket from 'ws';
import net from 'node:net';
import { captureEnvelopes } from '../_support/envelopes.js';
import { eventually } from '../_support/eventually.js';

const quiet = { log: (_: string) => {}, ackIntervalMs: 5 };
const u32 = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
const readU32 = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);
/**
 * A free tcp port to serve on. A restarted server reuses its fixed port; uWS sets SO_REUSEADDR
 * only when given a port (not for port 0), and without it the old server's TIME_WAIT
 * connections would keep the port busy for a minute.
 */
const freePort = async (): Promise<number> => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
};
/** `p`, or a rejection after `ms` (so a regression fails instead of waiting for the runner's timeout). */
const within = <T>(p: Promise<T>, ms = 10_000): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms).unref())]);

for (const backend of ['uws', 'ws'] as const) {
  test(`each listening server sends its own incarnation in the upgrade response (${backend} server)`, async () => {
    const rx = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), { backend, ...quiet });
    assert.match(rx.incarnation, /^[0-9a-f]{16}$/);
    const header = await new Promise<string | undefined>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${(rx.addr as { port: number }).port}/`);
      ws.on('upgrade', (res) => resolve(res.headers[INCARNATION_HEADER] as string | undefined));
      ws.on('open', () => ws.close());
      ws.on('error', reject);
    });
    assert.equal(header, rx.incarnation);
    const other = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), { backend, ...quiet });
    assert.notEqual(other.incarnation, rx.incarnation);
    await Promise.all([rx.close(), other.close()]);
  });

  test(`a Tx whose server restarted on the same address ends ServerRestarted, returns what it held and resends nothing (${backend} server)`, async () => {
    const rx1 = await NetRx.listen(toAddr(`tcp:127.0.0.1:${await freePort()}`), { backend, ...quiet });
    const addr = formatAddr(rx1.addr);
    const tx = dial(addr, { minBackoffMs: 2, maxBackoffMs: 20 }) as NetTx;
    for (let i = 0; i < 10; i++) await tx.send(u32(i));
    for (let i = 0; i < 10; i++) assert.equal(readU32(await rx1.recv()), i);
    assert.equal(tx.buffered.messages, 0, 'everything was acknowledged');
    await rx1.close();
    await eventually(() => !tx.link.connected);
    // Posted while the server is down: the old session holds them, unacknowledged.
    const returned: Array<[number, ChannelError]> = [];
    for (let i = 0; i < 5; i++) tx.tryPost(u32(100 + i), (m, e) => returned.push([readU32(m), e]));
    const sent = tx.send(u32(200));
    const rx2 = await NetRx.listen(toAddr(addr), { backend, ...quiet });
    assert.equal(formatAddr(rx2.addr), addr, 'the new server listens on the same address');
    assert.notEqual(rx2.incarnation, rx1.incarnation);
    const why = await within(tx.whenClosed());
    assert.ok(why instanceof ChannelError);
    assert.equal(why.variant, 'ServerRestarted');
    assert.equal(why.addr, addr);
    assert.ok(why.message.includes(addr), why.message);
    assert.match(why.message, /restarted/);
    assert.match(why.message, /not delivered/);
    assert.equal(tx.status, 'Closed');
    await assert.rejects(sent, (e: ChannelError) => e.variant === 'ServerRestarted');
    assert.deepEqual(
      returned.map(([v]) => v),
      [100, 101, 102, 103, 104],
    );
    for (const [, e] of returned) assert.equal(e.variant, 'ServerRestarted');
    assert.equal(rx2.stats.frames, 0, 'not even the old session Init reached the new server');
    assert.equal(rx2.stats.protocolErrors, 0);
    assert.equal(rx2.length, 0);
    // A fresh session to the same address works.
    const tx2 = dial(addr);
    await tx2.send(u32(7));
    assert.equal(readU32(await rx2.recv()), 7);
    await tx2.close();
    await rx2.close();
  });
}

test('a DialMailboxRouter replaces a client whose server restarted: the next envelope reaches the new server', async () => {
  const world = new WorldId('incarnation');
  const A = new ActorId(new RankedProcId(world, 0), 'a', 0);
  const B = new ActorId(new RankedProcId(world, 1), 'b', 0);
  const envelope = (v: number) => new MessageEnvelope(A, B.port(1025n), new Uint8Array([v]), 'Ping');
  const noReturn = returnHandleOf((e) => assert.fail(`unexpected return: ${e.errors.at(-1)?.message}`));

  const rx1 = await NetRx.listen(toAddr(`tcp:127.0.0.1:${await freePort()}`), quiet);
  const addr = formatAddr(rx1.addr);
  const mb1 = new Mailbox(B, UNROUTABLE);
  const got1 = captureEnvelopes(mb1, 1025n);
  const s1 = serveMailbox(rx1, mb1);
  const router = new DialMailboxRouter({ dialer: channelDialer({ reuseReverse: false, minBackoffMs: 2, maxBackoffMs: 20 }) });
  router.bind(B.proc, addr);
  router.post(envelope(1), noReturn);
  await eventually(() => got1.length === 1);
  const c1 = router.clientFor(addr) as MailboxClient;
  await eventually(() => c1.tx.buffered.messages === 0);
  await s1.stop();

  // Posted while the server is down: it comes back undeliverable once the restart is detected.
  const bounced: MessageEnvelope[] = [];
  router.post(
    envelope(2),
    returnHandleOf((e) => bounced.push(e)),
  );
  const rx2 = await NetRx.listen(toAddr(addr), quiet);
  const mb2 = new Mailbox(B, UNROUTABLE);
  const got2 = captureEnvelopes(mb2, 1025n);
  const s2 = serveMailbox(rx2, mb2);
  assert.equal((await within(c1.tx.whenClosed()))?.variant, 'ServerRestarted');
  assert.equal(c1.stale, true, 'a client whose server restarted is stale');
  await eventually(() => bounced.length === 1);
  assert.equal(bounced[0]!.errors.at(-1)?.kind, 'BrokenLink');
  assert.match(bounced[0]!.errors.at(-1)!.message, /restarted/);

  router.post(envelope(3), noReturn);
  await eventually(() => got2.length === 1);
  assert.deepEqual([...got2[0]!.data], [3]);
  const c2 = router.clientFor(addr) as MailboxClient;
  assert.notEqual(c2, c1, 'the router dialed a fresh session');
  assert.equal(router.clientCount, 1);
  await c2.close();
  await s2.stop();
});
