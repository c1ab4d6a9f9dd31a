/**
 * The actor base class (Monarch hyperactor/src/actor.rs `Actor`, `Handler`).
 *
 * An actor is a class extending `Actor<Params, Msg>` where `Msg` is a union of message objects
 * discriminated by a string `type`. The class declares a static `typeName` (its registry name)
 * and an instance `handlers` table with one function per message type. The runtime guarantees
 * that handlers (and `init`, `handleSupervisionEvent`, `handleUndeliverable`) run strictly one at
 * a time, in arrival order, including async ones: the next message is taken only after the
 * previous handler's promise settled.
 *
 * ```ts
 * type CounterMsg = { type: 'inc'; by: number } | { type: 'get'; reply: OncePortRef<number> };
 * class Counter extends Actor<{ start: number }, CounterMsg> {
 *   static typeName = 'example::Counter';
 *   n: number;
 *   constructor(p: { start: number }) { super(); this.n = p.start; }
 *   readonly handlers: Handlers<CounterMsg> = {
 *     inc: (cx, m) => { this.n += m.by; },
 *     get: (cx, m) => m.reply.send(cx, this.n),
 *   };
 * }
 * ```
 */
import type { MessageEnvelope } from '../mailbox/envelope.js';
import { UndeliverableMessageError } from '../mailbox/errors.js';
import type { Context } from './instance.js';
import type { ActorSupervisionEvent } from './supervision.js';

/** A message: any object with a string discriminator `type` (also its handler port's type name). */
export interface Message {
  readonly type: string;
}

/** A handler for one message type. May be async; the actor waits for it before the next. */
export type Handler<M> = (cx: Context, msg: M) => void | Promise<void>;

/** One handler per member of the message union `M`, keyed by its `type`. */
export type Handlers<M extends Message> = { readonly [K in M['type']]: Handler<Extract<M, { type: K }>> };

export abstract class Actor<P = void, M extends Message = Message> {
  /** Phantom fields carrying the type parameters (never set at runtime). */
  declare readonly __params?: P;
  declare readonly __messages?: M;

  /** The message handlers, keyed by message `type`. */
  abstract readonly handlers: Handlers<M>;

  /** Runs once before any message is handled. Throwing fails the actor ("initialization error"). */
  init?(cx: Context): void | Promise<void>;

  /**
   * Runs once when the actor stops (after its children stopped), bounded by `CLEANUP_TIMEOUT`.
   * `error` is set when the actor failed. A cleanup error fails an actor that was stopping cleanly.
   */
  cleanup?(cx: Context, error: Error | undefined): void | Promise<void>;

  /**
   * A child failed. Return true if handled (the actor keeps running); false (the default) makes
   * this actor fail with `UnhandledSupervisionEvent`, propagating the failure upwards.
   */
  handleSupervisionEvent(_cx: Context, _event: ActorSupervisionEvent): boolean | Promise<boolean> {
    return false;
  }

  /**
   * A message this actor sent came back undeliverable. Default: fail with
   * `UndeliverableMessageError::DeliveryFailure` ("a message from X to Y was undeliverable and
   * returned"). Override to tolerate it.
   */
  handleUndeliverable(_cx: Context, envelope: MessageEnvelope): void | Promise<void> {
    throw new UndeliverableMessageError('DeliveryFailure', String(envelope.sender), String(envelope.dest), envelope.errors);
  }
}

/** The constructor side of an actor class. */
export interface ActorClass<A extends Actor<any, any> = Actor<any, any>> {
  /** Registry name, unique per process (e.g. `myapp::Trainer`). */
  readonly typeName: string;
  new (params: ParamsOf<A>): A;
  /** Optional async factory used instead of `new` (e.g. to await resources). May throw. */
  create?(params: ParamsOf<A>): A | Promise<A>;
}

/** Any actor class, whatever its params (for registries). */
export interface AnyActorClass {
  readonly typeName: string;
  new (params: never): Actor<any, any>;
}

export type ParamsOf<A> = A extends Actor<infer P, any> ? P : never;
export type MessageOf<A> = A extends Actor<any, infer M> ? M : never;
/** The messages of `A` that carry a `reply` once port, i.e. can be used with `ask`. */
export type AskableOf<A> = Extract<MessageOf<A>, { reply: unknown }>;
