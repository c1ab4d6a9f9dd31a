/**
 * Typed errors of the actor layer (Monarch hyperactor/src/actor.rs `ActorError` and
 * `ActorErrorKind`, hyperactor/src/proc.rs spawn errors, hyperactor_mesh/src/v1.rs `Error`).
 */
import { ActormeshError } from '../base/errors.js';
import { MailboxSenderError } from '../mailbox/errors.js';
import { MeshError } from '../valuemesh/errors.js';
import type { ActorSupervisionEvent } from './supervision.js';

/** Variants of `ActorError` (Monarch's `ActorErrorKind`). */
export type ActorErrorVariant = 'Generic' | 'UnhandledSupervisionEvent' | 'ErrorDuringHandlingSupervision';

/**
 * Why an actor failed (Monarch's `ActorErrorKind`): `Generic` (a handler, init or cleanup threw,
 * or a returned undeliverable), `UnhandledSupervisionEvent` (a child failed and the actor did not
 * handle it), `ErrorDuringHandlingSupervision` (handling a child's failure threw).
 */
export class ActorError extends ActormeshError<'ActorError', ActorErrorVariant> {
  readonly actorId: string;
  constructor(variant: ActorErrorVariant, actorId: string, message: string, options?: { cause?: unknown }) {
    super('ActorError', variant, message, options);
    this.actorId = actorId;
  }
  /** A generic failure from a thrown value; the message of an `Error` is kept as is. */
  static fromThrown(actorId: string, e: unknown, prefix = ''): ActorError {
    if (e instanceof ActorError && prefix === '') return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new ActorError('Generic', actorId, `${prefix}${msg}`, { cause: e });
  }
}

/** The actor failed because a child's failure was not handled. */
export class UnhandledSupervisionEventError extends ActorError {
  readonly event: ActorSupervisionEvent;
  constructor(actorId: string, event: ActorSupervisionEvent) {
    super('UnhandledSupervisionEvent', actorId, `unhandled supervision event: ${event}`);
    this.event = event;
  }
}

/** `handleSupervisionEvent` itself threw. */
export class ErrorDuringHandlingSupervisionError extends ActorError {
  readonly event: ActorSupervisionEvent;
  constructor(actorId: string, event: ActorSupervisionEvent, cause: unknown) {
    super(
      'ErrorDuringHandlingSupervision',
      actorId,
      `error while handling supervision event (${event}): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.event = event;
  }
}

/** Variants of `ProcError` (Monarch's proc spawn errors). */
export type ProcErrorVariant = 'DuplicateActorName' | 'ActorCreationFailed' | 'ProcStopped' | 'InvalidParams';

/** An operation on a proc failed. */
export class ProcError extends ActormeshError<'ProcError', ProcErrorVariant> {
  constructor(variant: ProcErrorVariant, message: string, options?: { cause?: unknown }) {
    super('ProcError', variant, message, options);
  }
}

/** Spawning failed (Monarch's `ProcError` / spawn errors). */
export class ProcActorSpawnError extends ProcError {
  readonly actorName: string;
  constructor(variant: ProcErrorVariant, actorName: string, message: string, options?: { cause?: unknown }) {
    super(variant, message, options);
    this.actorName = actorName;
  }
}

/** No actor class registered under this type name (Monarch hyperactor_mesh/src/v1.rs `Error::ActorTypeNotRegistered`). */
export class ActorTypeNotRegistered extends MeshError {
  readonly typeName: string;
  constructor(typeName: string, known: string[]) {
    super(
      'ActorTypeNotRegistered',
      `actor type '${typeName}' is not registered (registered: ${known.length ? known.join(', ') : 'none'}); call registerActor(Class) in every process that spawns it by name`,
    );
    this.typeName = typeName;
  }
}

/** Variants of `ActorRegistryError`: registering an actor class went wrong. */
export type ActorRegistryErrorVariant = 'DuplicateActorType' | 'InvalidActorClass' | 'InvalidActorModule';

/** `registerActor` was given something it cannot register. */
export class ActorRegistryError extends ActormeshError<'ActorRegistryError', ActorRegistryErrorVariant> {
  constructor(variant: ActorRegistryErrorVariant, message: string) {
    super('ActorRegistryError', variant, message);
  }
}

/** Two classes registered under one type name. */
export class DuplicateActorType extends ActorRegistryError {
  readonly typeName: string;
  constructor(typeName: string) {
    super('DuplicateActorType', `actor type '${typeName}' is already registered by another class; type names must be unique`);
    this.typeName = typeName;
  }
}

/** An actor class without a usable static `typeName`. */
export class InvalidActorClass extends ActorRegistryError {
  constructor(what: string) {
    super('InvalidActorClass', `${what}: an actor class needs a non-empty static typeName string`);
  }
}

/** A message whose `type` the actor has no handler for (local sends; remote ones are undeliverable). */
export class UnhandledMessageType extends MailboxSenderError {
  readonly actorId: string;
  readonly messageType: string;
  constructor(actorId: string, messageType: unknown, known: string[]) {
    super(
      'UnhandledMessageType',
      `actor ${actorId}`,
      `it has no handler for message type ${JSON.stringify(messageType)} (handles: ${known.join(', ') || 'nothing'})`,
    );
    this.actorId = actorId;
    this.messageType = String(messageType);
  }
}
