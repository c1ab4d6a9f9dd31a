import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidStatus,
  Status,
  formatDurationDebug,
  RankedValues,
  statusesToRankedValues,
  StatusMesh,
  IncompleteRankedValues,
} from '../../src/valuemesh/index.js';
import { region1 } from './helpers.js';

test('display prints Rust Duration Debug inside Timeout', () => {
  assert.equal(Status.timeout({ secs: 30, nanos: 0 }).toString(), 'Timeout(30s)');
  assert.equal(Status.timeout(1500).toString(), 'Timeout(1.5s)');
  assert.equal(Status.timeout(50).toString(), 'Timeout(50ms)');
  assert.equal(Status.timeout(0.0015).toString(), 'Timeout(1.5µs)');
  assert.equal(Status.timeout(0).toString(), 'Timeout(0ns)');
  assert.equal(formatDurationDebug({ secs: 1, nanos: 500 }), '1.0000005s');
  assert.equal(Status.failed('boom').toString(), 'Failed(boom)');
  assert.equal(Status.Running.toString(), 'Running');
});

test('derived order: declaration order, then payload', () => {
  const order = [
    Status.NotExist,
    Status.Initializing,
    Status.Running,
    Status.Stopping,
    Status.Stopped,
    Status.failed('a'),
    Status.failed('b'),
    Status.timeout(1),
    Status.timeout(2),
  ];
  for (let i = 0; i < order.length; i++)
    for (let j = 0; j < order.length; j++) assert.equal(order[i]!.compare(order[j]!), Math.sign(i - j), `${order[i]} vs ${order[j]}`);
});

test('predicates partition the variants as the Monarch Status predicates do', () => {
  const t = (s: Status) => [s.isNotExist(), s.isHealthy(), s.isTerminating(), s.isFailure()];
  assert.deepEqual(t(Status.NotExist), [true, false, false, false]);
  assert.deepEqual(t(Status.Initializing), [false, true, false, false]);
  assert.deepEqual(t(Status.Stopping), [false, false, true, false]);
  assert.deepEqual(t(Status.timeout(5)), [false, false, true, true]);
});

test('serde round-trips every variant; payload statuses compare by value', () => {
  for (const s of [Status.NotExist, Status.Running, Status.failed('x'), Status.timeout({ secs: 1, nanos: 5 })]) {
    const back = Status.fromJSON(JSON.parse(JSON.stringify(s)));
    assert.ok(back.equals(s));
  }
  assert.equal(Status.fromJSON('Running'), Status.Running);
  assert.ok(Status.failed('foo').equals(Status.failed('foo')));
  assert.equal(Status.failed('foo').equals(Status.failed('bar')), false);
});

test('malformed statuses are InvalidStatus errors saying what is expected', () => {
  for (const bad of ['Nope', 3, null, { Failed: 1 }, { Timeout: { secs: -1, nanos: 0 } }, { Timeout: { secs: 0, nanos: 1e9 } }, { Failed: 'a', x: 1 }]) {
    assert.throws(
      () => Status.fromJSON(bad),
      (e: unknown) => e instanceof InvalidStatus && /expected/.test(e.message),
    );
  }
  assert.throws(() => Status.timeout(-1), InvalidStatus);
});

test('ranked values: right-wins merge, rank(), first terminating/failed, materialized iteration', () => {
  const rv = new RankedValues<Status>([
    [0, 2, Status.Running],
    [2, 3, Status.Stopping],
    [3, 4, Status.failed('x')],
  ]);
  assert.deepEqual(rv.firstTerminating()?.[0], 2);
  assert.ok(rv.firstFailed()?.[1].equals(Status.failed('x')));
  // a right interval spanning two left intervals trims both (Monarch's RankedValues::merge_from does not)
  const m = new RankedValues<number>([
    [0, 5, 1],
    [5, 10, 2],
  ]).mergeFrom(new RankedValues<number>([[3, 7, 9]]));
  assert.deepEqual(
    m.intervals().map((r) => [r.start, r.end, r.value]),
    [
      [0, 3, 1],
      [3, 7, 9],
      [7, 10, 2],
    ],
  );
  assert.equal(m.rank(5), 5);
  assert.deepEqual([...m.materializedIter(4)], [1, 1, 1, 9]);
  const gappy = new RankedValues<number>([
    [0, 2, 1],
    [3, 4, 1],
  ]);
  assert.throws(() => [...gappy.materializedIter(4)], IncompleteRankedValues);
  assert.deepEqual(gappy.invert(), [
    [
      1,
      [
        { start: 0, end: 2 },
        { start: 3, end: 4 },
      ],
    ],
  ]);
});

test('legacy conversion turns NotExist ranks into the default and pads to len', () => {
  const mesh = StatusMesh.fromStatuses(region1(3), [Status.NotExist, Status.Running, Status.NotExist]);
  const rv = statusesToRankedValues(mesh, Status.timeout(5000), 5);
  assert.deepEqual(
    rv.intervals().map((r) => [r.start, r.end, r.value.toString()]),
    [
      [0, 1, 'Timeout(5s)'],
      [1, 2, 'Running'],
      [2, 5, 'Timeout(5s)'],
    ],
  );
});
