import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Selection, normalize, reifyNormalized, selectionKey, parseSelection } from '../../src/selection/index.js';
import { prng, randomSelection, randomSlice, sorted } from './gen.js';

const S = Selection;
const norm = (s: Selection) => reifyNormalized(normalize(s));
const x = S.range(1, S.all(S.range(0)));
const y = S.all(S.range([0, 2]));
const z = S.range([2, 4], S.range(3));

test('normalize collapses all(true) and duplicate arms down to true', () => {
  assert.ok(norm(parseSelection('(*,*)|(*,*)')).equals(S.true_()));
  assert.ok(norm(parseSelection('(*&*)|(*&*)')).equals(S.true_()));
  assert.ok(norm(S.all(S.all(S.false_()))).equals(S.false_()));
});

test('normalize flattens nested unions and intersections and orders their arms', () => {
  assert.equal(selectionKey(S.union(x, S.union(y, z))), selectionKey(S.union(S.union(z, x), y)));
  assert.equal(selectionKey(S.intersection(x, S.intersection(y, z))), selectionKey(S.intersection(S.intersection(y, x), z)));
  // Derived order: all < range, so the reified left-associated union starts with the all arm.
  assert.ok(norm(S.union(x, y)).equals(S.union(y, x)));
  assert.ok(norm(S.union(S.union(x, y), x)).equals(S.union(y, x)));
});

test('normalize applies identities and absorption', () => {
  assert.ok(norm(S.intersection(S.true_(), x)).equals(x));
  assert.ok(norm(S.union(S.false_(), x)).equals(x));
  assert.ok(norm(S.union(x, S.true_())).equals(S.true_()));
  assert.ok(norm(S.intersection(S.false_(), x)).equals(S.false_()));
  assert.ok(norm(S.union(S.false_(), S.false_())).equals(S.false_()));
});

test('normalize keeps all(all(x)) distinct from all(x), unlike Rust, because they select different dims', () => {
  assert.notEqual(selectionKey(S.all(S.all(S.range(0)))), selectionKey(S.all(S.range(0))));
});

test('normalize preserves what a selection selects', () => {
  const r = prng(3);
  for (let k = 0; k < 200; k++) {
    const slice = randomSlice(r);
    const s = randomSelection(r, slice.numDim);
    assert.deepEqual(sorted(norm(s).eval(slice)), sorted(s.eval(slice)), `${s}`);
  }
});
