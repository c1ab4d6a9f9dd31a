import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLICKR_BASE58, Name, NameParseError, ShortUuid } from '../../src/core/name.js';

test('a ShortUuid renders as exactly 12 Flickr base58 characters, most significant first', () => {
  assert.equal(new ShortUuid(0n).raw, '111111111111');
  assert.equal(new ShortUuid(1n).raw, '111111111112');
  assert.equal(new ShortUuid(57n).raw, '11111111111Z');
  assert.equal(new ShortUuid(58n).raw, '111111111121');
  const max = new ShortUuid((1n << 64n) - 1n);
  assert.equal(max.raw.length, 12);
  assert.equal(ShortUuid.parse(max.raw).value, (1n << 64n) - 1n);
  assert.equal(FLICKR_BASE58.length, 58);
  for (const bad of ['0', 'O', 'I', 'l']) assert.ok(!FLICKR_BASE58.includes(bad));
});

test('random ShortUuids round-trip through raw and display forms', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const u = ShortUuid.generate();
    assert.match(u.raw, /^[1-9a-km-zA-HJ-NP-Z]{12}$/);
    assert.ok(ShortUuid.parse(u.raw).equals(u));
    assert.ok(ShortUuid.parse(u.toString()).equals(u));
    seen.add(u.raw);
  }
  assert.equal(seen.size, 500);
});

test('the ShortUuid display prefixes an underscore when the raw form starts with a digit', () => {
  const u = new ShortUuid(12345n);
  assert.equal(u.raw, '1111111114ER');
  assert.equal(u.toString(), '_1111111114ER');
  // 58^11 > 2^64, so the leading digit of a u64 is always '1' and the display always has '_'.
  const max = new ShortUuid((1n << 64n) - 1n);
  assert.equal(max.raw[0], '1');
  assert.equal(max.toString(), `_${max.raw}`);
});

test('ShortUuid parsing ignores underscores and dashes', () => {
  const u = ShortUuid.generate();
  const r = u.raw;
  assert.ok(ShortUuid.parse(`${r.slice(0, 4)}-${r.slice(4, 8)}_${r.slice(8)}`).equals(u));
});

test('malformed ShortUuid text throws NameParseError', () => {
  for (const [text, variant] of [
    ['', 'Empty'],
    ['__', 'Empty'],
    ['abc0', 'InvalidChar'],
    ['abcl', 'InvalidChar'],
    ['ZZZZZZZZZZZZ', 'Overflow'],
    ['é', 'InvalidChar'],
  ] as const) {
    assert.throws(
      () => ShortUuid.parse(text),
      (e: unknown) => e instanceof NameParseError && e.variant === variant && e.input === text,
    );
  }
});

test('Name.new is unique per call and displays base_uuid; reserved names display their base', () => {
  const a = Name.new('trainer');
  const b = Name.new('trainer');
  assert.equal(a.kind, 'suffixed');
  assert.match(a.toString(), /^trainer_[1-9a-km-zA-HJ-NP-Z]{12}$/);
  assert.notEqual(a.toString(), b.toString());
  assert.equal(Name.reserved('agent').toString(), 'agent');
  assert.equal(Name.reserved('').toString(), 'unnamed');
  assert.equal(Name.new('').base, 'unnamed');
});

test('Name.parse splits on the last underscore and round-trips', () => {
  const n = Name.new('my_mesh');
  const p = Name.parse(n.toString());
  assert.equal(p.kind, 'suffixed');
  assert.equal(p.base, 'my_mesh');
  assert.ok(p.equals(n));
  assert.ok(Name.parse('agent').equals(Name.reserved('agent')));
  const plain = Name.parse('my_actor');
  assert.equal(plain.kind, 'reserved');
  assert.equal(plain.toString(), 'my_actor');
  const s = Name.parse('comm_1111111114ER');
  assert.equal(s.kind, 'suffixed');
  assert.equal(s.uuid?.value, 12345n);
});
