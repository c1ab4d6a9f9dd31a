import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActorId, ProcId, WorldId } from '../../../src/core/ids.js';
import { encode } from '../../../src/core/codec.js';
import { BootstrapProtocolError, decodeToAllocator, decodeToProcess, encodeToAllocator, encodeToProcess } from '../../../src/mesh/alloc/protocol.js';

test('bootstrap messages round-trip through the codec with their ids intact', () => {
  const procId = ProcId.ranked('w', 3);
  const started = decodeToAllocator(
    encodeToAllocator({ index: 3, msg: { type: 'StartedProc', procId, agent: new ActorId(procId, 'mesh', 0), addr: 'unix:/tmp/x.sock' } }),
  );
  assert.equal(started.index, 3);
  assert.equal(started.msg.type, 'StartedProc');
  if (started.msg.type === 'StartedProc') {
    assert.ok(started.msg.procId.equals(procId));
    assert.equal(started.msg.agent.toString(), 'w[3].mesh[0]');
  }
  assert.deepEqual(decodeToAllocator(encodeToAllocator({ index: 0, msg: { type: 'Hello', addr: 'unix:/a' } })), {
    index: 0,
    msg: { type: 'Hello', addr: 'unix:/a' },
  });
  const start = decodeToProcess(
    encodeToProcess({
      type: 'StartProc',
      world: new WorldId('w'),
      rank: 2,
      procName: null,
      transport: 'unix',
      agentType: 'A',
      agentName: 'mesh',
      agentParams: new Uint8Array([1, 2]),
      modules: ['file:///m.js'],
    }),
  );
  assert.equal(start.type, 'StartProc');
  if (start.type === 'StartProc') {
    assert.ok(start.world.equals(new WorldId('w')));
    assert.deepEqual([...start.agentParams], [1, 2]);
    assert.deepEqual(start.modules, ['file:///m.js']);
  }
  assert.deepEqual(decodeToProcess(encodeToProcess({ type: 'StopAndExit', code: 0, timeoutMs: 10 })), { type: 'StopAndExit', code: 0, timeoutMs: 10 });
});

test('malformed bootstrap frames are typed errors saying what was expected', () => {
  assert.throws(
    () => decodeToAllocator(new Uint8Array([0xc1])),
    (e: unknown) => e instanceof BootstrapProtocolError && /undecodable Process2Allocator/.test(e.message),
  );
  assert.throws(() => decodeToAllocator(encode({ index: -1, msg: { type: 'Hello', addr: 'x' } })), /index -1; expected a non-negative integer/);
  assert.throws(() => decodeToAllocator(encode({ index: 0, msg: { type: 'Hello', addr: 7 } })), /malformed child message "Hello"; expected Hello\{addr\}/);
  assert.throws(() => decodeToProcess(encode([1, 2])), /not an object/);
  assert.throws(
    () => decodeToProcess(encode({ type: 'Exit', code: 300 })),
    (e: unknown) => e instanceof BootstrapProtocolError && e.variant === 'Protocol' && /expected StartProc/.test(e.message),
  );
  assert.throws(() => decodeToProcess(encode({ type: 'StartProc', world: 'w' })), /malformed allocator message "StartProc"/);
});
