/**
 * Compiles (root slice, selection) into a flat routing program: the input of the routing kernel
 * (`assembly/routing.ts`) and of its plain-TS reference (`reference.ts`).
 *
 * Layout (Int32): `[nd, offset, nNodes, nCanon, root, sizes[nd], strides[nd], nodes[nNodes·8]]`,
 * node = `[op, a, b, start, end (-1 = open), step, canon, 0]`. Node 0 is `false`, node 1 `true`.
 *
 * Invariants: the selection is canonicalized to the slice's dims and validated (too deep →
 * `SelectionTooDeep`) before encoding; structurally equal subtrees share one node id; two residual
 * nodes share a `canon` id iff their normal forms are equal (the dedup key of Monarch ndslice/src/selection/routing.rs `RoutingFrameKey`); a 0-d slice is
 * embedded as `(offset, [1], [1])`; every base rank fits in i31 (else `RankOverflow`).
 */
import { RankOverflow } from '../ndslice/errors.js';
import type { SliceLike } from '../ndslice/slice.js';
import { InvalidFrame, SelectionNotImplemented } from './errors.js';
import { selectionKey } from './normalize.js';
import { embed0d, guardDepth, Selection, validateSelection } from './selection.js';

export const NODE_WORDS = 8;
export const OP = { false: 0, true: 1, all: 2, range: 3, any: 4, union: 5, intersection: 6, first: 7 } as const;
export const MAX_DIMS = 16;

export interface RouteProgram {
  /** The encoded program. */
  readonly words: Int32Array;
  readonly numDim: number;
  readonly offset: number;
  readonly sizes: readonly number[];
  readonly strides: readonly number[];
  readonly root: number;
  /** Node id → the (canonicalized) sub-selection it encodes. */
  readonly selections: readonly Selection[];
}

/** Validates `slice` for the kernels: at most MAX_DIMS dims, every base rank below 2^31. */
export function checkRoutable(slice: SliceLike): SliceLike {
  const s = embed0d(slice);
  if (s.sizes.length > MAX_DIMS) throw new SelectionNotImplemented(`routing over more than ${MAX_DIMS} dimensions`, `${s.sizes.length}-d slice`);
  let max = s.offset;
  for (let i = 0; i < s.sizes.length; i++) if (s.sizes[i]! > 0) max += (s.sizes[i]! - 1) * s.strides[i]!;
  if (max >= 2 ** 31) throw new RankOverflow(max);
  return s;
}

export function compileRoute(slice0: SliceLike, selection: Selection): RouteProgram {
  const slice = checkRoutable(slice0);
  const nd = slice.sizes.length;
  return guardDepth(() => {
    const sel = selection.canonicalizeToDimensions(nd);
    validateSelection(sel, slice);
    return encode(slice, sel);
  });
}

/**
 * Hash-conses `sel` bottom-up (key = op + child ids + range, O(1) per node). Canon ids (the dedup
 * key) come from `selectionKey` for the nodes a frame can carry as its residual — the inner child of
 * `all`/`range`/`any`/`first`, and `true`/`false` — every other node gets a canon of its own.
 */
function encode(slice: SliceLike, sel: Selection): RouteProgram {
  const nd = slice.sizes.length;
  const exact = new Map<string, number>([
    [`${OP.false}`, 0],
    [`${OP.true}`, 1],
  ]);
  const canonIds = new Map<string, number>([
    ['F', 0],
    ['T', 1],
  ]);
  let nextCanon = 2;
  const nodes: number[][] = [
    [OP.false, 0, 0, 0, 0, 0, 0, 0],
    [OP.true, 0, 0, 0, 0, 0, 1, 0],
  ];
  const selections: Selection[] = [Selection.false_(), Selection.true_()];
  const keyed = new Set<number>([0, 1]);
  const residual = (id: number): void => {
    if (keyed.has(id)) return;
    keyed.add(id);
    const ck = selectionKey(selections[id]!);
    let canon = canonIds.get(ck);
    if (canon === undefined) canonIds.set(ck, (canon = nextCanon++));
    nodes[id]![6] = canon;
  };
  const intern = (s: Selection): number => {
    if (s.kind === 'false') return 0;
    if (s.kind === 'true') return 1;
    let a = 0;
    let b = 0;
    let start = 0;
    let end = 0;
    let step = 0;
    switch (s.kind) {
      case 'all':
      case 'any':
      case 'first':
        a = intern(s.inner);
        break;
      case 'range':
        a = intern(s.inner);
        start = Math.min(s.range.start, 2 ** 31 - 1);
        end = s.range.end === null ? -1 : Math.min(s.range.end, 2 ** 31 - 1);
        step = Math.min(s.range.step, 2 ** 31 - 1);
        break;
      case 'union':
      case 'intersection':
        a = intern(s.left);
        b = intern(s.right);
        break;
    }
    const key = `${OP[s.kind]}|${a}|${b}|${start}|${end}|${step}`;
    const hit = exact.get(key);
    if (hit !== undefined) return hit;
    const id = nodes.length;
    nodes.push([OP[s.kind], a, b, start, end, step, nextCanon++, 0]);
    selections.push(s);
    exact.set(key, id);
    if (s.kind !== 'union' && s.kind !== 'intersection') residual(a);
    return id;
  };
  const root = intern(sel);
  const words = new Int32Array(5 + 2 * nd + nodes.length * NODE_WORDS);
  words[0] = nd;
  words[1] = slice.offset;
  words[2] = nodes.length;
  words[3] = nextCanon;
  words[4] = root;
  for (let d = 0; d < nd; d++) {
    words[5 + d] = slice.sizes[d]!;
    words[5 + nd + d] = slice.strides[d]!;
  }
  const base = 5 + 2 * nd;
  nodes.forEach((n, i) => words.set(n, base + i * NODE_WORDS));
  return { words, numDim: nd, offset: slice.offset, sizes: slice.sizes.slice(), strides: slice.strides.slice(), root, selections };
}

/**
 * Decodes program words received from another process (e.g. with a ForwardMessage, from
 * `WasmRouter.programWords()`); every field is checked so a malformed program is an
 * `InvalidFrame`, never a kernel trap. `selections` is empty (the words carry no source text).
 */
export function decodeRouteProgram(words: Int32Array): RouteProgram {
  const bad = (why: string): never => {
    throw new InvalidFrame(`malformed route program: ${why}`);
  };
  if (!(words instanceof Int32Array) || words.length < 5) bad('expected an Int32Array with a 5-word header');
  const nd = words[0]!;
  const offset = words[1]!;
  const nNodes = words[2]!;
  const nCanon = words[3]!;
  const root = words[4]!;
  if (nd < 1 || nd > MAX_DIMS) bad(`numDim ${nd} (expected 1..${MAX_DIMS})`);
  if (nNodes < 2 || words.length !== 5 + 2 * nd + nNodes * NODE_WORDS) bad(`length ${words.length} does not match ${nNodes} nodes over ${nd} dims`);
  if (offset < 0 || nCanon < 2 || root < 0 || root >= nNodes) bad('negative offset, canon count < 2 or root out of range');
  const sizes = Array.from(words.subarray(5, 5 + nd));
  const strides = Array.from(words.subarray(5 + nd, 5 + 2 * nd));
  let max = offset;
  for (let d = 0; d < nd; d++) {
    if (sizes[d]! < 0 || strides[d]! < 0) bad(`negative size or stride in dim ${d}`);
    if (sizes[d]! > 0) max += (sizes[d]! - 1) * strides[d]!;
  }
  if (max >= 2 ** 31) bad(`base rank ${max} does not fit in i31`);
  const base = 5 + 2 * nd;
  for (let i = 0; i < nNodes; i++) {
    const p = base + i * NODE_WORDS;
    const op = words[p]!;
    const a = words[p + 1]!;
    const b = words[p + 2]!;
    if (op < 0 || op > OP.first) bad(`node ${i} has op ${op}`);
    if (i < 2 && op !== i) bad('nodes 0 and 1 must be false and true');
    if (a < 0 || a >= nNodes || b < 0 || b >= nNodes) bad(`node ${i} has a child out of range`);
    if (op === OP.range && (words[p + 3]! < 0 || words[p + 4]! < -1 || words[p + 5]! < 1)) bad(`node ${i} has a bad range`);
    if (words[p + 6]! < 0 || words[p + 6]! >= nCanon) bad(`node ${i} has canon ${words[p + 6]} (expected < ${nCanon})`);
  }
  checkAcyclic(words, base, nNodes, bad);
  return { words: words.slice(), numDim: nd, offset, sizes, strides, root, selections: [] };
}

/** Rejects programs whose child links form a cycle (the kernel would recurse forever); iterative DFS. */
function checkAcyclic(words: Int32Array, base: number, n: number, bad: (why: string) => never): void {
  const state = new Uint8Array(n); // 0 new, 1 on the stack, 2 done
  const children = (i: number): number[] => {
    const op = words[base + i * NODE_WORDS]!;
    if (op === OP.false || op === OP.true) return [];
    const a = words[base + i * NODE_WORDS + 1]!;
    return op === OP.union || op === OP.intersection ? [a, words[base + i * NODE_WORDS + 2]!] : [a];
  };
  for (let s = 0; s < n; s++) {
    if (state[s]) continue;
    const stack: [number, number[]][] = [[s, children(s)]];
    state[s] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const next = top[1].pop();
      if (next === undefined) {
        state[top[0]] = 2;
        stack.pop();
      } else if (state[next] === 1) {
        bad(`cycle through node ${next}`);
      } else if (state[next] === 0) {
        state[next] = 1;
        stack.push([next, children(next)]);
      }
    }
  }
}

/** The outcome of routing a whole cast through every hop of its comm tree. */
export interface CastRouting {
  /** Ranks that delivered, in delivery (breadth-first) order. */
  readonly delivered: Int32Array;
  /** `(rank, parent)` per message received, in processing order; parent -1 for the first hop. */
  readonly parents: Int32Array;
  /** ForwardMessages sent (including the first hop). */
  readonly messages: number;
  /** Frames carried by those messages. */
  readonly frames: number;
}

/** One hop: whether to deliver here and the frames `(loc, dim, node)` per peer rank. */
export interface PackedHop {
  readonly deliverHere: boolean;
  readonly nextSteps: Map<number, Int32Array>;
}
