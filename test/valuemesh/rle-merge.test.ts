// Pins docs/architecture.md WASM-3 (kernels equal their TS reference), VM-1 (right-wins merges).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeValueRuns, rleFromDense, rleFromValueRuns, type ValueRun } from '../../src/valuemesh/index.js';
import { mergeCodeRuns, encodeDenseCodes, decodeCodeRuns } from '../../src/valuemesh/kernels.js';
import { refMergeCodeRuns, refEncodeDenseCodes, refDecodeCodeRuns } from '../../src/valuemesh/reference.js';
import { densify, fromTriples, int, naiveApply, prng, randomRuns, triples } from './helpers.js';

const R = (xs: [number, number, number][]): ValueRun<number>[] => xs.map(([start, end, value]) => ({ start, end, value }));
const plain = (rs: ValueRun<number>[]) => rs.map((r) => [r.start, r.end, r.value]);

function allThree(left: [number, number, number][], right: [number, number, number][]) {
  const l = R(left);
  const r = R(right);
  const generic = plain(mergeValueRuns(l, r));
  const wasm = plain(fromTriples(mergeCodeRuns(triples(l), l.length, triples(r), r.length, 0).runs));
  const ref = plain(fromTriples(refMergeCodeRuns(triples(l), l.length, triples(r), r.length, 0).runs));
  assert.deepEqual(wasm, generic, 'WASM kernel == generic TS');
  assert.deepEqual(ref, generic, 'TS reference == generic TS');
  return generic;
}

test('right run inside a left run splits it in three', () => {
  assert.deepEqual(allThree([[0, 10, 1]], [[3, 6, 2]]), [
    [0, 3, 1],
    [3, 6, 2],
    [6, 10, 1],
  ]);
});

test('equal-valued overlapping runs coalesce into one', () => {
  assert.deepEqual(allThree([[0, 4, 5]], [[2, 6, 5]]), [[0, 6, 5]]);
  assert.deepEqual(allThree([[0, 8, 5]], [[2, 6, 5]]), [[0, 8, 5]]);
});

test('a right run spanning two left runs replaces the covered parts of both', () => {
  assert.deepEqual(
    allThree(
      [
        [0, 5, 1],
        [5, 10, 2],
      ],
      [[3, 7, 9]],
    ),
    [
      [0, 3, 1],
      [3, 7, 9],
      [7, 10, 2],
    ],
  );
});

test('touching equal left runs coalesce even with an empty right side', () => {
  assert.deepEqual(
    allThree(
      [
        [0, 3, 1],
        [3, 6, 1],
      ],
      [],
    ),
    [[0, 6, 1]],
  );
  assert.deepEqual(allThree([], [[5, 7, 4]]), [[5, 7, 4]]);
});

test('gaps of both inputs are preserved', () => {
  assert.deepEqual(allThree([[0, 5, 1]], [[7, 9, 2]]), [
    [0, 5, 1],
    [7, 9, 2],
  ]);
  assert.deepEqual(allThree([[7, 9, 2]], [[0, 5, 1]]), [
    [0, 5, 1],
    [7, 9, 2],
  ]);
});

test('the equal-value branch trims every later left run the right run covers (Monarch bug not copied)', () => {
  // Rust returns [[0,6,5],[2,6,7]] (overlapping); the intended right-wins result:
  assert.deepEqual(
    allThree(
      [
        [0, 2, 5],
        [2, 6, 7],
      ],
      [[1, 6, 5]],
    ),
    [[0, 6, 5]],
  );
  // status form: [Stopped,Stopped,NotExist,Failed] ⊕ [(0..4,Stopped)] → all Stopped
  assert.deepEqual(
    allThree(
      [
        [0, 2, 4],
        [2, 3, 0],
        [3, 4, 5],
      ],
      [[0, 4, 4]],
    ),
    [[0, 4, 4]],
  );
});

test('random merges agree: WASM kernel == TS reference == generic TS == naive rank-by-rank apply (seeded)', () => {
  const rnd = prng(0xc0ffee);
  for (let iter = 0; iter < 400; iter++) {
    const n = int(rnd, 0, 60);
    const k = int(rnd, 1, 4);
    const left = randomRuns(rnd, n, k, 0.8);
    const right = randomRuns(rnd, n, k, 0.3);
    const generic = mergeValueRuns(left, right);
    const wasm = fromTriples(mergeCodeRuns(triples(left), left.length, triples(right), right.length, 0).runs);
    const ref = fromTriples(refMergeCodeRuns(triples(left), left.length, triples(right), right.length, 0).runs);
    assert.deepEqual(plain(wasm), plain(generic));
    assert.deepEqual(plain(ref), plain(generic));
    const naive = naiveApply(densify(left, n), right);
    assert.deepEqual(densify(generic, n), naive, `iteration ${iter}`);
    // output invariant: sorted, non-overlapping, non-empty, touching runs differ in value
    for (let i = 0; i < generic.length; i++) {
      const r = generic[i]!;
      assert.ok(r.start < r.end);
      if (i > 0) {
        const p = generic[i - 1]!;
        assert.ok(p.end <= r.start);
        if (p.end === r.start) assert.notEqual(p.value, r.value);
      }
    }
  }
});

test('the counted-code total of a merge equals the ranks holding that code', () => {
  const rnd = prng(7);
  for (let iter = 0; iter < 100; iter++) {
    const n = int(rnd, 1, 80);
    const left = randomRuns(rnd, n, 3, 1);
    const right = randomRuns(rnd, n, 3, 0.4);
    const m = mergeCodeRuns(triples(left), left.length, triples(right), right.length, 0);
    const dense = densify(fromTriples(m.runs), n);
    assert.equal(m.counted, dense.filter((v) => v === 0).length);
  }
});

test('dense encode/decode kernels match their TS reference and round-trip', () => {
  const rnd = prng(99);
  for (let iter = 0; iter < 100; iter++) {
    const n = int(rnd, 0, 100);
    const codes = Uint32Array.from({ length: n }, () => (rnd() < 0.7 ? 1 : int(rnd, 0, 3)));
    const w = encodeDenseCodes(codes, 1);
    const r = refEncodeDenseCodes(codes, 1);
    assert.deepEqual([...w.runs], [...r.runs]);
    assert.equal(w.counted, r.counted);
    assert.deepEqual([...decodeCodeRuns(w.runs, w.runs.length / 3, n, 9)], [...codes]);
    assert.deepEqual([...refDecodeCodeRuns(w.runs, w.runs.length / 3, n, 9)], [...codes]);
  }
});

test('rleFromDense keeps one table entry per run; rleFromValueRuns de-duplicates globally', () => {
  assert.deepEqual(rleFromDense(['A', 'A', 'B', 'B', 'B', 'A']), {
    table: ['A', 'B', 'A'],
    runs: [
      { start: 0, end: 2, id: 0 },
      { start: 2, end: 5, id: 1 },
      { start: 5, end: 6, id: 2 },
    ],
  });
  const r = rleFromValueRuns([
    { start: 0, end: 2, value: 'A' },
    { start: 2, end: 5, value: 'A' },
    { start: 5, end: 6, value: 'B' },
    { start: 8, end: 10, value: 'A' },
  ]);
  assert.deepEqual(r.table, ['A', 'B']);
  assert.deepEqual(
    r.runs.map((x) => [x.start, x.end, x.id]),
    [
      [0, 5, 0],
      [5, 6, 1],
      [8, 10, 0],
    ],
  );
});

test('object values are de-duplicated structurally', () => {
  const r = rleFromValueRuns([
    { start: 0, end: 1, value: { Failed: 'x' } },
    { start: 1, end: 2, value: 'Running' as unknown },
    { start: 2, end: 3, value: { Failed: 'x' } },
  ]);
  assert.equal(r.table.length, 2);
  assert.deepEqual(
    r.runs.map((x) => x.id),
    [0, 1, 0],
  );
});
