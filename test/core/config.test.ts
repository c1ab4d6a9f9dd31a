import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CODEC_MAX_FRAME_LENGTH,
  CLEANUP_TIMEOUT,
  Config,
  ConfigError,
  DEFAULT_TRANSPORT,
  MAX_CAST_DIMENSION_SIZE,
  MESH_BOOTSTRAP_ENABLE_PDEATHSIG,
  MESSAGE_ACK_EVERY_N_MESSAGES,
  MESSAGE_ACK_TIME_INTERVAL,
  MESSAGE_DELIVERY_TIMEOUT,
  MESSAGE_TTL_DEFAULT,
  REMOTE_ALLOC_ALLOWED_PORT_RANGE,
  REMOTE_ALLOC_BOOTSTRAP_ADDR,
  SPLIT_MAX_BUFFER_AGE,
  SPLIT_MAX_BUFFER_SIZE,
  config,
  configKeyByName,
  configKeys,
  snapshotToEnv,
} from '../../src/core/config.js';
import { formatDuration, parseDuration } from '../../src/core/attrs.js';

test('defaults follow Monarch', () => {
  const c = new Config({ env: {} });
  assert.equal(c.get(MESSAGE_TTL_DEFAULT), 64);
  assert.equal(c.get(MESSAGE_ACK_EVERY_N_MESSAGES), 1000);
  assert.equal(c.get(MESSAGE_ACK_TIME_INTERVAL), 500);
  assert.equal(c.get(MESSAGE_DELIVERY_TIMEOUT), 30_000);
  assert.equal(c.get(CODEC_MAX_FRAME_LENGTH), 10 * 1024 ** 3);
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 5);
  assert.equal(c.get(SPLIT_MAX_BUFFER_AGE), 50);
  assert.equal(c.get(CLEANUP_TIMEOUT), 3000);
  assert.equal(c.get(DEFAULT_TRANSPORT), 'unix');
  assert.equal(c.get(MAX_CAST_DIMENSION_SIZE), Infinity);
  assert.equal(c.get(REMOTE_ALLOC_BOOTSTRAP_ADDR), undefined);
  assert.equal(c.layerOf(MESSAGE_TTL_DEFAULT), 'Default');
  for (const k of configKeys()) assert.ok(k.envVar === undefined || /^HYPERACTOR_/.test(k.envVar), k.name);
});

test('a fresh config reads HYPERACTOR_* environment variables, durations in humantime', () => {
  const saved = { ...process.env };
  try {
    process.env.HYPERACTOR_MESSAGE_TTL_DEFAULT = '7';
    process.env.HYPERACTOR_MESSAGE_DELIVERY_TIMEOUT = '1m 30s';
    process.env.HYPERACTOR_MESSAGE_ACK_TIME_INTERVAL = '250ms';
    process.env.HYPERACTOR_MESH_DEFAULT_TRANSPORT = 'tcp';
    process.env.HYPERACTOR_MESH_BOOTSTRAP_ENABLE_PDEATHSIG = 'false';
    process.env.HYPERACTOR_REMOTE_ALLOC_ALLOWED_PORT_RANGE = '26600..26610';
    const c = new Config();
    assert.equal(c.get(MESSAGE_TTL_DEFAULT), 7);
    assert.equal(c.get(MESSAGE_DELIVERY_TIMEOUT), 90_000);
    assert.equal(c.get(MESSAGE_ACK_TIME_INTERVAL), 250);
    assert.equal(c.get(DEFAULT_TRANSPORT), 'tcp');
    assert.equal(c.get(MESH_BOOTSTRAP_ENABLE_PDEATHSIG), false);
    assert.deepEqual(c.get(REMOTE_ALLOC_ALLOWED_PORT_RANGE), { start: 26600, end: 26610 });
    assert.equal(c.layerOf(MESSAGE_TTL_DEFAULT), 'Env');
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test('a malformed environment variable throws ConfigError naming the variable, value and expectation', () => {
  const bad: Array<[string, string, { name: string }]> = [
    ['HYPERACTOR_MESSAGE_TTL_DEFAULT', '300', MESSAGE_TTL_DEFAULT],
    ['HYPERACTOR_MESSAGE_TTL_DEFAULT', 'abc', MESSAGE_TTL_DEFAULT],
    ['HYPERACTOR_MESSAGE_DELIVERY_TIMEOUT', '30 parsecs', MESSAGE_DELIVERY_TIMEOUT],
    ['HYPERACTOR_MESSAGE_DELIVERY_TIMEOUT', '30', MESSAGE_DELIVERY_TIMEOUT],
    ['HYPERACTOR_MESH_DEFAULT_TRANSPORT', 'carrier-pigeon', DEFAULT_TRANSPORT],
    ['HYPERACTOR_MESH_BOOTSTRAP_ENABLE_PDEATHSIG', 'maybe', MESH_BOOTSTRAP_ENABLE_PDEATHSIG],
    ['HYPERACTOR_REMOTE_ALLOC_ALLOWED_PORT_RANGE', '10..5', REMOTE_ALLOC_ALLOWED_PORT_RANGE],
  ];
  for (const [envVar, value, key] of bad) {
    const c = new Config({ env: { [envVar]: value } });
    assert.throws(
      () => c.get(key as never),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.variant, 'InvalidValue');
        assert.equal(e.envVar, envVar);
        assert.equal(e.value, value);
        assert.equal(e.key, key.name);
        assert.ok(e.message.includes(envVar) && e.message.includes(value) && e.message.includes('expected'), e.message);
        return true;
      },
    );
  }
});

test('layers take precedence TestOverride > Runtime > Env > File > ClientOverride > Default', () => {
  const c = new Config({ env: { HYPERACTOR_SPLIT_MAX_BUFFER_SIZE: '3' } });
  c.set('ClientOverride', SPLIT_MAX_BUFFER_SIZE, 1);
  c.set('File', SPLIT_MAX_BUFFER_SIZE, 2);
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 3);
  assert.equal(c.layerOf(SPLIT_MAX_BUFFER_SIZE), 'Env');
  c.set('Runtime', SPLIT_MAX_BUFFER_SIZE, 4);
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 4);
  const h = c.override(SPLIT_MAX_BUFFER_SIZE, 5);
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 5);
  h.restore();
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 4);
  c.unset('Runtime', SPLIT_MAX_BUFFER_SIZE);
  c.unset('Env', SPLIT_MAX_BUFFER_SIZE);
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 2);
  c.clearLayer('File');
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 1);
  c.clearLayer('ClientOverride');
  assert.equal(c.get(SPLIT_MAX_BUFFER_SIZE), 5); // the default (5) again
  assert.equal(c.layerOf(SPLIT_MAX_BUFFER_SIZE), 'Default');
  assert.throws(() => c.set('Default', SPLIT_MAX_BUFFER_SIZE, 1), ConfigError);
});

test('withTestOverride restores the previous value after sync and async bodies, even on throw', async () => {
  const c = new Config({ env: {} });
  const r = c.withTestOverride(MESSAGE_TTL_DEFAULT, 3, () => c.get(MESSAGE_TTL_DEFAULT));
  assert.equal(r, 3);
  assert.equal(c.get(MESSAGE_TTL_DEFAULT), 64);
  await c.withTestOverride(MESSAGE_TTL_DEFAULT, 9, async () => {
    await new Promise((res) => setTimeout(res, 1));
    assert.equal(c.get(MESSAGE_TTL_DEFAULT), 9);
    c.withTestOverride(MESSAGE_TTL_DEFAULT, 10, () => assert.equal(c.get(MESSAGE_TTL_DEFAULT), 10));
    assert.equal(c.get(MESSAGE_TTL_DEFAULT), 9);
  });
  assert.equal(c.get(MESSAGE_TTL_DEFAULT), 64);
  assert.throws(
    () =>
      c.withTestOverride(MESSAGE_TTL_DEFAULT, 1, () => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(c.get(MESSAGE_TTL_DEFAULT), 64);
  // the process-wide instance supports the same
  config.withTestOverride(SPLIT_MAX_BUFFER_AGE, 600_000, () => assert.equal(config.get(SPLIT_MAX_BUFFER_AGE), 600_000));
});

test('a snapshot installed in a child config reproduces every value of the parent', () => {
  const parent = new Config({ env: { HYPERACTOR_MESSAGE_DELIVERY_TIMEOUT: '2s 500ms', HYPERACTOR_MESH_MAX_CAST_DIMENSION_SIZE: '8' } });
  parent.set('Runtime', DEFAULT_TRANSPORT, 'tcp');
  parent.set('Runtime', REMOTE_ALLOC_ALLOWED_PORT_RANGE, { start: 1, end: 9 });
  const snap = parent.snapshot();
  assert.equal(snap.MESSAGE_DELIVERY_TIMEOUT, '2s 500ms');
  assert.equal(snap.MESSAGE_TTL_DEFAULT, '64');
  const wire = JSON.parse(JSON.stringify(snap));
  const child = new Config({ env: {} });
  child.install('ClientOverride', wire);
  for (const k of configKeys()) assert.deepEqual(child.get(k), parent.get(k), k.name);
  assert.equal(child.layerOf(MESSAGE_DELIVERY_TIMEOUT), 'ClientOverride');
  // only-set snapshot
  const sparse = parent.snapshot({ includeDefaults: false });
  assert.deepEqual(Object.keys(sparse).sort(), ['DEFAULT_TRANSPORT', 'MAX_CAST_DIMENSION_SIZE', 'MESSAGE_DELIVERY_TIMEOUT', 'REMOTE_ALLOC_ALLOWED_PORT_RANGE']);
  assert.throws(
    () => child.install('Runtime', { NO_SUCH_KEY: '1' }),
    (e: unknown) => e instanceof ConfigError && e.variant === 'UnknownKey',
  );
  assert.throws(
    () => child.install('Runtime', { MESSAGE_TTL_DEFAULT: 'x' }),
    (e: unknown) => e instanceof ConfigError && e.key === 'MESSAGE_TTL_DEFAULT',
  );
  assert.equal(configKeyByName('HYPERACTOR_MESSAGE_TTL_DEFAULT'), MESSAGE_TTL_DEFAULT);
});

test('a snapshot turned into environment variables configures a fresh config identically', () => {
  const parent = new Config({ env: {} });
  parent.set('Runtime', MESSAGE_ACK_TIME_INTERVAL, 125);
  parent.set('Runtime', MESH_BOOTSTRAP_ENABLE_PDEATHSIG, false);
  const env = snapshotToEnv(parent.snapshot());
  assert.equal(env.HYPERACTOR_MESSAGE_ACK_TIME_INTERVAL, '125ms');
  const child = new Config({ env });
  for (const k of configKeys()) assert.deepEqual(child.get(k), parent.get(k), k.name);
});

test('a JSON config file fills the File layer below the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ MESSAGE_TTL_DEFAULT: '12', HYPERACTOR_CLEANUP_TIMEOUT: '1s' }));
  const c = new Config({ env: { HYPERACTOR_MESSAGE_TTL_DEFAULT: '20' } });
  c.loadFile(file);
  assert.equal(c.get(MESSAGE_TTL_DEFAULT), 20);
  assert.equal(c.get(CLEANUP_TIMEOUT), 1000);
  writeFileSync(file, '{nope');
  assert.throws(
    () => c.loadFile(file),
    (e: unknown) => e instanceof ConfigError && e.variant === 'InvalidFile',
  );
});

test('humantime durations parse and format', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m 30s'), 90_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('2 days'), 172_800_000);
  assert.equal(parseDuration('250us'), 0.25);
  assert.equal(parseDuration('0'), 0);
  for (const ms of [0, 1, 50, 500, 3000, 90_000, 5_400_000, 0.25, 86_400_000 + 1]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
  assert.equal(formatDuration(90_000), '1m 30s');
  assert.equal(formatDuration(500), '500ms');
  assert.throws(() => parseDuration('5 fortnights'));
});
