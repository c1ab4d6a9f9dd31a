import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ActorId,
  DirectProcId,
  GangId,
  IdParseError,
  InvalidIdError,
  PortId,
  ProcId,
  RankedProcId,
  WorldId,
  compareReferences,
  isPrefixOf,
  parseActorId,
  parsePortId,
  parseProcId,
  parseReference,
  parseWorldId,
  referenceFromJSON,
  type Reference,
} from '../../src/core/ids.js';
import { portIndexOf } from '../../src/core/typeinfo.js';

test('every reference kind displays canonically and parses back to an equal id', () => {
  const cases: Array<[string, string]> = [
    ['world', 'w'],
    ['ranked', 'w[3]'],
    ['gang', 'w.trainer'],
    ['actor', 'w[3].trainer[0]'],
    ['actor', 'w[3].trainer_1a2b3c4d5e6f[2]'],
    ['port', 'w[3].trainer[0][1025]'],
    ['direct', 'unix:@abc,myproc'],
    ['direct', 'unix:/tmp/x.sock,myproc'],
    ['direct', 'tcp:1.2.3.4:5,myproc'],
    ['actor', 'tcp:1.2.3.4:5,myproc,trainer[0]'],
    ['port', 'tcp:[::1]:5,myproc,trainer[7][1024]'],
    ['port', 'local:3,proc_abc,comm_xyz[1][18446744073709551615]'],
  ];
  for (const [kind, text] of cases) {
    const r = parseReference(text);
    assert.equal(r.kind, kind, text);
    assert.equal(r.toString(), text);
    assert.ok(parseReference(r.toString()).equals(r), text);
    assert.ok(referenceFromJSON(JSON.parse(JSON.stringify(r))).equals(r), `json ${text}`);
    assert.equal(compareReferences(r, parseReference(text)), 0);
  }
});

test('parsed ids expose their structure', () => {
  const a = parseActorId('w[3].trainer[2]');
  assert.ok(a.proc instanceof RankedProcId);
  assert.equal(a.proc.world.name, 'w');
  assert.equal(a.proc.rank, 3);
  assert.equal(a.name, 'trainer');
  assert.equal(a.pid, 2);
  const p = parsePortId('tcp:1.2.3.4:5,myproc,trainer[0][1025]');
  assert.ok(p.actor.proc instanceof DirectProcId);
  assert.equal(p.actor.proc.addr, 'tcp:1.2.3.4:5');
  assert.equal(p.actor.proc.name, 'myproc');
  assert.equal(p.index, 1025n);
  assert.ok(p.equals(new PortId(new ActorId(ProcId.direct('tcp:1.2.3.4:5', 'myproc'), 'trainer', 0), 1025)));
});

test('static parse methods on the id classes', () => {
  assert.ok(ActorId.parse('w[1].a[2]').equals(parseActorId('w[1].a[2]')));
  assert.ok(PortId.parse('w[1].a[2][3]').equals(parsePortId('w[1].a[2][3]')));
  assert.ok(WorldId.parse('w').equals(new WorldId('w')));
  assert.throws(() => ActorId.parse('w'), IdParseError);
});

test('an actor without a pid parses as the root actor (pid 0)', () => {
  assert.ok(parseActorId('w[1].a').equals(new ActorId(ProcId.ranked('w', 1), 'a', 0)));
  assert.ok(parseActorId('unix:@x,p,a').equals(new ActorId(ProcId.direct('unix:@x', 'p'), 'a', 0)));
});

test('the type annotation of a typed port is ignored on parse and printed for registered types', () => {
  const p = parsePortId('test[234].testactor[1][17867850292987402005<hyperactor::reference::tests::MyType>]');
  assert.equal(p.index, 17867850292987402005n);
  assert.equal(p.toString(), 'test[234].testactor[1][17867850292987402005]');
  const idx = portIndexOf('my::pkg::Ping');
  const typed = new PortId(parseActorId('w[0].a[0]'), idx);
  assert.equal(typed.toString(), `w[0].a[0][${idx}<my::pkg::Ping>]`);
  assert.equal(typed.key, `w[0].a[0][${idx}]`);
  assert.ok(parsePortId(typed.toString()).equals(typed));
  const direct = parsePortId(`unix:@s,p,a[0][1025<foo::Bar>]`);
  assert.equal(direct.index, 1025n);
});

test('channel addresses are canonicalized: ! separator and zmq URLs', () => {
  assert.equal(parseProcId('tcp!1.2.3.4:80,p').toString(), 'tcp:1.2.3.4:80,p');
  assert.equal(parseProcId('tcp://127.0.0.1:9,p').toString(), 'tcp:127.0.0.1:9,p');
  assert.equal(parseProcId('inproc://3,p').toString(), 'local:3,p');
  assert.equal(parseProcId('ipc:///tmp/s,p').toString(), 'unix:/tmp/s,p');
});

test('references are totally ordered with absent components first and ranked before direct', () => {
  const ordered = [
    'w',
    'w.actor',
    'w[1]',
    'w[1].a[0]',
    'w[1].a[0][3]',
    'w[1].a[1]',
    'w[1].b[0]',
    'w[2]',
    'x',
    'x[0]',
    'tcp:1.2.3.4:5,p',
    'tcp:1.2.3.4:5,p,a[0]',
    'tcp:1.2.3.4:5,q',
    'unix:@a,p',
  ].map(parseReference);
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      const c = Math.sign(compareReferences(ordered[i]!, ordered[j]!));
      assert.equal(c, Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
  const shuffled: Reference[] = [...ordered].reverse();
  shuffled.sort(compareReferences);
  assert.deepEqual(shuffled.map(String), ordered.map(String));
});

test('a world prefixes its procs and actors, a proc its actors, an actor only itself', () => {
  const w = parseWorldId('w');
  const p = parseProcId('w[1]');
  const a = parseActorId('w[1].a[0]');
  const port = parsePortId('w[1].a[0][1024]');
  assert.ok(isPrefixOf(w, p) && isPrefixOf(w, a) && isPrefixOf(w, port) && isPrefixOf(w, w));
  assert.ok(!isPrefixOf(w, parseReference('ww[1]')));
  assert.ok(isPrefixOf(p, a) && isPrefixOf(p, port) && isPrefixOf(p, p));
  assert.ok(!isPrefixOf(p, parseReference('w[2].a[0]')));
  assert.ok(!isPrefixOf(p, w));
  assert.ok(isPrefixOf(a, a) && !isPrefixOf(a, port) && !isPrefixOf(a, parseReference('w[1].a[1]')));
  assert.ok(port.isPrefixOf(port));
  const d = parseProcId('unix:@h,p');
  assert.ok(d.isPrefixOf(parseReference('unix:@h,p,x[3][9]')));
  assert.ok(!d.isPrefixOf(parseReference('unix:@h,q,x[3]')));
  assert.ok(!w.isPrefixOf(d));
  assert.ok(new GangId(w, 'a').isPrefixOf(a) && !new GangId(w, 'b').isPrefixOf(a));
});

test('malformed reference strings throw IdParseError naming the text and what was expected', () => {
  const bad = [
    '',
    'w[',
    'w[x]',
    'w[1',
    'w[1]a',
    'w[1].',
    'w[1].a[',
    'w[1].a[0][',
    'w[1].a[0][1',
    'w[1].a[0][1]x',
    'w[1].a[0][1<foo]',
    'w.a.b',
    'w[1].a[0][99999999999999999999999]',
    'bogus:x,p',
    'tcp:1.2.3.4:5,',
    'tcp:1:2,p,',
    ',p',
    'w[1] ',
    'w[99999999999999999999]',
  ];
  for (const text of bad) {
    assert.throws(
      () => parseReference(text),
      (e: unknown) => {
        assert.ok(e instanceof IdParseError, `${JSON.stringify(text)} threw ${e}`);
        assert.equal(e.kind, 'ReferenceParsingError');
        assert.equal(e.input, text);
        assert.ok(e.message.includes('expected'), e.message);
        return true;
      },
    );
  }
  assert.throws(
    () => parseActorId('w[1]'),
    (e: unknown) => e instanceof IdParseError && e.variant === 'WrongType',
  );
  assert.throws(
    () => parseProcId('w'),
    (e: unknown) => e instanceof IdParseError && e.variant === 'WrongType',
  );
  assert.throws(() => referenceFromJSON({ kind: 'port', actor: { kind: 'nope' }, index: '1' }), IdParseError);
  assert.throws(() => referenceFromJSON(null), IdParseError);
});

test('constructing an id from invalid parts throws InvalidIdError', () => {
  assert.throws(() => new WorldId('a.b'), InvalidIdError);
  assert.throws(() => new WorldId(''), InvalidIdError);
  assert.throws(() => ProcId.ranked('w', -1), InvalidIdError);
  assert.throws(() => ProcId.ranked('w', 1.5), InvalidIdError);
  assert.throws(() => new ActorId(ProcId.ranked('w', 0), 'a[0]'), InvalidIdError);
  assert.throws(() => new PortId(parseActorId('w[0].a[0]'), 1n << 64n), InvalidIdError);
  assert.throws(() => new PortId(parseActorId('w[0].a[0]'), -1n), InvalidIdError);
  // parts are checked by brand, not by shape: look-alikes and other id kinds are refused
  const a = parseActorId('w[0].a[0]');
  const lookAlike = { kind: 'actor', proc: a.proc, name: 'a', pid: 0, key: a.key };
  assert.throws(() => new PortId(lookAlike as unknown as ActorId, 1), InvalidIdError);
  assert.throws(() => new PortId(a.proc as unknown as ActorId, 1), InvalidIdError);
  assert.throws(() => new PortId(Object.create(ActorId.prototype) as ActorId, 1), InvalidIdError);
  assert.throws(() => new ActorId({ kind: 'ranked' } as unknown as RankedProcId, 'a'), InvalidIdError);
  assert.throws(() => new ActorId(new WorldId('w') as unknown as RankedProcId, 'a'), InvalidIdError);
  assert.equal(ActorId.isActorId(a), true);
  assert.equal(ActorId.isActorId(lookAlike), false);
  assert.equal(ActorId.isActorId(null), false);
  assert.equal(RankedProcId.is(a.proc), true);
  assert.equal(DirectProcId.is(a.proc), false);
});

test('a port id keeps its index as a number below 2^53 and as -1 above, however it was given', () => {
  const a = parseActorId('w[0].a[0]');
  for (const [given, small] of [
    [5, 5],
    [5n, 5],
    [2 ** 53 - 1, 2 ** 53 - 1],
    [2n ** 53n - 1n, 2 ** 53 - 1],
    [2n ** 53n, -1],
    [2n ** 63n + 7n, -1],
  ] as const) {
    const p = new PortId(a, given);
    assert.equal(p.smallIndex, small, String(given));
    assert.equal(p.index, BigInt(given));
    assert.deepStrictEqual(p, new PortId(a, BigInt(given))); // not an own property
  }
});

test('equal ids share a key and unequal ids do not', () => {
  const a = parseActorId('w[1].a[0]');
  const b = new WorldId('w').proc(1).actor('a', 0);
  assert.equal(a.key, b.key);
  assert.ok(a.equals(b));
  assert.deepStrictEqual(a, new WorldId('w').proc(1).actor('a', 0)); // the cached key is not a property
  assert.notEqual(a.key, parseActorId('w[1].a[1]').key);
  assert.notEqual(parseProcId('unix:@x,p').key, parseReference('unix:@x').toString());
  const m = new Map([[a.key, 1]]);
  assert.equal(m.get(b.key), 1);
  assert.ok(a.child(3).root().equals(a));
});
