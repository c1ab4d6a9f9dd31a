import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddr, formatAddr, anyAddr, isRemote, ChannelError } from '../../src/channel/index.js';

test('channel addresses parse with ":" or "!" and print canonically', () => {
  const table: Array<[string, string]> = [
    ['tcp:127.0.0.1:8080', 'tcp:127.0.0.1:8080'],
    ['tcp!127.0.0.1:80', 'tcp:127.0.0.1:80'],
    ['tcp:[::1]:9', 'tcp:[::1]:9'],
    ['tcp:localhost:0', 'tcp:localhost:0'],
    ['unix:/tmp/a.sock', 'unix:/tmp/a.sock'],
    ['unix!@abstract', 'unix:@abstract'],
    ['local:3', 'local:3'],
    ['local!0', 'local:0'],
    ['tcp://10.0.0.1:5', 'tcp:10.0.0.1:5'],
    ['tcp://*:7', 'tcp:0.0.0.0:7'],
    ['ipc:///var/x.sock', 'unix:/var/x.sock'],
    ['inproc://12', 'local:12'],
  ];
  for (const [input, canonical] of table) {
    const a = parseAddr(input);
    assert.equal(formatAddr(a), canonical, input);
    assert.deepEqual(parseAddr(formatAddr(a)), a, `${input} round-trips`);
  }
});

test('bad channel addresses give ChannelError InvalidAddress saying what was expected', () => {
  for (const bad of ['', 'tcp', 'tcp:1.2.3.4', 'tcp:1.2.3.4:99999', 'tcp:1.2.3.4:x', 'udp:1.2.3.4:5', 'local:-1', 'local:x', 'unix:', 'tcp:[::1:5']) {
    assert.throws(
      () => parseAddr(bad),
      (e: unknown) => e instanceof ChannelError && e.variant === 'InvalidAddress' && /expected tcp:IP:PORT/.test(e.message),
      bad,
    );
  }
});

test('any(transport) gives a serve-anywhere address and only tcp is remote', () => {
  assert.equal(formatAddr(anyAddr('tcp')), 'tcp:127.0.0.1:0');
  assert.equal(formatAddr(anyAddr('local')), 'local:0');
  const u1 = anyAddr('unix');
  const u2 = anyAddr('unix');
  assert.equal(u1.transport, 'unix');
  assert.notEqual(formatAddr(u1), formatAddr(u2));
  assert.equal(isRemote(parseAddr('tcp:1.2.3.4:5')), true);
  assert.equal(isRemote(u1), false);
  assert.equal(isRemote(parseAddr('local:1')), false);
});

test('unix socket directories nest under the root process and all go when it exits, even those of SIGKILLed children', async () => {
  const { spawnSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const env = { ...process.env };
  delete env.ACTORMESH_SOCKET_DIR; // this test process may have published its own
  const script = fileURLToPath(new URL('./fixtures/socket-tree.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, 'root'], { encoding: 'utf8', env, timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const [rootAddr, childAddr] = r.stdout.trim().split('\n');
  const rootDir = dirname(rootAddr!.replace(/^unix:/, ''));
  const childDir = dirname(childAddr!.replace(/^unix:/, ''));
  assert.equal(dirname(childDir), rootDir, `the child's directory ${childDir} is not inside the root's ${rootDir}`);
  assert.equal(existsSync(rootDir), false, `${rootDir} was left behind`);
  assert.equal(existsSync(childDir), false, `${childDir} (SIGKILLed child) was left behind`);
});
