/**
 * `ActorHandle`: the local handle returned by `spawn` (Monarch hyperactor/src/actor.rs `ActorHandle`).
 */
import type { ActorId } from '../core/ids.js';
import type { Actor, Message, MessageOf } from './actor.js';
import type { Instance } from './instance.js';
import { ActorRef } from './refs.js';
import { type ActorStatus, isTerminal } from './status.js';

/**
 * A local handle to a spawned actor: short-circuit sends (no serialization), status, stop.
 * `bind()` gives the serializable `ActorRef`.
 */
export class ActorHandle<A extends Actor<any, any>> {
  readonly instance: Instance;
  private ref: ActorRef<A> | undefined;
  constructor(instance: Instance) {
    this.instance = instance;
  }
  get actorId(): ActorId {
    return this.instance.self;
  }
  get status(): ActorStatus {
    return this.instance.status;
  }
  /** The actor object itself (local only; for tests and introspection). */
  get actor(): A {
    return this.instance.actor as A;
  }
  /** Queues `msg` for the actor without serialization. Throws `UnhandledMessageType` for unknown types. */
  send(msg: MessageOf<A>): void {
    this.instance.sendLocal(msg as Message);
  }
  /** The serializable reference. */
  bind(): ActorRef<A> {
    return (this.ref ??= new ActorRef<A>(this.instance.self));
  }
  /** Calls `fn` on status changes; returns an unsubscribe function. */
  watchStatus(fn: (s: ActorStatus) => void): () => void {
    return this.instance.statusCell.watch(fn);
  }
  /** Stops after the current handler; resolves with the terminal status. */
  stop(): Promise<ActorStatus> {
    this.instance.signalStop(2);
    return this.instance.statusCell.terminal();
  }
  /** Handles the messages queued so far, then stops; resolves with the terminal status. */
  drainAndStop(): Promise<ActorStatus> {
    this.instance.signalStop(1);
    return this.instance.statusCell.terminal();
  }
  /** Resolves with the terminal status. */
  wait(): Promise<ActorStatus> {
    return this.instance.statusCell.terminal();
  }
  get isTerminated(): boolean {
    return isTerminal(this.instance.status);
  }
}
