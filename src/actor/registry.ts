/**
 * Registry of actor types by name (Monarch's `remote!` / hyperactor/src/actor/remote.rs `Remote::collect`),
 * so a proc can spawn an actor from (type name, serialized params), e.g. on request from another
 * process.
 *
 * Invariant: one class per type name per process; registering another class under a taken name
 * throws `DuplicateActorType` (registering the same class again is a no-op).
 *
 * A registration may record the URL of the module defining the class (`{ module:
 * import.meta.url }`): child processes (ProcessAlloc) import every recorded module before spawning,
 * which registers the same classes there.
 */
import { decode, encode } from '../core/codec.js';
import type { Actor, ActorClass, AnyActorClass, ParamsOf } from './actor.js';
import { ProcActorSpawnError, ActorTypeNotRegistered, DuplicateActorType, InvalidActorClass, ActorRegistryError } from './errors.js';

const byName = new Map<string, ActorClass<any>>();
/** typeName → URL of the defining module, for registrations that gave one. */
const moduleByName = new Map<string, string>();

export interface RegisterActorOptions {
  /** URL of the module defining the class (pass `import.meta.url`); child processes import it. */
  module?: string;
}

/**
 * Registers `cls` under `cls.typeName`, optionally recording its module URL. Returns the class
 * (usable as a decorator-like call).
 */
export function registerActor<C extends AnyActorClass>(cls: C, opts: RegisterActorOptions = {}): C {
  if (typeof cls !== 'function' || typeof cls.typeName !== 'string' || cls.typeName === '') {
    throw new InvalidActorClass((cls as { name?: string } | undefined)?.name ?? String(cls));
  }
  const module = opts?.module;
  if (module !== undefined && (typeof module !== 'string' || module === '')) {
    throw new ActorRegistryError(
      'InvalidActorModule',
      `registerActor(${cls.typeName}): module ${JSON.stringify(module)} is not a module URL; expected import.meta.url of the defining module`,
    );
  }
  const have = byName.get(cls.typeName);
  if (have !== undefined && (have as unknown) !== cls) throw new DuplicateActorType(cls.typeName);
  byName.set(cls.typeName, cls as unknown as ActorClass<any>);
  if (module !== undefined) moduleByName.set(cls.typeName, module);
  return cls;
}

/** Module URLs recorded by `registerActor(cls, { module })`, without duplicates, in registration order. */
export function registeredActorModules(): string[] {
  return [...new Set(moduleByName.values())];
}

/** The class registered under `typeName`; throws `ActorTypeNotRegistered`. */
export function actorClassByName(typeName: string): ActorClass<any> {
  const c = byName.get(typeName);
  if (c === undefined) throw new ActorTypeNotRegistered(typeName, [...byName.keys()]);
  return c;
}

export function registeredActorTypes(): string[] {
  return [...byName.keys()].sort();
}

/** Serializes spawn params for `spawnByName` in another process. */
export function encodeParams<A extends Actor<any, any>>(_cls: ActorClass<A>, params: ParamsOf<A>): Uint8Array {
  return encode(params, 'params'); // refs inside params are encoded inline (no bindings)
}

/** Deserializes spawn params; throws `ProcActorSpawnError('InvalidParams')` naming the type. */
export function decodeParams(typeName: string, bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProcActorSpawnError('InvalidParams', typeName, `params for ${typeName} must be a Uint8Array of encoded params, got ${typeof bytes}`);
  }
  try {
    return decode(bytes, `${typeName} params`);
  } catch (e) {
    throw new ProcActorSpawnError('InvalidParams', typeName, `params for ${typeName} failed to deserialize: ${(e as Error).message}`, { cause: e });
  }
}
