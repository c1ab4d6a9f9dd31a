// The link state of a NetTx (and through MailboxClient / DialMailboxRouter), for failure
// detectors: real servers on 127.0.0.1 and a real TCP proxy whose connections are cut and held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetRx, serve, dial, anyAddr, formatAddr, toAddr, type NetTx } from '../../src/channel/index.js';
import { ActorId, RankedProcId, WorldId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { Mailbox } from '../../src/mailbox/mailbox.js';
import { UNROUTABLE, returnHandleOf } from '../../src/mailbox/sender.js';
import { DialMailboxRouter } from '../../src/mailbox/routers.js';
import { MailboxClient, channelDialer } from '../../src/mailbox/client.js';
import { serveMailbox } from '../../src/mailbox/server.js';
import { startProxy } from './_proxy.js';
import { captureEnvelopes } from '../_support/envelopes.js';
import { eventually } from '../_support/eventually.js';

const quiet = { log: (_: string) => {}, ackIntervalMs: 5 };
const u32 = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
const readU32 = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);

test('a Tx is connected after its first ack, and down since the server closed', async () => {
  const rx = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), quiet);
  const before = Date.now();
  const tx = dial(rx.addr, { minBackoffMs: 2, maxBackoffMs: 20 }) as NetTx;
  const initial = tx.link;
  assert.equal(initial.connected, false, 'not connected before the socket opens');
  assert.ok(initial.downSinceMs !== undefined && initial.downSinceMs >= before && initial.downSinceMs <= Date.now(), 'down since construction');
  await tx.send(u32(1));
  assert.deepEqual(tx.link, { connected: true, downSinceMs: undefined });
  const closing = Date.now();
  await rx.close();
  await eventually(() => !tx.link.connected);
  const down = tx.link;
  assert.equal(down.connected, false);
  assert.ok(down.downSinceMs !== undefined && down.downSinceMs >= closing && down.downSinceMs <= Date.now(), 'down since the loss');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(tx.link.downSinceMs, down.downSinceMs, 'failed reconnects do not move downSinceMs');
  assert.equal(tx.status, 'Active', 'a lost link is not a closed Tx');
  // A new server, a fresh Tx: connected again.
  const rx2 = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), quiet);
  const tx2 = dial(rx2.addr) as NetTx;
  await tx2.send(u32(2));
  assert.equal(tx2.link.connected, true);
  tx.abort();
  assert.equal(tx.link.connected, false);
  await tx2.close();
  assert.equal(tx2.link.connected, false, 'a closed Tx is not connected');
  assert.ok(tx2.link.downSinceMs !== undefined);
  await rx2.close();
});

test('a link cut and held down is disconnected; once restored the session resumes and it is connected again', async () => {
  const rx = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), quiet);
  const proxy = await startProxy((rx.addr as { port: number }).port);
  const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { minBackoffMs: 2, maxBackoffMs: 20 }) as NetTx;
  await tx.send(u32(0));
  assert.equal(readU32(await rx.recv()), 0);
  assert.equal(tx.link.connected, true);
  proxy.hold(true);
  const cut = Date.now();
  proxy.cut();
  await eventually(() => !tx.link.connected);
  const since = tx.link.downSinceMs!;
  assert.ok(since >= cut && since <= Date.now());
  const pending = tx.send(u32(1));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(tx.link, { connected: false, downSinceMs: since }, 'still down while the proxy refuses');
  assert.equal(rx.length, 0);
  proxy.hold(false);
  await pending;
  assert.equal(readU32(await rx.recv()), 1);
  assert.deepEqual(tx.link, { connected: true, downSinceMs: undefined });
  assert.equal(tx.status, 'Active', 'the same server: the session resumed');
  assert.ok(tx.stats.connects >= 2);
  await tx.close();
  await rx.close();
  await proxy.close();
});

test('a slow peer holding back acks stays connected', async () => {
  const rx = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), { ...quiet, rxCapacity: 10 });
  const tx = dial(rx.addr) as NetTx;
  for (let i = 0; i < 200; i++) tx.post(u32(i));
  await eventually(() => rx.length >= 10);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(tx.buffered.messages > 0, 'the full Rx holds back acks');
  assert.deepEqual(tx.link, { connected: true, downSinceMs: undefined });
  let n = 0;
  while (n < 200) n += (await rx.recvMany()).length;
  await tx.close();
  await rx.close();
});

test('MailboxClient.linkState and DialMailboxRouter.linkState report the cached client link, and the router never dials for it', async () => {
  const world = new WorldId('linkstate');
  const A = new ActorId(new RankedProcId(world, 0), 'a', 0);
  const B = new ActorId(new RankedProcId(world, 1), 'b', 0);
  const rx = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), quiet);
  const addr = formatAddr(rx.addr);
  const mb = new Mailbox(B, UNROUTABLE);
  const got = captureEnvelopes(mb, 1025n);
  const server = serveMailbox(rx, mb);
  const router = new DialMailboxRouter({ dialer: channelDialer({ reuseReverse: false, minBackoffMs: 2, maxBackoffMs: 20 }) });
  router.bind(B.proc, addr);
  assert.equal(router.linkState(addr), undefined, 'no cached client');
  assert.equal(router.clientCount, 0, 'linkState did not dial');
  router.post(
    new MessageEnvelope(A, B.port(1025n), new Uint8Array([1]), 'Ping'),
    returnHandleOf(() => assert.fail('unexpected return')),
  );
  await eventually(() => got.length === 1);
  assert.deepEqual(router.linkState(addr), { connected: true, downSinceMs: undefined });
  const client = router.clientFor(addr) as MailboxClient;
  assert.deepEqual(client.linkState(), { connected: true, downSinceMs: undefined });
  await server.stop();
  await eventually(() => router.linkState(addr)?.connected === false);
  assert.ok(router.linkState(addr)!.downSinceMs! <= Date.now());
  assert.equal(router.linkState('tcp:127.0.0.1:1'), undefined);
  client.abort();

  // Not a network Tx: no link state.
  const [laddr, lrx] = await serve(anyAddr('local'));
  const local = MailboxClient.dial(formatAddr(laddr));
  assert.equal(local.linkState(), undefined);
  await local.close();
  await lrx.close();
});
