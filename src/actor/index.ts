/** Actors, procs, refs and supervision (Monarch hyperactor/src/{actor.rs, proc.rs, reference.rs, supervision.rs}). */
export {
  Actor,
  type ActorClass,
  type AnyActorClass,
  type Handler,
  type Handlers,
  type Message,
  type MessageOf,
  type ParamsOf,
  type AskableOf,
} from './actor.js';
export * from './errors.js';
export * from './status.js';
export { ActorSupervisionEvent } from './supervision.js';
export { type Context, Instance } from './instance.js';
export { ActorHandle } from './handle.js';
export { PortHandle, OncePortHandle } from './port-handles.js';
export { Proc, type SupervisionCoordinator, type ExitHook } from './proc.js';
export { ActorRef, PortRef, OncePortRef, type ReplyOf, type AskMessage, type AskOptions, type SendOptions, DEFAULT_ASK_TIMEOUT_MS } from './refs.js';
export {
  registerActor,
  type RegisterActorOptions,
  registeredActorModules,
  actorClassByName,
  registeredActorTypes,
  encodeParams,
  decodeParams,
} from './registry.js';
