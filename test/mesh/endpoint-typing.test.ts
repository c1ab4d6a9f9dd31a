// Endpoints are typed end to end from the actor class: argument and result types come from the
// `endpoints` table (checked by `npm run typecheck`: the @ts-expect-error lines must stay errors),
// and the values that arrive match those types at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localMesh, TestActor, type CastInfo } from './_cast-fixture.js';
import type { ValueMesh } from '../../src/valuemesh/value-mesh.js';
import type { Point } from '../../src/ndslice/point.js';

test('endpoint calls are typed by the actor class and return values of those types', async () => {
  const { mesh } = await localMesh({ gpus: 2 }, TestActor, { tag: 't' });
  const a: ValueMesh<number> = await mesh.times.call(3);
  const b: CastInfo = await mesh.info.choose();
  const c: number = await mesh.slice({ gpus: 1 }).times.callOne(2);
  const s: AsyncIterable<[Point, number]> = mesh.times.stream(1);
  if (false as boolean) {
    // @ts-expect-error wrong argument type
    await mesh.times.call('three');
    // @ts-expect-error missing argument
    await mesh.times.call();
    // @ts-expect-error not an endpoint of TestActor
    await mesh.notAnEndpoint.call();
    // @ts-expect-error the result of times is a number
    const wrong: string = await mesh.times.callOne(1);
    void wrong;
  }
  assert.deepEqual(a.values(), [3, 6]);
  assert.equal(typeof b.castRank, 'number');
  assert.equal(c, 4);
  const got: number[] = [];
  for await (const [, v] of s) got.push(v);
  assert.deepEqual(got.sort(), [1, 2]);
  await mesh.stop();
});
