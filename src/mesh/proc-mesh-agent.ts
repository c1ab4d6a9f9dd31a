/**
 * `ProcMeshAgent`: the per-proc agent of an allocated proc mesh (Monarch hyperactor_mesh/src/proc_mesh/mesh_agent.rs `ProcMeshAgent`). Allocs spawn
 * it by registry type name `ProcMeshAgent` in every proc they boot.
 *
 * Invariants:
 * - `Configure` is accepted once; it installs the proc's routing (address book + fallback to the
 *   mesh owner's forwarder address) and answers the rank on `configured`. A second Configure is
 *   answered with `-1` and changes nothing.
 * - Resources are kept by name forever (`Stop` only marks them stopped), so `CreateOrUpdate` is
 *   idempotent by name.
 * - The agent is its proc's supervision coordinator: it records every root-actor failure and,
 *   once any is recorded, refuses new spawns ("Cannot spawn new actors on mesh with supervision
 *   events"). It never crashes the proc for a child failure.
 * - Replies go through ports with `returnUndeliverable = false`: a vanished asker never fails the
 *   agent.
 * - In a child process (`exitOnStopAll`) the link to the mesh owner (the forwarder, i.e. the
 *   parent process that allocated this proc) has no delivery timeout: this process lives exactly
 *   as long as its parent (child-bootstrap.ts), so a parent that does not acknowledge for a while is
 *   busy, not gone, and replies to it must wait rather than be dropped with the link.
 */
import type { ActorId, ProcId } from '../core/ids.js';
import { STOP_ACTOR_TIMEOUT, config } from '../core/config.js';
import { Actor, type Handlers } from '../actor/actor.js';
import type { Context, Instance } from '../actor/instance.js';
import type { PortRef } from '../actor/refs.js';
import { registerActor } from '../actor/registry.js';
import type { ActorSupervisionEvent } from '../actor/supervision.js';
import { DialMailboxRouter, globalRouter } from '../mailbox/routers.js';
import { MailboxClient } from '../mailbox/client.js';
import { BaseMailboxSender, type MailboxSender, QueueingSender } from '../mailbox/sender.js';
import type { MessageEnvelope, ReturnHandle } from '../mailbox/envelope.js';
import { Status, StatusOverlay } from '../valuemesh/index.js';
import type { ActorState, CreateOrUpdate, GetRankStatus, GetState, Stop, StopAll, SupervisionEventInfo } from './resource.js';
import { ProcMeshAgentError } from './errors.js';
// Side effects: the codec classes of the replies (Status, StatusOverlay) must exist in every
// process that runs an agent, or replies would lose their classes on the wire.
import './resource.js';
import '../mailbox/status-accum.js';

/** Configure the agent (once): rank, the owner's forwarder address, and the mesh address book. */
export interface Configure {
  readonly type: 'Configure';
  /** This proc's rank in the alloc. */
  readonly rank: number;
  /** Channel address of the mesh owner's proc (fallback route for everything not in the book). */
  readonly forwarder: string;
  /** `[proc id, channel address]` pairs of procs to route directly. */
  readonly addressBook: ReadonlyArray<readonly [ProcId, string]>;
  /** Answered with this proc's rank (or -1 if already configured). */
  readonly configured: PortRef<number>;
  /** Record supervision events instead of exiting the process (always true in v1). */
  readonly recordSupervisionEvents: boolean;
  /** `StopAll` exits the process afterwards (child processes); in-process procs just destroy. */
  readonly exitOnStopAll: boolean;
}

/** `(rank, true)` once configured (Monarch's v0 `MeshAgentMessage::Status`). */
export interface AgentStatus {
  readonly type: 'AgentStatus';
  readonly reply: PortRef<readonly [number, boolean]>;
}

export type ProcMeshAgentMessage = Configure | AgentStatus | CreateOrUpdate | Stop | StopAll | GetState | GetRankStatus;

interface ResourceEntry {
  readonly createRank: number;
  readonly spawn: { ok: true; actorId: ActorId } | { ok: false; error: string };
  stopped: boolean;
}

/** Sends to in-process procs through the global router, everything else to the owner's forwarder. */
class FallbackSender extends BaseMailboxSender {
  constructor(
    private readonly router: DialMailboxRouter,
    private readonly forwarderAddr: string,
  ) {
    super();
  }
  postUnchecked(env: MessageEnvelope, rh: ReturnHandle): void {
    if (globalRouter.route(env.dest.actor) !== undefined) {
      globalRouter.postUnchecked(env, rh);
      return;
    }
    let c: MailboxSender;
    try {
      c = this.router.clientFor(this.forwarderAddr);
    } catch (e) {
      env.fail('Unroutable', `cannot dial the mesh forwarder ${this.forwarderAddr}: ${(e as Error).message}`, rh);
      return;
    }
    c.postUnchecked(env, rh);
  }
}

const NO_EVENTS: readonly SupervisionEventInfo[] = Object.freeze([]);

export class ProcMeshAgent extends Actor<unknown, ProcMeshAgentMessage> {
  static readonly typeName = 'ProcMeshAgent';

  private rank: number | undefined;
  private recordEvents = true;
  private exitOnStopAll = false;
  private readonly resources = new Map<string, ResourceEntry>();
  /** Recorded supervision events by actor id key. */
  private readonly events = new Map<string, SupervisionEventInfo[]>();
  private eventCount = 0;
  /** Channel clients this agent's router dialed (closed when the agent stops). */
  private readonly clients: MailboxClient[] = [];

  constructor(_params: unknown) {
    super();
  }

  override init(cx: Context): void {
    cx.proc.setSupervisionCoordinator((ev) => this.onSupervisionEvent(ev));
  }

  /** Whether this proc has recorded any supervision event. */
  get hasSupervisionEvents(): boolean {
    return this.eventCount > 0;
  }

  private onSupervisionEvent(ev: ActorSupervisionEvent): void {
    if (!this.recordEvents) throw new ProcMeshAgentError('SupervisionEvents', `unrecorded supervision event: ${ev}`);
    const key = ev.actorId.key;
    const info: SupervisionEventInfo = { actorId: String(ev.actorId), status: 'Failed', message: ev.toString() };
    const list = this.events.get(key);
    if (list === undefined) this.events.set(key, [info]);
    else list.push(info);
    this.eventCount++;
  }

  readonly handlers: Handlers<ProcMeshAgentMessage> = {
    Configure: (cx, m) => this.configure(cx, m),
    AgentStatus: (cx, m) => {
      reply(cx, m.reply, [this.rank ?? -1, this.rank !== undefined] as const);
    },
    CreateOrUpdate: (cx, m) => this.createOrUpdate(cx, m),
    Stop: (cx, m) => this.stop(cx, m),
    StopAll: (cx) => this.stopAll(cx),
    GetRankStatus: (cx, m) => {
      const e = this.resources.get(m.name);
      const overlay = e === undefined ? new StatusOverlay() : StatusOverlay.single(m.rank?.value ?? e.createRank, this.statusOf(e));
      reply(cx, m.reply, overlay);
    },
    GetState: (cx, m) => {
      const e = this.resources.get(m.name);
      if (e === undefined) {
        reply(cx, m.reply, { name: m.name, status: Status.NotExist, state: undefined, rank: m.rank?.value });
        return;
      }
      const status = this.statusOf(e);
      if (!e.spawn.ok) {
        reply(cx, m.reply, { name: m.name, status, state: undefined, rank: m.rank?.value });
        return;
      }
      const state: ActorState = {
        actorId: e.spawn.actorId,
        createRank: e.createRank,
        supervisionEvents: [...(this.events.get(e.spawn.actorId.key) ?? NO_EVENTS)],
      };
      reply(cx, m.reply, { name: m.name, status, state, rank: m.rank?.value });
    },
  };

  private configure(cx: Context, m: Configure): void {
    if (this.rank !== undefined) {
      reply(cx, m.configured, -1);
      return;
    }
    const ownerIsParent = m.exitOnStopAll;
    const router = new DialMailboxRouter({
      directAddressedRemoteOnly: true,
      dialer: (addr) => {
        const c = MailboxClient.dial(addr, ownerIsParent && addr === m.forwarder ? { deliveryTimeoutMs: Number.POSITIVE_INFINITY } : {});
        this.clients.push(c);
        return c;
      },
    });
    router.defaultSender = new FallbackSender(router, m.forwarder);
    for (const [key, addr] of m.addressBook) router.bind(key, addr);
    const fwd = cx.proc.forwarder;
    if (fwd instanceof QueueingSender) {
      if (!fwd.configure(router)) {
        reply(cx, m.configured, -1);
        return;
      }
    } else {
      cx.proc.forwarder = router;
    }
    this.rank = m.rank;
    this.recordEvents = m.recordSupervisionEvents;
    this.exitOnStopAll = m.exitOnStopAll;
    reply(cx, m.configured, m.rank);
  }

  private async createOrUpdate(cx: Context, m: CreateOrUpdate): Promise<void> {
    if (this.resources.has(m.name)) return;
    const rank = m.rank?.value ?? this.rank ?? 0;
    if (this.eventCount > 0) {
      this.resources.set(m.name, { createRank: rank, spawn: { ok: false, error: 'Cannot spawn new actors on mesh with supervision events' }, stopped: false });
      return;
    }
    // Reserve the name before awaiting so a duplicate CreateOrUpdate stays a no-op.
    const entry: ResourceEntry = { createRank: rank, spawn: { ok: false, error: 'spawn in progress' }, stopped: false };
    this.resources.set(m.name, entry);
    try {
      const id = await cx.proc.spawnByName(m.spec.actorType, m.name, m.spec.paramsData);
      (entry as { spawn: ResourceEntry['spawn'] }).spawn = { ok: true, actorId: id };
    } catch (e) {
      (entry as { spawn: ResourceEntry['spawn'] }).spawn = { ok: false, error: rootMessage(e) };
    }
  }

  private async stop(cx: Context, m: Stop): Promise<void> {
    const e = this.resources.get(m.name);
    if (e === undefined || !e.spawn.ok || e.stopped) return;
    e.stopped = true;
    const done = cx.proc.stopActor(e.spawn.actorId);
    if (done === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, config.get(STOP_ACTOR_TIMEOUT))))]);
    clearTimeout(timer);
  }

  private async stopAll(cx: Context): Promise<void> {
    for (const e of this.resources.values()) e.stopped = true;
    const self = cx as Instance;
    let code = 0;
    try {
      const r = await cx.proc.destroyAndWait(config.get(STOP_ACTOR_TIMEOUT), self);
      if (r.aborted.length > 0) code = 1;
    } catch {
      code = 1;
    }
    if (this.exitOnStopAll) process.exit(code);
    cx.stop();
  }

  /** Running / Stopped / Failed(spawn error) / Failed(because of supervision events: …). */
  private statusOf(e: ResourceEntry): Status {
    if (!e.spawn.ok) return Status.failed(e.spawn.error);
    if (e.stopped) return Status.Stopped;
    const evs = this.events.get(e.spawn.actorId.key);
    if (evs === undefined || evs.length === 0) return Status.Running;
    return Status.failed(`because of supervision events: [${evs.map((x) => x.message).join('; ')}]`);
  }

  /** Closes the channel clients dialed for this proc (they would keep the process alive). */
  override async cleanup(): Promise<void> {
    const cs = this.clients.splice(0);
    await Promise.all(cs.map((c) => c.close().catch(() => undefined)));
  }

  /** Never fail the agent for a reply that bounced. */
  override handleUndeliverable(): void {}
}

// Registered with this module's URL so child procs (ProcessAlloc) import it before spawning agents.
registerActor(ProcMeshAgent, { module: import.meta.url });

function reply<T>(cx: Context, port: { send(cx: Context, msg: T, opts?: { returnUndeliverable?: boolean }): void }, msg: T): void {
  try {
    port.send(cx, msg, { returnUndeliverable: false });
  } catch (e) {
    console.warn(`actormesh: ProcMeshAgent ${cx.self}: reply failed: ${(e as Error).message}`);
  }
}

/** The innermost message of a spawn error: the constructor's own error text ("test failure"). */
function rootMessage(e: unknown): string {
  let cur: unknown = e;
  if (cur instanceof Error && (cur as { variant?: string }).variant === 'ActorCreationFailed' && cur.cause !== undefined) cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}

/** URL of this module: child procs must import it (allocs do so for registered actor modules). */
export const PROC_MESH_AGENT_MODULE: string = import.meta.url;

/** The agent's registry type name (what allocs spawn in every proc). */
export const PROC_MESH_AGENT_TYPE = ProcMeshAgent.typeName;
