import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Actor, type Handlers, registerActor, registeredActorModules, actorClassByName } from '../../../src/actor/index.js';
import { ActormeshError } from '../../../src/base/errors.js';

class WithModule extends Actor<void, { type: 'x' }> {
  static typeName = 'test::alloc::registry::WithModule';
  readonly handlers: Handlers<{ type: 'x' }> = { x: () => {} };
}
class WithoutModule extends Actor<void, { type: 'x' }> {
  static typeName = 'test::alloc::registry::WithoutModule';
  readonly handlers: Handlers<{ type: 'x' }> = { x: () => {} };
}

test('registerActor records the defining module URL once, and only when one is given', () => {
  const before = registeredActorModules();
  registerActor(WithoutModule);
  assert.deepEqual(registeredActorModules(), before);
  registerActor(WithModule, { module: import.meta.url });
  registerActor(WithModule, { module: import.meta.url }); // same class again: no-op
  assert.deepEqual(registeredActorModules(), [...before, import.meta.url]);
  assert.equal(actorClassByName(WithModule.typeName), WithModule);
});

test('registerActor rejects a module that is not a URL string', () => {
  class Bad extends Actor<void, { type: 'x' }> {
    static typeName = 'test::alloc::registry::Bad';
    readonly handlers: Handlers<{ type: 'x' }> = { x: () => {} };
  }
  assert.throws(
    () => registerActor(Bad, { module: 42 as never }),
    (e: unknown) => e instanceof ActormeshError && e.variant === 'InvalidActorModule' && /expected import\.meta\.url/.test(e.message),
  );
  assert.throws(() => actorClassByName(Bad.typeName), /not registered/, 'a rejected registration registers nothing');
});
