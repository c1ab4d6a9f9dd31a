// Pins docs/architecture.md CORE-3 (slabs never rewritten).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slab } from '../../src/core/slab.js';

test('copies up to max go into the slab, aligned; larger ones into a buffer of their own', () => {
  const fresh: ArrayBuffer[] = [];
  const s = new Slab(64, { max: 16, align: 8, onNew: (b) => fresh.push(b) });
  const a = s.copy(new Uint8Array([1, 2, 3]));
  const b = s.copy(new Uint8Array(16).fill(9));
  assert.equal(fresh.length, 1);
  assert.equal(a.buffer, fresh[0]);
  assert.equal(b.buffer, fresh[0]);
  assert.equal(a.byteOffset, 0);
  assert.equal(b.byteOffset, 8, 'the next view starts 8-aligned');
  assert.equal(s.pos, 24);
  const big = s.copy(new Uint8Array(17).fill(5));
  assert.notEqual(big.buffer, fresh[0]);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, 17);
  assert.equal(s.pos, 24, 'a copy of its own takes nothing from the slab');
});

test('a full slab is replaced, never rewritten: earlier views keep their bytes', () => {
  const fresh: ArrayBuffer[] = [];
  const s = new Slab(32, { max: 32, align: 4, onNew: (b) => fresh.push(b) });
  const views = Array.from({ length: 10 }, (_, i) => s.copy(new Uint8Array(10).fill(i)));
  assert.ok(fresh.length > 1, 'fresh slabs were taken');
  views.forEach((v, i) => assert.deepEqual([...v], new Array(10).fill(i)));
  // A view larger than the slab size gets a slab of its own size (take / room).
  const t = s.take(100);
  assert.equal(t.length, 100);
  assert.equal(s.buffer.byteLength, 100);
  assert.equal(s.room(8), s.bytes);
  assert.equal(s.bytes.length, 32, 'then the next fresh slab has the usual size');
});

test('a Node Buffer is copied, not viewed (Buffer.slice would alias it)', () => {
  const s = new Slab(64, { max: 4, align: 8 });
  const src = Buffer.from([1, 2, 3, 4, 5, 6]);
  const out = s.copy(src);
  src[0] = 99;
  assert.equal(out[0], 1);
  assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
});
