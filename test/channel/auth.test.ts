// Pins docs/architecture.md CH-5 (secret proven at upgrade).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { serve, dial, anyAddr, formatAddr, ChannelError, type NetRx } from '../../src/channel/index.js';
import { FrameEncoder } from '../../src/wire/frames.js';

const quiet = { log: (_: string) => {} };

for (const [label, secret] of [
  ['a wrong secret', 'not-the-mesh-secret'],
  ['no secret', undefined],
] as const) {
  test(`a client with ${label} is refused with Unauthorized and nothing it sent is delivered`, async () => {
    const logs: string[] = [];
    const [addr, rx] = await serve(anyAddr('tcp'), { secret: 'mesh-secret', log: (l) => logs.push(l) });
    const tx = dial(addr, secret === undefined ? {} : { secret });
    const returned: ChannelError[] = [];
    for (let i = 0; i < 10; i++) tx.tryPost(new Uint8Array([i]), (_m, e) => returned.push(e));
    const sent = tx.send(new Uint8Array([99]));
    const reason = await tx.whenClosed();
    assert.ok(reason instanceof ChannelError);
    assert.equal(reason.variant, 'Unauthorized');
    await assert.rejects(sent, (e: ChannelError) => e.variant === 'Unauthorized');
    assert.equal(returned.length, 10);
    assert.equal(tx.status, 'Closed');
    assert.equal(rx.length, 0);
    assert.equal((rx as NetRx).stats.frames, 0, 'no frame was read from the refused client');
    assert.equal((rx as NetRx).stats.refused, 1);
    assert.match(logs.join('\n'), secret === undefined ? /missing x-actormesh-auth/ : /wrong secret/);
    await rx.close();
  });
}

test('a raw WebSocket without a proof gets 401 at upgrade and its frames never reach the Rx', async () => {
  const [addr, rx] = await serve(anyAddr('unix'), { secret: 'mesh-secret', ...quiet });
  assert.equal(addr.transport, 'unix');
  const ws = new WebSocket(`ws+unix://${(addr as { path: string }).path}:/`);
  const status = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  assert.equal(status, 401);
  assert.equal(rx.length, 0);
  assert.equal((rx as NetRx).connections, 0);
  await rx.close();
});

test('a client with the right secret is accepted and delivers', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'), { secret: new TextEncoder().encode('mesh-secret'), ...quiet });
  const tx = dial(formatAddr(addr), { secret: 'mesh-secret' });
  await tx.send(new Uint8Array([7]));
  assert.deepEqual([...(await rx.recv())], [7]);
  await tx.close();
  await rx.close();
});

test('a replayed proof is refused', async () => {
  const [addr, rx] = await serve(anyAddr('tcp'), { secret: 's', ...quiet });
  const { makeProof, AUTH_HEADER } = await import('../../src/channel/auth.js');
  const proof = makeProof('s');
  const url = `ws://127.0.0.1:${(addr as { port: number }).port}/`;
  const attempt = () =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { [AUTH_HEADER]: proof } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.send(new FrameEncoder().init(1n));
        ws.close();
        resolve(101);
      });
      ws.on('error', () => {});
    });
  assert.equal(await attempt(), 101);
  assert.equal(await attempt(), 401);
  await rx.close();
});
