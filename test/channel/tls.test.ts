// Optional mutual TLS (src/channel/tls.ts): real uWS SSLApp servers and `wss://` NetTxs on
// 127.0.0.1, with a CA, server and client certificates made by the `openssl` CLI in a temp dir.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { NetRx, dial, formatAddr, toAddr, ChannelError, type NetTx, type ServeOptions } from '../../src/channel/index.js';
import { ClientCertProver } from '../../src/channel/tls.js';
import { hasOpenssl, makePki, NO_OPENSSL, type Pki } from '../_support/pki.js';

const skip = hasOpenssl ? false : NO_OPENSSL;
const u32 = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
const readU32 = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0, true);
/** `p`, or a rejection after `ms` (so a Tx that retries forever fails the test instead of hanging it). */
const within = <T>(p: Promise<T>, ms = 10_000): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms).unref())]);

const pki: Pki | undefined = hasOpenssl ? makePki() : undefined;
after(() => {
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

async function tlsServer(opts: Partial<ServeOptions> & { mutual?: boolean } = {}): Promise<{ rx: NetRx; addr: string; logs: string[] }> {
  const logs: string[] = [];
  const { mutual = true, ...rest } = opts;
  const rx = await NetRx.listen(toAddr('tcp:127.0.0.1:0'), {
    tls: { cert: pki!.serverCert, key: pki!.serverKey, ...(mutual ? { ca: pki!.ca } : {}) },
    log: (l) => logs.push(l),
    ackIntervalMs: 5,
    ...rest,
  });
  return { rx, addr: formatAddr(rx.addr), logs };
}

test('round trip over TLS with mutual authentication, and the mesh secret checked as well', { skip }, async () => {
  const { rx, addr } = await tlsServer({ secret: 'mesh-secret' });
  const tx = dial(addr, { secret: 'mesh-secret', tls: { ca: pki!.ca, cert: pki!.clientCert, key: pki!.clientKey } }) as NetTx;
  for (let i = 0; i < 100; i++) tx.post(u32(i));
  await tx.send(u32(100));
  for (let i = 0; i <= 100; i++) assert.equal(readU32(await rx.recv()), i);
  assert.equal(tx.link.connected, true);
  // The certificate alone is not enough: a wrong secret is still refused.
  const intruder = dial(addr, { secret: 'wrong', tls: { ca: pki!.ca, cert: pki!.clientCert, key: pki!.clientKey } });
  assert.equal((await within(intruder.whenClosed()))?.variant, 'Unauthorized');
  // Nor is the secret alone: no client certificate is refused.
  const noCert = dial(addr, { secret: 'mesh-secret', tls: { ca: pki!.ca } });
  assert.equal((await within(noCert.whenClosed()))?.variant, 'TlsError');
  // A plain (non-TLS) client never gets a connection.
  const plain = dial(addr, { secret: 'mesh-secret', minBackoffMs: 5, maxBackoffMs: 20 }) as NetTx;
  plain.post(u32(999));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(plain.link.connected, false);
  plain.abort();
  assert.equal(rx.length, 0);
  await tx.close();
  await rx.close();
});

test('a TLS server without a ca accepts clients without certificates', { skip }, async () => {
  const { rx, addr } = await tlsServer({ mutual: false });
  const tx = dial(addr, { tls: { ca: pki!.ca } });
  await tx.send(u32(5));
  assert.equal(readU32(await rx.recv()), 5);
  await tx.close();
  await rx.close();
});

test('a client without a certificate is refused by a mutual-TLS server: TlsError, nothing delivered', { skip }, async () => {
  const { rx, addr, logs } = await tlsServer();
  const tx = dial(addr, { tls: { ca: pki!.ca }, minBackoffMs: 2 });
  const returned: ChannelError[] = [];
  for (let i = 0; i < 5; i++) tx.tryPost(u32(i), (_m, e) => returned.push(e));
  const why = await within(tx.whenClosed());
  assert.ok(why instanceof ChannelError);
  assert.equal(why.variant, 'TlsError');
  assert.ok(why.message.includes(addr), why.message);
  assert.match(why.message, /client certificate/);
  assert.equal(returned.length, 5);
  assert.equal(rx.length, 0);
  assert.equal(rx.stats.frames, 0, 'no frame was read from the refused client');
  assert.equal(rx.stats.refused, 1);
  assert.match(logs.join('\n'), /no client certificate/);
  await rx.close();
});

test('a client whose certificate comes from another CA is refused in the handshake: TlsError naming the OpenSSL reason', { skip }, async () => {
  const { rx, addr } = await tlsServer();
  const tx = dial(addr, { tls: { ca: pki!.ca, cert: pki!.otherClientCert, key: pki!.otherClientKey }, minBackoffMs: 2 });
  const sent = tx.send(u32(1));
  const why = await within(tx.whenClosed());
  assert.ok(why instanceof ChannelError);
  assert.equal(why.variant, 'TlsError');
  assert.ok(why.message.includes(addr), why.message);
  assert.match(why.message, /refused this client's certificate/);
  assert.match(why.message, /unknown ca|bad certificate|certificate/i);
  await assert.rejects(sent, (e: ChannelError) => e.variant === 'TlsError');
  assert.equal(rx.length, 0);
  await rx.close();
});

test('a client that does not trust the server CA ends with TlsError instead of reconnecting forever', { skip }, async () => {
  const { rx, addr } = await tlsServer({ mutual: false });
  const tx = dial(addr, { tls: { ca: pki!.otherCa }, minBackoffMs: 2 });
  const sent = tx.send(u32(1));
  const why = await within(tx.whenClosed());
  assert.ok(why instanceof ChannelError);
  assert.equal(why.variant, 'TlsError');
  assert.ok(why.message.includes(addr), why.message);
  assert.match(why.message, /did not verify against tls\.ca: .*(unable to verify|self.signed|certificate)/);
  await assert.rejects(sent, (e: ChannelError) => e.variant === 'TlsError');
  assert.equal(rx.stats.frames, 0);
  // A server name the certificate does not carry fails the same way.
  const misnamed = dial(addr, { tls: { ca: pki!.ca, servername: 'not-the-server.example' } });
  const why2 = await within(misnamed.whenClosed());
  assert.equal(why2?.variant, 'TlsError');
  assert.match(why2!.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
  await rx.close();
});

test('a client certificate proof is bound to the certificate key and cannot be replayed', { skip }, async () => {
  const { rx, addr } = await tlsServer();
  const url = `wss://${addr.slice('tcp:'.length)}/`;
  const tlsOpts = { ca: readFileSync(pki!.ca), cert: readFileSync(pki!.clientCert), key: readFileSync(pki!.clientKey) };
  const attempt = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { ...tlsOpts, headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('error', () => resolve(-1));
    });
  const proof = new ClientCertProver(tlsOpts.cert, tlsOpts.key, addr).headers();
  assert.equal(await attempt(proof), 101);
  assert.equal(await attempt(proof), 496, 'a replayed proof is refused');
  // The other CA's client certificate with a proof signed by our client's key.
  const other = new ClientCertProver(readFileSync(pki!.otherClientCert), readFileSync(pki!.otherClientKey), addr).headers();
  const forged = { ...new ClientCertProver(tlsOpts.cert, tlsOpts.key, addr).headers(), 'x-actormesh-client-cert': other['x-actormesh-client-cert']! };
  assert.equal(await attempt(forged), 496, 'a certificate of another CA is refused');
  const ours = new ClientCertProver(tlsOpts.cert, tlsOpts.key, addr).headers();
  const wrongKey = { ...ours, 'x-actormesh-client-proof': other['x-actormesh-client-proof']! };
  assert.equal(await attempt(wrongKey), 496, 'a proof not signed by the certificate key is refused');
  await rx.close();
});

test('TLS configuration errors are typed ChannelErrors', { skip }, async () => {
  const tls = { cert: pki!.serverCert, key: pki!.serverKey };
  await assert.rejects(NetRx.listen(toAddr('tcp:127.0.0.1:0'), { tls, backend: 'ws' }), (e: ChannelError) => {
    assert.equal(e.variant, 'TlsError');
    assert.match(e.message, /not supported with backend 'ws'/);
    return true;
  });
  await assert.rejects(
    NetRx.listen(toAddr('tcp:127.0.0.1:0'), { tls: { ...tls, key: join(pki!.dir, 'missing.key') } }),
    (e: ChannelError) => e.variant === 'TlsError' && e.message.includes('missing.key'),
  );
  await assert.rejects(
    NetRx.listen(toAddr('tcp:127.0.0.1:0'), { tls: { cert: pki!.serverCert, key: pki!.clientKey } }),
    (e: ChannelError) => e.variant === 'TlsError' && /does the key match/.test(e.message),
  );
  assert.throws(
    () => dial('tcp:127.0.0.1:1', { tls: { ca: join(pki!.dir, 'missing.pem') } }),
    (e: ChannelError) => e.variant === 'TlsError' && e.message.includes('missing.pem'),
  );
  assert.throws(
    () => dial('tcp:127.0.0.1:1', { tls: { ca: pki!.ca, cert: pki!.clientCert } }),
    (e: ChannelError) => e.variant === 'TlsError' && /go together/.test(e.message),
  );
  assert.throws(
    () => dial('tcp:127.0.0.1:1', { tls: { ca: pki!.ca, cert: pki!.clientCert, key: pki!.otherClientKey } }),
    (e: ChannelError) => e.variant === 'TlsError' && /does not match/.test(e.message),
  );
  assert.throws(
    () => dial(`unix:${join(pki!.dir, 'sock')}`, { tls: { ca: pki!.ca } }),
    (e: ChannelError) => e.variant === 'TlsError' && /tcp addresses only/.test(e.message),
  );
});
