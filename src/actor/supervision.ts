/**
 * Supervision events (Monarch hyperactor/src/supervision.rs `ActorSupervisionEvent`).
 *
 * An event says that `actorId` reached a failed terminal status. When a parent fails because it
 * did not handle a child's event, its status wraps that event; `rootCause` unwraps the chain to
 * the actor that failed first, which is what the readable message names.
 */
import type { ActorId } from '../core/ids.js';
import type { Headers } from '../mailbox/envelope.js';
import { UnhandledSupervisionEventError } from './errors.js';
import { type ActorStatus, displayStatus } from './status.js';

export class ActorSupervisionEvent {
  readonly actorId: ActorId;
  /** Optional human-readable name (e.g. a mesh rank). */
  readonly displayName: string | undefined;
  readonly status: ActorStatus;
  /** Headers of the message being handled when the actor failed, if any. */
  readonly messageHeaders: Headers | undefined;
  constructor(actorId: ActorId, status: ActorStatus, displayName?: string, messageHeaders?: Headers) {
    this.actorId = actorId;
    this.status = status;
    this.displayName = displayName;
    this.messageHeaders = messageHeaders;
  }

  /** The first actor in the chain that failed, and its error message. */
  get rootCause(): { actorId: ActorId; message: string } {
    let ev: ActorSupervisionEvent = this;
    for (;;) {
      const s = ev.status;
      if (s.kind === 'Failed' && s.error instanceof UnhandledSupervisionEventError) {
        ev = s.error.event;
        continue;
      }
      return { actorId: ev.actorId, message: s.kind === 'Failed' ? s.error.message : displayStatus(s) };
    }
  }

  /**
   * "The actor X and all its descendants have failed. This occurred because the actor Y failed.
   * The error was: …"
   */
  toString(): string {
    const who = this.displayName ?? String(this.actorId);
    const root = this.rootCause;
    return `The actor ${who} and all its descendants have failed. This occurred because the actor ${root.actorId} failed. The error was: ${root.message}`;
  }
}
