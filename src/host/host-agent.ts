/**
 * `HostAgent`: the actor a worker runs in its `service` proc (Monarch's `HostAgent`). It starts
 * procs for clients (`SpawnProcs`: one child process per proc, through a `ProcessAllocator`),
 * reports their deaths and output back to the client, stops them (`StopProcs`), reaps the procs
 * of clients that went silent, and shuts the worker down (`ShutdownHost`).
 *
 * Invariants:
 * - Procs belong to a host mesh (the name every request carries); `StopProcs` and the orphan
 *   reaper touch that host mesh's procs only, so other clients on the same worker are untouched
 *   (docs/architecture.md HOST-3).
 * - A proc death is reported (`ProcStopped` on the spawn's `events` port) for every proc that
 *   stopped without being asked to; a proc stopped by request is not reported.
 * - Every started proc is bound in the worker's gateway (its proc id → its local socket) while it
 *   runs, and unbound when it stops, so traffic from other machines reaches it through the
 *   worker's one port.
 * - Orphans: a host mesh whose client sent no `Keepalive` for its `orphanTimeoutMs` has its procs
 *   stopped (Monarch's `MESH_ORPHAN_TIMEOUT` reaper); the worker keeps running for other clients.
 * - Handlers never wait for procs to start or stop: each request runs as its own task and
 *   answers on its reply port, so a slow spawn never delays a keepalive.
 */
import { hostname } from 'node:os';
import { Actor, type Handlers } from '../actor/actor.js';
import type { Context } from '../actor/instance.js';
import type { ProcId } from '../core/ids.js';
import type { ConfigSnapshot } from '../core/config.js';
import { Extent } from '../ndslice/extent.js';
import { ProcessAllocator, initialize, type AllocatedProc, type ProcessAlloc, type ProcState } from '../mesh/alloc/index.js';
import { COMM_ACTOR_MODULE } from '../mesh/comm-actor.js';
import type { HostAgentMessage, HostInfo, Keepalive, SetClientConfig, ShutdownHost, SpawnProcs, SpawnedProc, StopProcs } from './protocol.js';
import { PROTOCOL_VERSION } from './protocol.js';

/** What the worker gives its agent (the agent runs in the worker's process). */
export interface HostServices {
  /** The worker's advertised address. */
  readonly addr: string;
  readonly incarnation: string;
  readonly version: string;
  /** Modules every proc imports (`actormesh worker --modules`). */
  readonly modules: readonly string[];
  /** Environment for every proc (the mesh secret). */
  readonly procEnv: Readonly<Record<string, string>>;
  bindProc(procId: ProcId, addr: string): void;
  unbindProc(procId: ProcId): void;
  /** Ends the worker process with `code` once the reply has left. */
  exit(code: number): void;
  log(line: string): void;
}

/** Lines of proc output sent in one `Logs` event at most; and how often pending lines leave. */
const LOG_BATCH_LINES = 500;
const LOG_FLUSH_MS = 50;

interface ProcGroup {
  readonly procMesh: string;
  readonly alloc: ProcessAlloc;
  procs: AllocatedProc[];
  readonly indexOfKey: Map<string, number>;
  readonly events: SpawnProcs['events'];
  stopping: Promise<number> | undefined;
  unwatch: (() => void) | undefined;
  logs: Array<readonly [number, 0 | 1, string]>;
  logTimer: NodeJS.Timeout | undefined;
}

interface HostMeshEntry {
  readonly name: string;
  config: ConfigSnapshot;
  orphanTimeoutMs: number;
  lastKeepalive: number;
  readonly groups: Map<string, ProcGroup>;
}

export class HostAgent extends Actor<HostServices, HostAgentMessage> {
  static readonly typeName = 'actormesh.HostAgent';
  private readonly meshes = new Map<string, HostMeshEntry>();
  private reaper: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(private readonly host: HostServices) {
    super();
  }

  override init(cx: Context): void {
    this.reaper = setInterval(() => this.reapOrphans(cx), 500);
    this.reaper.unref();
  }

  readonly handlers: Handlers<HostAgentMessage> = {
    SetClientConfig: (cx, m) => this.setClientConfig(cx, m),
    SpawnProcs: (cx, m) => void this.spawnProcs(cx, m),
    StopProcs: (cx, m) => void this.stopProcs(cx, m),
    Keepalive: (cx, m: Keepalive) => {
      const now = Date.now();
      for (const name of m.hostMeshes) {
        const e = this.meshes.get(name);
        if (e !== undefined) e.lastKeepalive = now;
      }
      if (m.reply !== null) reply(cx, m.reply, now);
    },
    ShutdownHost: (cx, m) => void this.shutdownHost(cx, m),
  };

  private setClientConfig(cx: Context, m: SetClientConfig): void {
    let e = this.meshes.get(m.hostMesh);
    if (e === undefined) this.meshes.set(m.hostMesh, (e = { name: m.hostMesh, config: {}, orphanTimeoutMs: 0, lastKeepalive: Date.now(), groups: new Map() }));
    e.config = m.config;
    e.orphanTimeoutMs = m.orphanTimeoutMs;
    e.lastKeepalive = Date.now();
    if (m.protocol !== PROTOCOL_VERSION) this.host.log(`client of host mesh ${m.hostMesh} speaks protocol ${m.protocol}, this worker ${PROTOCOL_VERSION}`);
    const info: HostInfo = {
      addr: this.host.addr,
      pid: process.pid,
      version: this.host.version,
      protocol: PROTOCOL_VERSION,
      incarnation: this.host.incarnation,
      hostname: hostname(),
    };
    reply(cx, m.reply, info);
  }

  private async spawnProcs(cx: Context, m: SpawnProcs): Promise<void> {
    const e = this.meshes.get(m.hostMesh);
    if (this.shuttingDown) return reply(cx, m.reply, { ok: false, error: `worker ${this.host.addr} is shutting down` });
    if (e === undefined)
      return reply(cx, m.reply, { ok: false, error: `host mesh ${m.hostMesh} is not attached to worker ${this.host.addr} (no SetClientConfig)` });
    if (e.groups.has(m.procMesh)) return reply(cx, m.reply, { ok: false, error: `proc mesh ${m.procMesh} already exists on worker ${this.host.addr}` });
    if (!Number.isSafeInteger(m.count) || m.count < 1) return reply(cx, m.reply, { ok: false, error: `count must be a positive integer, got ${m.count}` });
    let group: ProcGroup | undefined;
    const allocator = new ProcessAllocator({
      configSnapshot: e.config,
      env: { ...this.host.procEnv },
      ...(m.forwardLogs
        ? { output: (index: number, stream: 'stdout' | 'stderr', lines: string[]) => group !== undefined && this.queueLogs(cx, group, index, stream, lines) }
        : {}),
    });
    let alloc: ProcessAlloc;
    try {
      alloc = await allocator.allocate({
        extent: Extent.from({ procs: m.count }),
        transport: 'unix',
        modules: [COMM_ACTOR_MODULE, ...this.host.modules, ...m.modules],
      });
    } catch (err) {
      return reply(cx, m.reply, { ok: false, error: `starting ${m.count} procs failed: ${(err as Error).message}` });
    }
    const pids = new Map<string, number>();
    group = {
      procMesh: m.procMesh,
      alloc,
      procs: [],
      indexOfKey: new Map(),
      events: m.events,
      stopping: undefined,
      unwatch: undefined,
      logs: [],
      logTimer: undefined,
    };
    const g = group;
    e.groups.set(m.procMesh, g);
    g.unwatch = alloc.watch((ev: ProcState) => {
      if (ev.kind === 'Created') {
        pids.set(ev.createKey.toString(), ev.pid);
        g.indexOfKey.set(ev.createKey.toString(), ev.point.rank);
      } else if (ev.kind === 'Stopped') {
        const index = g.indexOfKey.get(ev.createKey.toString());
        const p = index !== undefined ? g.procs[index] : undefined;
        if (p !== undefined) this.host.unbindProc(p.procId);
        if (index !== undefined && g.stopping === undefined) {
          this.flushLogs(cx, g);
          send(cx, g.events, { type: 'ProcStopped', procMesh: g.procMesh, index, reason: ev.reason });
        }
      }
    });
    try {
      g.procs = await initialize(alloc);
    } catch (err) {
      g.stopping = Promise.resolve(0);
      await alloc.stopAndWait().catch(() => undefined);
      g.unwatch?.();
      e.groups.delete(m.procMesh);
      return reply(cx, m.reply, { ok: false, error: `procs of ${m.procMesh} did not start on ${this.host.addr}: ${(err as Error).message}` });
    }
    for (const p of g.procs) this.host.bindProc(p.procId, p.addr);
    const procs: SpawnedProc[] = g.procs.map((p) => ({ procId: p.procId, agent: p.agent.actorId, pid: pids.get(p.createKey.toString()) ?? -1 }));
    reply(cx, m.reply, { ok: true, procs });
  }

  private queueLogs(cx: Context, g: ProcGroup, index: number, stream: 'stdout' | 'stderr', lines: string[]): void {
    const s = stream === 'stdout' ? 0 : 1;
    for (const l of lines) g.logs.push([index, s, l] as const);
    if (g.logs.length >= LOG_BATCH_LINES) this.flushLogs(cx, g);
    else if (g.logTimer === undefined) {
      g.logTimer = setTimeout(() => this.flushLogs(cx, g), LOG_FLUSH_MS);
      g.logTimer.unref();
    }
  }

  private flushLogs(cx: Context, g: ProcGroup): void {
    if (g.logTimer !== undefined) clearTimeout(g.logTimer);
    g.logTimer = undefined;
    while (g.logs.length > 0) send(cx, g.events, { type: 'Logs', procMesh: g.procMesh, lines: g.logs.splice(0, LOG_BATCH_LINES) });
  }

  /** Stops one proc group (idempotent); resolves with the number of procs it had. */
  private stopGroup(cx: Context, e: HostMeshEntry, g: ProcGroup): Promise<number> {
    g.stopping ??= (async () => {
      await g.alloc.stopAndWait().catch(() => undefined);
      this.flushLogs(cx, g);
      g.unwatch?.();
      for (const p of g.procs) this.host.unbindProc(p.procId);
      e.groups.delete(g.procMesh);
      return g.procs.length;
    })();
    return g.stopping;
  }

  private async stopMesh(cx: Context, e: HostMeshEntry, procMesh: string | null): Promise<number> {
    const groups = [...e.groups.values()].filter((g) => procMesh === null || g.procMesh === procMesh);
    const counts = await Promise.all(groups.map((g) => this.stopGroup(cx, e, g)));
    return counts.reduce((a, b) => a + b, 0);
  }

  private async stopProcs(cx: Context, m: StopProcs): Promise<void> {
    const e = this.meshes.get(m.hostMesh);
    const n = e === undefined ? 0 : await this.stopMesh(cx, e, m.procMesh);
    if (e !== undefined && m.procMesh === null) this.meshes.delete(m.hostMesh);
    reply(cx, m.reply, n);
  }

  private reapOrphans(cx: Context): void {
    const now = Date.now();
    for (const e of [...this.meshes.values()]) {
      if (e.orphanTimeoutMs <= 0 || now - e.lastKeepalive <= e.orphanTimeoutMs) continue;
      this.meshes.delete(e.name);
      const n = [...e.groups.values()].reduce((a, g) => a + g.procs.length, 0);
      this.host.log(`stopping ${n} orphaned procs of host mesh ${e.name}: no keepalive from its client for ${now - e.lastKeepalive} ms`);
      void this.stopMesh(cx, e, null);
    }
  }

  private async shutdownHost(cx: Context, m: ShutdownHost): Promise<void> {
    this.shuttingDown = true;
    if (this.reaper !== undefined) clearInterval(this.reaper);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.meshes.values()].map((e) => this.stopMesh(cx, e, null))),
      new Promise<void>((r) => (timer = setTimeout(r, Math.max(1, m.timeoutMs)))),
    ]);
    clearTimeout(timer);
    this.meshes.clear();
    reply(cx, m.ack, process.pid);
    this.host.exit(0);
  }

  /** Stops every proc (the worker is exiting: SIGTERM, or the end of `startWorker().stop()`). */
  async stopAll(cx: Context): Promise<void> {
    this.shuttingDown = true;
    if (this.reaper !== undefined) clearInterval(this.reaper);
    await Promise.all([...this.meshes.values()].map((e) => this.stopMesh(cx, e, null)));
    this.meshes.clear();
  }

  /** Never fail the agent for a reply or event whose client is gone. */
  override handleUndeliverable(): void {}
}

function send<T>(cx: Context, port: { send(cx: Context, msg: T, opts?: { returnUndeliverable?: boolean }): void }, msg: T): void {
  try {
    port.send(cx, msg, { returnUndeliverable: false });
  } catch {
    /* the client is gone: nothing to tell */
  }
}

const reply = send;
