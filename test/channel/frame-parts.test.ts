/**
 * Zero-copy Messages frames: an envelope encoder writes route-shared runs into its slab in frame
 * layout (envelope-codec.ts `shareRoute`), and a Tx sends a batch of them as one WebSocket message
 * in fragments (FrameEncoder.messageParts, FrameLink.writeParts) instead of copying them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as flatbuffers from 'flatbuffers';
import { ActorId, DirectProcId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { EnvelopeDecoder, EnvelopeEncoder, RUN_BYTES } from '../../src/mailbox/envelope-codec.js';
import { FrameEncoder, FrameKind, decodeFrame } from '../../src/wire/frames.js';
import { isSlabRouteRef } from '../../src/wire/envelope-layout.js';
import { Frame } from '../../src/wire/generated/actormesh/wire/frame.js';
import { PARTS_MIN_BYTES } from '../../src/channel/session-tx.js';
import { BaseMailboxSender } from '../../src/mailbox/sender.js';
import { assertSameEnvelope } from '../_support/envelopes.js';
import { within } from '../_support/within.js';

const a = new ActorId(new DirectProcId('tcp:127.0.0.1:5000', 'driver'), 'bench', 0);
const b = new ActorId(new DirectProcId('tcp:127.0.0.1:6000', 'peer'), 'counter', 3);

function env(i: number, size: number, from = a, type = 'data'): MessageEnvelope {
  const e = new MessageEnvelope(from, b.port(1024n), randomBytes(size), type);
  e.ttl = i % 256;
  e.returnUndeliverable = i % 3 !== 0;
  return e;
}
const total = (ms: Uint8Array[]) => ms.reduce((s, m) => s + m.length, 0);
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
const isShared = (frame: Uint8Array, k: number): boolean => {
  const f = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(frame));
  return f.sharedLength() > 0 && ((f.shared(k >>> 3)! >>> (k & 7)) & 1) === 1;
};
function decodeAll(frame: Uint8Array): MessageEnvelope[] {
  const f = decodeFrame(frame);
  assert.equal(f.kind, FrameKind.Messages);
  const d = new EnvelopeDecoder();
  return f.kind === FrameKind.Messages ? f.messages.map((m) => d.decode(m)) : [];
}
const assertSame = assertSameEnvelope;

test('a route-shared run from the encoder goes out as parts that concatenate to exactly the frame messages() copies, and decodes to the same envelopes', () => {
  const enc = new EnvelopeEncoder();
  const envs = Array.from({ length: 25 }, (_, i) => env(i, 1000 + (i % 7)));
  const msgs = envs.map((e, i) => enc.encode(e, i > 0));
  assert.ok(!isSlabRouteRef(msgs[0]!) && msgs.slice(1).every(isSlabRouteRef), 'one full envelope, then RouteRefs in the slab');
  for (let i = 1; i < msgs.length; i++) assert.equal(msgs[i]!.byteOffset, msgs[i - 1]!.byteOffset + msgs[i - 1]!.length, 'back to back in the slab');
  const parts = new FrameEncoder(64).messageParts(9, msgs, 0, msgs.length, total(msgs));
  assert.ok(parts !== undefined);
  assert.equal(parts.length, 3, 'head, the slab range, the shared bitmap');
  assert.equal(parts[1]!.buffer, msgs[0]!.buffer, 'the data part is the slab itself (no copy)');
  const frame = concat(parts);
  assert.deepEqual(Buffer.from(frame), Buffer.from(new FrameEncoder(64).messages(9, msgs, 0, msgs.length, total(msgs))));
  const f = decodeFrame(frame);
  assert.ok(f.kind === FrameKind.Messages && f.seq === 9);
  decodeAll(frame).forEach((e, i) => assertSame(e, envs[i]!));
  assert.ok(!isShared(frame, 0) && isShared(frame, 1) && isShared(frame, 24));
});

test('a batch that opens inside a run is refused by messageParts; messages() expands its first RouteRef into a full envelope that the later ones refer to', () => {
  const enc = new EnvelopeEncoder();
  const envs = Array.from({ length: 20 }, (_, i) => env(i, 64 + i));
  const msgs = envs.map((e, i) => enc.encode(e, i > 0));
  const fe = new FrameEncoder(64);
  assert.equal(fe.messageParts(5, msgs, 5, 20, total(msgs.slice(5))), undefined);
  const frame = fe.messages(5, msgs, 5, 20, total(msgs.slice(5))).slice();
  decodeAll(frame).forEach((e, i) => assertSame(e, envs[5 + i]!));
  assert.ok(!isShared(frame, 0), 'the first message of the frame is full');
  for (let k = 1; k < 15; k++) assert.ok(isShared(frame, k));
  // The frame is self-contained: decoding a copy in a fresh buffer needs nothing from the slab.
  decodeAll(new Uint8Array(frame)).forEach((e, i) => assertSame(e, envs[5 + i]!));
});

test('RouteRefs after a raw message of odd length are written byte by byte: the frame still decodes to the same envelopes', () => {
  const enc = new EnvelopeEncoder();
  const envs = Array.from({ length: 6 }, (_, i) => env(i, 30 + 5 * i));
  const msgs = envs.map((e, i) => enc.encode(e, i > 0));
  const raw = new Uint8Array([1, 2, 3]);
  const batch = [msgs[0]!, msgs[1]!, raw, msgs[2]!, msgs[3]!, msgs[4]!, msgs[5]!];
  const frame = new FrameEncoder(64).messages(0, batch, 0, batch.length, total(batch)).slice();
  const f = decodeFrame(frame);
  assert.ok(f.kind === FrameKind.Messages);
  assert.deepEqual([...f.messages[2]!], [1, 2, 3]);
  const d = new EnvelopeDecoder();
  const got = f.messages.filter((_, k) => k !== 2).map((m) => d.decode(m));
  got.forEach((e, i) => assertSame(e, envs[i]!));
  assert.ok(!isShared(frame, 3) && isShared(frame, 4), 'the run resumes with a full envelope after the raw message');
});

test('a RouteRef decodes from the slab too (a returned message): its route is read from the run head before it', () => {
  const enc = new EnvelopeEncoder();
  const envs = [env(1, 10), env(2, 20), env(3, 0)];
  const msgs = envs.map((e, i) => enc.encode(e, i > 0));
  const d = new EnvelopeDecoder();
  for (const k of [2, 1, 0]) assertSame(d.decode(msgs[k]!), envs[k]!);
});

test('runs end before RUN_BYTES and at a route change or a builder envelope: the encoder writes a full envelope again', () => {
  const enc = new EnvelopeEncoder();
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) msgs.push(enc.encode(env(i, 1024), true));
  let head = 0;
  for (let i = 0; i < msgs.length; i++) {
    if (!isSlabRouteRef(msgs[i]!)) head = i;
    else assert.ok(msgs[i]!.byteOffset + msgs[i]!.length - msgs[head]!.byteOffset <= RUN_BYTES, `message ${i} is within RUN_BYTES of its head`);
  }
  assert.ok(msgs.filter((m) => !isSlabRouteRef(m)).length >= (200 * 1044) / RUN_BYTES);
  const other = enc.encode(env(0, 8, b), true);
  assert.ok(!isSlabRouteRef(other), 'a new route opens a run');
  const hdr = env(0, 8, b);
  hdr.headers = new Map([['k', new Uint8Array([1])]]);
  enc.encode(hdr, true);
  assert.ok(!isSlabRouteRef(enc.encode(env(0, 8, b), true)), 'a builder envelope in between ends the run');
});

/** Payload #i of `size` bytes: i in its first word, i & 255 in its last byte. */
function numbered(i: number, size: number): Uint8Array {
  const data = new Uint8Array(size);
  new DataView(data.buffer).setUint32(0, i, true);
  data[size - 1] = i & 255;
  return data;
}

/**
 * A mailbox sender expecting `n` envelopes numbered 0, 1, … of `size` bytes in order (and whatever
 * `check` adds); `finished` resolves at the n-th, `failure()` names the first mismatch.
 */
function orderedSink(n: number, size: number, check: (e: MessageEnvelope, i: number) => string | undefined = () => undefined) {
  let next = 0;
  let failure: string | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  class Check extends BaseMailboxSender {
    postUnchecked(e: MessageEnvelope): void {
      const d = e.data;
      const i = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0, true);
      if (!failure && (i !== next || d.length !== size || d[size - 1] !== (i & 255)))
        failure = `envelope ${next}: got #${i} of ${d.length} bytes, last byte ${d[size - 1]}`;
      if (!failure) failure = check(e, i);
      if (++next === n) finish();
    }
  }
  return { sink: new Check(), finished, failure: () => failure, next: () => next };
}

async function streamOverRealChannel(
  backend: 'uws' | 'ws',
  size: number,
  n: number,
  cuts: number,
): Promise<{ parts: number; copied: number; bigCopied: number; resent: number }> {
  const { serve, dial, anyAddr } = await import('../../src/channel/index.js');
  const { MailboxClient } = await import('../../src/mailbox/client.js');
  const { serveMailbox } = await import('../../src/mailbox/server.js');
  const { LOG_RETURN_HANDLE } = await import('../../src/mailbox/sender.js');
  const { startProxy } = await import('./_proxy.js');
  const [addr, rx] = await serve(anyAddr('tcp'), { backend, ackEveryN: 500, ackIntervalMs: 20 });
  const proxy = await startProxy((addr as { port: number }).port);
  const tx = dial(`tcp:127.0.0.1:${proxy.port}`, { minBackoffMs: 2, maxBackoffMs: 20 });
  const client = new MailboxClient(tx);
  // Count how each frame was built.
  const counts = { parts: 0, copied: 0, bigCopied: 0 };
  const proto = FrameEncoder.prototype as unknown as { messageParts: (...x: unknown[]) => unknown; messages: (...x: unknown[]) => unknown };
  const mp = proto.messageParts;
  const m = proto.messages;
  proto.messageParts = function (this: unknown, ...x: unknown[]) {
    const r = mp.apply(this, x);
    if (r !== undefined) counts.parts++;
    return r;
  };
  proto.messages = function (this: unknown, ...x: unknown[]) {
    counts.copied++;
    if ((x[4] as number) >= PARTS_MIN_BYTES) counts.bigCopied++;
    return m.apply(this, x);
  };
  const { sink, finished, failure, next } = orderedSink(n, size, (e, i) =>
    e.typeName !== 'data' || e.ttl !== 8 + (i % 100) ? `envelope #${i}: type ${e.typeName}, ttl ${e.ttl}` : undefined,
  );
  const served = serveMailbox(rx, sink);
  try {
    for (let i = 0; i < n; i++) {
      const e = new MessageEnvelope(a, b.port(1024n), numbered(i, size), 'data');
      e.ttl = 10 + (i % 100);
      client.post(e, LOG_RETURN_HANDLE);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      if (cuts > 0 && i % Math.floor(n / cuts) === Math.floor(n / cuts / 2)) {
        await new Promise((r) => setTimeout(r, 2));
        proxy.cut();
      }
    }
    await within(finished, 45_000, `${n} envelopes (${next()} arrived)`);
  } finally {
    proto.messageParts = mp;
    proto.messages = m;
    // Always released (also when the stream stalled): open sockets would keep the file running.
    client.abort('test over');
    await served.stop();
    await proxy.close();
  }
  assert.equal(failure(), undefined, failure());
  assert.equal(served.stats.malformed, 0);
  const resent = tx.stats!.resent;
  return { ...counts, resent };
}

for (const backend of ['uws', 'ws'] as const) {
  test(
    `1 KiB envelopes over a real channel (${backend} server) go out as WebSocket fragments without copying and arrive exactly once, in order, across 4 socket resets`,
    { timeout: 60_000 },
    async () => {
      const r = await streamOverRealChannel(backend, 1024, 40_000, 4);
      assert.ok(r.resent > 0, 'unacknowledged envelopes were resent after the resets');
      assert.ok(r.parts > 10, `frames sent as parts: ${r.parts}`);
      assert.ok(r.parts > r.copied, `most large frames go as parts (${r.parts} as parts, ${r.copied} copied)`);
    },
  );
}

test(
  `64 B envelopes streamed without resets: every frame of at least PARTS_MIN_BYTES goes out as parts (frames are cut before a run's head)`,
  { timeout: 60_000 },
  async () => {
    const r = await streamOverRealChannel('uws', 64, 60_000, 0);
    assert.ok(r.parts > 10, `${r.parts} frames as parts`);
    // The frames copied are the small ones (e.g. the first message of a burst, sent at once).
    assert.equal(r.bigCopied, 0, `${r.bigCopied} frames of at least ${PARTS_MIN_BYTES} bytes were copied (${r.parts} as parts, ${r.copied} copied)`);
  },
);

test(
  'a reverse Tx (uWS server → dialer) sends 1 KiB envelope runs as uWS fragments: all arrive at the dialer exactly once and in order',
  { timeout: 60_000 },
  async () => {
    const { serve, dial, anyAddr, reverseTxFor } = await import('../../src/channel/index.js');
    const { MailboxClient } = await import('../../src/mailbox/client.js');
    const { serveMailbox } = await import('../../src/mailbox/server.js');
    const { LOG_RETURN_HANDLE } = await import('../../src/mailbox/sender.js');
    const [aAddr, aRx] = await serve(anyAddr('tcp'));
    const [bAddr, bRx] = await serve(anyAddr('tcp'), { backend: 'uws' });
    const tx = dial(bAddr, { returnRx: aRx });
    await tx.send(new Uint8Array([1]));
    await bRx.recv();
    const rev = reverseTxFor(aAddr)!;
    assert.ok(rev, 'the server registered a reverse Tx');
    const client = new MailboxClient(rev);
    const proto = FrameEncoder.prototype as unknown as { messageParts: (...x: unknown[]) => unknown };
    const mp = proto.messageParts;
    let parts = 0;
    proto.messageParts = function (this: unknown, ...x: unknown[]) {
      const r = mp.apply(this, x);
      if (r !== undefined) parts++;
      return r;
    };
    const N = 20_000;
    const { sink, finished, failure, next } = orderedSink(N, 1024);
    const served = serveMailbox(aRx, sink);
    try {
      for (let i = 0; i < N; i++) {
        client.post(new MessageEnvelope(b, a.port(7n), numbered(i, 1024), 'data'), LOG_RETURN_HANDLE);
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      // (uWS used to drop frames silently above its maxBackpressure: the stream stalled here.)
      await within(finished, 30_000, `${N} reverse envelopes (${next()} arrived)`);
      assert.equal(failure(), undefined, failure());
      assert.ok(parts > 10, `${parts} reverse frames sent as parts`);
      // Everything delivered is acknowledged (within the ack interval) before the session ends.
      await within(
        (async () => {
          while (rev.buffered.messages > 0) await new Promise((r) => setTimeout(r, 5));
        })(),
        30_000,
        'acknowledgement of every reverse envelope',
      );
    } finally {
      proto.messageParts = mp;
      tx.abort('test over');
      await served.stop();
      await bRx.close();
    }
  },
);

test('random mixes of full envelopes, route-shared runs, builder envelopes and raw bytes: every batch window decodes to what was encoded, copied or in parts', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let inParts = 0;
  let opensInRun = 0;
  for (let round = 0; round < 20; round++) {
    const enc = new EnvelopeEncoder();
    const items: Array<{ bytes: Uint8Array; env?: MessageEnvelope }> = [];
    for (let i = 0; i < 120; i++) {
      const kind = rnd(20);
      if (kind === 0) {
        const raw = new Uint8Array(1 + rnd(40)).map(() => rnd(256));
        items.push({ bytes: raw });
        continue;
      }
      const e = env(i, [0, 1, 3, 64, 1000, 3000][rnd(6)]!, rnd(4) === 0 ? b : a, rnd(5) === 0 ? 'other' : 'data');
      if (kind === 1) e.headers = new Map([['h', new Uint8Array([rnd(256)])]]);
      items.push({ bytes: enc.encode(e, rnd(8) !== 0), env: e });
    }
    const msgs = items.map((x) => x.bytes);
    for (let w = 0; w < 10; w++) {
      const from = rnd(items.length);
      const to = from + 1 + rnd(items.length - from);
      const sum = total(msgs.slice(from, to));
      const fe = new FrameEncoder(64);
      const copied = fe.messages(from, msgs, from, to, sum).slice();
      const parts = new FrameEncoder(64).messageParts(from, msgs, from, to, sum);
      if (parts !== undefined) inParts++;
      if (isSlabRouteRef(msgs[from]!)) opensInRun++;
      for (const frame of parts === undefined ? [copied] : [copied, concat(parts)]) {
        const f = decodeFrame(frame);
        assert.ok(f.kind === FrameKind.Messages && f.seq === from && f.messages.length === to - from);
        const d = new EnvelopeDecoder();
        f.messages.forEach((m, k) => {
          const want = items[from + k]!;
          if (want.env === undefined) assert.deepEqual(Buffer.from(m), Buffer.from(want.bytes));
          else assertSame(d.decode(m), want.env);
        });
      }
    }
  }
  assert.ok(inParts > 5 && opensInRun > 5, `windows sent in parts: ${inParts}, opening inside a run: ${opensInRun}`);
});

test('over a Tx that does not count frames (a local channel) a MailboxClient sends every envelope whole', async () => {
  const { serve, anyAddr, formatAddr } = await import('../../src/channel/index.js');
  const { MailboxClient } = await import('../../src/mailbox/client.js');
  const { LOG_RETURN_HANDLE } = await import('../../src/mailbox/sender.js');
  const [addr, rx] = await serve(anyAddr('local'));
  const client = MailboxClient.dial(formatAddr(addr));
  const envs = Array.from({ length: 5 }, (_, i) => env(i + 10, 100)); // (ttl ≥ 1: posting takes a hop)
  for (const e of envs) client.post(e, LOG_RETURN_HANDLE);
  const d = new EnvelopeDecoder();
  for (let i = 0; i < 5; i++) {
    const m = await rx.recv();
    assert.ok(!isSlabRouteRef(m), `envelope ${i} is whole`);
    assert.equal(d.decode(m).data.length, 100);
  }
  await rx.close();
});
