/**
 * The host-agent protocol (Monarch's `HostAgent` messages, `hyperactor_mesh/src/host_mesh/host_agent.rs`):
 * what a client says to the `host_agent` actor in the `service` proc of an `actormesh worker`.
 *
 * Invariants:
 * - The agent of a worker is always `Direct(<advertised worker address>, service).host_agent[0]`,
 *   so a client computes it from the address alone (`hostAgentId`).
 * - Every request carries the name of the host mesh it belongs to: procs are tagged with it, and
 *   `StopProcs` / keepalive expiry touch only that host mesh's procs (several clients and host
 *   meshes may share one worker) (docs/architecture.md HOST-3).
 * - `PROTOCOL_VERSION` changes whenever these messages change shape; a client and a worker with
 *   different protocol numbers refuse each other at attach (`ProtocolMismatch`), while a
 *   different package version is only a warning.
 */
import { ActorId, ProcId } from '../core/ids.js';
import { routeSegment } from '../core/addr.js';
import type { ConfigSnapshot } from '../core/config.js';
import type { PortRef } from '../actor/refs.js';
import type { ProcStopReason } from '../mesh/alloc/alloc.js';

/** Version of the messages below; attach refuses a worker speaking another one. */
export const PROTOCOL_VERSION = 1;

/** Proc name of a worker's service proc and actor name of its agent (Monarch's names). */
export const SERVICE_PROC_NAME = 'service';
export const HOST_AGENT_NAME = 'host_agent';

/** The host agent of the worker advertised at `addr` (canonical channel address). */
export function hostAgentId(addr: string): ActorId {
  return new ActorId(ProcId.direct(addr, SERVICE_PROC_NAME), HOST_AGENT_NAME, 0);
}

/** What a worker says about itself (reply to `SetClientConfig`). */
export interface HostInfo {
  /** The worker's advertised address. */
  readonly addr: string;
  readonly pid: number;
  /** Package version of the worker. */
  readonly version: string;
  readonly protocol: number;
  /** Random id of this worker process's life (a restarted worker has a new one). */
  readonly incarnation: string;
  readonly hostname: string;
}

/** Client → agent: install the client's configuration for a host mesh (Monarch `SetClientConfig`). */
export interface SetClientConfig {
  readonly type: 'SetClientConfig';
  readonly hostMesh: string;
  /** Config keys the client set (propagated to every proc spawned for this host mesh). */
  readonly config: ConfigSnapshot;
  readonly protocol: number;
  readonly version: string;
  /** Procs of this host mesh are reaped when no keepalive came for this long (0 = never). */
  readonly orphanTimeoutMs: number;
  readonly reply: PortRef<HostInfo>;
}

/** One proc a worker started for a `SpawnProcs`. */
export interface SpawnedProc {
  readonly procId: ProcId;
  readonly agent: ActorId;
  readonly pid: number;
}

export type SpawnProcsReply = { readonly ok: true; readonly procs: readonly SpawnedProc[] } | { readonly ok: false; readonly error: string };

/** Client → agent: start `count` procs of proc mesh `procMesh` (Monarch `SpawnProcs`). */
export interface SpawnProcs {
  readonly type: 'SpawnProcs';
  readonly hostMesh: string;
  readonly procMesh: string;
  /** This host's rank in the host mesh (for log prefixes). */
  readonly hostRank: number;
  readonly count: number;
  /** Modules every proc imports before spawning actors (besides the worker's `--modules`). */
  readonly modules: readonly string[];
  /** Where the worker reports proc deaths and forwards the procs' output. */
  readonly events: PortRef<HostEvent>;
  /** Forward the procs' stdout/stderr lines to `events` (else they go to the worker's own). */
  readonly forwardLogs: boolean;
  readonly reply: PortRef<SpawnProcsReply>;
}

/** Worker → client, on a `SpawnProcs`'s `events` port. */
export type HostEvent =
  | { readonly type: 'ProcStopped'; readonly procMesh: string; readonly index: number; readonly reason: ProcStopReason }
  | {
      readonly type: 'Logs';
      readonly procMesh: string;
      /** `[proc index on this host, 0 = stdout | 1 = stderr, line]`. */
      readonly lines: ReadonlyArray<readonly [number, 0 | 1, string]>;
    };

/** Client → agent: stop procs of a host mesh (one proc mesh, or all of them when `procMesh` is null). */
export interface StopProcs {
  readonly type: 'StopProcs';
  readonly hostMesh: string;
  readonly procMesh: string | null;
  /** Answered with the number of procs stopped. */
  readonly reply: PortRef<number>;
}

/** Client → agent: the client of `hostMesh` is alive (Monarch `KeepaliveGetState.expires_after`). */
export interface Keepalive {
  readonly type: 'Keepalive';
  /** The host meshes of this client on the worker (their orphan clocks restart). */
  readonly hostMeshes: readonly string[];
  /** Answered with the worker's clock: the client's proof that the worker is reachable and serving. */
  readonly reply: PortRef<number> | null;
}

/** Client → agent: stop every proc of every client, answer, then exit the worker with code 0. */
export interface ShutdownHost {
  readonly type: 'ShutdownHost';
  readonly timeoutMs: number;
  /** Answered with the worker's pid right before it exits. */
  readonly ack: PortRef<number>;
}

export type HostAgentMessage = SetClientConfig | SpawnProcs | StopProcs | Keepalive | ShutdownHost;

/** The route prefix of procs behind a worker's port: `tcp:W:P/proc/<proc id>`. */
const PROC_ROUTE = 'proc/';

/** The address a client binds proc `procId` of the worker at `workerAddr` to (relayed to the proc). */
export function procRoute(workerAddr: string, procId: ProcId): string {
  return `${workerAddr}/${PROC_ROUTE}${routeSegment(procId.toString())}`;
}

/** The proc a route names (`procRoute`), if it is one. */
export function procOfRoute(route: string): ProcId | undefined {
  if (!route.startsWith(PROC_ROUTE)) return undefined;
  try {
    return ProcId.parse(decodeURIComponent(route.slice(PROC_ROUTE.length)));
  } catch {
    return undefined;
  }
}
