// LogFolder: per-source prefixes, folding of identical lines within a window, order, streams,
// bounded pending set, flush on close, unref'd timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { LogFolder, LogFoldError, type LogFoldOptions, type LogLine } from '../../src/host/log-fold.js';
import { ActormeshError } from '../../src/base/errors.js';

type Stream = 'stdout' | 'stderr';

/** A folder with a fake clock and a recording `write`. */
function harness(opts: Omit<LogFoldOptions, 'write' | 'now'> = {}) {
  let t = 0;
  const writes: Array<{ stream: Stream; text: string }> = [];
  const folder = new LogFolder({ windowMs: 200, ...opts, now: () => t, write: (stream, text) => writes.push({ stream, text }) });
  const lines = (stream?: Stream) =>
    writes
      .filter((w) => stream === undefined || w.stream === stream)
      .map((w) => w.text)
      .join('')
      .split('\n')
      .slice(0, -1);
  return {
    folder,
    writes,
    lines,
    advance(ms: number) {
      t += ms;
    },
  };
}

const out = (source: string, text: string): LogLine => ({ source, stream: 'stdout', text });
const err = (source: string, text: string): LogLine => ({ source, stream: 'stderr', text });

test('a single line is written once its window ends, prefixed with its source', () => {
  const h = harness();
  h.folder.push([out('host1 gpus=3', 'hello world')]);
  assert.deepEqual(h.writes, [], 'nothing before the window ends');
  h.advance(199);
  h.folder.push([]);
  assert.deepEqual(h.writes, []);
  h.advance(1);
  h.folder.push([]);
  assert.deepEqual(h.writes, [{ stream: 'stdout', text: '[host1 gpus=3] hello world\n' }]);
  h.folder.close();
  assert.equal(h.writes.length, 1, 'written exactly once');
});

test('the same line from 8 sources within the window is written once with a count, 3 names and "+n more"', () => {
  const h = harness();
  for (let i = 0; i < 8; i++) {
    h.folder.push([out(`host${i} gpus=${i}`, 'epoch 1 done')]);
    h.advance(10);
  }
  h.folder.flush();
  assert.deepEqual(h.lines(), ['[8× host0 gpus=0, host1 gpus=1, host2 gpus=2 (+5 more)] epoch 1 done']);
});

test('two or three sources are all named; a source repeating a line is counted once by name', () => {
  const h = harness();
  h.folder.push([out('a', 'x'), out('b', 'x'), out('a', 'y'), out('a', 'y'), out('a', 'y'), out('c', 'z'), out('d', 'z'), out('e', 'z')]);
  h.folder.flush();
  assert.deepEqual(h.lines(), ['[2× a, b] x', '[3× a] y', '[3× c, d, e] z']);
});

test('different lines stay separate and come out in order of first appearance', () => {
  const h = harness();
  h.folder.push([out('s0', 'A'), out('s1', 'B')]);
  h.advance(50);
  h.folder.push([out('s2', 'A'), out('s3', 'C'), out('s4', 'B')]);
  h.advance(150); // A and B's windows end (opened at 0), C's (opened at 50) not yet
  h.folder.push([out('s5', 'C')]);
  assert.deepEqual(h.lines(), ['[2× s0, s2] A', '[2× s1, s4] B']);
  h.advance(50);
  h.folder.push([out('s6', 'A')]); // C's window ended; A opens a new window
  assert.deepEqual(h.lines(), ['[2× s0, s2] A', '[2× s1, s4] B', '[2× s3, s5] C']);
  h.folder.close();
  assert.deepEqual(h.lines(), ['[2× s0, s2] A', '[2× s1, s4] B', '[2× s3, s5] C', '[s6] A']);
});

test('stdout and stderr never fold together and each goes to its own stream, in order', () => {
  const h = harness();
  h.folder.push([out('h0', 'same'), err('h1', 'same'), out('h2', 'same'), err('h3', 'same'), err('h0', 'boom')]);
  h.folder.flush();
  assert.deepEqual(h.lines('stdout'), ['[2× h0, h2] same']);
  assert.deepEqual(h.lines('stderr'), ['[2× h1, h3] same', '[h0] boom']);
  assert.deepEqual(
    h.writes.map((w) => w.stream),
    ['stdout', 'stderr'],
    'one write per run of the same stream',
  );
});

test('beyond maxPending distinct lines the oldest are written early, keeping the order', () => {
  const h = harness({ maxPending: 2 });
  h.folder.push([out('a', 'one'), out('a', 'two')]);
  assert.deepEqual(h.writes, []);
  h.folder.push([out('b', 'one'), out('b', 'three')]); // 'one' folds; 'three' pushes 'one' out
  assert.deepEqual(h.lines(), ['[2× a, b] one']);
  h.folder.push([out('a', 'four'), out('c', 'three')]);
  assert.deepEqual(h.lines(), ['[2× a, b] one', '[a] two']);
  h.folder.flush();
  assert.deepEqual(h.lines(), ['[2× a, b] one', '[a] two', '[2× b, c] three', '[a] four']);
});

test('close() writes everything pending; later lines are written at once, unfolded', () => {
  const h = harness({ windowMs: 60_000 });
  h.folder.push([out('a', 'x'), err('a', 'e'), out('b', 'x')]);
  h.folder.close();
  assert.deepEqual(h.lines('stdout'), ['[2× a, b] x']);
  assert.deepEqual(h.lines('stderr'), ['[a] e']);
  h.folder.push([out('a', 'late'), out('b', 'late')]);
  assert.deepEqual(h.lines('stdout'), ['[2× a, b] x', '[a] late', '[b] late']);
  h.folder.close();
  h.folder.flush();
  assert.equal(h.lines().length, 4, 'nothing written twice');
});

test('with the real clock the window ends by itself (timer), and a later occurrence opens a new window', async () => {
  const writes: string[] = [];
  const folder = new LogFolder({ windowMs: 20, write: (_s, t) => writes.push(t) });
  folder.push([out('r0', 'tick'), out('r1', 'tick')]);
  folder.push([out('r2', 'tick')]);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(writes, ['[3× r0, r1, r2] tick\n']);
  folder.push([out('r3', 'tick')]);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(writes, ['[3× r0, r1, r2] tick\n', '[r3] tick\n']);
  folder.close();
});

test('a pending window never keeps the process alive', () => {
  const url = new URL('../../src/host/log-fold.ts', import.meta.url).href;
  const script = `import { LogFolder } from ${JSON.stringify(url)};
    const f = new LogFolder({ windowMs: 60000 });
    f.push([{ source: 'a', stream: 'stdout', text: 'pending' }]);
    process.on('exit', () => process.stderr.write('exited\\n'));`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /exited/);
  assert.equal(r.stdout, '', 'the line was pending (never flushed) when the process exited');
  assert.ok(Date.now() - t0 < 30_000);
});

test('invalid options are rejected with LogFoldError', () => {
  for (const opts of [{ windowMs: -1 }, { windowMs: Number.NaN }, { maxPending: 0 }, { maxPending: 1.5 }]) {
    assert.throws(
      () => new LogFolder(opts),
      (e: unknown) => e instanceof LogFoldError && e instanceof ActormeshError && e.variant === 'InvalidOption',
    );
  }
});
