// Pins docs/architecture.md MB-4 (split ports relay in order, pre-reduce).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcId } from '../../src/core/ids.js';
import { SPLIT_MAX_BUFFER_SIZE, config } from '../../src/core/config.js';
import { USER_PORT_OFFSET } from '../../src/core/typeinfo.js';
import {
  Mailbox,
  MailboxMuxer,
  MessageEnvelope,
  TimeoutError,
  PortClosedError,
  Accumulators,
  openAccumPort,
  splitPort,
  encodePayload,
  reducerOf,
  registerReducer,
  UnknownReducerError,
  MailboxError,
  type WatermarkPairs,
} from '../../src/mailbox/index.js';

const proc = ProcId.ranked('ports', 0);
function pair() {
  const mux = new MailboxMuxer();
  const a = new Mailbox(proc.actor('a', 0), mux);
  const b = new Mailbox(proc.actor('b', 0), mux);
  mux.bind(a.actorId, a);
  mux.bind(b.actorId, b);
  return { mux, a, b };
}
function post(from: Mailbox, dest: MessageEnvelope['dest'], value: unknown, typeName = 'v'): void {
  const p = encodePayload(value, typeName);
  from.send(new MessageEnvelope(from.actorId, dest, p.data, typeName));
}
const tick = () => new Promise((r) => setImmediate(r));

test('ephemeral ports are allocated from 1024 upward and deliver in FIFO order', async () => {
  const { a, b } = pair();
  const [p1, rx1] = b.openPort<number>();
  const [p2] = b.openPort<number>();
  assert.equal(p1.portId.index, USER_PORT_OFFSET);
  assert.equal(p2.portId.index, USER_PORT_OFFSET + 1n);
  for (let i = 0; i < 100; i++) post(a, p1.portId, i);
  p1.sendLocal(100);
  const got: number[] = [];
  for (let i = 0; i <= 100; i++) got.push(await rx1.recv());
  assert.deepEqual(
    got,
    Array.from({ length: 101 }, (_, i) => i),
  );
});

test('a receive with a timeout rejects with TimeoutError; a closed receiver rejects with PortClosedError', async () => {
  const { b } = pair();
  const [p, rx] = b.openPort<number>();
  await assert.rejects(rx.recv(20), TimeoutError);
  rx.close();
  await assert.rejects(rx.recv(), PortClosedError);
  assert.throws(() => p.sendLocal(1), PortClosedError);
});

test('a once port takes one message, then later sends are returned as undeliverable', async () => {
  const { a, b } = pair();
  const [p, rx] = b.openOncePort<string>();
  const returned: MessageEnvelope[] = [];
  a.returnHandle = { returnUndeliverable: (e) => returned.push(e) };
  post(a, p.portId, 'first');
  post(a, p.portId, 'second');
  assert.equal(await rx.recv(30_000), 'first');
  assert.equal(returned.length, 1);
  assert.equal(returned[0]!.errors[0]!.kind, 'Unroutable');
  assert.throws(() => p.sendLocal('third'), PortClosedError);
});

test('binding a port index twice is an AlreadyBound error', () => {
  const { b } = pair();
  b.bind(5n, { once: false, sink: () => {} });
  assert.throws(
    () => b.bind(5n, { once: false, sink: () => {} }),
    (e) => e instanceof MailboxError && e.variant === 'AlreadyBound',
  );
});

test('ports at small, 2^53-boundary and typed (bit 63) indices are distinct, each found, unbound and closed', () => {
  const { a, b } = pair();
  const got: string[] = [];
  const closed: string[] = [];
  const idx = [7n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n + 5n];
  for (const i of idx) b.bind(i, { once: false, sink: (m) => got.push(`${i}:${String(m)}`), closed: () => closed.push(String(i)) });
  for (const i of idx) {
    assert.equal(b.isBound(i), true);
    assert.throws(
      () => b.bind(i, { once: false, sink: () => {} }),
      (e) => e instanceof MailboxError && e.variant === 'AlreadyBound',
    );
  }
  for (const i of idx) a.sendMessage(b.actorId.port(i), 'x', `m${i}`);
  assert.deepEqual(
    got,
    idx.map((i) => `${i}:m${i}`),
  );
  b.unbind(2n ** 53n - 1n);
  assert.equal(b.isBound(2n ** 53n - 1n), false);
  assert.equal(b.isBound(2n ** 53n), true);
  b.close();
  assert.deepEqual(closed.sort(), idx.map(String).sort());
});

test('an accumulating max port coalesces a burst: the receiver observes only the final state', async () => {
  const { a, b } = pair();
  const [port, rx] = openAccumPort(b, Accumulators.max<number>());
  for (const v of [3, 9, 2, 7, 11, 4]) post(a, port.portId, v);
  assert.equal(await rx.recv(30_000), 11);
  assert.equal(rx.tryRecv(), undefined, 'older states were discarded');
  post(a, port.portId, 5);
  assert.equal(await rx.recv(30_000), 11);
  post(a, port.portId, 12);
  assert.equal(await rx.recv(30_000), 12);
});

test('accumulating sum and watermark ports fold updates; their ports carry the reducer spec', async () => {
  const { b } = pair();
  const [sum, srx] = openAccumPort(b, Accumulators.sum<number>());
  assert.deepEqual(sum.reducerSpec, { name: 'sum' });
  for (let i = 1; i <= 10; i++) sum.sendLocal(i);
  assert.equal(await srx.recv(), 55);
  const [wm, wrx] = openAccumPort(b, Accumulators.watermark());
  wm.sendLocal([
    [0, 5],
    [1, 7],
  ]);
  wm.sendLocal([[0, 9]]);
  const st = await wrx.recv();
  assert.equal(st.watermark, 7);
  assert.deepEqual(
    [...st.values],
    [
      [0, 9],
      [1, 7],
    ],
  );
});

test('every built-in reducer pre-reduces to the same final state as accumulating one by one', () => {
  const cases: Array<[string, unknown[], (xs: unknown[]) => unknown]> = [
    ['sum', [1, 2, 3, 4], (xs) => (xs as number[]).reduce((s, x) => s + x, 0)],
    ['max', [3, 9, 2], (xs) => Math.max(...(xs as number[]))],
    ['min', [3, 9, 2], (xs) => Math.min(...(xs as number[]))],
  ];
  for (const [name, xs, want] of cases) {
    const r = reducerOf<unknown>({ name });
    assert.equal(
      xs.reduce((a, b) => r.reduce(a, b)),
      want(xs),
      name,
    );
  }
  const w = reducerOf<WatermarkPairs>({ name: 'watermark' });
  assert.deepEqual(
    w.reduce(
      [
        [0, 1],
        [1, 2],
      ],
      [[0, 3]],
    ),
    [
      [0, 3],
      [1, 2],
    ],
  );
  assert.throws(() => reducerOf({ name: 'nope' }), UnknownReducerError);
  registerReducer<number>('test-product', () => ({ reduce: (x, y) => x * y }));
  assert.equal(reducerOf<number>({ name: 'test-product' }).reduce(6, 7), 42);
});

test('a split port without a reducer relays every message in order', async () => {
  const { a, b } = pair();
  const [orig, rx] = b.openPort<number>();
  const split = splitPort(a, orig.portId);
  assert.ok(split.actor.equals(a.actorId));
  for (const v of [1, 2, 3, 4]) post(a, split, v);
  const got = [await rx.recv(30_000), await rx.recv(30_000), await rx.recv(30_000), await rx.recv(30_000)];
  assert.deepEqual(got, [1, 2, 3, 4]);
});

test('a reducing split port with buffer size 1 forwards each update', async () => {
  const o = config.override(SPLIT_MAX_BUFFER_SIZE, 1);
  try {
    const { a, b } = pair();
    const [orig, rx] = b.openPort<number>();
    const split = splitPort(a, orig.portId, { reducer: { name: 'sum' } });
    for (const v of [1, 2, 3]) post(a, split, v);
    assert.deepEqual([await rx.recv(30_000), await rx.recv(30_000), await rx.recv(30_000)], [1, 2, 3]);
  } finally {
    o.restore();
  }
});

test('a reducing split port flushes one reduced update per 5 buffered, and holds the tail until its age alarm', async () => {
  const { a, b } = pair();
  const [orig, rx] = b.openPort<number>();
  const split = splitPort(a, orig.portId, { reducer: { name: 'sum' }, reducerOpts: { maxUpdateIntervalMs: 600_000 } });
  for (const v of [1, 2, 3, 4, 5, 6, 7]) post(a, split, v);
  assert.equal(await rx.recv(30_000), 15);
  await tick();
  assert.equal(rx.tryRecv(), undefined, 'the tail (6, 7) is held');
  a.close(); // drops the pending alarm
});

test('a reducing split port flushes on its age alarm', async () => {
  const { a, b } = pair();
  const [orig, rx] = b.openPort<number>();
  const split = splitPort(a, orig.portId, { reducer: { name: 'sum' }, reducerOpts: { maxUpdateIntervalMs: 20 } });
  for (const v of [10, 20, 30]) post(a, split, v);
  assert.equal(rx.tryRecv(), undefined);
  assert.equal(await rx.recv(30_000), 60);
  // Size and age together: 5 flush at once, the rest on the alarm.
  for (const v of [1, 1, 1, 1, 1, 2, 2]) post(a, split, v);
  assert.equal(await rx.recv(30_000), 5);
  assert.equal(await rx.recv(30_000), 4);
});

test('several pending once ports (the newest kept apart from the table) each get their own reply, in any order', async () => {
  const { a, b } = pair();
  const rxs = [b.openOnceReceiver<number>(), b.openOnceReceiver<number>(), b.openOnceReceiver<number>()];
  const got = rxs.map((rx) => rx.recv(30_000));
  for (const i of [1, 2, 0]) post(a, rxs[i]!.portId, i * 10);
  assert.deepStrictEqual(await Promise.all(got), [0, 10, 20]);
  for (const rx of rxs) assert.equal(b.isBound(rx.portId.index), false);
  // an index taken by a pending once port cannot be bound again
  const next = b.openOnceReceiver<number>();
  assert.throws(
    () => b.bind(next.portId.index, { once: false, sink: () => {} }),
    (e: unknown) => e instanceof MailboxError && e.variant === 'AlreadyBound',
  );
  // a second one spills the first into the table; both are still found and unbound once
  const after = b.openOnceReceiver<number>();
  const both = [next.recv(30_000), after.recv(30_000)];
  post(a, after.portId, 2);
  post(a, next.portId, 1);
  assert.deepStrictEqual(await Promise.all(both), [1, 2]);
});

test('closing a mailbox fails every pending once port, the newest included', async () => {
  const { b } = pair();
  const older = b.openOnceReceiver<number>().recv(30_000);
  const newest = b.openOnceReceiver<number>().recv(30_000);
  b.close();
  await assert.rejects(older, PortClosedError);
  await assert.rejects(newest, PortClosedError);
});
