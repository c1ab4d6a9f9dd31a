import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Actor,
  type Handlers,
  ProcActorSpawnError,
  ActorTypeNotRegistered,
  DuplicateActorType,
  UnhandledMessageType,
  InvalidActorClass,
  registerActor,
  encodeParams,
  ActorRef,
} from '../../src/actor/index.js';
import { PortClosedError } from '../../src/mailbox/index.js';
import { IdParseError } from '../../src/core/ids.js';
import { ActormeshError } from '../../src/base/errors.js';
import { testProc, within } from './_helpers.js';

type EchoMsg = { type: 'set'; v: number } | { type: 'fail' } | { type: 'failAsync' };
class Echo extends Actor<{ v: number }, EchoMsg> {
  static typeName = 'test::bad::Echo';
  v: number;
  constructor(p: { v: number }) {
    super();
    if (typeof p?.v !== 'number') throw new TypeError(`Echo params need a numeric v, got ${JSON.stringify(p)}`);
    this.v = p.v;
  }
  readonly handlers: Handlers<EchoMsg> = {
    set: (_cx, m) => {
      this.v = m.v;
    },
    fail: () => {
      throw new Error('handler threw');
    },
    failAsync: () => Promise.reject(new Error('handler rejected')),
  };
}
registerActor(Echo);

class Failing extends Actor<void, { type: 'x' }> {
  static typeName = 'test::bad::Failing';
  static async create(): Promise<Failing> {
    throw new Error('test failure');
  }
  readonly handlers = { x: () => {} };
}

test('spawnByName of an unregistered type throws ActorTypeNotRegistered naming the type', async () => {
  const { proc } = testProc();
  await assert.rejects(proc.spawnByName('no::Such', 'a', new Uint8Array()), (e) => {
    assert.ok(e instanceof ActorTypeNotRegistered);
    assert.equal(e.typeName, 'no::Such');
    assert.match(e.message, /not registered/);
    return true;
  });
});

test('registering a second class under a taken type name throws DuplicateActorType', () => {
  class Other extends Actor<void, { type: 'x' }> {
    static typeName = 'test::bad::Echo';
    readonly handlers = { x: () => {} };
  }
  assert.throws(() => registerActor(Other), DuplicateActorType);
  assert.doesNotThrow(() => registerActor(Echo));
  assert.throws(
    () =>
      registerActor(
        class extends Actor<void, { type: 'x' }> {
          static typeName = '';
          readonly handlers = { x: () => {} };
        },
      ),
    InvalidActorClass,
  );
});

test('spawnByName spawns a registered type from serialized params', async () => {
  const { proc } = testProc();
  const id = await proc.spawnByName('test::bad::Echo', 'echo', encodeParams(Echo, { v: 7 }));
  assert.equal(id.name, 'echo');
  assert.ok(proc.rootActors().some((a) => a.equals(id)));
  await proc.destroyAndWait(500);
});

test('params that fail to deserialize give ProcActorSpawnError InvalidParams; wrong-shaped params give ActorCreationFailed', async () => {
  const { proc } = testProc();
  await assert.rejects(proc.spawnByName('test::bad::Echo', 'e1', new Uint8Array([0xc1, 0xff, 0x00])), (e) => {
    assert.ok(e instanceof ProcActorSpawnError);
    assert.equal(e.variant, 'InvalidParams');
    assert.match(e.message, /test::bad::Echo/);
    return true;
  });
  await assert.rejects(proc.spawnByName('test::bad::Echo', 'e2', encodeParams(Echo, 'nope' as never)), (e) => {
    assert.ok(e instanceof ProcActorSpawnError);
    assert.equal(e.variant, 'ActorCreationFailed');
    assert.match(e.message, /numeric v/);
    return true;
  });
  // The failed names are free again.
  await proc.spawn('e2', Echo, { v: 1 });
  await proc.destroyAndWait(500);
});

test('a constructor that fails gives ActorCreationFailed and registers nothing', async () => {
  const { proc } = testProc();
  await assert.rejects(proc.spawn('f', Failing, undefined), (e) => e instanceof ProcActorSpawnError && /test failure/.test(e.message));
  assert.equal(proc.rootActors().length, 0);
});

test('spawning a duplicate actor name throws DuplicateActorName', async () => {
  const { proc } = testProc();
  await proc.spawn('dup', Echo, { v: 1 });
  await assert.rejects(proc.spawn('dup', Echo, { v: 1 }), (e) => {
    assert.ok(e instanceof ProcActorSpawnError);
    assert.equal(e.variant, 'DuplicateActorName');
    assert.match(e.message, /an actor with name 'dup' has already been spawned/);
    return true;
  });
  assert.throws(() => proc.instance('dup'), ProcActorSpawnError);
  await proc.destroyAndWait(500);
});

test('a handler that throws and one that rejects each become a supervision event, never an unhandled rejection', async () => {
  const { proc, nextEvent } = testProc();
  const a = await proc.spawn('a', Echo, { v: 1 });
  const b = await proc.spawn('b', Echo, { v: 1 });
  a.send({ type: 'fail' });
  b.send({ type: 'failAsync' });
  const evs = [await within(nextEvent()), await within(nextEvent())];
  const msgs = evs.map((e) => (e.status.kind === 'Failed' ? e.status.error.message : '')).sort();
  assert.deepEqual(msgs, ['handler rejected', 'handler threw']);
});

test('a local send of a message type the actor does not handle throws UnhandledMessageType', async () => {
  const { proc } = testProc();
  const a = await proc.spawn('a', Echo, { v: 1 });
  assert.throws(
    () => a.send({ type: 'nope' } as never),
    (e) => {
      assert.ok(e instanceof UnhandledMessageType);
      assert.match(e.message, /no handler for message type "nope" \(handles: set, fail, failAsync\)/);
      return true;
    },
  );
  assert.throws(() => a.send(null as never), UnhandledMessageType);
  await proc.destroyAndWait(500);
});

test('a serialized message of an unhandled type is returned undeliverable (port not bound)', async () => {
  const { proc } = testProc();
  const a = await proc.spawn('a', Echo, { v: 1 });
  const client = proc.instance('client');
  (a.bind() as ActorRef<any>).send(client, { type: 'nope' });
  const env = await within(client.undeliverables!.recv(), 30_000);
  assert.equal(env.errors[0]!.kind, 'Unroutable');
  assert.match(env.errors[0]!.message, /port not bound/);
  await proc.destroyAndWait(500);
});

test('a local send to a closed port throws PortClosedError', async () => {
  const { proc } = testProc();
  const client = proc.instance('client');
  const [port, rx] = client.openPort<number>();
  port.send(1);
  assert.equal(await rx.recv(), 1);
  rx.close();
  assert.throws(() => port.send(2), PortClosedError);
  await assert.rejects(rx.recv(), PortClosedError);
  const a = await proc.spawn('a', Echo, { v: 1 });
  await a.stop();
  assert.throws(() => a.send({ type: 'set', v: 2 }), ActormeshError);
});

test('a malformed actor id string gives a typed IdParseError', () => {
  assert.throws(() => ActorRef.attest('w[.x'), IdParseError);
  assert.throws(() => ActorRef.attest(''), IdParseError);
});

type AskMsg = { type: 'q'; payload: unknown; reply: import('../../src/actor/index.js').OncePortRef<number> };
class Answerer extends Actor<void, AskMsg> {
  static typeName = 'test::bad::Answerer';
  readonly handlers: Handlers<AskMsg> = { q: (cx, m) => m.reply.send(cx, 1) };
}

test('a message that cannot be serialized gives a typed SerializationError (ask rejects, nothing leaks)', async () => {
  const { proc } = testProc();
  const a = await proc.spawn('a', Answerer, undefined);
  const client = proc.instance('client');
  await assert.rejects(a.bind().ask(client, { type: 'q', payload: () => 1 }), (e: Error & { variant?: string }) => {
    assert.ok(e instanceof ActormeshError);
    assert.equal(e.variant, 'SerializationError');
    assert.match(e.message, /function/);
    return true;
  });
  assert.equal(await a.bind().ask(client, { type: 'q', payload: 1 }, { timeoutMs: 30_000 }), 1);
  await proc.destroyAndWait(500);
});

test('an actor class whose handlers table is missing or malformed fails to spawn with ActorCreationFailed', async () => {
  const { proc } = testProc();
  class NoTable extends Actor<void, { type: 'x' }> {
    static typeName = 'test::bad::NoTable';
    readonly handlers = undefined as never;
  }
  class BadEntry extends Actor<void, { type: 'x' }> {
    static typeName = 'test::bad::BadEntry';
    readonly handlers = { x: 42 } as never;
  }
  await assert.rejects(proc.spawn('n', NoTable, undefined), (e) => e instanceof ProcActorSpawnError && /no handlers table/.test(e.message));
  await assert.rejects(proc.spawn('b', BadEntry, undefined), (e) => e instanceof ProcActorSpawnError && /handler for 'x' is a number/.test(e.message));
});

type FwdParams = { forward: import('../../src/actor/index.js').PortRef<number> };
class Forwarder extends Actor<FwdParams, { type: 'go'; n: number }> {
  static typeName = 'test::bad::Forwarder';
  constructor(readonly p: FwdParams) {
    super();
  }
  readonly handlers: Handlers<{ type: 'go'; n: number }> = { go: (cx, m) => this.p.forward.send(cx, m.n * 2) };
}
registerActor(Forwarder);

test('spawn params may carry port refs through spawnByName', async () => {
  const { proc } = testProc();
  const client = proc.instance('client');
  const [h, rx] = client.openPort<number>();
  const id = await proc.spawnByName('test::bad::Forwarder', 'fwd', encodeParams(Forwarder, { forward: h.bind() }));
  ActorRef.attest<Forwarder>(id).send(client, { type: 'go', n: 21 });
  assert.equal(await within(rx.recv()), 42);
  await proc.destroyAndWait(500);
});
