/**
 * The mesh layer's error taxonomy (Monarch hyperactor_mesh/src/v1.rs `Error`).
 *
 * Every class extends `MeshError` (`kind = 'MeshError'`, defined with the value meshes, which
 * fail with its `InvalidRankCardinality`) and `variant` = the Rust variant name; payload fields
 * are own properties. Errors that carry per-rank statuses keep them as a
 * `RankedValues<Status>` and render them with `RankedValues.invert` order, e.g.
 * `Failed(test failure)=0..8` or `Running=0..3;Timeout(30s)=3..4`.
 *
 * `ActorTypeNotRegistered` is the actor layer's class (same variant), re-exported here;
 * `AllocatorError` comes from `./alloc` and passes through unchanged.
 */
import { ActormeshError } from '../base/errors.js';
import type { RankedValues, Status } from '../valuemesh/index.js';
import { MeshError } from '../valuemesh/errors.js';

export { ActorTypeNotRegistered } from '../actor/errors.js';
export { MeshError, type MeshErrorVariant } from '../valuemesh/errors.js';

function causeText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `name{region}` has `expected` ranks but `actual` refs were given. */
/** v1::Error::InvalidRankCardinality: one class for the whole library (defined with ValueMesh). */
export { InvalidRankCardinality } from '../valuemesh/errors.js';

/** The caller's proc cannot route to a mesh: its forwarder is not a DialMailboxRouter. */
export class UnroutableMesh extends MeshError {
  readonly forwarder: string;
  constructor(forwarder: string) {
    super(
      'UnroutableMesh',
      `cannot allocate a proc mesh from this proc: its forwarder is a ${forwarder}, expected a DialMailboxRouter (or a QueueingSender configured with one) so routes to the new procs can be bound`,
    );
    this.forwarder = forwarder;
  }
}

/** Configuring a mesh agent (or a mesh) failed. */
export class ConfigurationError extends MeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ConfigurationError', `mesh configuration failed: ${message}`, options);
  }
}

/** A request/response exchange with an agent failed. */
export class CallError extends MeshError {
  readonly actor: string;
  constructor(actor: string, cause: unknown) {
    super('CallError', `call to ${actor} failed: ${causeText(cause)}`, { cause });
    this.actor = actor;
  }
}

/** Sending to an actor failed synchronously. */
export class SendingError extends MeshError {
  readonly actor: string;
  constructor(actor: string, cause: unknown) {
    super('SendingError', `sending to ${actor} failed: ${causeText(cause)}`, { cause });
    this.actor = actor;
  }
}

/** A cast could not be built (binding, unbinding, selection). */
export class CastingError extends MeshError {
  readonly meshName: string;
  constructor(meshName: string, cause: unknown) {
    super('CastingError', `cannot cast to mesh ${meshName}: ${causeText(cause)}`, { cause });
    this.meshName = meshName;
  }
}

/** Bad arguments to a mesh operation (wrong types, unknown labels…). */
export class InvalidMeshArgument extends MeshError {
  readonly argument: string;
  constructor(argument: string, detail: string) {
    super('InvalidMeshArgument', `invalid ${argument}: ${detail}`);
    this.argument = argument;
  }
}

/** State was requested for a name that no agent knows (or that failed to spawn). */
export class NotExist extends MeshError {
  readonly resourceName: string;
  constructor(name: string) {
    super('NotExist', `resource '${name}' does not exist on the mesh (never spawned, or its spawn failed)`);
    this.resourceName = name;
  }
}

/** Renders per-rank statuses the way Monarch's errors do: `Failed(x)=0..8;Running=8..9`. */
export function displayStatuses(statuses: RankedValues<Status>): string {
  return statuses.toString();
}

/** Spawning an actor mesh failed or timed out on some ranks. */
export class ActorSpawnError extends MeshError {
  readonly statuses: RankedValues<Status>;
  constructor(statuses: RankedValues<Status>, meshName?: string) {
    super('ActorSpawnError', `error spawning actor mesh${meshName ? ` ${meshName}` : ''}: ${displayStatuses(statuses)}`);
    this.statuses = statuses;
  }
}

/** Stopping an actor mesh did not reach a terminal status on every rank. */
export class ActorStopError extends MeshError {
  readonly statuses: RankedValues<Status>;
  constructor(statuses: RankedValues<Status>, meshName?: string) {
    super('ActorStopError', `error stopping actor mesh${meshName ? ` ${meshName}` : ''}: ${displayStatuses(statuses)}`);
    this.statuses = statuses;
  }
}

/** The controller actor of a new actor mesh could not be spawned. */
export class ControllerActorSpawnError extends MeshError {
  readonly meshName: string;
  constructor(meshName: string, cause: unknown) {
    super('ControllerActorSpawnError', `cannot spawn the controller of actor mesh ${meshName}: ${causeText(cause)}`, { cause });
    this.meshName = meshName;
  }
}

/** Variants of `ProcMeshAgentError`. */
export type ProcMeshAgentErrorVariant = 'AlreadyConfigured' | 'NotConfigured' | 'SupervisionEvents';

/** An agent-side operation failed (e.g. a second Configure, or a supervision event it does not record). */
export class ProcMeshAgentError extends ActormeshError<'ProcMeshAgentError', ProcMeshAgentErrorVariant> {
  constructor(variant: ProcMeshAgentErrorVariant, message: string) {
    super('ProcMeshAgentError', variant, message);
  }
}
