/**
 * Comm-actor cast routing (Monarch ndslice/src/selection/routing.rs, hyperactor_mesh/src/comm.rs): `RoutingFrame`, `nextSteps`,
 * `deliverHere`, the dedup key, `resolveRouting`, and the comm-tree parent function.
 *
 * A frame is `(here, dim, selection, slice)`: it has routed dims `0..dim`; `here[j] = 0` for
 * `j >= dim`. `nextSteps` expands the current dim only. A frame whose location is this comm actor's
 * rank is resolved locally (deliver, or recurse on its deduplicated next steps); any other frame is
 * forwarded to the rank at its location.
 *
 * Invariant (tested): the comm-tree parent of a rank depends only on the (root) slice — it is the
 * rank whose coordinates equal the rank's with its last non-zero coordinate set to 0
 * (`commTreeParent`) — so every rank receives at most one ForwardMessage per cast, and the
 * delivered set equals `selection.eval(slice)` (docs/architecture.md SEL-1).
 *
 * Intended-behaviour choices (where Rust panics or misroutes): at `dim == numDim` a residual that is
 * a union/intersection of `true`/`false` delivers by its truth value (Rust only delivers on a bare
 * `true`); `true` before the last dim routes like `all(true)` (later Monarch's
 * `promote_terminal_true`); routing through `first` throws `NotImplemented`.
 */
import { Slice, type SliceLike } from '../ndslice/slice.js';
import { InvalidFrame, SelectionNotImplemented } from './errors.js';
import { selectionKey } from './normalize.js';
import { embed0d, guardDepth, Selection, validateSelection, type SelectionJSON } from './selection.js';

export interface RoutingFrameJSON {
  here: number[];
  dim: number;
  selection: SelectionJSON;
  slice: { offset: number; sizes: number[]; strides: number[] };
}

function leafValue(s: Selection): boolean {
  if (s.kind === 'true') return true;
  if (s.kind === 'union') return leafValue(s.left) || leafValue(s.right);
  if (s.kind === 'intersection') return leafValue(s.left) && leafValue(s.right);
  return false;
}

export class RoutingFrame {
  constructor(
    readonly here: readonly number[],
    readonly selection: Selection,
    readonly slice: Slice,
    readonly dim: number,
  ) {}

  /** The first frame of a cast: 0-d slices embedded as `(offset, [1], [1])`, `here = 0…0`, selection canonicalized. */
  static root(selection: Selection, slice: SliceLike): RoutingFrame {
    const s = embed0d(slice);
    const sl = s instanceof Slice ? s : Slice.unchecked(s.offset, s.sizes, s.strides);
    const sel = guardDepth(() => {
      const c = selection.canonicalizeToDimensions(sl.numDim);
      validateSelection(c, sl);
      return c;
    });
    return new RoutingFrame(new Array<number>(sl.numDim).fill(0), sel, sl, 0);
  }

  /** Base rank of `here`. */
  location(): number {
    return this.slice.location(this.here);
  }

  /** All dims routed and the residual selects the point. */
  deliverHere(): boolean {
    return this.dim === this.slice.numDim && leafValue(this.selection);
  }

  /** The frames one dimension further (Monarch `RoutingFrame::next_steps`); `any` picks its index at random. */
  nextSteps(): RoutingFrame[] {
    const out: RoutingFrame[] = [];
    if (this.dim < this.slice.numDim) this.stepsOf(this.selection, out);
    return out;
  }

  private advance(i: number, selection: Selection): RoutingFrame {
    const here = this.here.slice();
    here[this.dim] = i;
    return new RoutingFrame(here, selection, this.slice, this.dim + 1);
  }

  private stepsOf(s: Selection, out: RoutingFrame[]): void {
    const size = this.slice.sizes[this.dim]!;
    switch (s.kind) {
      case 'false':
        return;
      case 'true':
        for (let i = 0; i < size; i++) out.push(this.advance(i, s));
        return;
      case 'all':
        for (let i = 0; i < size; i++) out.push(this.advance(i, s.inner));
        return;
      case 'range': {
        const [b, e, st] = s.range.resolve(size);
        for (let i = b; i < e; i += st) out.push(this.advance(i, s.inner));
        return;
      }
      case 'any':
        if (size > 0) out.push(this.advance(Math.floor(Math.random() * size), s.inner));
        return;
      case 'union':
        this.stepsOf(s.left, out);
        this.stepsOf(s.right, out);
        return;
      case 'intersection': {
        const left: RoutingFrame[] = [];
        const right: RoutingFrame[] = [];
        this.stepsOf(s.left, left);
        this.stepsOf(s.right, right);
        for (const a of left) {
          for (const b of right) {
            if (a.here[this.dim] === b.here[this.dim]) out.push(this.advance(a.here[this.dim]!, Selection.reduceIntersection(a.selection, b.selection)));
          }
        }
        return;
      }
      case 'first':
        throw new SelectionNotImplemented('routing', 'first');
    }
  }

  /** `RoutingFrameKey`: (here, dim, normalized selection) as a string. */
  key(): string {
    return `${this.here.join(',')}|${this.dim}|${selectionKey(this.selection)}`;
  }

  toJSON(): RoutingFrameJSON {
    return { here: this.here.slice(), dim: this.dim, selection: this.selection.toJSON(), slice: this.slice.toJSON() };
  }

  /** Rebuilds a frame received in a ForwardMessage; malformed → `InvalidFrame`. */
  static fromJSON(j: unknown): RoutingFrame {
    const o = j as Partial<RoutingFrameJSON> | null;
    if (typeof o !== 'object' || o === null || !Array.isArray(o.here) || typeof o.dim !== 'number' || typeof o.slice !== 'object' || o.slice === null) {
      throw new InvalidFrame('expected {here, dim, selection, slice}');
    }
    const slice = Slice.new(o.slice.offset, o.slice.sizes, o.slice.strides);
    if (o.here.length !== slice.numDim) throw new InvalidFrame(`here has ${o.here.length} coordinates, the slice ${slice.numDim} dims`);
    if (!Number.isInteger(o.dim) || o.dim < 0 || o.dim > slice.numDim) throw new InvalidFrame(`dim ${o.dim} (expected 0..${slice.numDim})`);
    o.here.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c >= slice.sizes[i]!) throw new InvalidFrame(`here[${i}] = ${c} (expected 0..${slice.sizes[i]! - 1})`);
      if (i >= o.dim! && c !== 0) throw new InvalidFrame(`here[${i}] = ${c} past dim ${o.dim} (expected 0)`);
    });
    return new RoutingFrame(o.here.slice(), Selection.fromJSON(o.selection), slice, o.dim);
  }
}

/** Next steps of `frame` with duplicates (same key) dropped, first kept (Rust `get_next_steps`). */
export function dedupedNextSteps(frame: RoutingFrame): RoutingFrame[] {
  const seen = new Set<string>();
  const out: RoutingFrame[] = [];
  for (const f of frame.nextSteps()) {
    const k = f.key();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(f);
  }
  return out;
}

/**
 * The routing path (list of `here` coordinates, root first) from `frame` to the delivery at
 * `dest`, or `undefined` when `dest` is not selected (Rust `trace_route`, frames deduplicated).
 */
export function traceRoute(frame: RoutingFrame, dest: readonly number[]): number[][] | undefined {
  const seen = new Set<string>();
  const path: number[][] = [];
  const go = (f: RoutingFrame): boolean => {
    const k = f.key();
    if (seen.has(k)) return false;
    seen.add(k);
    path.push(f.here.slice());
    if (f.deliverHere() && f.here.length === dest.length && f.here.every((c, i) => c === dest[i])) return true;
    for (const n of f.nextSteps()) if (go(n)) return true;
    path.pop();
    return false;
  };
  return go(frame) ? path : undefined;
}

export interface RoutingResolution {
  deliverHere: boolean;
  /** Peer rank → frames to forward to it (insertion order = first frame emitted). */
  nextSteps: Map<number, RoutingFrame[]>;
}

/**
 * CommActor hop (Monarch ndslice/src/selection/routing.rs `resolve_routing`): frames located here deliver or recurse on their
 * deduplicated next steps (`dedup: false` disables dedup, for tests); others go to their peer.
 */
export function resolveRouting(rank: number, frames: Iterable<RoutingFrame>, opts: { dedup?: boolean } = {}): RoutingResolution {
  const dedup = opts.dedup ?? true;
  const res: RoutingResolution = { deliverHere: false, nextSteps: new Map() };
  const one = (f: RoutingFrame): void => {
    const loc = f.location();
    if (loc !== rank) {
      let list = res.nextSteps.get(loc);
      if (!list) res.nextSteps.set(loc, (list = []));
      list.push(f);
      return;
    }
    if (f.deliverHere()) {
      res.deliverHere = true;
      return;
    }
    for (const n of dedup ? dedupedNextSteps(f) : f.nextSteps()) one(n);
  };
  for (const f of frames) one(f);
  return res;
}

/**
 * The comm-tree parent of base rank `rank` for casts over `slice`: the rank at the same
 * coordinates with the last non-zero one set to 0; `undefined` for the first hop (all zeros).
 * Non-members → `ValueNotInSlice`.
 */
export function commTreeParent(slice: SliceLike, rank: number): number | undefined {
  const s0 = embed0d(slice);
  const s = s0 instanceof Slice ? s0 : Slice.unchecked(s0.offset, s0.sizes, s0.strides);
  const c = s.coordinates(rank);
  for (let j = c.length - 1; j >= 0; j--) {
    if (c[j] !== 0) return rank - c[j]! * s.strides[j]!;
  }
  return undefined;
}

export interface SimulatedCast {
  /** Delivering ranks in breadth-first order over comm actors. */
  delivered: number[];
  /** Rank → the rank it received its ForwardMessage from (-1 for the first hop). */
  parents: Map<number, number>;
  /** ForwardMessages sent, including the first hop. */
  messages: number;
}

/**
 * Monarch-style whole-cast simulation with `RoutingFrame`s (normalize per forwarded frame):
 * the root comm actor forwards the root frame to the first hop, then every comm actor resolves
 * what it received and forwards one message per peer. A rank receiving two messages → `InvalidFrame`.
 */
export function simulateCast(slice: SliceLike, selection: Selection, opts: { dedup?: boolean } = {}): SimulatedCast {
  const root = RoutingFrame.root(selection, slice);
  const first = root.location();
  const queue: { rank: number; parent: number; frames: RoutingFrame[] }[] = [{ rank: first, parent: -1, frames: [root] }];
  const parents = new Map<number, number>();
  const delivered: number[] = [];
  for (let head = 0; head < queue.length; head++) {
    const m = queue[head]!;
    if (parents.has(m.rank)) throw new InvalidFrame(`rank ${m.rank} received a second message (from ${m.parent}, first from ${parents.get(m.rank)})`);
    parents.set(m.rank, m.parent);
    const r = resolveRouting(m.rank, m.frames, opts);
    if (r.deliverHere) delivered.push(m.rank);
    for (const [peer, frames] of r.nextSteps) queue.push({ rank: peer, parent: m.rank, frames });
  }
  return { delivered, parents, messages: queue.length };
}
