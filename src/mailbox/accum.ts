/**
 * Accumulators, reducers and accumulating ports (Monarch hyperactor/src/accum.rs `Accumulator`, `CommReducer`, `ReducerSpec`).
 *
 * - An `Accumulator<S, U>` folds updates `U` into a state `S`; an accumulating port pushes a
 *   snapshot of the whole state after every update to a coalescing receiver, so `recv` yields
 *   only the newest state.
 * - A `Reducer<U>` combines two updates into one (order-preserving: `reduce(older, newer)`);
 *   split ports use it to pre-reduce replies on intermediate hops. Reducers are looked up by
 *   `ReducerSpec.name` in a registry that other modules extend (`registerReducer`), e.g. the
 *   status-overlay reducer of the value-mesh module.
 *
 * Invariant: for every built-in accumulator `acc` with reducer `r`,
 * `acc.accumulate(acc.accumulate(s, a), b)` equals `acc.accumulate(s, r.reduce(a, b))`, so
 * pre-reduction on a hop never changes what the final receiver observes.
 */
import { PortId } from '../core/ids.js';
import type { Mailbox } from './mailbox.js';
import { LocalPort } from './mailbox.js';
import { CoalescingReceiver } from './receiver.js';
import { MailboxError, PortClosedError } from './errors.js';
import { sumReducer, maxReducer, minReducer } from '../valuemesh/index.js';

/** Names a registered reducer and its parameters; travels inside PortRefs. */
export interface ReducerSpec {
  readonly name: string;
  readonly params?: unknown;
}

/** Options of a reducing port. `maxUpdateIntervalMs` defaults to `SPLIT_MAX_BUFFER_AGE`. */
export interface ReducerOpts {
  readonly maxUpdateIntervalMs?: number;
}

export interface Reducer<U> {
  reduce(older: U, newer: U): U;
}

/**
 * Structurally compatible with the value-mesh module's `StateAccumulator` (`init` + `accumulate`), so
 * its accumulators plug in directly; `reducerSpec` and `snapshot` are optional extras.
 */
export interface Accumulator<S, U> {
  /** The reducer hops may use to pre-reduce updates for this accumulator. */
  readonly reducerSpec?: ReducerSpec;
  /** The initial state (Monarch's `Default`). */
  init(): S;
  /** Folds one update into the state; may mutate and return `state`. Throw to reject the update. */
  accumulate(state: S, update: U): S;
  /** The value pushed to the receiver after each update (default: the state itself). */
  snapshot?(state: S): S;
}

/** Unknown reducer name in a ReducerSpec. */
export class UnknownReducerError extends MailboxError {
  readonly reducer: string;
  constructor(name: string) {
    super('UnknownReducer', `reducer '${name}'`, `no reducer of that name is registered (known: ${[...reducers.keys()].join(', ')})`);
    this.reducer = name;
  }
}

type ReducerBuilder = (params: unknown) => Reducer<unknown>;
const reducers = new Map<string, ReducerBuilder>();

/** Registers a reducer under `name`. Re-registering a name replaces it (modules may upgrade one). */
export function registerReducer<U>(name: string, build: (params: unknown) => Reducer<U>): void {
  reducers.set(name, build as ReducerBuilder);
}

/** The reducer for a spec; throws `UnknownReducerError`. */
export function reducerOf<U>(spec: ReducerSpec): Reducer<U> {
  const b = reducers.get(spec.name);
  if (b === undefined) throw new UnknownReducerError(spec.name);
  return b(spec.params) as Reducer<U>;
}

export function registeredReducers(): string[] {
  return [...reducers.keys()];
}

type Num = number | bigint;

// The numeric reducers are the value-mesh layer's (one implementation; they reject mixed
// number/bigint operands with a typed error).
registerReducer<Num>('sum', () => sumReducer);
registerReducer<Num>('max', () => maxReducer);
registerReducer<Num>('min', () => minReducer);

/** A watermark update: (rank, value) pairs; a later pair for the same rank wins. */
export type WatermarkPairs = ReadonlyArray<readonly [number, number]>;

registerReducer<WatermarkPairs>('watermark', () => ({
  reduce: (a, b) => {
    const m = new Map<number, number>(a as Array<[number, number]>);
    for (const [r, v] of b) m.set(r, v);
    return [...m];
  },
}));

/** Sum of numbers (or bigints, given `zero = 0n`). */
export function sumAccumulator<T extends Num = number>(zero: T = 0 as T): Accumulator<T, T> {
  return {
    reducerSpec: { name: 'sum' },
    init: () => zero,
    accumulate: (s, u) => sumReducer.reduce(s, u) as T,
    snapshot: (s) => s,
  };
}

/** Maximum seen so far (`undefined` before the first update). */
export function maxAccumulator<T extends Num = number>(): Accumulator<T | undefined, T> {
  return {
    reducerSpec: { name: 'max' },
    init: () => undefined,
    accumulate: (s, u) => (s === undefined ? u : (maxReducer.reduce(s, u) as T)),
    snapshot: (s) => s,
  };
}

/** Minimum seen so far (`undefined` before the first update). */
export function minAccumulator<T extends Num = number>(): Accumulator<T | undefined, T> {
  return {
    reducerSpec: { name: 'min' },
    init: () => undefined,
    accumulate: (s, u) => (s === undefined ? u : (minReducer.reduce(s, u) as T)),
    snapshot: (s) => s,
  };
}

/** Low watermark over ranks: the latest value per rank, and the minimum of those. */
export interface WatermarkState {
  readonly values: ReadonlyMap<number, number>;
  readonly watermark: number | undefined;
}

export function watermarkAccumulator(): Accumulator<WatermarkState, WatermarkPairs> {
  return {
    reducerSpec: { name: 'watermark' },
    init: () => ({ values: new Map(), watermark: undefined }),
    accumulate: (s, u) => {
      const values = s.values as Map<number, number>;
      for (const [r, v] of u) values.set(r, v);
      let w: number | undefined;
      for (const v of values.values()) if (w === undefined || v < w) w = v;
      return { values, watermark: w };
    },
    snapshot: (s) => ({ values: new Map(s.values), watermark: s.watermark }),
  };
}

/** The built-in accumulators, by name (`Accumulators.sum()`, …; `status` is in status-accum.ts). */
export const Accumulators = {
  sum: sumAccumulator,
  max: maxAccumulator,
  min: minAccumulator,
  watermark: watermarkAccumulator,
} as const;

/** The sending side of an accumulating port: carries the reducer spec for PortRefs. */
export class AccumPort<U> extends LocalPort<U> {
  readonly reducerSpec: ReducerSpec | undefined;
  readonly reducerOpts: ReducerOpts | undefined;
  constructor(portId: PortId, fn: (u: U) => void, spec: ReducerSpec | undefined, opts: ReducerOpts | undefined) {
    super(portId, fn);
    this.reducerSpec = spec;
    this.reducerOpts = opts;
  }
}

/**
 * Opens an accumulating port on `mailbox`: updates (local or from envelopes) fold into the state;
 * the receiver coalesces states.
 */
export function openAccumPort<S, U>(mailbox: Mailbox, acc: Accumulator<S, U>, opts?: ReducerOpts): [AccumPort<U>, CoalescingReceiver<S>] {
  const index = mailbox.allocateIndex();
  const id = new PortId(mailbox.actorId, index);
  let state = acc.init();
  const rx = new CoalescingReceiver<S>(String(id), () => mailbox.unbind(index));
  const apply = (u: U): void => {
    if (rx.closed) throw new PortClosedError(String(id));
    state = acc.accumulate(state, u);
    rx.push(acc.snapshot !== undefined ? acc.snapshot(state) : state);
  };
  const port = new AccumPort<U>(id, apply, acc.reducerSpec, opts);
  mailbox.bind(index, {
    once: false,
    sink: (m) => apply(m as U),
    closed: () => {
      port.close();
      rx.close();
    },
  });
  return [port, rx];
}
