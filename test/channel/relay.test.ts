// Relayed connections (src/channel/relay.ts, the uws backend's routed upgrades): a client dialing a
// routed address talks, through the relaying server, to the upstream the route resolves to, with
// the session running end to end; unresolvable or unreachable routes are served by the server
// itself; admission stays the relaying server's; losses on either side are losses on both.
// Pins docs/architecture.md CH-6 (sessions live in one incarnation), HOST-1 (one port per machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_HEADER, ChannelError, NetRx, anyAddr, dial, formatAddr, makeProof, serve, type ChannelAddr, type Rx } from '../../src/channel/index.js';
import type { RelayTarget } from '../../src/channel/relay.js';
import { eventually } from '../_support/eventually.js';

const SECRET = 'relay-test-secret';
const u32 = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
const readU32 = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);

/** A relaying server on loopback whose routes are looked up in `routes` at each upgrade. */
async function relaying(routes: Map<string, ChannelAddr>): Promise<{ addr: ChannelAddr; rx: NetRx }> {
  const [addr, rx] = await serve(anyAddr('tcp'), {
    secret: SECRET,
    relay: (route): RelayTarget | undefined => {
      const up = routes.get(route);
      return up === undefined ? undefined : { addr: up, headers: { [AUTH_HEADER]: makeProof(SECRET) } };
    },
  });
  return { addr, rx: rx as NetRx };
}
const upstream = async (): Promise<[ChannelAddr, NetRx]> => {
  const [a, rx] = await serve(anyAddr('unix'), { secret: SECRET });
  return [a, rx as NetRx];
};
const routed = (server: ChannelAddr, route: string) => `${formatAddr(server)}/${route}`;

async function recvN(rx: Rx, n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  while (out.length < n) out.push(...(await rx.recvMany()));
  return out;
}

test('messages to a routed address reach the upstream once each, in order, large ones intact; the relaying server receives none', async () => {
  const [upAddr, upRx] = await upstream();
  const { addr, rx } = await relaying(new Map([['up/0', upAddr]]));
  const tx = dial(routed(addr, 'up/0'), { secret: SECRET });
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
  for (let i = 0; i < 500; i++) tx.post(u32(i));
  await tx.send(big);
  for (let i = 500; i < 1000; i++) tx.post(u32(i));
  await tx.send(u32(1000));
  const got = await recvN(upRx, 1002);
  assert.deepEqual(got.slice(0, 500).map(readU32), [...Array(500).keys()]);
  assert.deepEqual(got[500], big);
  assert.deepEqual(
    got.slice(501).map(readU32),
    [...Array(501).keys()].map((i) => i + 500),
  );
  assert.equal(rx.stats.messages, 0, 'nothing was received by the relaying server itself');
  assert.equal(upRx.connections, 1, 'the upstream holds the relayed connection');
  await tx.close();
  await eventually(() => upRx.connections === 0, 'closing the client (1000) closes the upstream connection');
  await Promise.all([rx.close(), upRx.close()]);
});

test('a route the server does not resolve, or whose upstream is gone, is served by the relaying server itself', async () => {
  const [deadAddr, deadRx] = await upstream();
  await deadRx.close();
  const { addr, rx } = await relaying(new Map([['gone', deadAddr]]));
  const a = dial(routed(addr, 'nowhere'), { secret: SECRET });
  const b = dial(routed(addr, 'gone'), { secret: SECRET });
  await Promise.all([a.send(u32(1)), b.send(u32(2))]);
  const got = (await recvN(rx, 2)).map(readU32).sort();
  assert.deepEqual(got, [1, 2]);
  await Promise.all([a.close(), b.close(), rx.close()]);
});

test('the relaying server admits the client: without the secret it is refused and no upstream connection is made', async () => {
  const [upAddr, upRx] = await upstream();
  const { addr, rx } = await relaying(new Map([['up', upAddr]]));
  const tx = dial(routed(addr, 'up'));
  tx.post(u32(1));
  const why = await tx.whenClosed();
  assert.ok(why instanceof ChannelError && why.variant === 'Unauthorized', `closed with ${why?.message}`);
  assert.equal(upRx.connections, 0);
  assert.equal(upRx.stats.messages, 0);
  await Promise.all([rx.close(), upRx.close()]);
});

test('the upstream going away is a lost connection; a new upstream behind the same route is another incarnation, so the session ends (ServerRestarted) and its messages return', async () => {
  const [upAddr, upRx] = await upstream();
  const routes = new Map([['p', upAddr]]);
  const { addr, rx } = await relaying(routes);
  const tx = dial(routed(addr, 'p'), { secret: SECRET, minBackoffMs: 5, maxBackoffMs: 20 });
  await tx.send(u32(1));
  assert.equal(readU32(await upRx.recv()), 1);
  const [nextAddr, nextRx] = await upstream();
  routes.set('p', nextAddr);
  await upRx.close();
  const returned: number[] = [];
  tx.tryPost(u32(2), (m) => returned.push(readU32(m)));
  const why = await tx.whenClosed();
  assert.ok(why instanceof ChannelError && why.variant === 'ServerRestarted', `closed with ${why?.variant}: ${why?.message}`);
  await eventually(() => returned.length === 1, 'the unacknowledged message came back');
  assert.deepEqual(returned, [2]);
  assert.equal(nextRx.stats.messages, 0, 'nothing of the old session reached the new upstream');
  await Promise.all([rx.close(), nextRx.close()]);
});

test('closing the relaying server drops its relayed connections on both sides', async () => {
  const [upAddr, upRx] = await upstream();
  const { addr, rx } = await relaying(new Map([['up', upAddr]]));
  const tx = dial(routed(addr, 'up'), { secret: SECRET, minBackoffMs: 5, maxBackoffMs: 20 });
  await tx.send(u32(1));
  await rx.close();
  await eventually(() => upRx.connections === 0, 'the upstream connection is closed');
  tx.abort('test over');
  await upRx.close();
});
