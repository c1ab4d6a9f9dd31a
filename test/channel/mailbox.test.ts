import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ActorId, DirectProcId, RankedProcId, WorldId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { Mailbox } from '../../src/mailbox/mailbox.js';
import { UNROUTABLE, returnHandleOf } from '../../src/mailbox/sender.js';
import { DialMailboxRouter } from '../../src/mailbox/routers.js';
import { UNDELIVERABLE_PORT, decodeBounced } from '../../src/mailbox/undeliverable.js';
import { MailboxClient, installChannelDialer } from '../../src/mailbox/client.js';
import { serveMailbox } from '../../src/mailbox/server.js';
import { serve, anyAddr, formatAddr } from '../../src/channel/index.js';
import { captureEnvelopes } from '../_support/envelopes.js';
import { eventually } from '../_support/eventually.js';

const world = new WorldId('mbtest');
const A = new ActorId(new RankedProcId(world, 0), 'a', 0);
const B = new ActorId(new RankedProcId(world, 1), 'b', 0);

test('envelopes posted to a MailboxClient reach the remote mailbox intact and in order', async () => {
  const [addr, rx] = await serve(anyAddr('unix'));
  const mbB = new Mailbox(B, UNROUTABLE);
  const got = captureEnvelopes(mbB, 1025n);
  const server = serveMailbox(rx, mbB);
  const client = MailboxClient.dial(formatAddr(addr));
  const failed: MessageEnvelope[] = [];
  for (let i = 0; i < 1000; i++) {
    client.post(
      new MessageEnvelope(A, B.port(1025n), new Uint8Array([i & 255, i >> 8]), 'Ping'),
      returnHandleOf((e) => failed.push(e)),
    );
  }
  await eventually(() => got.length === 1000);
  got.forEach((e, i) => {
    assert.deepEqual([...e.data], [i & 255, i >> 8]);
    assert.equal(e.sender.key, A.key);
    assert.equal(e.typeName, 'Ping');
    assert.equal(e.ttl, 62, 'one hop at the client, one at the remote mailbox');
  });
  assert.equal(failed.length, 0);
  await client.close();
  await server.stop();
  assert.equal(server.stats.posted, 1000);
});

test('an envelope the remote side cannot deliver comes back to the sender marked as undeliverable', async () => {
  const [addrA, rxA] = await serve(anyAddr('tcp'));
  const [addrB, rxB] = await serve(anyAddr('tcp'));
  const mbA = new Mailbox(A, UNROUTABLE);
  const bounced = captureEnvelopes(mbA, UNDELIVERABLE_PORT);
  const mbB = new Mailbox(B, MailboxClient.dial(formatAddr(addrA)));
  const sA = serveMailbox(rxA, mbA);
  const sB = serveMailbox(rxB, mbB);
  const toB = MailboxClient.dial(formatAddr(addrB));
  toB.post(
    new MessageEnvelope(A, B.port(4242n), new Uint8Array([1]), 'Lost'),
    returnHandleOf(() => assert.fail('not a local failure')),
  );
  await eventually(() => bounced.length === 1);
  const original = decodeBounced(bounced[0]!.data);
  assert.equal(original.dest.key, B.port(4242n).key);
  assert.equal(original.errors[0]?.kind, 'Unroutable');
  assert.match(original.errors[0]!.message, /port not bound/);
  assert.equal(bounced[0]!.returnUndeliverable, false, 'a bounce is never bounced again');
  await toB.close();
  await (mbB.forwarder as MailboxClient).close();
  await sA.stop();
  await sB.stop();
});

test('a MailboxClient whose link fails returns its envelopes with BrokenLink', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const client = MailboxClient.dial(`tcp:127.0.0.1:${port}`, { deliveryTimeoutMs: 150, maxBackoffMs: 20 });
  const returned: MessageEnvelope[] = [];
  for (let i = 0; i < 3; i++)
    client.post(
      new MessageEnvelope(A, B.port(1025n), new Uint8Array([i]), 'X'),
      returnHandleOf((e) => returned.push(e)),
    );
  await eventually(() => returned.length === 3);
  for (const e of returned) {
    assert.equal(e.errors.at(-1)?.kind, 'BrokenLink');
    assert.match(e.errors.at(-1)!.message, /delivery timeout/);
  }
  assert.equal(client.closed, true);
});

test('a DialMailboxRouter dials the real channel address embedded in a direct proc id', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'));
  const C = new ActorId(new DirectProcId(formatAddr(addr), 'procC'), 'c', 0);
  const mbC = new Mailbox(C, UNROUTABLE);
  const got = captureEnvelopes(mbC, 2000n);
  const server = serveMailbox(rx, mbC);
  const uninstall = installChannelDialer();
  try {
    const router = new DialMailboxRouter();
    router.post(
      new MessageEnvelope(A, C.port(2000n), new Uint8Array([5]), 'Hello'),
      returnHandleOf(() => assert.fail('unexpected return')),
    );
    await eventually(() => got.length === 1);
    assert.deepEqual([...got[0]!.data], [5]);
    assert.equal(router.clientCount, 1);
    await (router.clientFor(formatAddr(addr)) as MailboxClient).close();
  } finally {
    uninstall();
  }
  await server.stop();
});
