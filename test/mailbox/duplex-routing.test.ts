// Duplex routing: a DialMailboxRouter whose dialer reuses the reverse direction of a session the
// peer opened (src/channel/duplex.ts, src/mailbox/client.ts channelDialer). Real sockets on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActorId, DirectProcId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { Mailbox } from '../../src/mailbox/mailbox.js';
import { returnHandleOf } from '../../src/mailbox/sender.js';
import { DialMailboxRouter } from '../../src/mailbox/routers.js';
import { MailboxClient, channelDialer } from '../../src/mailbox/client.js';
import { serveMailbox } from '../../src/mailbox/server.js';
import { startProxy } from '../channel/_proxy.js';
import { serve, anyAddr, formatAddr, NetRx, ReverseTx, NetTx, type ChannelAddr } from '../../src/channel/index.js';
import { captureEnvelopes } from '../_support/envelopes.js';
import { eventually } from '../_support/eventually.js';

/** A mailbox served on its own tcp address, forwarding through a duplex DialMailboxRouter. */
async function node(name: string, opts: { deliveryTimeoutMs?: number } = {}) {
  const [addr, rx] = await serve(anyAddr('tcp'), opts);
  const id = new ActorId(new DirectProcId(formatAddr(addr), name), name, 0);
  const router = new DialMailboxRouter({ dialer: channelDialer({ returnRx: rx, minBackoffMs: 5, maxBackoffMs: 20 }) });
  const mb = new Mailbox(id, router);
  const got = captureEnvelopes(mb, 1025n);
  const server = serveMailbox(rx, mb);
  return { addr: addr as ChannelAddr, rx: rx as NetRx, id, router, mb, got, server };
}

test('a reply from the dialed proc goes back over the connection the sender opened', async () => {
  const a = await node('a');
  const b = await node('b');
  a.mb.post(
    new MessageEnvelope(a.id, b.id.port(1025n), new Uint8Array([1]), 'Ping'),
    returnHandleOf(() => assert.fail('ping returned')),
  );
  await eventually(() => b.got.length === 1);
  b.mb.post(
    new MessageEnvelope(b.id, a.id.port(1025n), new Uint8Array([2]), 'Pong'),
    returnHandleOf(() => assert.fail('pong returned')),
  );
  await eventually(() => a.got.length === 1);
  assert.deepEqual([...a.got[0]!.data], [2]);
  assert.ok((b.router.clientFor(formatAddr(a.addr)) as MailboxClient).tx instanceof ReverseTx);
  assert.equal(a.rx.connections, 0, 'b never connected to a');
  assert.equal(b.rx.connections, 1);
  // Many in both directions keep their order.
  for (let i = 0; i < 500; i++) {
    a.mb.post(
      new MessageEnvelope(a.id, b.id.port(1025n), new Uint8Array([i & 255, i >> 8]), 'Ping'),
      returnHandleOf(() => assert.fail('returned')),
    );
    b.mb.post(
      new MessageEnvelope(b.id, a.id.port(1025n), new Uint8Array([i & 255, i >> 8]), 'Pong'),
      returnHandleOf(() => assert.fail('returned')),
    );
  }
  await eventually(() => a.got.length === 501 && b.got.length === 501);
  for (const got of [a.got, b.got]) got.slice(1).forEach((e, i) => assert.deepEqual([...e.data], [i & 255, i >> 8]));
  await (a.router.clientFor(formatAddr(b.addr)) as MailboxClient).close();
  await Promise.all([a.server.stop(), b.server.stop()]);
});

test('once the dialer closed its session, the router dials the address itself', async () => {
  const a = await node('a');
  const b = await node('b');
  a.mb.post(
    new MessageEnvelope(a.id, b.id.port(1025n), new Uint8Array([1]), 'Ping'),
    returnHandleOf(() => assert.fail('ping returned')),
  );
  await eventually(() => b.got.length === 1);
  const reverse = b.router.clientFor(formatAddr(a.addr)) as MailboxClient;
  assert.ok(reverse.tx instanceof ReverseTx);
  await (a.router.clientFor(formatAddr(b.addr)) as MailboxClient).close();
  await eventually(() => reverse.stale);
  b.mb.post(
    new MessageEnvelope(b.id, a.id.port(1025n), new Uint8Array([3]), 'Pong'),
    returnHandleOf(() => assert.fail('pong returned')),
  );
  await eventually(() => a.got.length === 1);
  const fresh = b.router.clientFor(formatAddr(a.addr)) as MailboxClient;
  assert.notEqual(fresh, reverse, 'the stale client was replaced');
  assert.ok(fresh.tx instanceof NetTx);
  assert.equal(a.rx.connections, 1);
  await fresh.close();
  await Promise.all([a.server.stop(), b.server.stop()]);
});

test('envelopes on a reverse direction whose dialer never comes back return as BrokenLink', async () => {
  const a = await node('a');
  const b = await node('b', { deliveryTimeoutMs: 200 });
  // a reaches b through a real TCP proxy, so the link can die for good.
  const proxy = await startProxy((b.addr as { port: number }).port);
  a.router.bind(b.id, `tcp:127.0.0.1:${proxy.port}`);
  a.mb.post(
    new MessageEnvelope(a.id, b.id.port(1025n), new Uint8Array([1]), 'Ping'),
    returnHandleOf(() => assert.fail('ping returned')),
  );
  await eventually(() => b.got.length === 1);
  await proxy.close(); // connections cut, nothing listens: a cannot come back
  const returned: MessageEnvelope[] = [];
  for (let i = 0; i < 3; i++)
    b.mb.post(
      new MessageEnvelope(b.id, a.id.port(1025n), new Uint8Array([i]), 'Pong'),
      returnHandleOf((e) => returned.push(e)),
    );
  await eventually(() => returned.length === 3);
  for (const e of returned) {
    assert.equal(e.errors.at(-1)?.kind, 'BrokenLink');
    assert.match(e.errors.at(-1)!.message, /delivery timeout/);
  }
  assert.equal(a.got.length, 0);
  assert.equal(a.rx.connections, 0, 'b did not dial a instead');
  (a.router.clientFor(`tcp:127.0.0.1:${proxy.port}`) as MailboxClient).abort();
  await Promise.all([a.server.stop(), b.server.stop()]);
});
