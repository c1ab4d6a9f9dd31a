/**
 * Accumulators and comm reducers (Monarch hyperactor/src/accum.rs; hyperactor_mesh/src/v1/value_mesh.rs `ValueOverlayReducer`).
 *
 * A `StateAccumulator<S, U>` folds updates into a state: `accumulate` may mutate `state` in place and
 * returns the state to keep (numbers are returned, meshes mutated). A `CommReducer<U>` combines
 * two updates into one (left fold over a split port's buffer).
 *
 * The status accumulator keeps its state as dense interned codes in WASM memory and an exact,
 * incrementally maintained count of NotExist ranks: at most one kernel call per overlay (never one
 * per rank; single-rank replies are stored from JS, see kernels.ts), O(1) completion check,
 * O(covered ranks) per update. Snapshots (`snapshot()`) are encoded to runs in one kernel call
 * only when someone asks, instead of a clone of the whole state per update.
 */
import type { Region } from '../ndslice/index.js';
import { OutOfBounds, ReducerOperandMismatch } from './errors.js';
import { DenseCodeState, type CodeRuns } from './kernels.js';
import { Status, StatusCode } from './status.js';
import { StatusMesh, StatusOverlay, StatusTable, type StatusSnapshot } from './status-mesh.js';
import { ValueMesh } from './value-mesh.js';
import type { ValueOverlay } from './value-overlay.js';

export interface StateAccumulator<S, U> {
  /** The initial state (Rust `State::default()`). */
  init(): S;
  /** Folds `update` into `state`; returns the state to keep (the same object when mutated). */
  accumulate(state: S, update: U): S;
}

export interface CommReducer<U> {
  reduce(left: U, right: U): U;
}

type Num = number | bigint;

function sameKind(a: Num, b: Num): void {
  const ta = typeof a;
  if (ta !== typeof b || (ta !== 'number' && ta !== 'bigint')) throw new ReducerOperandMismatch(a, b);
}

export const sumReducer: CommReducer<Num> = {
  reduce(l, r) {
    sameKind(l, r);
    return (l as number) + (r as number);
  },
};
export const maxReducer: CommReducer<Num> = {
  reduce(l, r) {
    sameKind(l, r);
    return r > l ? r : l;
  },
};
export const minReducer: CommReducer<Num> = {
  reduce(l, r) {
    sameKind(l, r);
    return r < l ? r : l;
  },
};

/** Running sum (state starts at `zero`, 0 by default). */
export function sumStateAccumulator<N extends Num = number>(zero: N = 0 as N): StateAccumulator<N, N> {
  return { init: () => zero, accumulate: (s, u) => sumReducer.reduce(s, u) as N };
}
/** Running maximum (state starts as undefined = no value yet). */
export function maxStateAccumulator<N extends Num = number>(): StateAccumulator<N | undefined, N> {
  return { init: () => undefined, accumulate: (s, u) => (s === undefined ? u : (maxReducer.reduce(s, u) as N)) };
}
/** Running minimum (state starts as undefined = no value yet). */
export function minStateAccumulator<N extends Num = number>(): StateAccumulator<N | undefined, N> {
  return { init: () => undefined, accumulate: (s, u) => (s === undefined ? u : (minReducer.reduce(s, u) as N)) };
}

/** Latest value per rank; `get()` is the low watermark = min over ranks' latest values. */
export class WatermarkUpdate<N extends Num = number> {
  readonly latest = new Map<number, N>();
  static of<N extends Num>(rank: number, value: N): WatermarkUpdate<N> {
    const w = new WatermarkUpdate<N>();
    w.latest.set(rank, value);
    return w;
  }
  /** Min over the latest value of each rank; undefined when no rank reported. */
  get(): N | undefined {
    let m: N | undefined;
    for (const v of this.latest.values()) if (m === undefined || v < m) m = v;
    return m;
  }
  /** `[rank, value]` pairs sorted by rank. */
  entries(): [number, N][] {
    return [...this.latest.entries()].sort((a, b) => a[0] - b[0]);
  }
}

/** Keeps the LATEST value per rank (map insert), not the minimum. */
export const watermarkReducer: CommReducer<WatermarkUpdate<any>> = {
  reduce(left, right) {
    const out = new WatermarkUpdate<any>();
    for (const [k, v] of left.latest) out.latest.set(k, v);
    for (const [k, v] of right.latest) out.latest.set(k, v);
    return out;
  },
};

export function lowWatermarkAccumulator<N extends Num = number>(): StateAccumulator<WatermarkUpdate<N>, WatermarkUpdate<N>> {
  return {
    init: () => new WatermarkUpdate<N>(),
    accumulate(state, update) {
      for (const [k, v] of update.latest) state.latest.set(k, v);
      return state;
    },
  };
}

/**
 * `Accumulator for ValueMesh<T>` (generic): the state starts as the empty mesh; the first update
 * replaces it by (a copy of) the template, then every update is merged right-wins. An
 * `OutOfBounds` update throws and leaves the state as it was (the template after a failed first
 * update).
 */
export class ValueMeshAccumulator<T> implements StateAccumulator<ValueMesh<T>, ValueOverlay<T>> {
  constructor(readonly template: ValueMesh<T>) {}
  init(): ValueMesh<T> {
    return ValueMesh.empty<T>(this.template.same);
  }
  accumulate(state: ValueMesh<T>, update: ValueOverlay<T>): ValueMesh<T> {
    if (state.numRanks === 0) state.assign(this.template);
    return state.mergeFromOverlay(update);
  }
}

/** What StatusAccumState needs from its dense code store (the WASM one, or the TS reference). */
export interface DenseCodeStore {
  readonly n: number;
  apply(runs: ArrayLike<number>, rn: number, countCode: number, codeMap?: Uint32Array): number;
  applyOne(start: number, end: number, code: number, countCode: number): number;
  get(rank: number): number;
  encode(countCode: number): CodeRuns;
  dispose(): void;
}

/**
 * The live state of a status accumulation: dense codes in WASM memory plus the exact NotExist
 * count. Call `dispose()` when done (a FinalizationRegistry frees it otherwise).
 */
export class StatusAccumState implements StatusSnapshot {
  readonly region: Region;
  private readonly dense: DenseCodeStore;
  private readonly table = new StatusTable();
  private notExist: number;
  private version = 0;
  private cached: StatusMesh | undefined;
  private cachedVersion = -1;

  /** `store` is internal (benchmarks pass the plain-TS reference); by default the WASM state. */
  constructor(region: Region, store?: DenseCodeStore) {
    this.region = region;
    this.dense = store ?? new DenseCodeState(region.numRanks, StatusCode.NotExist);
    this.notExist = region.numRanks;
  }

  /** Updates folded in so far. */
  get updates(): number {
    return this.version;
  }

  /**
   * Merges one overlay right-wins in a single kernel call. Runs ending past the region →
   * `OutOfBounds{range, region_len}`, state unchanged. Returns the new NotExist count.
   */
  apply(update: StatusOverlay): number {
    const n = this.region.numRanks;
    const f = update.flat;
    if (f.length === 3) {
      // the agent reply: one run, no copies
      const start = f[0]!;
      const end = f[1]!;
      if (end > n) throw new OutOfBounds({ start, end }, n);
      let code = f[2]!;
      if (code >= StatusCode.Failed) code = this.table.code(update.table.status(code));
      this.notExist += this.dense.applyOne(start, end, code, StatusCode.NotExist);
    } else if (f.length > 3) {
      for (let j = 0; j < f.length; j += 3) if (f[j + 1]! > n) throw new OutOfBounds({ start: f[j]!, end: f[j + 1]! }, n);
      const map = update.hasPayloads ? this.table.translate(update.table) : undefined;
      this.notExist += this.dense.apply(f, f.length / 3, StatusCode.NotExist, map);
    }
    this.version++;
    return this.notExist;
  }

  get(rank: number): Status | undefined {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.region.numRanks) return undefined;
    return this.table.status(this.dense.get(rank));
  }

  countNotExist(limit?: number): number {
    if (limit === undefined || limit >= this.region.numRanks) return this.notExist;
    let c = 0;
    for (let r = 0; r < limit; r++) if (this.dense.get(r) === StatusCode.NotExist) c++;
    return c;
  }

  /** No NotExist rank left (failures count as reported). O(1). */
  isComplete(): boolean {
    return this.notExist === 0;
  }

  /** An immutable StatusMesh of the current state (one kernel call; cached until the next update). */
  snapshot(): StatusMesh {
    if (this.cachedVersion !== this.version || !this.cached) {
      const enc = this.dense.encode(StatusCode.NotExist);
      this.cached = new StatusMesh(this.region, enc.runs, this.table.clone(), enc.counted);
      this.cachedVersion = this.version;
    }
    return this.cached.clone();
  }

  toStatusMesh(): StatusMesh {
    return this.snapshot();
  }

  dispose(): void {
    this.dense.dispose();
  }
}

/**
 * The status accumulator of spawn/stop: template = all NotExist over `region`, updates = status
 * overlays (or generic `ValueOverlay<Status>`), right-wins.
 */
export class StatusMeshAccumulator implements StateAccumulator<StatusAccumState, StatusOverlay | ValueOverlay<Status>> {
  constructor(readonly region: Region) {}
  init(): StatusAccumState {
    return new StatusAccumState(this.region);
  }
  accumulate(state: StatusAccumState, update: StatusOverlay | ValueOverlay<Status>): StatusAccumState {
    state.apply(update instanceof StatusOverlay ? update : StatusOverlay.fromValueOverlay(update));
    return state;
  }
}
