// Pins docs/architecture.md ACT-2 (failures walk up to the coordinator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import {
  Actor,
  type Handlers,
  type Context,
  type ActorHandle,
  ActorSupervisionEvent,
  UnhandledSupervisionEventError,
  ErrorDuringHandlingSupervisionError,
  Proc,
} from '../../src/actor/index.js';
import { ProcId } from '../../src/core/ids.js';
import { testProc, within } from './_helpers.js';

type ChildMsg = { type: 'boom'; why: string } | { type: 'reject'; why: string } | { type: 'ok' };
class Child extends Actor<void, ChildMsg> {
  static typeName = 'test::Child';
  handled = 0;
  readonly handlers: Handlers<ChildMsg> = {
    boom: (_cx, m) => {
      throw new Error(m.why);
    },
    reject: async (_cx, m) => {
      await Promise.resolve();
      throw new Error(m.why);
    },
    ok: () => {
      this.handled++;
    },
  };
}

type ParentMsg = { type: 'spawn' };
class Parent extends Actor<{ handle: 'yes' | 'no' | 'throw' }, ParentMsg> {
  static typeName = 'test::Parent';
  mode: 'yes' | 'no' | 'throw';
  seen: ActorSupervisionEvent[] = [];
  children: ActorHandle<Child>[] = [];
  constructor(p: { handle: 'yes' | 'no' | 'throw' }) {
    super();
    this.mode = p.handle;
  }
  readonly handlers: Handlers<ParentMsg> = {
    spawn: async (cx: Context) => {
      this.children.push(await cx.spawnChild(Child, undefined));
    },
  };
  override handleSupervisionEvent(_cx: Context, ev: ActorSupervisionEvent): boolean {
    this.seen.push(ev);
    if (this.mode === 'throw') throw new Error('supervisor broke');
    return this.mode === 'yes';
  }
}

async function parentWithChild(mode: 'yes' | 'no' | 'throw') {
  const env = testProc();
  const parent = await env.proc.spawn('parent', Parent, { handle: mode });
  parent.send({ type: 'spawn' });
  for (let i = 0; i < 100 && parent.actor.children.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
  const child = parent.actor.children[0]!;
  return { ...env, parent, child };
}

test('a failing child reaches its parent, which keeps running when it handles the event', async () => {
  const { proc, parent, child, events } = await parentWithChild('yes');
  assert.equal(child.actorId.name, 'parent');
  assert.equal(child.actorId.pid, 1);
  child.send({ type: 'boom', why: 'kaboom' });
  const st = await within(child.wait(), 30_000, 'child termination');
  assert.equal(st.kind, 'Failed');
  await within(
    (async () => {
      while (parent.actor.seen.length === 0) await new Promise((r) => setTimeout(r, 1));
    })(),
    30_000,
    'parent event',
  );
  const ev = parent.actor.seen[0]!;
  assert.ok(ev.actorId.equals(child.actorId));
  assert.match(String(ev), /This occurred because the actor .*parent\[1\] failed\. The error was: kaboom/);
  assert.equal(parent.status.kind === 'Idle' || parent.status.kind === 'Processing', true);
  assert.equal(events.length, 0, 'nothing reached the coordinator');
  await proc.destroyAndWait(1000);
});

test('an unhandled child failure fails the parent and reaches the proc coordinator naming the original actor', async () => {
  const { parent, child, nextEvent } = await parentWithChild('no');
  child.send({ type: 'reject', why: 'async kaboom' });
  const ev = await within(nextEvent(), 30_000, 'coordinator event');
  assert.ok(ev.actorId.equals(parent.actorId), 'event is about the root');
  assert.equal(ev.status.kind, 'Failed');
  assert.ok(ev.status.kind === 'Failed' && ev.status.error instanceof UnhandledSupervisionEventError);
  assert.ok(ev.rootCause.actorId.equals(child.actorId));
  assert.equal(ev.rootCause.message, 'async kaboom');
  assert.equal(
    String(ev),
    `The actor ${parent.actorId} and all its descendants have failed. This occurred because the actor ${child.actorId} failed. The error was: async kaboom`,
  );
  assert.equal((await parent.wait()).kind, 'Failed');
});

test('an error while handling a supervision event fails the parent with ErrorDuringHandlingSupervision', async () => {
  const { child, nextEvent } = await parentWithChild('throw');
  child.send({ type: 'boom', why: 'x' });
  const ev = await within(nextEvent(), 30_000, 'coordinator event');
  assert.ok(ev.status.kind === 'Failed' && ev.status.error instanceof ErrorDuringHandlingSupervisionError);
  assert.match(ev.status.error.message, /supervisor broke/);
});

test('stopping a parent stops its children first and leaves them Stopped', async () => {
  const { parent, child, events } = await parentWithChild('no');
  const st = await within(parent.stop(), 30_000, 'parent stop');
  assert.equal(st.kind, 'Stopped');
  assert.equal(child.status.kind, 'Stopped');
  assert.equal(events.length, 0);
});

test('a root failure without a coordinator calls the exit hook with code 1', async () => {
  const proc = new Proc(ProcId.ranked('nocoord', 0));
  const exits: Array<[number, string]> = [];
  proc.setExitHook((code, ev) => exits.push([code, String(ev)]));
  const c = await proc.spawn('c', Child, undefined);
  c.send({ type: 'boom', why: 'nobody listens' });
  await within(c.wait(), 30_000, 'failure');
  assert.equal(exits.length, 1);
  assert.equal(exits[0]![0], 1);
  assert.match(exits[0]![1], /nobody listens/);
});

test('a root failure without a coordinator exits a real process with code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'actormesh-exit-'));
  try {
    const root = resolve('.');
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import { Proc, Actor } from ${JSON.stringify(join(root, 'src/actor/index.ts'))};
import { ProcId } from ${JSON.stringify(join(root, 'src/core/ids.ts'))};
class Boom extends Actor<void, { type: 'go' }> {
  static typeName = 'exit::Boom';
  readonly handlers = { go: () => { throw new Error('fail fast'); } };
}
const proc = new Proc(ProcId.ranked('exitw', 0));
const h = await proc.spawn('boom', Boom, undefined);
h.send({ type: 'go' });
setTimeout(() => { console.log('still alive'); process.exit(0); }, 3000);
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1, `stdout=${r.stdout} stderr=${r.stderr}`);
    assert.match(r.stderr, /fail fast/);
    assert.doesNotMatch(r.stdout, /still alive/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

type MixedMsg = { type: 'spawnAndFail' };
class DrainingParent extends Actor<void, MixedMsg> {
  static typeName = 'test::DrainingParent';
  seen: string[] = [];
  readonly handlers: Handlers<MixedMsg> = {
    spawnAndFail: async (cx: Context) => {
      const c = await cx.spawnChild(Child, undefined);
      c.send({ type: 'boom', why: 'child first' });
      await c.wait(); // the child's event is now queued for this actor
      throw new Error('parent handler failed');
    },
  };
  override handleSupervisionEvent(_cx: Context, ev: ActorSupervisionEvent): boolean {
    this.seen.push(ev.rootCause.message);
    return true;
  }
}

test('a failing handler first lets the actor see pending child failures, then fails with its own error', async () => {
  const { proc, nextEvent } = testProc();
  const p = await proc.spawn('p', DrainingParent, undefined);
  p.send({ type: 'spawnAndFail' });
  const ev = await within(nextEvent());
  assert.deepEqual(p.actor.seen, ['child first']);
  assert.equal(ev.rootCause.message, 'parent handler failed');
});

class BadCleanup extends Actor<void, { type: 'x' }> {
  static typeName = 'test::BadCleanup';
  readonly handlers = { x: () => {} };
  override cleanup(): void {
    throw new Error('cleanup exploded');
  }
}
type SpawnBad = { type: 'spawn' };
class HoldsBadChild extends Actor<void, SpawnBad> {
  static typeName = 'test::HoldsBadChild';
  readonly handlers: Handlers<SpawnBad> = {
    spawn: async (cx: Context) => {
      await cx.spawnChild(BadCleanup, undefined);
    },
  };
}

test('a child that fails while its parent is stopping makes the parent fail instead of crashing the process', async () => {
  const { proc, nextEvent } = testProc();
  const p = await proc.spawn('p', HoldsBadChild, undefined);
  p.send({ type: 'spawn' });
  await within(
    (async () => {
      while (p.instance.children.size === 0) await new Promise((r) => setTimeout(r, 1));
    })(),
  );
  const st = await within(p.stop());
  assert.equal(st.kind, 'Failed');
  const ev = await within(nextEvent());
  assert.equal(ev.rootCause.message, 'cleanup error: cleanup exploded');
});
