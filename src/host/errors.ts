/**
 * Errors of host meshes across machines (Monarch's `ConfigPushError`, `MeshStopped`, "cannot shut
 * down a HostMesh that is a reference instead of owned").
 */
import { ActormeshError } from '../base/errors.js';

/** Why one worker could not be attached. */
export type AttachFailureReason = 'Unreachable' | 'Unauthorized' | 'ReplyTimedOut' | 'ProtocolMismatch' | 'Unroutable' | 'InvalidAddress';

/** Variants of `HostMeshError`. */
export type HostMeshErrorVariant = 'ConfigPushFailed' | 'MeshStopped' | 'NotOwned' | 'ParseError' | 'WorkerStartFailed';

/** An error of a host mesh: attaching, using a stopped or unowned mesh, parsing its ref, starting workers. */
export class HostMeshError extends ActormeshError<'HostMeshError', HostMeshErrorVariant> {
  constructor(variant: HostMeshErrorVariant, message: string, options?: { cause?: unknown }) {
    super('HostMeshError', variant, message, options);
  }
}

export interface AttachFailure {
  readonly host: string;
  readonly reason: AttachFailureReason;
  readonly detail: string;
}

/**
 * `HostMesh.attach` failed closed (Monarch's `ConfigPushFailed`, HM-1..HM-4): no host mesh was
 * created; `failures` names each failing host and why.
 */
export class AttachError extends HostMeshError {
  readonly failures: readonly AttachFailure[];
  constructor(failures: readonly AttachFailure[], total: number) {
    super(
      'ConfigPushFailed',
      `attach failed on ${failures.length} of ${total} host(s):\n${failures.map((f) => `  - ${f.host}: ${f.reason}: ${f.detail}`).join('\n')}`,
    );
    this.failures = failures;
  }
}

/** The host mesh was stopped or shut down; it cannot be used any more. */
export class HostMeshStoppedError extends HostMeshError {
  constructor(name: string, how: 'stopped' | 'shut down') {
    super('MeshStopped', `HostMesh ${name} has already been ${how}`);
  }
}

/** `stop()`/`shutdown()` on a reference (a slice or a deserialized ref) instead of the owned mesh. */
export class NotOwnedError extends HostMeshError {
  constructor(what: string) {
    super('NotOwned', `cannot ${what} a HostMesh that is a reference instead of owned (a slice or a parsed ref): use the HostMesh that attach() returned`);
  }
}

/** A host mesh ref's text form was malformed. */
export class HostMeshRefParseError extends HostMeshError {
  readonly input: string;
  constructor(input: string, why: string) {
    super('ParseError', `invalid host mesh ref ${JSON.stringify(input)}: ${why}; expected <name>:<addr>,<addr>...@hosts=<n>`);
    this.input = input;
  }
}

/** Starting local workers (`HostMesh.process`) failed. */
export class WorkerStartError extends HostMeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WorkerStartFailed', message, options);
  }
}
