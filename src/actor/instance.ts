/**
 * Actor instances, contexts and handles (Monarch hyperactor/src/proc.rs `Instance`, `Context`).
 *
 * An `Instance` owns an actor's mailbox, its work queue, its children and its status. Actor
 * instances run the actor loop; client instances (`proc.instance(name)`) have no loop and serve
 * only as a context to send and receive.
 *
 * Invariants of the actor loop:
 * - Strictly one handler at a time, in arrival order: a message is taken from the queue only
 *   after the previous handler returned (or its promise settled). `init` runs before the first
 *   message (docs/architecture.md ACT-1).
 * - Child supervision events are taken before queued messages.
 * - `stop()` ends the loop after the current handler; `drainAndStop()` after the messages queued
 *   so far. On exit: mailbox closed, children stopped (500 ms each at most), `cleanup` run
 *   (bounded by `CLEANUP_TIMEOUT`), terminal status set, then a failure is reported to the parent
 *   or, for a root, to the proc's supervision coordinator (docs/architecture.md ACT-2).
 */
import type { ActorId } from '../core/ids.js';
import { CLEANUP_TIMEOUT, config } from '../core/config.js';
import { EMPTY_HEADERS, type Headers, MessageEnvelope } from '../mailbox/envelope.js';
import { PortClosedError } from '../mailbox/errors.js';
import { Mailbox } from '../mailbox/mailbox.js';
import type { OnceReceiver } from '../mailbox/receiver.js';
import { PortReceiver, CoalescingReceiver } from '../mailbox/receiver.js';
import { type Accumulator, type ReducerOpts, openAccumPort } from '../mailbox/accum.js';
import { UNDELIVERABLE_PORT, decodeBounced } from '../mailbox/undeliverable.js';
import { portIndexOf } from '../core/typeinfo.js';
import type { Actor, ActorClass, Message, ParamsOf } from './actor.js';
import { ActorError, ActorRegistryError, ErrorDuringHandlingSupervisionError, UnhandledMessageType, UnhandledSupervisionEventError } from './errors.js';
import { DeserializationError } from '../core/codec-errors.js';
import { OncePortHandle, PortHandle } from './port-handles.js';
import type { ActorHandle } from './handle.js';
import { type ActorStatus, ActorStatuses as Status, StatusCell, isTerminal } from './status.js';
import { ActorSupervisionEvent } from './supervision.js';
import { WorkQueue } from './work-queue.js';
import type { Proc } from './proc.js';

/** What handlers receive: the running actor's capabilities. */
export interface Context {
  /** This actor's (or client's) id. */
  readonly self: ActorId;
  readonly proc: Proc;
  readonly mailbox: Mailbox;
  /** Headers of the message being handled (empty for local sends). */
  readonly headers: Headers;
  /** Opens an ephemeral FIFO port (index ≥ 1024). */
  openPort<T>(typeName?: string): [PortHandle<T>, PortReceiver<T>];
  /** Opens a once port. */
  openOncePort<T>(typeName?: string): [OncePortHandle<T>, OnceReceiver<T>];
  /** Opens an accumulating port: the receiver yields only the newest state. */
  openAccumPort<S, U>(acc: Accumulator<S, U>, opts?: ReducerOpts, typeName?: string): [PortHandle<U>, CoalescingReceiver<S>];
  /** Spawns a child actor (actor contexts only). */
  spawnChild<A extends Actor<any, any>>(cls: ActorClass<A>, params: ParamsOf<A>, name?: string): Promise<ActorHandle<A>>;
  /** Asks this actor to stop after the current handler. */
  stop(): void;
  /**
   * Queues `msg` for this actor itself (local, unserialized), after `delayMs` if given (Monarch's
   * `self_message_with_delay`). Dropped if the actor stopped meanwhile.
   */
  sendSelf<M extends Message>(msg: M, delayMs?: number): void;
}

/** An undeliverable envelope queued for the actor's `handleUndeliverable`. */
class Returned {
  constructor(readonly envelope: MessageEnvelope) {}
}

type StopMode = 0 | 1 | 2; // 0 running, 1 drain then stop, 2 stop now

const CHILD_STOP_WAIT_MS = 500;

export class Instance implements Context {
  readonly self: ActorId;
  readonly proc: Proc;
  readonly mailbox: Mailbox;
  readonly parent: Instance | undefined;
  readonly children = new Map<number, Instance>();
  readonly statusCell: StatusCell;
  headers: Headers = EMPTY_HEADERS;
  /** The actor (undefined for client instances). */
  actor: Actor<any, any> | undefined;
  /** Undeliverables returned to a client instance. */
  readonly undeliverables: PortReceiver<MessageEnvelope> | undefined;

  private handlers: Record<string, (cx: Context, m: any) => unknown> | undefined;
  /** Messages (and returned envelopes) waiting for the handler loop. */
  private readonly queue = new WorkQueue();
  private supervisionQueue: ActorSupervisionEvent[] = [];
  private running = false;
  private started = false;
  private stopMode: StopMode = 0;
  private exited = false;
  private lateChildFailure: ActorSupervisionEvent | undefined;

  constructor(proc: Proc, self: ActorId, parent: Instance | undefined, client: boolean) {
    this.proc = proc;
    this.self = self;
    this.parent = parent;
    this.mailbox = new Mailbox(self, proc);
    this.statusCell = new StatusCell(client ? Status.Client : Status.Created);
    if (client) {
      const rx = new PortReceiver<MessageEnvelope>(`${self} undeliverables`);
      this.undeliverables = rx;
      this.mailbox.returnHandle = { returnUndeliverable: (env) => void rx.push(env) };
    } else {
      this.undeliverables = undefined;
      this.mailbox.returnHandle = { returnUndeliverable: (env) => this.enqueueReturned(env) };
    }
    // Every instance binds its undeliverable port (remote hops bounce envelopes there).
    this.mailbox.bind(UNDELIVERABLE_PORT, {
      once: false,
      sink: () => {},
      raw: (env) => {
        let original: MessageEnvelope;
        try {
          original = decodeBounced(env.data);
        } catch (e) {
          return (e as Error).message;
        }
        this.mailbox.returnHandle.returnUndeliverable(original);
      },
    });
  }

  get status(): ActorStatus {
    return this.statusCell.get();
  }

  /** Attaches the actor and binds one handler port per message type. */
  attach(actor: Actor<any, any>): void {
    this.actor = actor;
    const handlers = actor.handlers as Record<string, (cx: Context, m: any) => unknown>;
    if (typeof handlers !== 'object' || handlers === null) {
      throw new ActorRegistryError('InvalidActorClass', `actor ${this.self} has no handlers table (expected an object of message handlers)`);
    }
    this.handlers = handlers;
    for (const type of Object.keys(handlers)) {
      this.mailbox.bind(portIndexOf(type), {
        once: false,
        sink: (m, h) => {
          if (typeof m !== 'object' || m === null || (m as Message).type !== type) {
            throw new DeserializationError(type, `the payload is not a '${type}' message (expected an object whose type is '${type}')`);
          }
          this.enqueue(m, h);
        },
      });
    }
  }

  // --- Context -------------------------------------------------------------------------------

  openPort<T>(typeName = 'port'): [PortHandle<T>, PortReceiver<T>] {
    const [p, rx] = this.mailbox.openPort<T>();
    return [new PortHandle(p, typeName), rx];
  }
  openOncePort<T>(typeName = 'reply'): [OncePortHandle<T>, OnceReceiver<T>] {
    const [p, rx] = this.mailbox.openOncePort<T>();
    return [new OncePortHandle(p, typeName), rx];
  }
  openAccumPort<S, U>(acc: Accumulator<S, U>, opts?: ReducerOpts, typeName = 'accum'): [PortHandle<U>, CoalescingReceiver<S>] {
    const [p, rx] = openAccumPort(this.mailbox, acc, opts);
    return [new PortHandle(p, typeName), rx];
  }
  spawnChild<A extends Actor<any, any>>(cls: ActorClass<A>, params: ParamsOf<A>, name?: string): Promise<ActorHandle<A>> {
    if (this.actor === undefined) {
      return Promise.reject(new ActorError('Generic', String(this.self), 'client instances cannot spawn children; use proc.spawn'));
    }
    return this.proc.spawnChild(this, cls, params, name);
  }
  stop(): void {
    this.signalStop(2);
  }
  sendSelf<M extends Message>(msg: M, delayMs?: number): void {
    if (this.actor === undefined) throw new ActorError('Generic', String(this.self), 'client instances have no handlers to send to');
    if (delayMs === undefined || delayMs <= 0) {
      this.sendLocal(msg);
      return;
    }
    const h = this.handlers!;
    if (typeof msg?.type !== 'string' || !Object.hasOwn(h, msg.type)) {
      throw new UnhandledMessageType(String(this.self), msg?.type, Object.keys(h));
    }
    setTimeout(() => {
      if (!this.exited && this.stopMode === 0) this.sendLocal(msg);
    }, delayMs);
  }

  // --- Work queue ----------------------------------------------------------------------------

  /** Queues a message for the handler loop (both local sends and delivered envelopes). */
  enqueue(msg: unknown, headers: Headers): void {
    if (this.exited || this.stopMode === 2) throw new PortClosedError(String(this.self));
    this.queue.push(msg, headers);
    if (!this.running && this.started) this.schedule();
  }

  /** Local short-circuit send: checks the type, then queues without serialization. */
  sendLocal(msg: Message): void {
    const h = this.handlers;
    if (h === undefined || typeof (msg as Message | null)?.type !== 'string' || !Object.hasOwn(h, msg.type)) {
      throw new UnhandledMessageType(String(this.self), (msg as Message | null)?.type, h ? Object.keys(h) : []);
    }
    if (this.exited || this.stopMode !== 0 || this.mailbox.closed) {
      throw new ActorError('Generic', String(this.self), `actor ${this.self} is stopped or stopping; message '${msg.type}' not sent`);
    }
    this.queue.push(msg, EMPTY_HEADERS);
    if (!this.running && this.started) this.schedule();
  }

  private enqueueReturned(env: MessageEnvelope): void {
    this.enqueue(new Returned(env), env.headers);
  }

  /** A child failed. */
  deliverSupervisionEvent(ev: ActorSupervisionEvent): boolean {
    if (this.actor === undefined || isTerminal(this.status)) return false;
    if (this.exited) {
      // Stopping: the loop is over; a child failing meanwhile makes this exit a failure too.
      this.lateChildFailure ??= ev;
      return true;
    }
    this.supervisionQueue.push(ev);
    if (!this.running && this.started) this.schedule();
    return true;
  }

  /** Starts the loop (init first). */
  start(): void {
    this.started = true;
    this.schedule();
  }

  private schedule(): void {
    this.running = true;
    scheduleWork(this.pumpBound);
  }

  signalStop(mode: 1 | 2): void {
    if (this.exited) return;
    if (mode > this.stopMode) this.stopMode = mode;
    // Not started yet (creation pending): `start()` will see the stop request.
    if (this.started && !this.running) this.schedule();
  }

  private needsInit = true;
  private readonly pumpBound = (): void => this.pump();
  private readonly initFailed = (e: unknown): void => this.finish(ActorError.fromThrown(String(this.self), e, 'initialization error: '));
  private readonly handlerFailed = (e: unknown): void => {
    const err = ActorError.fromThrown(String(this.self), e);
    // Monarch: a handler error first drains the pending child supervision events (so children
    // that already failed are seen by the actor's supervision logic), then fails the actor.
    if (this.supervisionQueue.length === 0) return this.finish(err);
    this.drainSupervision().then(() => this.finish(err));
  };

  private async drainSupervision(): Promise<void> {
    while (this.supervisionQueue.length > 0) {
      const ev = this.supervisionQueue.shift()!;
      try {
        await this.actor!.handleSupervisionEvent(this, ev);
      } catch {
        /* the actor is failing anyway; its own error wins */
      }
    }
  }

  /**
   * The actor loop. Runs synchronously as long as handlers complete synchronously; a handler (or
   * init, or supervision handler) that returns a promise suspends the loop until it settles, so
   * the next message is never taken before the previous one finished.
   */
  private pump(): void {
    try {
      const actor = this.actor!;
      if (this.needsInit) {
        this.needsInit = false;
        if (this.stopMode !== 2 && actor.init !== undefined) {
          this.statusCell.set(Status.Initializing);
          let r: unknown;
          try {
            r = actor.init(this);
          } catch (e) {
            this.initFailed(e);
            return;
          }
          if (isThenable(r)) {
            r.then(this.pumpBound, this.initFailed);
            return;
          }
        }
      }
      const handlers = this.handlers!;
      let budget = MESSAGES_PER_PUMP;
      for (;;) {
        if (this.stopMode === 2) return this.finish(undefined);
        if (--budget === 0) {
          // Yield to the event loop (I/O, timers) after a long synchronous run.
          setImmediate(this.pumpBound);
          return;
        }
        if (this.supervisionQueue.length > 0) {
          const ev = this.supervisionQueue.shift()!;
          let r: unknown;
          try {
            r = actor.handleSupervisionEvent(this, ev);
          } catch (e) {
            return this.finish(new ErrorDuringHandlingSupervisionError(String(this.self), ev, e));
          }
          if (isThenable(r)) {
            r.then(
              (handled) => (handled ? this.pump() : this.finish(new UnhandledSupervisionEventError(String(this.self), ev))),
              (e) => this.finish(new ErrorDuringHandlingSupervisionError(String(this.self), ev, e)),
            );
            return;
          }
          if (!r) return this.finish(new UnhandledSupervisionEventError(String(this.self), ev));
          continue;
        }
        const queue = this.queue;
        if (queue.length === 0) {
          if (this.stopMode === 1) return this.finish(undefined);
          this.running = false;
          if (this.statusCell.get() !== Status.Idle) this.statusCell.set(Status.Idle);
          return;
        }
        const msg = queue.shift();
        this.headers = queue.lastHeaders!;
        let r: unknown;
        try {
          r = msg instanceof Returned ? actor.handleUndeliverable(this, msg.envelope) : handlers[(msg as Message).type]!(this, msg);
        } catch (e) {
          return this.handlerFailed(e);
        }
        if (r !== undefined && isThenable(r)) {
          // Only async handlers are reported as Processing (watchers see long-running work;
          // synchronous handlers cost no status notifications).
          this.statusCell.set(Status.Processing);
          r.then(this.pumpBound, this.handlerFailed);
          return;
        }
      }
    } catch (e) {
      // A bug in the loop itself: fail the actor rather than throw into the microtask queue.
      this.finish(ActorError.fromThrown(String(this.self), e, 'actor loop error: '));
    }
  }

  private finish(error: ActorError | undefined): void {
    this.exit(error).catch((e) => {
      console.error(`actormesh: exit of ${this.self} failed: ${e instanceof Error ? e.stack : String(e)}`);
    });
  }

  /** Terminates the instance (see the invariants at the top). */
  private async exit(error: ActorError | undefined): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    this.running = true; // never schedule again
    this.statusCell.set(Status.Stopping);
    const headers = this.headers;
    this.mailbox.close();
    this.proc.detach(this);
    this.queue.clear();
    // Stop children first.
    await stopChildren(this);
    let cleanupError: ActorError | undefined;
    if (this.actor?.cleanup !== undefined) {
      const timeoutMs = config.get(CLEANUP_TIMEOUT);
      try {
        await withTimeout(
          Promise.resolve().then(() => this.actor!.cleanup!(this, error)),
          timeoutMs,
        );
      } catch (e) {
        cleanupError =
          e === TIMED_OUT
            ? new ActorError('Generic', String(this.self), `cleanup timed out after ${timeoutMs} ms`)
            : ActorError.fromThrown(String(this.self), e, 'cleanup error: ');
      }
    }
    const late = this.lateChildFailure;
    const finalError = error ?? (late !== undefined ? new UnhandledSupervisionEventError(String(this.self), late) : undefined) ?? cleanupError;
    let status: ActorStatus;
    if (finalError instanceof UnhandledSupervisionEventError) status = Status.failed(finalError);
    else status = finalError ? Status.failed(finalError) : Status.Stopped;
    this.statusCell.set(status);
    if (status.kind === 'Failed') {
      const ev = new ActorSupervisionEvent(this.self, status, undefined, headers === EMPTY_HEADERS ? undefined : headers);
      if (this.parent !== undefined) {
        if (!this.parent.deliverSupervisionEvent(ev)) this.proc.crash(ev, 'the parent cannot take the supervision event');
      } else {
        this.proc.reportToCoordinator(ev);
      }
    }
    this.parent?.children.delete(this.self.pid);
  }

  /** Stops a client instance (no loop): closes its mailbox and stops its children. */
  async stopClient(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    this.statusCell.set(Status.Stopping);
    this.mailbox.close();
    this.undeliverables?.close();
    this.proc.detach(this);
    await stopChildren(this);
    this.statusCell.set(Status.Stopped);
  }
}

/** Messages one actor handles synchronously before yielding to the event loop. */
const MESSAGES_PER_PUMP = 4096;
/** Actor wake-ups run as microtasks within one event-loop turn, up to this many; then setImmediate. */
const WAKEUPS_PER_TURN = 4096;
let wakeupsThisTurn = 0;
const resetTurn = (): void => {
  wakeupsThisTurn = 0;
};

/**
 * Schedules an actor's loop. Invariant: actors never starve the event loop: wake-ups are cheap
 * microtasks, but after WAKEUPS_PER_TURN of them in one chain (e.g. two actors ping-ponging
 * forever) the rest go through setImmediate, so timers and sockets still run.
 *
 * The counter is reset by a `process.nextTick` queued at the first wake-up: Node runs it once
 * the current callback and the microtasks queued so far have drained, so a never-ending
 * microtask chain still hits the limit, while a message arriving from a socket (one wake-up per
 * event-loop turn) no longer pays a `setImmediate` — one more loop phase per wake-up, measured
 * at ≈ 2.5 µs per cross-process round trip (bench/results/channel.md).
 */
function scheduleWork(fn: () => void): void {
  if (wakeupsThisTurn++ === 0) process.nextTick(resetTurn);
  // A reaction on an already-resolved promise is a plain V8 microtask, queued in the same FIFO
  // as `queueMicrotask`'s (which also builds an AsyncResource per call, ~0.1–0.2 µs). `fn` (the
  // actor loop) catches everything itself, so the derived promise never rejects.
  if (wakeupsThisTurn <= WAKEUPS_PER_TURN) void RESOLVED.then(fn);
  else setImmediate(fn);
}

const RESOLVED: Promise<void> = Promise.resolve();

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

async function stopChildren(inst: Instance): Promise<void> {
  const kids = [...inst.children.values()];
  for (const c of kids) c.signalStop(2);
  await Promise.all(kids.map((c) => withTimeout(c.statusCell.terminal(), CHILD_STOP_WAIT_MS).catch(() => undefined)));
  inst.children.clear();
}

const TIMED_OUT = Symbol('timed out');
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(TIMED_OUT), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
