import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernel } from '../../src/wasm/loader.js';
import { Extent, Region } from '../../src/ndslice/index.js';

test('10M ranks through the slice kernels and 200k small calls leave WASM memory flat', () => {
  const km = loadKernel('slice');
  const parent = Region.fromExtent(
    Extent.of([
      ['a', 100],
      ['b', 100],
      ['c', 20],
    ]),
  ); // 200k ranks
  const target = parent.range('c', [0, null, 2]); // 100k ranks
  // warm-up: the largest request of the loop below
  parent.remap(target);
  parent.baseRanks();
  const before = km.byteLength();
  let total = 0;
  for (let k = 0; k < 34; k++) {
    total += parent.baseRanks().length; // 200k
    total += parent.remap(target)!.length; // 100k out, 300k enumerated
  }
  const small = parent.range('a', 1).range('b', [0, 2]);
  let ok = 0;
  for (let k = 0; k < 100_000; k++) {
    if (small.isSubset(parent)) ok++;
    total += small.baseRanks().length;
  }
  assert.ok(total >= 10_000_000, `${total} ranks produced`);
  assert.equal(ok, 100_000);
  assert.equal(km.byteLength(), before, 'linear memory grew after warm-up');
});
