// Pins docs/architecture.md WIRE-2 (self-contained frames).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as flatbuffers from 'flatbuffers';
import { ActorId, DirectProcId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { EnvelopeEncoder, EnvelopeDecoder, readRoute } from '../../src/mailbox/envelope-codec.js';
import { FrameEncoder, FrameKind, decodeFrame } from '../../src/wire/frames.js';
import { ROUTE_REF_BYTES } from '../../src/wire/envelope-layout.js';
import { FrameError } from '../../src/wire/errors.js';
import { Frame } from '../../src/wire/generated/actormesh/wire/frame.js';
import { RouteRef } from '../../src/wire/generated/actormesh/wire/route-ref.js';
import { Envelope } from '../../src/wire/generated/actormesh/wire/envelope.js';
import { assertSameEnvelope } from '../_support/envelopes.js';

const a = new ActorId(new DirectProcId('tcp:127.0.0.1:5000', 'driver'), 'bench', 0);
const b = new ActorId(new DirectProcId('tcp:127.0.0.1:6000', 'peer'), 'counter', 3);

function env(i: number, size: number, from = a, to = b, type = 'data'): MessageEnvelope {
  const e = new MessageEnvelope(from, to.port(1024n), randomBytes(size), type);
  e.ttl = i % 256;
  e.returnUndeliverable = i % 3 !== 0;
  return e;
}

function frameOf(msgs: Uint8Array[], from = 0, to = msgs.length, seq = 0): Uint8Array {
  const total = msgs.slice(from, to).reduce((s, m) => s + m.length, 0);
  return new FrameEncoder(64).messages(seq, msgs, from, to, total).slice();
}

function messagesOf(frame: Uint8Array): Uint8Array[] {
  const f = decodeFrame(frame);
  assert.equal(f.kind, FrameKind.Messages);
  return f.kind === FrameKind.Messages ? f.messages : [];
}

function assertSame(got: MessageEnvelope, want: MessageEnvelope): void {
  assertSameEnvelope(got, want);
  assert.equal(got.errors.length, 0);
}

const isShared = (frame: Uint8Array, k: number): boolean => {
  const f = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(frame));
  return f.sharedLength() > 0 && ((f.shared(k >>> 3)! >>> (k & 7)) & 1) === 1;
};

test('envelopes of one route in a frame travel route-shared: RouteRefs the generated accessors read, a third of the bytes at 64 B, decoded to the same envelopes', () => {
  const enc = new EnvelopeEncoder();
  const envs = Array.from({ length: 50 }, (_, i) => env(i, 64));
  const bytes = envs.map((e) => enc.encode(e));
  const total = bytes.reduce((s, m) => s + m.length, 0);
  const frame = frameOf(bytes);
  assert.ok(frame.length < total / 2.2, `frame of ${frame.length} bytes for ${total} bytes of envelopes`);

  const gen = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(frame));
  assert.equal(gen.kind(), FrameKind.Messages);
  assert.equal(gen.endsLength(), 50);
  assert.equal(gen.sharedLength(), 7); // ⌈50 / 8⌉
  const data = gen.dataArray()!;
  const bb = new flatbuffers.ByteBuffer(data);
  let start = 0;
  for (let k = 0; k < 50; k++) {
    const end = gen.ends(k)!;
    if (k === 0) {
      assert.equal(isShared(frame, 0), false, 'the first message of a frame is a full envelope');
      const full = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(data.subarray(start, end)));
      assert.equal(full.sender(), a.key);
      assert.equal(full.dest(), b.port(1024n).key);
      assert.equal(full.typeName(), 'data');
      assert.deepEqual(Buffer.from(full.payloadArray()!), Buffer.from(envs[0]!.data));
    } else {
      assert.equal(isShared(frame, k), true, `message ${k} is route-shared`);
      const r = new RouteRef().__init(start, bb);
      assert.equal(r.marker(), 0);
      assert.equal(r.distance(), start, 'refers to the full envelope at the start of the frame');
      assert.equal(r.ttl(), envs[k]!.ttl);
      assert.equal(r.flags(), envs[k]!.returnUndeliverable ? 1 : 0);
      assert.equal(r.payloadLength(), 64);
      assert.deepEqual(Buffer.from(data.subarray(start + RouteRef.sizeOf(), start + RouteRef.sizeOf() + 64)), Buffer.from(envs[k]!.data));
    }
    start = end;
  }

  const dec = new EnvelopeDecoder();
  const msgs = messagesOf(frame);
  msgs.forEach((m, k) => assertSame(dec.decode(m), envs[k]!));
  // readRoute resolves a route-shared envelope too, without decoding the payload.
  assert.deepEqual(readRoute(msgs[7]!), { sender: a.key, dest: b.port(1024n).key, ttl: envs[7]!.ttl, returnUndeliverable: envs[7]!.returnUndeliverable });
});

test('a route change, an envelope with headers and raw bytes each travel whole, and sharing resumes after them', () => {
  const enc = new EnvelopeEncoder();
  const withHeader = env(2, 10).withHeader('SEND_TIMESTAMP', new Uint8Array([1, 2]));
  const envs = [env(0, 64), env(1, 64), withHeader, env(3, 64), env(4, 64), env(5, 8, b, a, 'other'), env(6, 8, b, a, 'other'), env(7, 64), env(8, 64)];
  const bytes: Uint8Array[] = envs.map((e) => enc.encode(e));
  const raw = new Uint8Array(68); // zeros: would look like a RouteRef marker if it were misread
  bytes.splice(4, 0, raw);
  const frame = frameOf(bytes);
  const shared = bytes.map((_, k) => isShared(frame, k));
  //            e0     e1    hdr    e3     raw    e4     e5(B) e6(B)  e7     e8
  assert.deepEqual(shared, [false, true, false, false, false, false, false, true, false, true]);
  const msgs = messagesOf(frame);
  assert.deepEqual(Buffer.from(msgs[4]!), Buffer.from(raw), 'raw channel bytes arrive as they were sent');
  const dec = new EnvelopeDecoder();
  const decoded = msgs.filter((_, k) => k !== 4).map((m) => dec.decode(m));
  decoded.forEach((d, k) => {
    assertSame(Object.assign(d, { errors: [] }), envs[k]!);
    assert.equal(d.headers.size, envs[k]!.headers.size);
  });
});

test('frames stay self-contained: a frame that starts mid-run (a resend after reconnect) carries a full envelope first, and decoding it needs nothing earlier', () => {
  const enc = new EnvelopeEncoder();
  const envs = Array.from({ length: 20 }, (_, i) => env(i, 1 + (i % 40)));
  const bytes = envs.map((e) => enc.encode(e));
  const first = frameOf(bytes, 0, 10, 0);
  const resend = frameOf(bytes, 6, 20, 6);
  assert.equal(isShared(resend, 0), false);
  assert.equal(isShared(resend, 1), true);
  // One decoder reads the first frame and then the resend (whose first 4 messages the server
  // drops as duplicates); a fresh decoder reads the resend alone.
  const dec = new EnvelopeDecoder();
  messagesOf(first).forEach((m, k) => assertSame(dec.decode(m), envs[k]!));
  const again = messagesOf(resend);
  again.slice(4).forEach((m, k) => assertSame(dec.decode(m), envs[10 + k]!));
  const fresh = new EnvelopeDecoder();
  again.forEach((m, k) => assertSame(fresh.decode(m), envs[6 + k]!));
});

test('a server that skips the head of a resent frame still delivers its route-shared envelopes: the route is read from the frame bytes', () => {
  const enc = new EnvelopeEncoder();
  const envs = Array.from({ length: 8 }, (_, i) => env(i, 30));
  const msgs = messagesOf(frameOf(envs.map((e) => enc.encode(e))));
  const dec = new EnvelopeDecoder();
  // Decode another route first, so the decoder's memory holds something else.
  dec.decode(enc.encode(env(0, 5, b, a, 'x')));
  msgs.slice(3).forEach((m, k) => assertSame(dec.decode(m), envs[3 + k]!));
});

test('two encoders feeding one frame never share routes across each other, and one encoder alternating routes gets a new stamp each time', () => {
  const e1 = new EnvelopeEncoder();
  const e2 = new EnvelopeEncoder();
  const x = env(0, 16);
  const y = env(1, 16, b, a, 'y');
  const bytes = [e1.encode(x), e2.encode(x), e1.encode(x), e1.encode(y), e1.encode(x), e1.encode(x)];
  const stamp = (m: Uint8Array) => (m[26]! | (m[27]! << 8)) * 65536 + (m[50]! | (m[51]! << 8));
  assert.notEqual(stamp(bytes[0]!), stamp(bytes[1]!), 'the same route from two encoders: two stamps');
  assert.equal(stamp(bytes[0]!), stamp(bytes[2]!));
  assert.notEqual(stamp(bytes[2]!), stamp(bytes[4]!), 'x again after y: a new template, a new stamp');
  assert.equal(stamp(bytes[4]!), stamp(bytes[5]!));
  const frame = frameOf(bytes);
  assert.deepEqual(
    bytes.map((_, k) => isShared(frame, k)),
    [false, false, false, false, false, true],
  );
  const dec = new EnvelopeDecoder();
  const want = [x, x, x, y, x, x];
  messagesOf(frame).forEach((m, k) => assertSame(dec.decode(m), want[k]!));
});

/** A frame of three same-route envelopes, and the byte offset of each message in it. */
function sharedFrame(): { frame: Uint8Array; at: number[] } {
  const enc = new EnvelopeEncoder();
  const frame = frameOf([0, 1, 2].map((i) => enc.encode(env(i, 20))));
  const gen = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(frame));
  const base = gen.dataArray()!.byteOffset;
  return { frame, at: [0, gen.ends(0)!, gen.ends(1)!].map((o) => base + o) };
}
const u32 = (f: Uint8Array, at: number, v: number) => new DataView(f.buffer, f.byteOffset).setUint32(at, v, true);

test('malformed route references close the connection: FrameError names the wrong distance, marker, payload length or bitmap', () => {
  const cases: Array<[string, (f: Uint8Array, at: number[]) => void, RegExp]> = [
    ['distance past the head', (f, at) => u32(f, at[2]! + 4, at[2]! - at[0]! + 4), /refers \d+ bytes back; expected \d+, the nearest preceding full message/],
    ['distance to another route-shared message', (f, at) => u32(f, at[2]! + 4, at[2]! - at[1]!), /expected \d+, the nearest preceding full message/],
    ['no marker', (f, at) => u32(f, at[1]!, 28), /does not start with the RouteRef marker 0/],
    ['payload overrun', (f, at) => u32(f, at[1]! + 12, 1000), /declares a 1000-byte payload/],
    ['payload too short for the message', (f, at) => u32(f, at[1]! + 12, 3), /declares a 3-byte payload/],
  ];
  for (const [name, spoil, re] of cases) {
    const { frame, at } = sharedFrame();
    spoil(frame, at);
    assert.throws(
      () => decodeFrame(frame),
      (e: unknown) => e instanceof FrameError && re.test(e.message),
      name,
    );
  }
  // A first message marked route-shared has nothing to refer to.
  const { frame } = sharedFrame();
  const gen = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(frame));
  const bitsAt = gen.sharedArray()!.byteOffset - frame.byteOffset;
  frame[bitsAt] = 0b111;
  assert.throws(() => decodeFrame(frame), /route-shared message 0 (does not start with the RouteRef marker 0|refers)/);
  // A bitmap of the wrong size.
  const { frame: f2 } = sharedFrame();
  const g2 = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(f2));
  u32(f2, g2.sharedArray()!.byteOffset - f2.byteOffset - 4, 2);
  assert.throws(() => decodeFrame(f2), /shared bitmap of 2 bytes for 3 messages; expected 1/);
  // Every truncation is a FrameError too.
  const { frame: f3 } = sharedFrame();
  for (let cut = 0; cut < f3.length - 3; cut++) assert.throws(() => decodeFrame(f3.subarray(0, cut)), FrameError, `cut at ${cut}`);
});

test('a route-shared envelope handed to the decoder outside a valid frame gives FrameError, never a crash', () => {
  const dec = new EnvelopeDecoder();
  const lone = new Uint8Array(40);
  new DataView(lone.buffer).setUint32(4, 8, true); // 8 bytes back from offset 0: outside the buffer
  assert.throws(() => dec.decode(lone), /refers 8 bytes back, outside its buffer/);
  assert.throws(() => readRoute(lone), FrameError);
  // Pointing at bytes that are not an envelope.
  const buf = new Uint8Array(128);
  const view = buf.subarray(64, 104);
  new DataView(buf.buffer).setUint32(68, 64, true);
  assert.throws(() => dec.decode(view), FrameError);
  // A payload longer than the message.
  const { frame, at } = sharedFrame();
  const msgs = messagesOf(frame);
  u32(frame, at[1]! + 12, 500);
  assert.throws(() => new EnvelopeDecoder().decode(msgs[1]!), /declares a 500-byte payload/);
});

test('one frame encoder writes a route-shared frame and then a plain one into its reused buffer: the second has no shared field', () => {
  const enc = new EnvelopeEncoder();
  const fe = new FrameEncoder(64);
  const envs = [env(0, 200), env(1, 200), env(2, 200)];
  const shared = fe
    .messages(
      0,
      envs.map((e) => enc.encode(e)),
      0,
      3,
      3 * 400,
    )
    .slice();
  assert.equal(isShared(shared, 1), true);
  const raw = [new Uint8Array([1, 2, 3]), new Uint8Array(5).fill(9)];
  const plain = fe.messages(3, raw, 0, 2, 8).slice();
  const gen = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(plain));
  assert.equal(gen.sharedLength(), 0);
  assert.equal(gen.seq(), 3n);
  assert.deepEqual(
    messagesOf(plain).map((m) => [...m]),
    raw.map((m) => [...m]),
  );
});

test(
  'envelopes streamed over a real channel whose socket is reset 6 times arrive exactly once, in order, with their own routes (resent frames are route-shared afresh)',
  { timeout: 60_000 },
  async () => {
    const { serve, dial, anyAddr } = await import('../../src/channel/index.js');
    const { MailboxClient } = await import('../../src/mailbox/client.js');
    const { serveMailbox } = await import('../../src/mailbox/server.js');
    const { BaseMailboxSender, LOG_RETURN_HANDLE } = await import('../../src/mailbox/sender.js');
    const { startProxy } = await import('../channel/_proxy.js');
    const [addr, rx] = await serve(anyAddr('tcp'), { ackEveryN: 300, ackIntervalMs: 20 });
    const proxy = await startProxy((addr as { port: number }).port);
    const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { minBackoffMs: 2, maxBackoffMs: 20, batchBytes: 8 * 1024 });
    const client = new MailboxClient(tx);
    const N = 30_000;
    // Runs of 7 envelopes to one port, then 3 of another type from another sender.
    const routeOf = (i: number) => (i % 10 < 7 ? { from: a, to: b.port(1024n), type: 'data' } : { from: b, to: a.port(7n), type: 'other' });
    let next = 0;
    let failure: Error | undefined;
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    class Check extends BaseMailboxSender {
      postUnchecked(e: MessageEnvelope): void {
        const i = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength).getUint32(0, true);
        const want = routeOf(next);
        if (
          !failure &&
          (i !== next || e.sender.key !== want.from.key || e.dest.key !== want.to.key || e.typeName !== want.type || e.ttl !== 8 + (next % 200))
        ) {
          failure = new Error(`envelope ${next}: got #${i} ${e.sender.key} -> ${e.dest.key} ${e.typeName} ttl ${e.ttl}`);
        }
        if (++next === N) finish();
      }
    }
    const served = serveMailbox(rx, new Check());
    let cuts = 0;
    for (let i = 0; i < N; i++) {
      const r = routeOf(i);
      const data = new Uint8Array(8 + (i % 50));
      new DataView(data.buffer).setUint32(0, i, true);
      const e = new MessageEnvelope(r.from, r.to, data, r.type);
      e.ttl = 10 + (i % 200); // one hop is taken here (client.post), one at the receiving post
      client.post(e, LOG_RETURN_HANDLE);
      if (i % 500 === 499) await new Promise((res) => setImmediate(res));
      if (i % 5_000 === 2_500) {
        await new Promise((res) => setTimeout(res, 2));
        proxy.cut();
        cuts++;
      }
    }
    await finished;
    assert.equal(failure, undefined, failure?.message);
    assert.equal(cuts, 6);
    assert.equal(next, N);
    assert.equal(served.stats.malformed, 0);
    assert.ok(tx.stats!.resent > 0, 'unacknowledged envelopes were resent');
    await client.close();
    await served.stop();
    await proxy.close();
  },
);

test('an unflagged message shaped like a RouteRef never borrows a route: the decoder rejects it, the channel delivers its bytes intact', () => {
  const enc = new EnvelopeEncoder();
  const first = env(0, 64);
  const head = enc.encode(first);
  // A RouteRef pointing back at the envelope before it, sent as plain bytes (not flagged shared).
  const forged = new Uint8Array(ROUTE_REF_BYTES + 8);
  const dv = new DataView(forged.buffer);
  dv.setUint32(4, head.length, true); // distance back to `head` in the frame's data
  forged[8] = 9; // ttl
  forged[9] = 1; // flags
  dv.setUint32(12, 8, true); // payload length
  const frame = frameOf([head.slice(), forged]);
  assert.deepEqual([isShared(frame, 0), isShared(frame, 1)], [false, false]);
  const msgs = messagesOf(frame);
  assert.deepEqual(Buffer.from(msgs[1]!), Buffer.from(forged), 'the bytes arrive as they were sent');
  const dec = new EnvelopeDecoder();
  assertSame(dec.decode(msgs[0]!), first);
  assert.throws(() => dec.decode(msgs[1]!), FrameError);
});
