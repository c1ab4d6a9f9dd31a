// Pins docs/architecture.md WIRE-1 (bounds-checked frames, malformed input closes one connection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { serve, dial, anyAddr, type NetRx } from '../../src/channel/index.js';
import { FrameEncoder } from '../../src/wire/frames.js';
import * as flatbuffers from 'flatbuffers';
import { Frame } from '../../src/wire/generated/actormesh/wire/frame.js';

const MAGIC = 0x5a17ab1e;
const enc = new FrameEncoder();
const valid = (i: number) => {
  const m = new Uint8Array(8);
  const dv = new DataView(m.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, i, true);
  return m;
};

function frameOfKind(kind: number, seq: bigint): Uint8Array {
  const b = new flatbuffers.Builder(64);
  Frame.startFrame(b);
  Frame.addKind(b, kind);
  Frame.addSeq(b, seq);
  b.finish(Frame.endFrame(b));
  return b.asUint8Array().slice();
}

type Attack = { name: string; init: boolean; frames: () => Uint8Array[] };
const msgFrame = (seq: number) => enc.messages(seq, [new Uint8Array(16)], 0, 1, 16).slice();
const ATTACKS: Attack[] = [
  { name: 'random bytes', init: true, frames: () => Array.from({ length: 10 }, () => randomBytes(1 + Math.floor(Math.random() * 200))) },
  {
    name: 'truncated FlatBuffers',
    init: true,
    frames: () => {
      const f = enc.messages(0, [randomBytes(40), randomBytes(3)], 0, 2, 43).slice();
      return Array.from({ length: 10 }, () => f.subarray(0, Math.floor(Math.random() * (f.length - 60))));
    },
  },
  {
    name: 'wrong frame kinds',
    init: true,
    frames: () => [frameOfKind(2, 0n), frameOfKind(3, 0n), frameOfKind(9, 0n), enc.init(5n).slice(), ...Array.from({ length: 6 }, () => frameOfKind(2, 1n))],
  },
  { name: 'messages before Init', init: false, frames: () => Array.from({ length: 10 }, (_, i) => msgFrame(i)) },
  { name: 'sequence gaps', init: true, frames: () => [msgFrame(0), msgFrame(5), ...Array.from({ length: 8 }, (_, i) => msgFrame(100 + i))] },
  { name: 'oversize frames', init: true, frames: () => Array.from({ length: 10 }, () => new Uint8Array(70 * 1024)) },
];

/** Opens one connection, sends the attack, resolves with the close code once the server closes it. */
function attack(url: string, a: Attack): Promise<{ sent: number; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let sent = 0;
    const timer = setTimeout(() => reject(new Error(`${a.name}: connection not closed by the server`)), 5000);
    ws.on('open', () => {
      if (a.init) ws.send(enc.init(randomBytes(8).readBigUInt64BE(0)).slice());
      for (const f of a.frames()) {
        ws.send(f);
        sent++;
      }
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ sent, code });
    });
  });
}

test('10k malformed inputs from many connections close only those connections, each with a logged reason, while a valid stream loses nothing', async () => {
  const logs: string[] = [];
  const [addr, rx] = await serve(anyAddr('tcp'), { maxFrameLength: 64 * 1024, log: (l) => logs.push(l) });
  const url = `ws://127.0.0.1:${(addr as { port: number }).port}/`;
  const tx = dial(addr);
  const N = 20_000;
  let expected = 0;
  const consumer = (async () => {
    while (expected < N) {
      for (const m of await rx.recvMany()) {
        const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
        if (m.length !== 8 || dv.getUint32(0, true) !== MAGIC) continue; // a random frame that happened to be valid
        assert.equal(dv.getUint32(4, true), expected++);
      }
    }
  })();
  const producer = (async () => {
    for (let i = 0; i < N; i++) {
      tx.post(valid(i));
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 1));
    }
  })();

  let inputs = 0;
  let connections = 0;
  const perKind = new Map<string, number>();
  const workers = Array.from({ length: 6 }, async (_, w) => {
    for (let k = w; inputs < 10_000; k += 6) {
      const a = ATTACKS[k % ATTACKS.length]!;
      const r = await attack(url, a);
      inputs += r.sent;
      connections++;
      perKind.set(a.name, (perKind.get(a.name) ?? 0) + 1);
    }
  });
  await Promise.all([...workers, producer]);
  await consumer;
  assert.ok(inputs >= 10_000);
  assert.equal(expected, N, 'the valid stream delivered every message in order');
  assert.equal(tx.status, 'Active');
  for (const a of ATTACKS) assert.ok((perKind.get(a.name) ?? 0) > 0, `attack "${a.name}" ran`);
  // Every offending connection was closed with a logged reason.
  assert.equal((rx as NetRx).stats.protocolErrors, connections);
  assert.ok(logs.length >= connections, `${logs.length} log lines for ${connections} connections`);
  for (const re of [/malformed frame/, /sequence gap/, /before Init/, /unexpected frame kind|second Init|unknown frame kind/, /too big message/]) {
    assert.ok(
      logs.some((l) => re.test(l)),
      `a logged reason matches ${re}`,
    );
  }
  await tx.close();
  await rx.close();
});
