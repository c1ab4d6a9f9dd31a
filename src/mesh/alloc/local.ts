/**
 * `LocalAllocator` / `LocalAlloc` (Monarch hyperactor_mesh/src/alloc/local.rs): every proc lives in this process, served
 * on a channel of the spec transport (`local`, `unix` or `tcp`) and registered in the
 * process-global router; each proc's agent is spawned by registry type name.
 *
 * Invariants:
 * - Booting starts at the first `next()`. Ranks are booted in order 0..n-1, each emitting `Created` (pid = this process) then `Running`.
 *   A boot failure emits `Failed` and the alloc parks (boots nothing more) until stopped.
 * - `stop()` waits for an in-flight boot, then stops each live proc in rank order (stop serving,
 *   `destroyAndWait`), emitting `Stopped(Stopped)` for each, then ends the stream.
 * - A proc reports `Stopped` at most once (a `chaosMonkey` kill is not reported again at stop).
 */
import { WorldId } from '../../core/ids.js';
import { ShortUuid } from '../../core/name.js';
import type { Transport } from '../../channel/addr.js';
import type { Extent } from '../../ndslice/extent.js';
import {
  type Alloc,
  type AllocSpec,
  type Allocator,
  type ProcState,
  DEFAULT_AGENT_NAME,
  DEFAULT_AGENT_TYPE,
  encodeAgentParams,
  ProcStopReason,
  validateSpec,
} from './alloc.js';
import { bootProc, type BootedProc } from './proc-boot.js';
import { EventQueue } from './event-queue.js';

/** How long a stopping proc's actors get to drain (Monarch uses 10 ms for local procs). */
const LOCAL_DESTROY_TIMEOUT_MS = 10;

export class LocalAllocator implements Allocator {
  async allocate(spec: AllocSpec): Promise<LocalAlloc> {
    return new LocalAlloc(spec);
  }
}

interface LiveProc {
  readonly createKey: ShortUuid;
  readonly booted: BootedProc;
}

export class LocalAlloc implements Alloc {
  readonly spec: AllocSpec;
  readonly extent: Extent;
  readonly worldId: WorldId;
  readonly transport: Transport;
  readonly isLocal = true;
  private readonly events = new EventQueue<ProcState>();
  /** Live procs by rank. */
  private readonly live = new Map<number, LiveProc>();
  private stopRequested = false;
  private readonly params: Uint8Array;
  /** Set by the first `next()`: procs come up as the alloc is polled (Monarch's lazy start). */
  private booting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(spec: AllocSpec) {
    validateSpec(spec, ['local', 'unix', 'tcp']);
    this.spec = spec;
    this.extent = spec.extent;
    this.transport = spec.transport;
    this.worldId = new WorldId(ShortUuid.generate().toString());
    this.params = encodeAgentParams(spec);
  }

  private async bootAll(params: Uint8Array): Promise<void> {
    const n = this.extent.numRanks;
    for (let rank = 0; rank < n && !this.stopRequested; rank++) {
      const createKey = ShortUuid.generate();
      this.events.push({ kind: 'Created', createKey, point: this.extent.pointOfRank(rank), pid: process.pid });
      let booted: BootedProc;
      try {
        booted = await bootProc({
          world: this.worldId,
          rank,
          ...(this.spec.procName !== undefined ? { procName: this.spec.procName } : {}),
          transport: this.transport,
          agentType: this.spec.agentType ?? DEFAULT_AGENT_TYPE,
          agentName: this.spec.agentName ?? DEFAULT_AGENT_NAME,
          agentParams: params,
        });
      } catch (e) {
        this.events.push({ kind: 'Failed', worldId: this.worldId, description: `booting rank ${rank} failed: ${(e as Error).message ?? String(e)}` });
        return; // park until stop
      }
      this.live.set(rank, { createKey, booted });
      this.events.push({ kind: 'Running', createKey, procId: booted.procId, agent: booted.agent, addr: booted.addr });
    }
  }

  next(): Promise<ProcState | null> {
    if (this.booting === undefined && !this.stopRequested) this.booting = this.bootAll(this.params);
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
    this.stopRequested = true;
    this.stopping ??= (async () => {
      await this.booting;
      for (const rank of [...this.live.keys()].sort((a, b) => a - b)) {
        await this.stopRank(rank, ProcStopReason.stopped());
      }
      this.events.close();
    })();
    return Promise.resolve();
  }

  async stopAndWait(): Promise<void> {
    await this.stop();
    while ((await this.next()) !== null) {
      /* drain */
    }
    await this.stopping;
  }

  /**
   * Test hook (Monarch's `chaos_monkey`): stops the proc of `rank` now and reports it `Stopped`
   * with `reason` (default `Killed(9)`). Returns false if that rank is not running.
   */
  async chaosMonkey(rank: number, reason: ProcStopReason = ProcStopReason.killed(9)): Promise<boolean> {
    if (!this.live.has(rank)) return false;
    await this.stopRank(rank, reason);
    return true;
  }

  /** The in-process proc of `rank`, if running (local allocs only). */
  procOf(rank: number): BootedProc | undefined {
    return this.live.get(rank)?.booted;
  }

  private async stopRank(rank: number, reason: ProcStopReason): Promise<void> {
    const p = this.live.get(rank);
    if (p === undefined) return;
    this.live.delete(rank);
    await p.booted.stop(LOCAL_DESTROY_TIMEOUT_MS);
    this.events.push({ kind: 'Stopped', createKey: p.createKey, reason });
  }
}
