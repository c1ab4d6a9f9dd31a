/**
 * Mesh supervision toward the owner (Monarch monarch_hyperactor/src/v1/actor_mesh.rs `actor_states_monitor`): failures of a mesh's actors or procs
 * become `MeshFailure`s delivered to the owner's handler, or else to the process-wide
 * `unhandledFaultHook` (default: print a clear message naming the actor, rank and error, then
 * exit the client with code 1).
 *
 * `MeshHealth` is the mesh's health state. Invariants:
 * - once a rank failed, every later cast or call on a region covering it throws
 *   `SupervisionError` before anything is sent, and every pending wait on such a region is
 *   rejected with it (fail fast, never hang) (docs/architecture.md MESH-4);
 * - a stopped mesh rejects everything with `SupervisionError` (variant `MeshStopped`);
 * - each (rank, kind) failure is reported to the owner once.
 *
 * `SupervisionMonitor` polls a state source (Monarch's 3 s `actor_states` monitor; the interval is
 * configurable) and feeds the health state; event sources (undeliverable casts, alloc events)
 * call `MeshHealth.fail` directly.
 *
 * Where a proc's death comes from: the process itself. The allocator observes a child's exit and
 * emits `Stopped{reason}` (e.g. `Killed(9)`); the mesh owner turns that into a `ProcStopped`
 * failure at once (`procStoppedFailure`, wired in api/host.ts). A poll that is not answered in
 * time is NOT a failure: a live proc under load answers late (its agent's mailbox is behind the
 * casts sent before the poll), so an unanswered poll only leaves a "slow" note on the health
 * state (`MeshHealth.slow`), cleared by the next answer (docs/architecture.md MESH-5).
 */
import { MeshError } from '../valuemesh/errors.js';
import type { Slice } from '../ndslice/slice.js';
import type { Context } from '../actor/instance.js';
import { Rank } from '../core/bindings.js';
import type { ProcMeshRef } from './proc-mesh.js';
import type { ActorState, GetState, State } from './resource.js';
import { ProcStopReason } from './alloc/alloc.js';
import './resource.js'; // registers the Status codec class the replies carry

export type MeshFailureKind = 'ActorFailed' | 'ActorStopped' | 'ProcStopped' | 'Undeliverable';

/** One failure of a mesh member, as reported to the owner. */
export class MeshFailure {
  constructor(
    readonly meshName: string,
    /** Rank in the whole actor mesh (undefined when unknown). */
    readonly rank: number | undefined,
    /** The failed actor (or proc) id. */
    readonly actorId: string,
    readonly kind: MeshFailureKind,
    /** The error text (or why the member is gone). */
    readonly error: string,
  ) {}

  toString(): string {
    const what =
      this.kind === 'ProcStopped'
        ? 'its proc died'
        : this.kind === 'ActorStopped'
          ? 'it stopped'
          : this.kind === 'Undeliverable'
            ? 'a message to it was undeliverable'
            : 'it failed';
    return `actor ${this.actorId} (rank ${this.rank ?? '?'} of mesh ${this.meshName}): ${what}: ${this.error}`;
  }
}

/** A cast, call or wait on a mesh whose members failed (or that was stopped). */
export class SupervisionError extends MeshError {
  readonly meshName: string;
  readonly failure: MeshFailure | undefined;
  constructor(meshName: string, failure: MeshFailure | undefined, variant: 'SupervisionError' | 'MeshStopped' = 'SupervisionError') {
    super(
      variant,
      failure === undefined
        ? `mesh ${meshName} is stopped; expected a live mesh (spawn a new one)`
        : `mesh ${meshName} is unhealthy: ${failure}; casts to members of a failed mesh fail fast`,
    );
    this.meshName = meshName;
    this.failure = failure;
  }
}

export type FaultHook = (failure: MeshFailure) => void;

const defaultFaultHook: FaultHook = (f) => {
  console.error(
    `actormesh: unhandled mesh failure: ${f}\nactormesh: exiting the client (set an onSupervise handler on the mesh owner, or setUnhandledFaultHook, to handle it)`,
  );
  process.exit(1);
};
let faultHook: FaultHook = defaultFaultHook;

/** Replaces the process-wide hook for failures no owner handled (returns the previous one). */
export function setUnhandledFaultHook(hook: FaultHook | undefined): FaultHook {
  const prev = faultHook;
  faultHook = hook ?? defaultFaultHook;
  return prev;
}

/** Calls the unhandled-fault hook. */
export function unhandledFault(f: MeshFailure): void {
  faultHook(f);
}

/** An owner's supervision handler: return true when handled (else the unhandled hook runs). */
export type SuperviseHandler = (failure: MeshFailure) => boolean | void;

interface Waiter {
  readonly slice: Slice | undefined;
  readonly reject: (e: Error) => void;
  /** Message type of the cast being waited on (for bounces). */
  readonly typeName: string | undefined;
}

/** A cast to a member came back undeliverable (e.g. no such endpoint, or the actor is gone). */
export class CastUndeliverableError extends MeshError {
  readonly meshName: string;
  readonly dest: string;
  readonly typeName: string;
  constructor(meshName: string, typeName: string, dest: string, reason: string) {
    super(
      'CastUndeliverable',
      `a cast of ${typeName} to ${dest} (mesh ${meshName}) was undeliverable: ${reason}; expected an actor of the mesh with a handler for ${typeName} (is the endpoint name right?)`,
    );
    this.meshName = meshName;
    this.dest = dest;
    this.typeName = typeName;
  }
}

export class MeshHealth {
  readonly meshName: string;
  /** Actor root base rank → first failure. */
  private readonly failed = new Map<number, MeshFailure>();
  private readonly waiters = new Set<Waiter>();
  private readonly reported = new Set<string>();
  private stoppedFlag = false;
  /** Owner notification (set by the mesh owner). */
  supervise: SuperviseHandler | undefined;
  /** Every failure ever recorded, in order. */
  readonly failures: MeshFailure[] = [];
  /**
   * Members whose proc did not answer the latest supervision poll in time (base rank → note).
   * Informational only: a slow member is not a failed one.
   */
  readonly slow = new Map<number, string>();

  constructor(meshName: string) {
    this.meshName = meshName;
  }

  get healthy(): boolean {
    return this.failed.size === 0 && !this.stoppedFlag;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** The first failure among the members of `slice` (all members when undefined). */
  failureIn(slice: Slice | undefined): MeshFailure | undefined {
    if (slice === undefined) return this.failed.values().next().value;
    for (const [b, f] of this.failed) if (slice.contains(b)) return f;
    return undefined;
  }

  /** Throws `SupervisionError` if the mesh is stopped or a member of `slice` failed. */
  check(slice: Slice | undefined): void {
    if (this.stoppedFlag) throw new SupervisionError(this.meshName, undefined, 'MeshStopped');
    const f = this.failureIn(slice);
    if (f !== undefined) throw new SupervisionError(this.meshName, f);
  }

  /**
   * Records failures of `baseRanks` (actor root base ranks); rejects affected waits; notifies the
   * owner once per (rank, kind). Returns true if anything new was recorded.
   */
  fail(baseRanks: readonly number[], failure: MeshFailure): boolean {
    let fresh = false;
    for (const b of baseRanks) {
      if (!this.failed.has(b)) {
        this.failed.set(b, failure);
        fresh = true;
      }
    }
    if (!fresh) return false;
    this.failures.push(failure);
    for (const w of [...this.waiters]) {
      if (w.slice === undefined || baseRanks.some((b) => w.slice!.contains(b))) {
        this.waiters.delete(w);
        w.reject(new SupervisionError(this.meshName, failure));
      }
    }
    const key = `${failure.rank}|${failure.kind}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      let handled = false;
      try {
        handled = this.supervise?.(failure) === true;
      } catch (e) {
        console.error(`actormesh: the supervision handler of mesh ${this.meshName} threw: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!handled) unhandledFault(failure);
    }
    return true;
  }

  /** Records (or, with `note` undefined, clears) the "slow" note of `baseRanks`. */
  noteSlow(baseRanks: readonly number[], note: string | undefined): void {
    for (const b of baseRanks) {
      if (note === undefined) this.slow.delete(b);
      else this.slow.set(b, note);
    }
  }

  /** Marks the mesh stopped: pending waits reject with `SupervisionError('MeshStopped')`. */
  markStopped(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    for (const w of [...this.waiters]) w.reject(new SupervisionError(this.meshName, undefined, 'MeshStopped'));
    this.waiters.clear();
  }

  /**
   * A cast of `typeName` bounced: rejects the waits on that message type, only those whose slice
   * holds `baseRank` when the bounced member is known (a late bounce from a member outside a
   * call's slice, e.g. an old message to a proc that died since, never fails that call).
   */
  bounced(typeName: string, dest: string, reason: string, baseRank?: number): void {
    for (const w of [...this.waiters]) {
      if (w.typeName === typeName && (baseRank === undefined || w.slice === undefined || w.slice.contains(baseRank))) {
        this.waiters.delete(w);
        w.reject(new CastUndeliverableError(this.meshName, typeName, dest, reason));
      }
    }
  }

  /** Registers a pending wait on `slice` (for casts of `typeName`); returns its unregister function. */
  watch(slice: Slice | undefined, reject: (e: Error) => void, typeName?: string): () => void {
    const w: Waiter = { slice, reject, typeName };
    this.waiters.add(w);
    return () => void this.waiters.delete(w);
  }
}

/** One observation of a member's state by a monitor poll. */
export interface MemberState {
  /** Actor root base ranks the observation covers (one rank, or every member of a proc). */
  readonly baseRanks: readonly number[];
  readonly failure: MeshFailure | undefined;
  /** Set when the proc did not answer in time: a note, not a failure (see the module doc). */
  readonly slow?: string;
}

/**
 * Polls `poll()` every `intervalMs` (default 3 s, Monarch's monitor) and records failures in
 * `health`. Poll errors are ignored (the next poll retries). `stop()` ends it.
 */
export class SupervisionMonitor {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stoppedFlag = false;
  constructor(
    private readonly health: MeshHealth,
    private readonly poll: () => Promise<MemberState[]>,
    readonly intervalMs = 3000,
  ) {}

  start(): this {
    this.schedule();
    return this;
  }

  private schedule(): void {
    if (this.stoppedFlag) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  /** One poll now (also used by tests). */
  async tick(): Promise<void> {
    if (this.busy || this.stoppedFlag) return this.schedule();
    this.busy = true;
    try {
      const states = await this.poll();
      if (!this.stoppedFlag) {
        for (const s of states) {
          if (s.failure !== undefined) this.health.fail(s.baseRanks, s.failure);
          else this.health.noteSlow(s.baseRanks, s.slow);
        }
      }
    } catch {
      /* transient: next poll */
    } finally {
      this.busy = false;
      this.schedule();
    }
  }

  stop(): void {
    this.stoppedFlag = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

// --- polling a proc mesh ----------------------------------------------------------------------

/** Base ranks of the `perProc` members of proc `procRank` (member j at `procRank * perProc + j`). */
function membersOfProc(procRank: number, perProc: number): number[] {
  return Array.from({ length: perProc }, (_, j) => procRank * perProc + j);
}

/**
 * The failure of every member of proc `procRank` (`perProc` members each) when its process
 * stopped: kind `ProcStopped`, the error naming the stop reason in Monarch's form
 * (`Killed(9)`, `Exited(1)`, ...) and in words.
 */
export function procStoppedFailure(
  meshName: string,
  procRank: number,
  perProc: number,
  procId: string,
  reason: ProcStopReason,
  pid?: number,
): { baseRanks: number[]; failure: MeshFailure } {
  const baseRanks = membersOfProc(procRank, perProc);
  const who = pid !== undefined && pid > 0 ? `its process (pid ${pid})` : 'its process';
  const text = `${who} stopped: ${ProcStopReason.label(reason)}: ${ProcStopReason.format(reason)}`;
  return { baseRanks, failure: new MeshFailure(meshName, baseRanks[0], procId, 'ProcStopped', text) };
}

/**
 * One poll of the states of the actors `names[j]` (member j of every proc) on the root proc mesh
 * `ref`: asks every agent directly and waits at most `timeoutMs`. A `Failed` actor is reported as
 * `ActorFailed` with its recorded supervision events, a stopped or vanished one as
 * `ActorStopped`. A proc whose agent does not answer in time is only noted `slow` (no failure):
 * proc deaths come from the alloc's `Stopped` events (see the module doc).
 */
export async function pollActorStates(cx: Context, ref: ProcMeshRef, meshName: string, names: readonly string[], timeoutMs: number): Promise<MemberState[]> {
  const perProc = names.length;
  const n = ref.ranks.length;
  const [h, rx] = cx.openPort<State<ActorState>>('MonitorState');
  const reply = h.bind().withReturnUndeliverable(false);
  const got = new Map<number, State<ActorState>>();
  const byName = new Map(names.map((nm, j) => [nm, j]));
  try {
    for (let i = 0; i < n; i++) {
      for (const name of names) {
        const msg: GetState = { type: 'GetState', name, reply, rank: new Rank(i) };
        ref.ranks[i]!.agent.send(cx, msg as never, { returnUndeliverable: false });
      }
    }
    const deadline = Date.now() + timeoutMs;
    while (got.size < n * perProc) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let s: State<ActorState>;
      try {
        s = await rx.recv(left);
      } catch {
        break;
      }
      const j = byName.get(s.name);
      const i = s.rank;
      if (j === undefined || i === undefined || i < 0 || i >= n) continue;
      got.set(i * perProc + j, s);
    }
  } finally {
    rx.close();
  }
  const out: MemberState[] = [];
  for (let i = 0; i < n; i++) {
    const ranks = membersOfProc(i, perProc);
    if (ranks.every((b) => !got.has(b))) {
      out.push({
        baseRanks: ranks,
        failure: undefined,
        slow: `the agent of proc ${ref.ranks[i]!.procId} did not answer a supervision poll within ${timeoutMs} ms (busy or slow; a dead process is reported by its allocator)`,
      });
      continue;
    }
    for (const b of ranks) {
      const s = got.get(b);
      if (s === undefined) continue;
      const actor = s.state?.actorId !== undefined ? String(s.state.actorId) : `${ref.ranks[i]!.procId}.${names[b % perProc]}[0]`;
      if (s.status.kind === 'Failed') {
        const ev = s.state?.supervisionEvents[0];
        const text = ev?.message ?? String(s.status);
        // Keep the root cause ("… The error was: <message>") rather than the whole event text.
        const cause = /The error was: ([\s\S]*)$/.exec(text)?.[1] ?? text;
        out.push({ baseRanks: [b], failure: new MeshFailure(meshName, b, ev?.actorId ?? actor, 'ActorFailed', cause) });
      } else if (s.status.isTerminating() || s.status.isNotExist()) {
        out.push({ baseRanks: [b], failure: new MeshFailure(meshName, b, actor, 'ActorStopped', `status ${s.status}`) });
      } else out.push({ baseRanks: [b], failure: undefined });
    }
  }
  return out;
}
