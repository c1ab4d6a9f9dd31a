// Host meshes over mutual TLS: workers started with --tls-cert/--tls-key/--tls-ca, a client
// attaching with a certificate of the mesh CA; every link between processes (client → worker,
// proc → client) is TLS. A client without a certificate of that CA is refused at attach.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { HostMesh, AttachError } from '../../src/index.js';
import { Probe, HOST_ACTORS_MODULE } from '../host/fixtures/host-actors.js';
import { startWorker, stopAll } from '../host/_workers.js';
import { hasOpenssl, makePki, NO_OPENSSL } from '../_support/pki.js';

const pki = hasOpenssl ? makePki() : undefined;
after(async () => {
  await stopAll();
  if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true });
});

test(
  'a mesh over mutual TLS: attach with the CA certificate, spawn, call; a client of another CA is Unauthorized',
  { skip: hasOpenssl ? false : NO_OPENSSL },
  async () => {
    const p = pki!;
    const tlsArgs = ['--tls-cert', p.nodeCert, '--tls-key', p.nodeKey, '--tls-ca', p.ca];
    const ws = await Promise.all([0, 1].map(() => startWorker(['--listen', 'tcp:127.0.0.1:0', ...tlsArgs], { ACTORMESH_SECRET: '' })));
    const refused = await HostMesh.attach(
      ws.map((w) => w.addr),
      { tls: { cert: p.otherClientCert, key: p.otherClientKey, ca: p.ca }, logs: 'off', connectTimeoutMs: 3000 },
    ).then(
      () => assert.fail('a client of another CA must be refused'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof AttachError, String(refused));
    assert.deepEqual(
      refused.failures.map((f) => f.reason),
      ['Unauthorized', 'Unauthorized'],
    );
    const hosts = await HostMesh.attach(
      ws.map((w) => w.addr),
      { tls: { cert: p.nodeCert, key: p.nodeKey, ca: p.ca }, logs: 'off' },
    );
    const m = await (await hosts.spawnProcs({ gpus: 2 }, { modules: [HOST_ACTORS_MODULE] })).spawn('p', Probe, undefined);
    const who = (await m.whoami.call()).values() as Array<readonly [number, number, number]>;
    assert.deepEqual(
      who.map((x) => x[2]),
      [ws[0]!.pid, ws[0]!.pid, ws[1]!.pid, ws[1]!.pid],
    );
    assert.deepEqual(await hosts.shutdown(), { ok: true, missingHosts: [] });
    for (const w of ws) assert.equal((await w.exited).code, 0);
  },
);
