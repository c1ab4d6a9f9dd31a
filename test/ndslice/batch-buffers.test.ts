// Pins docs/architecture.md WASM-2 (lent views stay valid inside their callback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent, Region, Slice, sliceKernels } from '../../src/ndslice/index.js';
import { BufferTooSmall } from '../../src/ndslice/kernels.js';
import * as ref from '../../src/ndslice/reference.js';
import { loadKernel } from '../../src/wasm/loader.js';
import { prng, randomRegion, randomSlice } from './prng.js';

const wasm = sliceKernels();
const arr = (x: Uint32Array | null) => (x ? Array.from(x) : null);

/** A region with just over `words` ranks (a 2-d row-major block). */
function regionOfAtLeast(words: number): Region {
  const rows = Math.ceil(words / 1024) + 1;
  return Region.fromExtent(
    Extent.of([
      ['r', rows],
      ['c', 1024],
    ]),
  );
}

test('a nested kernel call that would grow memory while a view is lent leaves the lent view intact', () => {
  const km = loadKernel('slice');
  const outer = Region.fromExtent(
    Extent.of([
      ['a', 64],
      ['b', 64],
    ]),
  );
  const expect = Array.from(outer.baseRanks());
  outer.withBaseRanks((view) => {
    const before = km.byteLength();
    const big = regionOfAtLeast(before / 4); // cannot fit past the lent bytes without memory.grow
    const inner = big.baseRanks();
    assert.equal(inner.length, big.numRanks);
    assert.equal(inner[inner.length - 1], big.numRanks - 1);
    assert.equal(km.byteLength(), before, 'memory grew while a view was lent');
    assert.deepEqual(Array.from(view), expect);
    // a nested lend (fits past the outer one) and a nested remap do not disturb it either
    outer.range('a', [0, 8]).withBaseRanks((v2) => assert.deepEqual(Array.from(v2), expect.slice(0, 8 * 64)));
    assert.deepEqual(
      arr(outer.remap(outer.range('b', 3))),
      Array.from({ length: 64 }, (_, i) => i * 64 + 3),
    );
    assert.deepEqual(Array.from(view), expect);
  });
});

test('a callback that throws releases the lent bytes (the next large call grows memory again)', () => {
  const km = loadKernel('slice');
  const r = Region.fromExtent(Extent.of([['a', 16]]));
  assert.throws(
    () =>
      r.withBaseRanks(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  const before = km.byteLength();
  const big = regionOfAtLeast(before / 4);
  assert.equal(
    big.withBaseRanks((v) => v[v.length - 1]),
    big.numRanks - 1,
  );
  assert.ok(km.byteLength() > before, 'the large call after the throw should run in WASM memory (grown)');
});

test('baseRanksInto, withBaseRanks and Slice.enumerateInto equal baseRanks and the TS reference on random regions (seeded)', () => {
  const rnd = prng(0xb0ff);
  const buf = new Uint32Array(4096); // reused across every call
  const refBuf = new Uint32Array(4096);
  for (let k = 0; k < 400; k++) {
    const r = randomRegion(rnd);
    const expect = Array.from(ref.enumerate(r.slice));
    assert.deepEqual(Array.from(r.baseRanks()), expect, String(r));
    const into = r.baseRanksInto(buf);
    assert.equal(into.buffer, buf.buffer, 'written into the caller buffer');
    assert.deepEqual(Array.from(into), expect, String(r));
    assert.deepEqual(Array.from(r.slice.enumerateInto(buf)), expect);
    assert.deepEqual(Array.from(r.baseRanksInto()), expect, 'fresh array without a buffer');
    assert.deepEqual(
      r.withBaseRanks((v) => Array.from(v)),
      expect,
    );
    assert.deepEqual(
      r.slice.withEnumerate((v) => Array.from(v)),
      expect,
    );
    assert.deepEqual(Array.from(ref.enumerateInto(r.slice, refBuf)), expect);
    assert.deepEqual(
      ref.withEnumerate(r.slice, (v) => Array.from(v)),
      expect,
    );
  }
  for (let k = 0; k < 200; k++) {
    const s = randomSlice(rnd, 5, 7); // not necessarily ascending
    const expect = Array.from(ref.enumerate(s));
    assert.deepEqual(Array.from(wasm.enumerateInto(s, buf)), expect, String(s));
    assert.deepEqual(
      wasm.withEnumerate(s, (v) => Array.from(v)),
      expect,
      String(s),
    );
  }
});

test('an exact-length buffer is returned as is and an oversized one keeps its tail', () => {
  const r = Region.fromExtent(
    Extent.of([
      ['a', 3],
      ['b', 4],
    ]),
  ).range('b', [1, 3]);
  const exact = new Uint32Array(r.numRanks);
  assert.equal(r.baseRanksInto(exact), exact);
  assert.equal(ref.enumerateInto(r.slice, exact), exact);
  const big = new Uint32Array(10).fill(7);
  const got = r.baseRanksInto(big);
  assert.deepEqual(Array.from(got), [1, 2, 5, 6, 9, 10]);
  assert.deepEqual(Array.from(big.subarray(6)), [7, 7, 7, 7]);
});

test('remapInto and withRemap equal remap and the TS reference on random region pairs (seeded)', () => {
  const rnd = prng(0x5eed);
  const buf = new Uint32Array(4096);
  const refBuf = new Uint32Array(4096);
  let subsets = 0;
  for (let k = 0; k < 400; k++) {
    const parent = randomRegion(rnd);
    const target = rnd() < 0.6 ? randomRegion(rnd, parent) : randomRegion(rnd, Region.fromExtent(parent.extent()));
    const expect = arr(ref.remap(parent.slice, target.slice));
    assert.deepEqual(arr(parent.remap(target)), expect, `${parent} ⊇? ${target}`);
    assert.deepEqual(arr(parent.remapInto(target, buf)), expect, `${parent} ⊇? ${target}`);
    assert.deepEqual(arr(parent.remapInto(target)), expect);
    assert.deepEqual(arr(ref.remapInto(parent.slice, target.slice, refBuf)), expect);
    let calls = 0;
    const lent = parent.withRemap(target, (v) => (calls++, Array.from(v)));
    assert.deepEqual(lent, expect);
    assert.equal(calls, expect === null ? 0 : 1, 'f is called only for a subset');
    let refCalls = 0;
    assert.deepEqual(
      ref.withRemap(parent.slice, target.slice, (v) => (refCalls++, Array.from(v))),
      expect,
    );
    assert.equal(refCalls, calls);
    if (expect) {
      subsets++;
      assert.equal(parent.remapInto(target, buf)!.buffer, buf.buffer);
    }
  }
  assert.ok(subsets > 100 && subsets < 400, `both outcomes exercised (${subsets} subsets)`);
});

test('a too-small or non-Uint32Array result buffer is a BufferTooSmall error on both implementations', () => {
  const r = Region.fromExtent(
    Extent.of([
      ['a', 4],
      ['b', 4],
    ]),
  );
  const t = r.range('a', [0, 2]);
  const small = new Uint32Array(15);
  for (const f of [
    () => r.baseRanksInto(small),
    () => r.slice.enumerateInto(small),
    () => ref.enumerateInto(r.slice, small),
    () => r.remapInto(r, small),
    () => ref.remapInto(r.slice, r.slice, small),
  ]) {
    assert.throws(
      f,
      (e: unknown) => e instanceof BufferTooSmall && e.variant === 'BufferTooSmall' && e.needed === 16 && e.got === 15 && /at least 16 words/.test(e.message),
    );
  }
  assert.throws(
    () => r.baseRanksInto(new Int32Array(16) as unknown as Uint32Array),
    (e: unknown) => e instanceof BufferTooSmall && e.got === -1 && /Int32Array/.test(e.message),
  );
  assert.throws(
    () => r.baseRanksInto([] as unknown as Uint32Array),
    (e: unknown) => e instanceof BufferTooSmall && e.got === -1,
  );
  // the buffer only has to hold the target's ranks
  assert.deepEqual(Array.from(r.remapInto(t, new Uint32Array(8))!), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.throws(() => r.remapInto(t, new Uint32Array(7)), BufferTooSmall);
});

test('a copy taken inside the callback survives later calls, while the lent view itself is reused', () => {
  const a = Region.fromExtent(
    Extent.of([
      ['a', 8],
      ['b', 8],
    ]),
  );
  const b = a.range('b', [1, null, 2]);
  let escaped: Uint32Array | undefined;
  const kept = a.withBaseRanks((v) => {
    escaped = v;
    return Uint32Array.from(v);
  });
  const expectA = Array.from(a.baseRanks());
  b.withBaseRanks((v) => assert.deepEqual(Array.from(v), Array.from(b.baseRanks())));
  a.remap(b);
  assert.deepEqual(Array.from(kept), expectA, 'the copy is unaffected by the second call');
  // the escaped view was overwritten by the next call: it must not be kept (documented)
  assert.notDeepEqual(Array.from(escaped!), expectA);
  // same with remap: a copied result is independent of the next call
  const m1 = a.withRemap(b, (v) => Uint32Array.from(v))!;
  const m2 = a.withRemap(a.range('a', 7), (v) => Uint32Array.from(v))!;
  assert.deepEqual(Array.from(m1), Array.from(a.remap(b)!));
  assert.deepEqual(
    Array.from(m2),
    Array.from({ length: 8 }, (_, i) => 56 + i),
  );
  // and results written into one reused caller buffer are only as good as the last call
  const buf = new Uint32Array(64);
  const first = Array.from(a.baseRanksInto(buf));
  b.baseRanksInto(buf);
  assert.deepEqual(first, expectA);
});

test('slices with more dims than the kernel header holds go through the reference in every API', () => {
  const d = wasm.maxDims + 1;
  const s = Slice.rowMajor(new Array<number>(d).fill(2));
  const expect = Array.from(ref.enumerate(s));
  const buf = new Uint32Array(s.len + 3);
  assert.deepEqual(Array.from(s.enumerateInto(buf)), expect);
  assert.deepEqual(
    s.withEnumerate((v) => Array.from(v)),
    expect,
  );
  const half = Slice.new(0, [...new Array<number>(d - 1).fill(2), 1], s.strides);
  const expectMap = arr(ref.remap(s, half));
  assert.ok(expectMap && expectMap.length === half.len);
  assert.deepEqual(arr(wasm.remapInto(s, half, buf)), expectMap);
  assert.deepEqual(
    wasm.withRemap(s, half, (v) => Array.from(v)),
    expectMap,
  );
  assert.throws(() => wasm.enumerateInto(s, new Uint32Array(3)), BufferTooSmall);
});

test('empty regions give empty results in the caller-buffer and lending APIs', () => {
  const e = Region.fromExtent(
    Extent.of([
      ['a', 0],
      ['b', 3],
    ]),
  );
  const full = Region.fromExtent(
    Extent.of([
      ['a', 2],
      ['b', 3],
    ]),
  );
  assert.equal(e.baseRanksInto(new Uint32Array(0)).length, 0);
  assert.equal(
    e.withBaseRanks((v) => v.length),
    0,
  );
  assert.equal(full.remapInto(full.range('a', 0).range('b', [0, 1]), new Uint32Array(1))!.length, 1);
  assert.equal(e.remapInto(full), null);
  assert.equal(
    e.withRemap(full, () => 'called'),
    null,
  );
});
