/**
 * `Proc`: a set of actors sharing a proc id, a muxer and a forwarder (Monarch
 * hyperactor/src/proc.rs `Proc`).
 *
 * Invariants:
 * - Root actor names are unique per proc (also across stopped actors: ids are never reused);
 *   children get pids 1, 2, … from a per-root counter and keep the root's name.
 * - An envelope whose destination proc is this proc goes to the muxer; anything else to the
 *   forwarder (a router or network client).
 * - A failure of a root actor goes to the supervision coordinator; without one the process exits
 *   with code 1 (fail fast) (docs/architecture.md ACT-2). `setExitHook` replaces the exit (tests).
 */
import { ActorId, type ProcId } from '../core/ids.js';
import type { MessageEnvelope, ReturnHandle } from '../mailbox/envelope.js';
import { BaseMailboxSender, type DirectRouter, type MailboxSender, UNROUTABLE, hasStandardPost } from '../mailbox/sender.js';
import { MailboxMuxer } from '../mailbox/routers.js';
import type { Actor, ActorClass, ParamsOf } from './actor.js';
import { ProcActorSpawnError, InvalidActorClass } from './errors.js';
import { Instance } from './instance.js';
import { ActorHandle } from './handle.js';
import { actorClassByName, decodeParams } from './registry.js';
import type { ActorStatus } from './status.js';
import type { ActorSupervisionEvent } from './supervision.js';

export type SupervisionCoordinator = (event: ActorSupervisionEvent) => void;
export type ExitHook = (code: number, event: ActorSupervisionEvent, reason: string) => void;

const defaultExit: ExitHook = (code, event, reason) => {
  console.error(`actormesh: ${reason}; exiting the process: ${event}`);
  process.exit(code);
};

export class Proc extends BaseMailboxSender implements DirectRouter {
  readonly id: ProcId;
  /** Where envelopes for other procs go. */
  forwarder: MailboxSender;
  readonly muxer = new MailboxMuxer();
  private readonly roots = new Map<string, Instance>();
  /** Every live instance (roots, children, clients) by actor id key. */
  private readonly live = new Map<string, Instance>();
  private readonly usedNames = new Set<string>();
  private readonly nextPid = new Map<string, number>();
  private coordinator: SupervisionCoordinator | undefined;
  private exitHook: ExitHook = defaultExit;
  private stopped = false;

  constructor(id: ProcId, forwarder: MailboxSender = UNROUTABLE) {
    super();
    this.id = id;
    this.forwarder = forwarder;
  }

  /** Installs the supervision coordinator that receives failures of root actors. */
  setSupervisionCoordinator(c: SupervisionCoordinator | undefined): void {
    this.coordinator = c;
  }

  /** Replaces `process.exit` for "let it crash" failures (tests). */
  setExitHook(hook: ExitHook): void {
    this.exitHook = hook;
  }

  // --- routing -------------------------------------------------------------------------------

  postUnchecked(env: MessageEnvelope, returnHandle: ReturnHandle): void {
    const p = env.dest.actor.proc;
    if (p === this.id || p.key === this.id.key) this.muxer.post(env, returnHandle);
    else this.forwarder.post(env, returnHandle);
  }

  /**
   * `DirectRouter`: for an actor of this proc bound in the muxer, `this.post(env)` is the proc hop,
   * the muxer hop, then the bound sender's `post` — as long as neither this proc's nor the muxer's
   * routing is overridden (checked on every call: subclasses and patched instances fall back).
   */
  directRoute(dest: ActorId): MailboxSender | undefined {
    const p = dest.proc;
    if (p !== this.id && p.key !== this.id.key) return undefined;
    if (this.postUnchecked !== PROC_POST_UNCHECKED || !hasStandardPost(this)) return undefined;
    const mux = this.muxer;
    if (mux.postUnchecked !== MUXER_POST_UNCHECKED || !hasStandardPost(mux)) return undefined;
    return mux.get(dest);
  }

  // --- spawning ------------------------------------------------------------------------------

  /** Spawns a root actor named `name`; resolves once constructed (init runs in the actor loop). */
  async spawn<A extends Actor<any, any>>(name: string, cls: ActorClass<A>, params: ParamsOf<A>): Promise<ActorHandle<A>> {
    checkClass(cls);
    if (this.stopped) throw new ProcActorSpawnError('ProcStopped', name, `proc ${this.id} is stopped`);
    if (this.usedNames.has(name)) {
      throw new ProcActorSpawnError('DuplicateActorName', name, `an actor with name '${name}' has already been spawned in proc ${this.id}`);
    }
    const id = new ActorId(this.id, name, 0); // validates the name
    this.usedNames.add(name);
    const inst = new Instance(this, id, undefined, false);
    try {
      await this.construct(inst, cls, params);
    } catch (e) {
      this.usedNames.delete(name);
      throw e;
    }
    this.roots.set(name, inst);
    return new ActorHandle<A>(inst);
  }

  /** Spawns a child of `parent` (pid from the root's counter). */
  async spawnChild<A extends Actor<any, any>>(parent: Instance, cls: ActorClass<A>, params: ParamsOf<A>, _name?: string): Promise<ActorHandle<A>> {
    checkClass(cls);
    if (isGoing(parent)) {
      throw new ProcActorSpawnError('ProcStopped', parent.self.name, `cannot spawn a child of ${parent.self}: it is ${parent.status.kind}`);
    }
    const rootName = parent.self.name;
    const pid = this.nextPid.get(rootName) ?? 1;
    this.nextPid.set(rootName, pid + 1);
    const id = parent.self.child(pid);
    const inst = new Instance(this, id, parent, false);
    await this.construct(inst, cls, params);
    parent.children.set(pid, inst);
    if (isGoing(parent)) {
      // The parent stopped while the child was being created: do not leave an orphan.
      inst.signalStop(2);
    }
    return new ActorHandle<A>(inst);
  }

  private async construct<A extends Actor<any, any>>(inst: Instance, cls: ActorClass<A>, params: ParamsOf<A>): Promise<void> {
    let actor: A;
    try {
      actor = cls.create !== undefined ? await cls.create(params) : new cls(params);
    } catch (e) {
      throw new ProcActorSpawnError(
        'ActorCreationFailed',
        inst.self.name,
        `creating actor ${inst.self} (${cls.typeName}) failed: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    const handlers = (actor as { handlers?: unknown } | null)?.handlers;
    if (typeof handlers !== 'object' || handlers === null) {
      throw new ProcActorSpawnError('ActorCreationFailed', inst.self.name, `${cls.typeName} has no handlers table (an object of message type → handler)`);
    }
    for (const [type, h] of Object.entries(handlers)) {
      if (typeof h !== 'function') {
        throw new ProcActorSpawnError('ActorCreationFailed', inst.self.name, `${cls.typeName}: handler for '${type}' is a ${typeof h}, expected a function`);
      }
    }
    inst.attach(actor);
    this.muxer.bind(inst.self, inst.mailbox);
    this.live.set(inst.self.key, inst);
    inst.start();
  }

  /**
   * Spawns a registered actor type from serialized params (Monarch's `gspawn`). Throws
   * `ActorTypeNotRegistered`, `ProcActorSpawnError('InvalidParams')` or the spawn errors.
   */
  async spawnByName(typeName: string, name: string, paramsBytes: Uint8Array): Promise<ActorId> {
    const cls = actorClassByName(typeName);
    const params = decodeParams(typeName, paramsBytes);
    const h = await this.spawn(name, cls, params as never);
    return h.actorId;
  }

  /** A client instance: a context with no handler loop (status `Client`). */
  instance(name: string): Instance {
    if (this.usedNames.has(name)) {
      throw new ProcActorSpawnError('DuplicateActorName', name, `an actor with name '${name}' has already been spawned in proc ${this.id}`);
    }
    const id = new ActorId(this.id, name, 0);
    this.usedNames.add(name);
    const inst = new Instance(this, id, undefined, true);
    this.muxer.bind(id, inst.mailbox);
    this.roots.set(name, inst);
    this.live.set(id.key, inst);
    return inst;
  }

  /** Drains and stops a root actor; resolves with its terminal status. */
  stopActor(name: string | ActorId): Promise<ActorStatus> | undefined {
    const inst = this.roots.get(typeof name === 'string' ? name : name.name);
    if (inst === undefined) return undefined;
    if (inst.actor === undefined) return inst.stopClient().then(() => inst.status);
    inst.signalStop(1);
    return inst.statusCell.terminal();
  }

  /**
   * A local handle to a live actor of this proc, or undefined if unknown, stopped, a client, or
   * (when `cls` is given) not an instance of `cls`.
   */
  lookup<A extends Actor<any, any>>(id: ActorId, cls?: ActorClass<A>): ActorHandle<A> | undefined {
    const inst = this.live.get(id.key);
    if (inst === undefined || inst.actor === undefined) return undefined;
    if (cls !== undefined && !(inst.actor instanceof cls)) return undefined;
    return new ActorHandle<A>(inst);
  }

  /** Live root instances (ledger snapshot). */
  rootActors(): ActorId[] {
    return [...this.roots.values()].map((i) => i.self);
  }

  /**
   * Stops every root actor (and so their children) and waits up to `timeoutMs`; returns which
   * stopped and which did not finish in time ("aborted": abandoned, their mailboxes closed).
   */
  async destroyAndWait(timeoutMs: number, except?: Instance): Promise<{ stopped: ActorId[]; aborted: ActorId[] }> {
    this.stopped = true;
    const insts = [...this.roots.values()].filter((i) => i !== except);
    const stopped: ActorId[] = [];
    const aborted: ActorId[] = [];
    await Promise.all(
      insts.map(async (inst) => {
        if (inst.actor === undefined) {
          await inst.stopClient();
          stopped.push(inst.self);
          return;
        }
        inst.signalStop(2);
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([
          inst.statusCell.terminal().then(() => true),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
        ]);
        clearTimeout(timer);
        if (done) stopped.push(inst.self);
        else {
          inst.mailbox.close();
          aborted.push(inst.self);
        }
      }),
    );
    return { stopped, aborted };
  }

  // --- bookkeeping called by instances ------------------------------------------------------

  /** An instance stopped: unbind its mailbox (later envelopes are undeliverable). */
  detach(inst: Instance): void {
    this.muxer.unbind(inst.self);
    this.live.delete(inst.self.key);
    if (inst.parent === undefined && this.roots.get(inst.self.name) === inst) this.roots.delete(inst.self.name);
  }

  /** A root actor failed. */
  reportToCoordinator(ev: ActorSupervisionEvent): void {
    const c = this.coordinator;
    if (c === undefined) {
      this.crash(ev, `proc ${this.id} has no supervision coordinator`);
      return;
    }
    try {
      c(ev);
    } catch (e) {
      this.crash(ev, `the supervision coordinator of proc ${this.id} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** "Let it crash": a failure nobody can take. */
  crash(ev: ActorSupervisionEvent, reason: string): void {
    this.exitHook(1, ev, reason);
  }
}

const PROC_POST_UNCHECKED = Proc.prototype.postUnchecked;
const MUXER_POST_UNCHECKED = MailboxMuxer.prototype.postUnchecked;

/** True once an instance is stopping or terminated. */
function isGoing(inst: Instance): boolean {
  const k = inst.status.kind;
  return k === 'Stopping' || k === 'Stopped' || k === 'Failed';
}

function checkClass(cls: ActorClass<any>): void {
  if (typeof cls !== 'function') throw new InvalidActorClass(String(cls));
  if (typeof cls.typeName !== 'string' || cls.typeName === '') throw new InvalidActorClass((cls as { name?: string }).name ?? 'anonymous class');
}
