import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFile, formatFailure } from '../scripts/conformance/runner.js';

// The public golden vectors, kept in the repository (see test/fixtures/conformance/README.md).
const golden = join('test', 'fixtures', 'conformance', 'hotpath.json');

test('every case of the public golden file passes (383 cases, error cases included)', async () => {
  assert.ok(existsSync(golden), `${golden} is missing`);
  const r = await runFile(golden);
  assert.equal(r.failed, 0, r.failures.slice(0, 20).map(formatFailure).join('\n'));
  assert.equal(r.passed, 383);
});

test('the conformance CLI reports failing cases and exits 1 on any other file of that format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conf-'));
  const file = join(dir, 'mini.json');
  writeFileSync(
    file,
    JSON.stringify({
      about: 'a hand-made file in the golden format',
      cases: [
        { op: 'slice.get', input: { slice: { offset: 0, sizes: [2, 3], strides: [3, 1] }, index: 4 }, expected: 4, source: 'ok' },
        { op: 'slice.get', input: { slice: { offset: 0, sizes: [2, 3], strides: [3, 1] }, index: 4 }, expected: 5, source: 'wrong' },
        {
          op: 'slice.get',
          input: { slice: { offset: 0, sizes: [2, 3], strides: [3, 1] }, index: 6 },
          expected: { error: 'IndexOutOfRange', fields: { index: 6, total: 6 } },
          source: 'err',
        },
        { op: 'no.such_op', input: {}, expected: 1, source: 'unknown' },
      ],
    }),
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/conformance.ts', file], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), '2 passed, 2 failed');
  assert.match(r.stdout, /FAIL #1 slice\.get \(wrong\)/);
  assert.match(r.stdout, /FAIL #3 no\.such_op \(unknown\): no handler/);
});
