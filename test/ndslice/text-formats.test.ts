import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Extent,
  Point,
  Region,
  Range,
  Shape,
  Slice,
  fmtLabel,
  isSafeIdent,
  PointParseError,
  RegionParserError,
  RegionSliceError,
  OutOfRangeIndex,
} from '../../src/ndslice/index.js';
import { ActormeshError } from '../../src/base/errors.js';
import { int, prng, randomExtent, randomRegion } from './prng.js';

test('labels of letters, digits and underscore print bare; others as Rust string literals', () => {
  assert.equal(isSafeIdent('gpu_0'), true);
  assert.equal(isSafeIdent(''), true);
  assert.equal(isSafeIdent('x=y'), false);
  assert.equal(fmtLabel('dim/0'), '"dim/0"');
  assert.equal(fmtLabel('a"b\\c\n\t\r\0'), '"a\\"b\\\\c\\n\\t\\r\\0"');
  assert.equal(fmtLabel('bell\u0007'), '"bell\\u{7}"');
  assert.equal(fmtLabel('ünï'), '"ünï"');
});

test('Range displays as a:b:s or a::s and resolves by clamping end only', () => {
  assert.equal(new Range(1, 4, 2).toString(), '1:4:2');
  assert.equal(new Range(1, null, 2).toString(), '1::2');
  assert.deepEqual(new Range(2, 100).resolve(8), [2, 8, 1]);
  assert.deepEqual(new Range(9).resolve(8), [9, 8, 1]);
  assert.deepEqual(Range.index(3).toJSON(), { start: 3, end: 4, step: 1 });
});

test('Point.parse rejects each malformed string with a typed error naming the problem', () => {
  const bad = [
    'x=1/4,y=2',
    'x=1/4,y=/5',
    'x=1/4,y=2/',
    'x=1/,y=2/5',
    'x=1/4/6,y=2/5',
    'x=1/abc,y=2/5',
    'x=1/4,',
    'x=1/4,y',
    'x',
    'x=',
    '""=1/2',
    '"x=1/2',
    'x=-1/2',
    'x=1.5/2',
    '=1/2',
    'x=1 2/3',
  ];
  for (const s of bad)
    assert.throws(
      () => Point.parse(s),
      (e: unknown) => e instanceof PointParseError && e.variant === 'ParseError' && e.reason.length > 0,
      s,
    );
  assert.throws(
    () => Point.parse('x=1/4,y=10/5'),
    (e: unknown) => e instanceof OutOfRangeIndex && e.size === 5 && e.index === 10,
  );
});

test('Region.parse rejects malformed text as ParserError and invalid slices as SliceError', () => {
  for (const s of ['0=2/1', 'x=2', 'x=2/', 'x=/1', '3+', '3', 'x=2/1,', '+x=2/1', 'x=a/1', '"x=2/1']) {
    if (s === '3+') continue; // a 0-d region with offset 3 is valid
    assert.throws(
      () => Region.parse(s),
      (e: unknown) => e instanceof RegionParserError && e.variant === 'ParserError',
      s,
    );
  }
  assert.throws(
    () => Region.parse('x=2/2,y=2/2'),
    (e: unknown) => e instanceof RegionSliceError && e.inner === 'NonuniqueStrides',
  );
  assert.deepEqual(Region.parse('3+').toJSON(), { labels: [], slice: { offset: 3, sizes: [], strides: [] } });
  assert.deepEqual(Region.parse('122+"d/0"=1/30,"d/1"=5/6,"d/2"=4/1').slice.toJSON(), { offset: 122, sizes: [1, 5, 4], strides: [30, 6, 1] });
});

test('display/parse round-trips for random points (seeded)', () => {
  const rnd = prng(0x5eed01);
  for (let k = 0; k < 300; k++) {
    const e = randomExtent(rnd);
    // the point parser keeps escapes other than \" and \\ verbatim (Monarch ndslice/src/view.rs `impl FromStr for Point`), so control characters do not round-trip
    if (e.labels.some((l) => /[\n\t\r\0]/.test(l))) continue;
    const p = e.pointOfRank(int(rnd, 0, e.numRanks - 1));
    const q = Point.parse(p.toString());
    assert.ok(q.equals(p), `${p} → ${q}`);
  }
});

test('display/parse round-trips for random regions, offsets and strided ones included (seeded)', () => {
  const rnd = prng(0x5eed02);
  for (let k = 0; k < 300; k++) {
    let r = randomRegion(rnd);
    if (rnd() < 0.3 && r.labels.length) r = new Region(r.labels, Slice.new(r.slice.offset + 8, r.slice.sizes, r.slice.strides));
    const text = r.toString();
    const back = Region.parse(text);
    assert.ok(back.equals(r), `${text} → ${back}`);
  }
});

test('display/parse round-trips for random shapes (seeded)', () => {
  const rnd = prng(0x5eed03);
  for (let k = 0; k < 200; k++) {
    const d = int(rnd, 0, 4);
    const s = Shape.of(Array.from({ length: d }, (_, i) => [`l${i}_${int(rnd, 0, 9)}`, int(rnd, 1, 9)] as const));
    assert.ok(Shape.parse(s.toString()).equals(s));
  }
});

test('point labels with control characters do not round-trip (the point parser only unescapes \\" and \\\\)', () => {
  const p = Extent.of([['tab\there', 2]]).point([1]);
  assert.equal(p.toString(), '"tab\\there"=1/2');
  assert.deepEqual(Point.parse(p.toString()).extent.labels, ['tab\\there']);
  assert.deepEqual(Region.parse(Region.fromExtent(p.extent).toString()).labels, ['tab\there']);
});

test('every display parser fails with typed errors on random garbage (seeded)', () => {
  const rnd = prng(0x5eed04);
  const alphabet = 'xy0123456789=/,+"\\{} \t';
  for (let k = 0; k < 2000; k++) {
    const n = int(rnd, 0, 14);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[int(rnd, 0, alphabet.length - 1)];
    for (const parse of [Point.parse, Region.parse, Shape.parse, (t: string) => Extent.of([[t, 1]]).toString()]) {
      try {
        parse(s);
      } catch (e) {
        assert.ok(e instanceof ActormeshError, `${JSON.stringify(s)}: ${String(e)}`);
      }
    }
  }
});
