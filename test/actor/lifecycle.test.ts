import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Actor, type Handlers, type Context, type ActorStatus } from '../../src/actor/index.js';
import { CLEANUP_TIMEOUT, config } from '../../src/core/config.js';
import { testProc, within, sleep } from './_helpers.js';

type M = { type: 'note'; s: string };
class Lifecycle extends Actor<{ initMs?: number; initFails?: boolean; cleanupMs?: number; cleanupFails?: boolean }, M> {
  static typeName = 'test::Lifecycle';
  log: string[] = [];
  constructor(readonly p: { initMs?: number; initFails?: boolean; cleanupMs?: number; cleanupFails?: boolean }) {
    super();
  }
  static async create(p: Lifecycle['p']): Promise<Lifecycle> {
    await sleep(1);
    const a = new Lifecycle(p);
    a.log.push('created');
    return a;
  }
  override async init(_cx: Context): Promise<void> {
    await sleep(this.p.initMs ?? 0);
    if (this.p.initFails) throw new Error('no resources');
    this.log.push('init');
  }
  readonly handlers: Handlers<M> = {
    note: (_cx, m) => {
      this.log.push(m.s);
    },
  };
  override async cleanup(_cx: Context, err: Error | undefined): Promise<void> {
    this.log.push(`cleanup ${err ? err.message : 'ok'}`);
    await sleep(this.p.cleanupMs ?? 0);
    if (this.p.cleanupFails) throw new Error('cleanup broke');
  }
}

test('async construction and init complete before the first message is handled', async () => {
  const { proc } = testProc();
  const h = await proc.spawn('l', Lifecycle, { initMs: 20 });
  h.send({ type: 'note', s: 'm1' });
  h.bind().send(proc.instance('c'), { type: 'note', s: 'm2' });
  await within(h.drainAndStop());
  assert.deepEqual(h.actor.log, ['created', 'init', 'm1', 'm2', 'cleanup ok']);
});

test('a failing init fails the actor with an initialization error and runs cleanup', async () => {
  const { proc, nextEvent } = testProc();
  const h = await proc.spawn('l', Lifecycle, { initFails: true });
  h.send({ type: 'note', s: 'never' });
  const ev = await within(nextEvent());
  assert.ok(ev.status.kind === 'Failed');
  assert.equal(ev.status.error.message, 'initialization error: no resources');
  assert.deepEqual(h.actor.log, ['created', 'cleanup initialization error: no resources']);
});

test('stop ends after the current message; drainAndStop handles what was queued', async () => {
  const { proc } = testProc();
  const a = await proc.spawn('a', Lifecycle, {});
  const b = await proc.spawn('b', Lifecycle, {});
  for (let i = 0; i < 5; i++) {
    a.send({ type: 'note', s: `m${i}` });
    b.send({ type: 'note', s: `m${i}` });
  }
  const [sa, sb] = await within(Promise.all([a.stop(), b.drainAndStop()]));
  assert.equal(sa.kind, 'Stopped');
  assert.equal(sb.kind, 'Stopped');
  assert.ok(a.actor.log.filter((s) => s.startsWith('m')).length < 5, `stop handled ${a.actor.log}`);
  assert.deepEqual(
    b.actor.log.filter((s) => s.startsWith('m')),
    ['m0', 'm1', 'm2', 'm3', 'm4'],
  );
});

test('cleanup is bounded by CLEANUP_TIMEOUT and a timed-out cleanup fails a cleanly stopping actor', async () => {
  const o = config.override(CLEANUP_TIMEOUT, 30);
  try {
    const { proc, nextEvent } = testProc();
    const h = await proc.spawn('slow', Lifecycle, { cleanupMs: 400 });
    const t0 = Date.now();
    const st = await within(h.stop(), 30_000, 'stop');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(st.kind, 'Failed');
    assert.match((st as Extract<ActorStatus, { kind: 'Failed' }>).error.message, /cleanup timed out after 30 ms/);
    await within(nextEvent());
  } finally {
    o.restore();
  }
});

test('status moves Created/Initializing -> Idle -> Stopping -> Stopped and never leaves a terminal status', async () => {
  const { proc } = testProc();
  const h = await proc.spawn('s', Lifecycle, { initMs: 5 });
  const seen: string[] = [h.status.kind];
  h.watchStatus((s) => seen.push(s.kind));
  h.send({ type: 'note', s: 'x' });
  await within(
    (async () => {
      while (h.status.kind !== 'Idle') await sleep(1);
    })(),
  );
  await within(h.drainAndStop());
  assert.ok(['Created', 'Initializing'].includes(seen[0]!));
  assert.deepEqual(
    seen.slice(1).filter((k) => k !== 'Processing' && k !== 'Initializing'),
    ['Idle', 'Stopping', 'Stopped'],
  );
  h.instance.statusCell.set({ kind: 'Idle' });
  assert.equal(h.status.kind, 'Stopped');
});

test('destroyAndWait stops every root actor and client and reports them', async () => {
  const { proc } = testProc();
  await proc.spawn('a', Lifecycle, {});
  await proc.spawn('b', Lifecycle, {});
  proc.instance('client');
  const r = await within(proc.destroyAndWait(1000));
  assert.deepEqual(r.stopped.map((a) => a.name).sort(), ['a', 'b', 'client']);
  assert.deepEqual(r.aborted, []);
  await assert.rejects(proc.spawn('c', Lifecycle, {}), /stopped/);
});

class Ticker extends Actor<void, { type: 'tick'; n: number }> {
  static typeName = 'test::Ticker';
  ticks: number[] = [];
  readonly handlers: Handlers<{ type: 'tick'; n: number }> = {
    tick: (cx, m) => {
      this.ticks.push(m.n);
      if (m.n < 3) cx.sendSelf({ type: 'tick', n: m.n + 1 }, 5);
    },
  };
}

test('an actor can message itself with a delay', async () => {
  const { proc } = testProc();
  const t = await proc.spawn('t', Ticker, undefined);
  t.send({ type: 'tick', n: 1 });
  await within(
    (async () => {
      while (t.actor.ticks.length < 3) await sleep(2);
    })(),
  );
  assert.deepEqual(t.actor.ticks, [1, 2, 3]);
  await t.stop();
});

test('proc.lookup finds live actors by id and class, and not stopped or unknown ones', async () => {
  const { proc } = testProc();
  const t = await proc.spawn('t', Ticker, undefined);
  assert.equal(proc.lookup(t.actorId, Ticker)?.actor, t.actor);
  assert.equal(proc.lookup(t.actorId, Lifecycle), undefined, 'wrong type');
  assert.equal(proc.lookup(t.actorId.child(9)), undefined, 'unknown child');
  await t.stop();
  assert.equal(proc.lookup(t.actorId), undefined, 'stopped');
});

class Stuck extends Actor<void, { type: 'hang' }> {
  static typeName = 'test::Stuck';
  readonly handlers: Handlers<{ type: 'hang' }> = {
    hang: () => new Promise<void>(() => {}),
  };
}

test('destroyAndWait reports an actor stuck in a handler as aborted after the timeout', async () => {
  const { proc } = testProc();
  const s = await proc.spawn('stuck', Stuck, undefined);
  await proc.spawn('fine', Lifecycle, {});
  s.send({ type: 'hang' });
  await sleep(5);
  assert.equal(s.status.kind, 'Processing');
  const r = await within(proc.destroyAndWait(50));
  assert.deepEqual(
    r.stopped.map((a) => a.name),
    ['fine'],
  );
  assert.deepEqual(
    r.aborted.map((a) => a.name),
    ['stuck'],
  );
});
