// Pins docs/architecture.md WASM-1 (inputs validated, traps typed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent, Point, Range, Region, Shape, Slice, sliceKernels } from '../../src/ndslice/index.js';
import { ActormeshError } from '../../src/base/errors.js';
import { int, prng } from './prng.js';

const junk = [-1, 0.5, NaN, Infinity, 2 ** 53, 2 ** 32, 2 ** 31, 'x', null, undefined, {}, []] as unknown[];

function typedOrValue(f: () => unknown, what: string): void {
  try {
    f();
  } catch (e) {
    assert.ok(!(e instanceof Error && e.name === 'RuntimeError'), `${what}: WebAssembly RuntimeError escaped`);
    assert.ok(e instanceof ActormeshError, `${what}: untyped ${String(e)}`);
  }
}

test('bad numbers in every slice, extent and range entry point give typed errors, never RuntimeError', () => {
  const s = Slice.rowMajor([3, 4]);
  const k = sliceKernels();
  for (const j of junk) {
    const v = j as number;
    typedOrValue(() => Slice.new(v, [2], [1]), `Slice.new offset ${String(j)}`);
    typedOrValue(() => Slice.new(0, [v], [1]).enumerate(), `sizes ${String(j)}`);
    typedOrValue(() => Slice.new(0, [2], [v]).enumerate(), `strides ${String(j)}`);
    typedOrValue(() => k.enumerate({ offset: v, sizes: [2], strides: [1] }), `kernel offset ${String(j)}`);
    typedOrValue(() => k.remap({ offset: 0, sizes: [v], strides: [1] }, s), `kernel remap ${String(j)}`);
    typedOrValue(() => s.get(v), `get ${String(j)}`);
    typedOrValue(() => s.coordinates(v), `coordinates ${String(j)}`);
    typedOrValue(() => s.at(0, v), `at ${String(j)}`);
    typedOrValue(() => s.select(1, 0, 4, v), `select ${String(j)}`);
    typedOrValue(() => s.view([v]), `view ${String(j)}`);
    typedOrValue(() => new Range(v, v, v), `Range ${String(j)}`);
    typedOrValue(() => Extent.of([['x', v]]).pointOfRank(v), `extent ${String(j)}`);
    typedOrValue(() => Region.fromExtent(Extent.of([['x', 4]])).range('x', [0, null, v]), `range ${String(j)}`);
    typedOrValue(() => Shape.of([['x', 4]]).at('x', v), `shape at ${String(j)}`);
  }
});

test('random slice descriptors through the kernels never trap (seeded)', () => {
  const rnd = prng(0xdead);
  const k = sliceKernels();
  for (let n = 0; n < 3000; n++) {
    const d = int(rnd, 0, 20);
    const pick = () => (rnd() < 0.1 ? (junk[int(rnd, 0, junk.length - 1)] as number) : int(rnd, 0, rnd() < 0.5 ? 4 : 2 ** 31));
    const sl = { offset: pick(), sizes: Array.from({ length: d }, () => (rnd() < 0.8 ? int(rnd, 0, 3) : pick())), strides: Array.from({ length: d }, pick) };
    typedOrValue(() => {
      let len = 1;
      for (const x of sl.sizes) len *= x;
      if (len > 1e6) return; // valid but too large for a fast test
      k.enumerate(sl);
      k.remap(sl, sl);
      k.isSubset(sl, { offset: 0, sizes: [3], strides: [1] });
    }, JSON.stringify(sl));
  }
});

test('malformed display strings give typed parse errors', () => {
  for (const t of ['x=1/4,', '{x=1', '0=2/1', '"unterminated', 'x=99999999999999999999/3']) {
    typedOrValue(() => Point.parse(t), `Point ${t}`);
    typedOrValue(() => Region.parse(t), `Region ${t}`);
    typedOrValue(() => Shape.parse(t), `Shape ${t}`);
  }
  typedOrValue(() => Point.parse(42 as unknown as string), 'Point non-string');
});
