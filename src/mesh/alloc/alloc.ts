/**
 * The allocation interface (Monarch hyperactor_mesh/src/alloc.rs `Allocator`, `Alloc`): an `Allocator` turns an `AllocSpec` into an
 * `Alloc`, a stream of `ProcState` events as procs come up, run and stop.
 *
 * Invariants:
 * - Events of one proc are monotone: `Created` → `Running` → `Stopped` (a proc may skip
 *   `Running`). `Failed` is alloc-wide and may be followed by more events.
 * - `next()` resolves `null` once the alloc is stopped and every proc has reported `Stopped`;
 *   after that it resolves `null` forever.
 * - `initialize(alloc)` returns the procs in **rank order** (rank = the `Created` point's rank),
 *   or throws an `AllocatorError`; it never returns a partial allocation.
 */
import type { ActorRef } from '../../actor/refs.js';
import type { Actor } from '../../actor/actor.js';
import type { ProcId, WorldId } from '../../core/ids.js';
import type { ShortUuid } from '../../core/name.js';
import type { Transport } from '../../channel/addr.js';
import type { Extent } from '../../ndslice/extent.js';
import type { Point } from '../../ndslice/point.js';
import { encode } from '../../core/codec.js';
import { ActormeshError } from '../../base/errors.js';

/** Registry type name of the agent an alloc spawns in every proc unless the spec names another. */
export const DEFAULT_AGENT_TYPE = 'ProcMeshAgent';
/** Actor name of the agent in alloc-booted procs (Monarch's v0 `mesh`). */
export const DEFAULT_AGENT_NAME = 'mesh';

/** What to allocate. */
export interface AllocSpec {
  /** One proc per point. */
  readonly extent: Extent;
  /** Transport the procs serve on (`local` only for `LocalAlloc`). */
  readonly transport: Transport;
  /** If set, procs are Direct-addressed `Direct(addr, procName)` instead of `Ranked(world, rank)`. */
  readonly procName?: string;
  /** Registry type name of the agent spawned in each proc (default `ProcMeshAgent`). */
  readonly agentType?: string;
  /** Actor name of the agent (default `mesh`). */
  readonly agentName?: string;
  /** Params of the agent (serialized with the payload codec; default `undefined`). */
  readonly agentParams?: unknown;
  /**
   * Extra module URLs (or bare specifiers) that child procs `import()` before spawning anything,
   * in addition to the modules recorded by `registerActor(Class, { module: import.meta.url })`.
   */
  readonly modules?: readonly string[];
}

/** Why a proc stopped (Monarch's `ProcStopReason`). */
export type ProcStopReason =
  | { readonly kind: 'Stopped' }
  | { readonly kind: 'Exited'; readonly code: number; readonly stderrTail: readonly string[] }
  | { readonly kind: 'Killed'; readonly signal: number; readonly coreDumped: boolean }
  | { readonly kind: 'Watchdog' }
  | { readonly kind: 'HostWatchdog' }
  | { readonly kind: 'Unknown' };

export const ProcStopReason = {
  stopped: (): ProcStopReason => ({ kind: 'Stopped' }),
  exited: (code: number, stderrTail: readonly string[] = []): ProcStopReason => ({ kind: 'Exited', code, stderrTail }),
  killed: (signal: number, coreDumped = false): ProcStopReason => ({ kind: 'Killed', signal, coreDumped }),
  watchdog: (): ProcStopReason => ({ kind: 'Watchdog' }),
  hostWatchdog: (): ProcStopReason => ({ kind: 'HostWatchdog' }),
  unknown: (): ProcStopReason => ({ kind: 'Unknown' }),
  /** Monarch's variant form: `Stopped`, `Exited(3)`, `Killed(9)`, `Watchdog`, `HostWatchdog`, `Unknown`. */
  label(r: ProcStopReason): string {
    switch (r.kind) {
      case 'Exited':
        return `Exited(${r.code})`;
      case 'Killed':
        return `Killed(${r.signal}${r.coreDumped ? ', core dumped' : ''})`;
      default:
        return r.kind;
    }
  },
  /** Human-readable form, e.g. `exited with code 3: <last stderr lines>` or `killed by signal 9`. */
  format(r: ProcStopReason): string {
    switch (r.kind) {
      case 'Stopped':
        return 'stopped';
      case 'Exited':
        return r.stderrTail.length > 0 ? `exited with code ${r.code}; last stderr lines:\n${r.stderrTail.join('\n')}` : `exited with code ${r.code}`;
      case 'Killed':
        return `killed by signal ${r.signal}${r.coreDumped ? ' (core dumped)' : ''}`;
      case 'Watchdog':
        return 'proc watchdog failure (did not exit in time after stop, was signalled)';
      case 'HostWatchdog':
        return 'host watchdog failure (lost contact with the host)';
      case 'Unknown':
        return 'unknown';
    }
  },
} as const;

/** One event of an alloc's stream. */
export type ProcState =
  | { readonly kind: 'Created'; readonly createKey: ShortUuid; readonly point: Point; readonly pid: number }
  | {
      readonly kind: 'Running';
      readonly createKey: ShortUuid;
      readonly procId: ProcId;
      /** The proc's agent (spawned by registry type name `spec.agentType`). */
      readonly agent: ActorRef<Actor<any, any>>;
      /** Canonical channel address the proc is served on (bind `procId → addr` to reach it). */
      readonly addr: string;
    }
  | { readonly kind: 'Stopped'; readonly createKey: ShortUuid; readonly reason: ProcStopReason }
  | { readonly kind: 'Failed'; readonly worldId: WorldId; readonly description: string };

/** Human-readable one-line form of an event. */
export function formatProcState(e: ProcState): string {
  switch (e.kind) {
    case 'Created':
      return `Created(${e.createKey}, point ${e.point}, pid ${e.pid})`;
    case 'Running':
      return `Running(${e.createKey}, ${e.procId} at ${e.addr}, agent ${e.agent.actorId})`;
    case 'Stopped':
      return `Stopped(${e.createKey}, ${ProcStopReason.format(e.reason)})`;
    case 'Failed':
      return `Failed(${e.worldId}: ${e.description})`;
  }
}

/** A stream of proc events for one allocation. Iterating it calls `next()` until `null`. */
export interface Alloc extends AsyncIterable<ProcState> {
  /** The next event; `null` once stopped and drained (and forever after). One caller at a time. */
  next(): Promise<ProcState | null>;
  readonly spec: AllocSpec;
  readonly extent: Extent;
  /** The alloc name: ranked procs are `worldId[rank]`. */
  readonly worldId: WorldId;
  readonly transport: Transport;
  /** True when the procs live in this process. */
  readonly isLocal: boolean;
  /**
   * True when several procs are reached at one address (procs behind a worker's port): one proc's
   * death then says nothing about the link to that address. Default false (one address per proc).
   */
  readonly procsShareAddresses?: boolean;
  /** Requests a stop: every proc then reports `Stopped`, then `next()` gives `null`. Idempotent. */
  stop(): Promise<void>;
  /** `stop()` and drain events until `null`. */
  stopAndWait(): Promise<void>;
  /**
   * Optional: calls `f` synchronously with every event from now on, as the alloc emits it, in
   * order, independently of whoever consumes `next()` (a proc death reaches watchers at once,
   * not when the consumer gets to it). Returns a function that stops the watch.
   */
  watch?(f: (e: ProcState) => void): () => void;
}

export interface Allocator {
  /** Starts an allocation; returns at once (procs come up as the alloc is polled). */
  allocate(spec: AllocSpec): Promise<Alloc>;
}

/** A proc that reached `Running`, as returned by `initialize`. */
export interface AllocatedProc {
  readonly createKey: ShortUuid;
  readonly procId: ProcId;
  readonly addr: string;
  readonly agent: ActorRef<Actor<any, any>>;
  /** Rank in the alloc extent (= index in `initialize`'s result). */
  readonly rank: number;
}

/** Allocation failures (Monarch's `AllocatorError`). */
export class AllocatorError extends ActormeshError<'AllocatorError', 'Incomplete' | 'NotEnoughResources' | 'Other'> {
  constructor(variant: 'Incomplete' | 'NotEnoughResources' | 'Other', message: string, options?: { cause?: unknown }) {
    super('AllocatorError', variant, message, options);
  }
}

/** The alloc ended before every rank was running. */
export class AllocIncompleteError extends AllocatorError {
  readonly extent: Extent;
  readonly running: number;
  constructor(extent: Extent, running: number) {
    super('Incomplete', `allocation of extent ${extent} ended with ${running} of ${extent.numRanks} procs running; expected all ${extent.numRanks} to run`);
    this.extent = extent;
    this.running = running;
  }
}

/** The allocator cannot provide that many procs. */
export class NotEnoughResourcesError extends AllocatorError {
  readonly requested: number;
  readonly available: number;
  constructor(requested: number, available: number) {
    super('NotEnoughResources', `not enough resources: requested ${requested} procs, ${available} available`);
    this.requested = requested;
    this.available = available;
  }
}

/** Any other allocation failure (bad spec, a proc stopped or the alloc failed during initialization). */
export class AllocOtherError extends AllocatorError {
  /** The event that failed the initialization, if any. */
  readonly event: ProcState | undefined;
  constructor(message: string, event?: ProcState, options?: { cause?: unknown }) {
    super('Other', message, options);
    this.event = event;
  }
}

/**
 * Consumes events until all `extent.numRanks` ranks are `Running` and returns them in rank order
 * (Monarch's `AllocExt::initialize`). A `Stopped` or `Failed` event during initialization throws
 * `AllocOtherError`; the end of the stream throws `AllocIncompleteError`. On error the alloc is
 * left as is: the caller should `stopAndWait()` it.
 */
export async function initialize(alloc: Alloc): Promise<AllocatedProc[]> {
  const n = alloc.extent.numRanks;
  const rankOf = new Map<string, number>();
  const out: Array<AllocatedProc | undefined> = new Array(n).fill(undefined);
  let running = 0;
  while (running < n) {
    const e = await alloc.next();
    if (e === null) throw new AllocIncompleteError(alloc.extent, running);
    switch (e.kind) {
      case 'Created':
        rankOf.set(e.createKey.toString(), e.point.rank);
        break;
      case 'Running': {
        const rank = rankOf.get(e.createKey.toString());
        if (rank === undefined) {
          throw new AllocOtherError(`proc ${e.procId} is running under create key ${e.createKey}, which no Created event announced`, e);
        }
        if (out[rank] === undefined) running++;
        out[rank] = { createKey: e.createKey, procId: e.procId, addr: e.addr, agent: e.agent, rank };
        break;
      }
      case 'Stopped':
        throw new AllocOtherError(`a proc (create key ${e.createKey}) stopped during initialization: ${ProcStopReason.format(e.reason)}`, e);
      case 'Failed':
        throw new AllocOtherError(`allocation ${e.worldId} failed during initialization: ${e.description}`, e);
    }
  }
  return out as AllocatedProc[];
}

/** Checks an `AllocSpec` (typed errors naming what was wrong and what was expected). */
export function validateSpec(spec: AllocSpec, allowed: readonly Transport[]): void {
  if (typeof spec !== 'object' || spec === null) throw new AllocOtherError(`invalid alloc spec ${String(spec)}: expected an object {extent, transport}`);
  if (spec.extent === undefined || typeof (spec.extent as Extent).numRanks !== 'number') {
    throw new AllocOtherError(`invalid alloc spec: extent ${String(spec.extent)} is not an Extent; expected e.g. Extent.from({ replica: 4 })`);
  }
  if (!allowed.includes(spec.transport)) {
    throw new AllocOtherError(
      `invalid alloc spec: transport ${JSON.stringify(spec.transport)} is not supported by this allocator; expected one of ${allowed.join(', ')}`,
    );
  }
  if (spec.procName !== undefined && (typeof spec.procName !== 'string' || spec.procName === '')) {
    throw new AllocOtherError(`invalid alloc spec: procName ${JSON.stringify(spec.procName)}; expected a non-empty string`);
  }
  if (spec.agentType !== undefined && (typeof spec.agentType !== 'string' || spec.agentType === '')) {
    throw new AllocOtherError(`invalid alloc spec: agentType ${JSON.stringify(spec.agentType)}; expected a registered actor type name`);
  }
  if (spec.modules !== undefined && (!Array.isArray(spec.modules) || spec.modules.some((m) => typeof m !== 'string' || m === ''))) {
    throw new AllocOtherError(`invalid alloc spec: modules must be an array of module URLs or specifiers`);
  }
}

/** The spec's `agentParams` encoded for the procs' agents; `AllocOtherError` when they cannot be serialized. */
export function encodeAgentParams(spec: AllocSpec): Uint8Array {
  try {
    return encode(spec.agentParams, 'params');
  } catch (e) {
    throw new AllocOtherError(`invalid alloc spec: agentParams cannot be serialized: ${(e as Error).message}`, undefined, { cause: e });
  }
}
