// Pins docs/architecture.md WIRE-1 (bounds-checked frames, malformed input closes one connection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as flatbuffers from 'flatbuffers';
import { FrameEncoder, FrameKind, decodeFrame } from '../../src/wire/frames.js';
import { FrameError } from '../../src/channel/errors.js';
import { Frame } from '../../src/wire/generated/actormesh/wire/frame.js';

test('frames round-trip: Init, Ack, Reject and a batch of messages', () => {
  const e = new FrameEncoder(8);
  assert.deepEqual(decodeFrame(e.init(0xfedcba9876543210n).slice()), { kind: FrameKind.Init, session: 0xfedcba9876543210n });
  assert.deepEqual(decodeFrame(e.ack(2 ** 40).slice()), { kind: FrameKind.Ack, seq: 2 ** 40 });
  assert.deepEqual(decodeFrame(e.reject('no').slice()), { kind: FrameKind.Reject, reason: 'no' });
  const msgs = [new Uint8Array([1, 2, 3]), new Uint8Array(0), randomBytes(5000), new Uint8Array([9])];
  const f = decodeFrame(e.messages(17, msgs, 1, 4, 5001).slice());
  assert.equal(f.kind, FrameKind.Messages);
  if (f.kind !== FrameKind.Messages) return;
  assert.equal(f.seq, 17);
  assert.equal(f.bytes, 5001);
  assert.deepEqual(
    f.messages.map((m) => Buffer.from(m)),
    msgs.slice(1).map((m) => Buffer.from(m)),
  );
});

test('random bytes and truncated frames give FrameError, never another exception', () => {
  let errors = 0;
  for (let i = 0; i < 5000; i++) {
    try {
      decodeFrame(randomBytes(Math.floor(Math.random() * 128)));
    } catch (e) {
      assert.ok(e instanceof FrameError, String(e));
      errors++;
    }
  }
  assert.ok(errors > 4900);
  const full = new FrameEncoder().messages(0, [randomBytes(100), randomBytes(7)], 0, 2, 107).slice();
  for (let cut = 0; cut < full.length - 8; cut++) {
    assert.throws(() => decodeFrame(full.subarray(0, cut)), FrameError, `cut at ${cut}`);
  }
});

test('a Messages frame whose ends are not monotonic or overrun the data is rejected', () => {
  const b = new flatbuffers.Builder(64);
  const data = Frame.createDataVector(b, [1, 2, 3, 4]);
  const ends = Frame.createEndsVector(b, [3, 2, 4]);
  Frame.startFrame(b);
  Frame.addKind(b, FrameKind.Messages);
  Frame.addEnds(b, ends);
  Frame.addData(b, data);
  b.finish(Frame.endFrame(b));
  assert.throws(() => decodeFrame(b.asUint8Array()), /message 1 ends at 2/);
  const b2 = new flatbuffers.Builder(64);
  const d2 = Frame.createDataVector(b2, [1, 2]);
  const e2 = Frame.createEndsVector(b2, [1, 9]);
  Frame.startFrame(b2);
  Frame.addKind(b2, FrameKind.Messages);
  Frame.addEnds(b2, e2);
  Frame.addData(b2, d2);
  b2.finish(Frame.endFrame(b2));
  assert.throws(() => decodeFrame(b2.asUint8Array()), FrameError);
});

test('an unknown frame kind names the expected kinds', () => {
  const b = new flatbuffers.Builder(16);
  Frame.startFrame(b);
  Frame.addKind(b, 42 as FrameKind);
  b.finish(Frame.endFrame(b));
  assert.throws(() => decodeFrame(b.asUint8Array()), /unknown frame kind 42; expected Init\(0\), Messages\(1\), Ack\(2\) or Reject\(3\)/);
});

test('hand-laid Messages frames are valid FlatBuffers: the generated accessors read kind, seq, ends and data', () => {
  const enc = new FrameEncoder(64);
  for (const [seq, sizes] of [
    [0, [1]],
    [7, [0, 3, 250]],
    [2 ** 40 + 5, [4, 5, 6, 7]],
    [Number.MAX_SAFE_INTEGER - 10, [1023, 1]],
  ] as const) {
    const msgs = sizes.map((n, k) => new Uint8Array(n).fill(k + 1));
    const total = sizes.reduce((a: number, b: number) => a + b, 0);
    // the encoder reuses its buffer: a larger frame after a smaller one must not keep stale bytes
    const bytes = enc.messages(seq, [new Uint8Array(9), ...msgs], 1, msgs.length + 1, total).slice();
    assert.equal(bytes.length % 4, 0);
    const f = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(bytes));
    assert.equal(f.kind(), FrameKind.Messages);
    assert.equal(f.seq(), BigInt(seq));
    assert.equal(f.endsLength(), msgs.length);
    assert.equal(f.sharedLength(), 0, 'raw channel messages are never route-shared');
    let end = 0;
    for (let k = 0; k < msgs.length; k++) assert.equal(f.ends(k), (end += sizes[k]!));
    assert.deepEqual(f.dataArray(), Buffer.concat(msgs).length ? new Uint8Array(Buffer.concat(msgs)) : new Uint8Array(0));
    const d = decodeFrame(bytes);
    assert.ok(d.kind === FrameKind.Messages);
    assert.equal(d.seq, seq);
    assert.deepEqual(
      d.messages.map((m) => [...m]),
      msgs.map((m) => [...m]),
    );
  }
});
