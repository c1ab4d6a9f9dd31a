import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { deadline } from '../../src/mailbox/index.js';
import { eventually } from '../_support/eventually.js';

test('deadlines of one duration fire in arming order; cancelled ones never fire', async () => {
  const fired: number[] = [];
  const ds = [0, 1, 2, 3, 4].map((i) => deadline(15, () => fired.push(i)));
  ds[1]!.cancel();
  ds[3]!.cancel();
  ds[3]!.cancel(); // idempotent
  const other = deadline(5, () => fired.push(99));
  await eventually(() => fired.length >= 4);
  await new Promise((r) => setTimeout(r, 20)); // and nothing else fires
  assert.deepEqual(fired, [99, 0, 2, 4]);
  other.cancel();
});

test('a cancelled deadline does not keep the process alive', () => {
  const script = `import { deadline } from ${JSON.stringify(resolve('src/mailbox/deadline.ts'))};
const d = deadline(60_000, () => console.log('fired'));
d.cancel();
const t0 = Date.now();
process.on('exit', () => console.log('exited after', Date.now() - t0 < 5000 ? 'short' : 'long'));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /exited after short/);
  assert.doesNotMatch(r.stdout, /fired/);
});

/** Waits (polling every 5 ms, at most 5 s: the machine may be loaded) until `cond` holds. */

test('a deadline never fires before its duration, counted from its creation, even behind a long turn', async () => {
  const t0 = performance.now();
  let firedAt = -1;
  deadline(20, () => (firedAt = performance.now()));
  // A busy synchronous turn longer than the duration: the deadline is armed at its end.
  while (performance.now() - t0 < 40) {
    /* busy */
  }
  await eventually(() => firedAt >= 0);
  assert.ok(firedAt >= 0, 'fired');
  assert.ok(firedAt - t0 >= 20, `fired after ${firedAt - t0} ms`);
});

test('many waits created and cancelled within one turn all stay silent; the live ones still fire in order', async () => {
  const fired: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const d = deadline(10, () => fired.push(i));
    if (i % 5000 !== 0) d.cancel();
  }
  await eventually(() => fired.length >= 4);
  await new Promise((r) => setTimeout(r, 20)); // and nothing else fires
  assert.deepEqual(fired, [0, 5000, 10000, 15000]);
});

test('a deadline longer than a Node timer can hold (or Infinity) waits without firing early or spinning', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    const fired: string[] = [];
    const long = deadline(2 ** 31 + 1000, () => fired.push('long'));
    const never = deadline(Infinity, () => fired.push('never'));
    const short = deadline(30, () => fired.push('short'));
    await eventually(() => fired.includes('short'));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(fired, ['short'], 'only the 30 ms deadline is due');
    assert.deepEqual(warnings, [], 'no TimeoutOverflowWarning (a timer clamped to 1 ms would re-arm in a loop)');
    long.cancel();
    never.cancel();
    short.cancel();
  } finally {
    process.off('warning', onWarning);
  }
});
