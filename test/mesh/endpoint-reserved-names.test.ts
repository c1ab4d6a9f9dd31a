// Endpoint names that would shadow members of mesh refs (`mesh.get`, `mesh.slice`, ...) or of
// promises/JSON (`then`, `toJSON`) are refused when the actor is created, with
// `ReservedEndpointNameError` naming the endpoint and saying it is reserved (src/mesh/endpoint.ts
// RESERVED_ENDPOINT_NAMES); through `procs.spawn` the refusal comes back from every proc, local or
// child process, and the procs stay usable. (The compile-time refusal by `procs.spawn` is
// test/api/reserved-endpoint-types.test.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { thisHost, MeshActor } from '../../src/index.js';
import { Proc } from '../../src/actor/proc.js';
import { ProcId } from '../../src/core/ids.js';
import { RESERVED_ENDPOINT_NAMES, ReservedEndpointNameError } from '../../src/mesh/endpoint.js';
import { ActorSpawnError } from '../../src/mesh/errors.js';
import { EndpointProbe, ReservedNames, ENDPOINT_ACTORS } from './fixtures/endpoint-actors.js';

after(() => thisHost().shutdown());

/** The text every refusal of `ReservedNames` must carry (its first reserved endpoint is `get`). */
const REFUSAL = new ReservedEndpointNameError('ReservedNames', 'get').message;

function assertRefusal(e: unknown, endpoint: string): true {
  assert.ok(e instanceof ReservedEndpointNameError, `expected ReservedEndpointNameError, got ${String(e)}`);
  assert.equal(e.endpoint, endpoint);
  assert.equal(e.variant, 'ReservedEndpointName');
  assert.ok(e.message.includes(`endpoint named '${endpoint}'`), e.message);
  assert.match(e.message, /reserved/);
  return true;
}

test('every reserved endpoint name is refused when the actor is created in a proc, with ReservedEndpointNameError naming it', async () => {
  const proc = new Proc(ProcId.ranked(`reserved${process.pid}`, 0));
  for (const name of RESERVED_ENDPOINT_NAMES) {
    class Shadowing extends MeshActor<Record<string, never>> {
      static readonly typeName = `test::endpoint::Shadowing_${name}`;
      readonly endpoints = { fine: (): number => 1, [name]: (): number => 2 };
    }
    await assert.rejects(proc.spawn(`shadowing_${name}`, Shadowing, {}), (e) => assertRefusal(e, name), name);
  }
  await assert.rejects(proc.spawn('reserved', ReservedNames, {}), (e) => assertRefusal(e, 'get'));
  // Nothing is left behind: the name is free again and the proc spawns healthy actors.
  const ok = await proc.spawn('reserved', EndpointProbe, {});
  assert.equal(String(ok.actorId.name), 'reserved');
  await proc.destroyAndWait(1000);
});

for (const alloc of ['local', 'process'] as const) {
  test(
    `procs.spawn of a class with reserved endpoint names fails on every ${alloc} proc, naming the endpoint; the procs stay usable`,
    { timeout: 60_000 },
    async () => {
      const procs = await thisHost().spawnProcs({ gpus: 3 }, { alloc, modules: [ENDPOINT_ACTORS] });
      try {
        // @ts-expect-error the class declares endpoints `get` and `slice` (refused at compile time too)
        const spawning = procs.spawn('reserved', ReservedNames, {}, { monitorIntervalMs: 0 });
        await assert.rejects(spawning, (e: unknown) => {
          if (e instanceof ReservedEndpointNameError) return assertRefusal(e, 'get');
          // Refused by each proc while creating the member: every rank reports the refusal.
          assert.ok(e instanceof ActorSpawnError, `expected a typed spawn error, got ${String(e)}`);
          assert.ok(e.message.includes(`Failed(${REFUSAL})=0..3`), e.message);
          return true;
        });
        const probe = await procs.spawn('probe', EndpointProbe, {}, { monitorIntervalMs: 0 });
        assert.deepEqual((await probe.times.call(1)).values(), [1000, 1001, 1002]);
      } finally {
        await procs.stop();
      }
    },
  );
}

test('procs.spawn refuses a class with reserved endpoint names with ReservedEndpointNameError itself (the spawn error as its cause)', async () => {
  const procs = await thisHost().spawnProcs({ gpus: 1 }, { alloc: 'local', modules: [ENDPOINT_ACTORS] });
  try {
    // @ts-expect-error the class declares endpoints `get` and `slice`
    await assert.rejects(procs.spawn('reserved', ReservedNames, {}, { monitorIntervalMs: 0 }), (e) => assertRefusal(e, 'get'));
  } finally {
    await procs.stop();
  }
});
