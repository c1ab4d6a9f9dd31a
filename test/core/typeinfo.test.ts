import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { TYPED_PORT_BIT, USER_PORT_OFFSET, fnv1a64, fnv1a64Reference, isTypedPort, portIndexOf, typeNameOfPort } from '../../src/core/typeinfo.js';

test('fnv1a64 matches the published FNV-1a 64 vectors and the bigint reference', () => {
  assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
  assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64('foobar'), 0x85944171f73967e8n);
  for (const s of ['hyperactor::mailbox::Undeliverable', 'ünïcode ✓', 'x'.repeat(1000), 'my_pkg::Msg<T>']) {
    assert.equal(fnv1a64(s), fnv1a64Reference(s), s);
  }
});

test('a message type port index is its hash with bit 63 set and is remembered for display', () => {
  const idx = portIndexOf('my::pkg::Ping');
  assert.equal(idx, fnv1a64('my::pkg::Ping') | TYPED_PORT_BIT);
  assert.ok(isTypedPort(idx));
  assert.ok(idx < 1n << 64n);
  assert.equal(portIndexOf('my::pkg::Ping'), idx);
  assert.notEqual(portIndexOf('my::pkg::Pong'), idx);
  assert.equal(typeNameOfPort(idx), 'my::pkg::Ping');
  assert.ok(!isTypedPort(USER_PORT_OFFSET));
  assert.equal(USER_PORT_OFFSET, 1024n);
});

test('port indices are identical in another process', () => {
  const mod = pathToFileURL(resolve('src/core/typeinfo.ts')).href;
  const names = ['a::B', 'hyperactor_mesh::comm::CastMessage', 'x'];
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(mod)}); console.log(${JSON.stringify(names)}.map((n) => m.portIndexOf(n).toString()).join(','))`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.stdout.trim().split(','),
    names.map((n) => portIndexOf(n).toString()),
  );
});
