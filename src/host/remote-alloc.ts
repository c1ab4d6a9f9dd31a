/**
 * `RemoteAlloc`: the procs of one proc mesh spread over the workers of a host mesh, as an `Alloc`
 * (so `AllocatedProcMesh.allocate`, casting and supervision work on it unchanged). The client casts
 * `SpawnProcs` to each worker's host agent; rank `h * perHost + i` is proc `i` of host `h`
 * (extent `{hosts: N, ...perHost}`).
 *
 * Invariants:
 * - Every proc's address is a route behind its worker's port (`procRoute`: `tcp:W:P/proc/<id>`),
 *   which the worker relays to the proc (channel/relay.ts): everything still enters the machine
 *   through the worker's one port, and the session runs end to end between client and proc
 *   (docs/architecture.md HOST-1).
 * - Each proc reports `Stopped` exactly once: when its worker says it died (`ProcStopped` with
 *   the reason), when its host is lost (`HostWatchdog`, for every proc of that host at once), or
 *   when the alloc is stopped (`Stopped`). The stream ends after `stop()` once every proc did.
 * - A failure to start on any host fails the whole allocation (`Failed` naming each failing host
 *   and why); the procs started elsewhere are stopped by the caller's `stopAndWait()`.
 * - Stopping never hangs on a dead host: `StopProcs` waits at most `stopTimeoutMs` per host.
 */
import type { Context } from '../actor/instance.js';
import { ActorRef } from '../actor/refs.js';
import { WorldId } from '../core/ids.js';
import { ShortUuid } from '../core/name.js';
import type { Extent } from '../ndslice/extent.js';
import { type Alloc, type AllocSpec, type ProcState, ProcStopReason } from '../mesh/alloc/alloc.js';
import { EventQueue } from '../mesh/alloc/event-queue.js';
import type { PortReceiver } from '../mailbox/receiver.js';
import { hostAgentId, procRoute, type HostEvent, type SpawnedProc, type SpawnProcsReply } from './protocol.js';

export interface RemoteAllocSpec {
  readonly cx: Context;
  readonly hostMesh: string;
  readonly procMesh: string;
  /** Canonical worker addresses, in host-rank order; `hostRanks[j]` is host j's rank in the root host mesh. */
  readonly hosts: readonly string[];
  readonly hostRanks: readonly number[];
  /** `{hosts: N, ...perHost}`. */
  readonly extent: Extent;
  readonly perHost: number;
  readonly modules: readonly string[];
  readonly forwardLogs: boolean;
  /** Receives proc output lines: (rank in this alloc, stream, text). */
  readonly onLogs?: (rank: number, stream: 'stdout' | 'stderr', text: string) => void;
  /** How long a host may take to start its procs. */
  readonly spawnTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** Calls `f` with the reason when a message to the worker at `addr` bounces; returns an unsubscribe. */
  readonly onBounce?: (addr: string, f: (why: string) => void) => () => void;
}

interface RemoteProc {
  readonly createKey: ShortUuid;
  readonly host: number;
  stopped: boolean;
}

export class RemoteAlloc implements Alloc {
  readonly spec: AllocSpec;
  readonly extent: Extent;
  readonly worldId: WorldId;
  readonly transport = 'tcp' as const;
  readonly isLocal = false;
  /** Each proc has its own (routed) address: a proc's death ends only its own link. */
  readonly procsShareAddresses = false;
  private readonly events = new EventQueue<ProcState>();
  private readonly procs: RemoteProc[] = [];
  /** One events port per host (a worker's events name its procs by their index on that host). */
  private readonly eventPorts: Array<PortReceiver<HostEvent>> = [];
  private stopping: Promise<void> | undefined;
  private readonly lostHosts = new Set<number>();
  /** Per host while its `SpawnProcs` is unanswered: fails it now (host lost). */
  private readonly spawnFailers: Array<((error: string) => void) | undefined> = [];
  private endNow!: () => void;
  /** Resolves once the alloc is stopped (every proc reported `Stopped`). */
  readonly ended = new Promise<void>((r) => (this.endNow = r));

  constructor(private readonly s: RemoteAllocSpec) {
    this.extent = s.extent;
    this.worldId = new WorldId(s.procMesh);
    this.spec = { extent: s.extent, transport: 'tcp', modules: s.modules };
    void this.start();
  }

  private async start(): Promise<void> {
    const { cx, hosts, perHost } = this.s;
    const results = await Promise.all(
      hosts.map(async (addr, h) => {
        const [eh, erx] = cx.openPort<HostEvent>('HostEvent');
        erx.background = true;
        this.eventPorts[h] = erx;
        void this.pumpEvents(h, erx);
        const [ph, prx] = cx.openOncePort<SpawnProcsReply>('SpawnProcsReply');
        new ActorRef<never>(hostAgentId(addr)).send(cx, {
          type: 'SpawnProcs',
          hostMesh: this.s.hostMesh,
          procMesh: this.s.procMesh,
          hostRank: this.s.hostRanks[h]!,
          count: perHost,
          modules: this.s.modules,
          events: eh.bind(),
          forwardLogs: this.s.forwardLogs,
          reply: ph.bind(),
        } as never);
        let unbounce: (() => void) | undefined;
        const r = await new Promise<SpawnProcsReply>((resolve) => {
          this.spawnFailers[h] = (error) => resolve({ ok: false, error });
          unbounce = this.s.onBounce?.(addr, (why) => resolve({ ok: false, error: `the request bounced: ${why}` }));
          prx
            .recv(this.s.spawnTimeoutMs)
            .then(resolve, (e: unknown) => resolve({ ok: false, error: `no answer within ${this.s.spawnTimeoutMs} ms (${(e as Error).message})` }));
          if (this.lostHosts.has(h)) resolve({ ok: false, error: 'the host was lost' });
        }).finally(() => {
          this.spawnFailers[h] = undefined;
          unbounce?.();
        });
        return { addr, h, r };
      }),
    );
    const failures = results.filter((x) => !x.r.ok || x.r.procs.length !== perHost);
    if (failures.length > 0) {
      const lines = failures.map((x) => `  - ${x.addr}: ${x.r.ok ? `started ${x.r.procs.length} of ${perHost} procs` : x.r.error}`);
      this.events.push({ kind: 'Failed', worldId: this.worldId, description: `spawning procs failed on ${failures.length} host(s):\n${lines.join('\n')}` });
      return;
    }
    for (const x of results) if (x.r.ok) this.record(x.h, x.addr, x.r.procs);
  }

  private record(h: number, addr: string, procs: readonly SpawnedProc[]): void {
    procs.forEach((p, i) => {
      const rank = h * this.s.perHost + i;
      const createKey = ShortUuid.generate();
      this.procs[rank] = { createKey, host: h, stopped: false };
      this.events.push({ kind: 'Created', createKey, point: this.extent.pointOfRank(rank), pid: p.pid });
      this.events.push({ kind: 'Running', createKey, procId: p.procId, agent: new ActorRef(p.agent), addr: procRoute(addr, p.procId) });
    });
    if (this.lostHosts.has(h)) this.hostLost(h);
  }

  private async pumpEvents(h: number, rx: PortReceiver<HostEvent>): Promise<void> {
    for (;;) {
      let e: HostEvent;
      try {
        e = await rx.recv();
      } catch {
        return;
      }
      if (e.type === 'ProcStopped') this.stopProc(h * this.s.perHost + e.index, e.reason);
      else if (this.s.onLogs !== undefined)
        for (const [i, stream, text] of e.lines) this.s.onLogs(h * this.s.perHost + i, stream === 0 ? 'stdout' : 'stderr', text);
    }
  }

  private stopProc(rank: number, reason: ProcStopReason): void {
    const p = this.procs[rank];
    if (p === undefined || p.stopped) return;
    p.stopped = true;
    this.events.push({ kind: 'Stopped', createKey: p.createKey, reason });
  }

  /** Host `h` is gone: every proc on it stopped (`HostWatchdog`). */
  hostLost(h: number, why = 'the host was lost'): void {
    this.lostHosts.add(h);
    this.spawnFailers[h]?.(why);
    for (let i = 0; i < this.s.perHost; i++) this.stopProc(h * this.s.perHost + i, ProcStopReason.hostWatchdog());
  }

  next(): Promise<ProcState | null> {
    return this.events.next();
  }
  watch(f: (e: ProcState) => void): () => void {
    return this.events.watch(f);
  }
  async *[Symbol.asyncIterator](): AsyncIterator<ProcState> {
    for (;;) {
      const e = await this.next();
      if (e === null) return;
      yield e;
    }
  }

  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      const { cx, hosts } = this.s;
      await Promise.all(
        hosts.map(async (addr, h) => {
          if (this.lostHosts.has(h)) return;
          const [ph, prx] = cx.openOncePort<number>('StopProcsReply');
          new ActorRef<never>(hostAgentId(addr)).send(cx, {
            type: 'StopProcs',
            hostMesh: this.s.hostMesh,
            procMesh: this.s.procMesh,
            reply: ph.bind(),
          } as never);
          await prx.recv(this.s.stopTimeoutMs).catch(() => undefined);
        }),
      );
      for (let r = 0; r < this.procs.length; r++) this.stopProc(r, ProcStopReason.stopped());
      for (const rx of this.eventPorts) rx?.close();
      this.events.close();
      this.endNow();
    })());
  }

  async stopAndWait(): Promise<void> {
    await this.stop();
    while ((await this.next()) !== null) {
      /* drain */
    }
  }
}
