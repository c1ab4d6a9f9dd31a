// Routing kernel: comm-actor cast routing over a compiled selection program (Monarch ndslice/src/selection/routing.rs `RoutingFrame::next_steps`).
//
// Program (Int32 words, written by src/selection/kernels.ts at `inputPtr(n)`, then `loadProgram(n)`):
//   [nd, offset, nNodes, nCanon, root, sizes[nd], strides[nd], nodes[nNodes * 8]]
// node = [op, a, b, start, end (-1 = open), step, canon, 0]; node 0 = false, node 1 = true.
// A frame is (loc, dim, node): `loc` is the base rank of its `here` coordinates (here[j] = 0 for
// every j >= dim, so the child at index i of dim d is loc + i * strides[d]).
//
// Invariants (checked by the TS facade before any call): nd <= MAXD, every base rank < 2^31,
// frames have dim <= nd and a node id < nodeCount(), selections are canonicalized and validated.
// Dedup is per frame, on (loc, canon) of its next steps, as Rust's get_next_steps.
import { IVec } from './_routing_vec';

const MAXD: i32 = 16;
const NODE_W: i32 = 8;

const OP_FALSE: i32 = 0;
const OP_TRUE: i32 = 1;
const OP_ALL: i32 = 2;
const OP_RANGE: i32 = 3;
const OP_ANY: i32 = 4;
const OP_UNION: i32 = 5;
const OP_INTER: i32 = 6;

const ERR_NOT_ROUTABLE: i32 = 1;

const DIMS: usize = memory.data(<i32>(2 * MAXD * 4), 16);

let nd: i32 = 0;
let offset: i32 = 0;
let root: i32 = 1;
let nCanon: i32 = 2;
let err: i32 = 0;
let deliverFlag: i32 = 0;
let stamp: i32 = 0;
let messageCount: i32 = 0;
let frameCount: i32 = 0;

const input = new IVec(1024);
const nodes = new IVec(64 * NODE_W);
const dynPairs = new IVec(64); // (a, b, node) of interned intersection nodes
const canonPairs = new IVec(64); // (ca, cb, canon)
const stack = new IVec(4096); // frames (loc, dim, node) under evaluation
const out = new IVec(4096); // frames for peers (loc, dim, node)
const queue = new IVec(4096); // routeAll messages: [rank, parent, n, frames...]
const delivered = new IVec(1024);
const parents = new IVec(1024); // (rank, parent) per message, in processing order
const groupOf = new IVec(1024);
const groupLoc = new IVec(256);
const groupCount = new IVec(256);
const groupPos = new IVec(256);

// Open-addressing tables, stamped so that clearing is O(1).
const hStamp = new IVec(1024);
const hLoc = new IVec(1024);
const hCanon = new IVec(1024);
const hVal = new IVec(1024);
let hMask: i32 = 1023;

@inline function sizeOf(d: i32): i32 {
  return load<i32>(DIMS + (<usize>d << 2));
}
@inline function strideOf(d: i32): i32 {
  return load<i32>(DIMS + (<usize>(MAXD + d) << 2));
}
@inline function op(n: i32): i32 {
  return nodes.get(n * NODE_W);
}
@inline function fa(n: i32): i32 {
  return nodes.get(n * NODE_W + 1);
}
@inline function fb(n: i32): i32 {
  return nodes.get(n * NODE_W + 2);
}
@inline function canonOf(n: i32): i32 {
  return nodes.get(n * NODE_W + 6);
}

/** Space for `n` words of input (program or frames); returns its address. */
export function inputPtr(n: i32): usize {
  input.resize(n);
  return input.ptr;
}

/** Loads the program written at `inputPtr`. Returns 0. */
export function loadProgram(n: i32): i32 {
  nd = input.get(0);
  offset = input.get(1);
  const nNodes = input.get(2);
  nCanon = input.get(3);
  root = input.get(4);
  for (let d: i32 = 0; d < nd; d++) {
    store<i32>(DIMS + (<usize>d << 2), input.get(5 + d));
    store<i32>(DIMS + (<usize>(MAXD + d) << 2), input.get(5 + nd + d));
  }
  const base = 5 + 2 * nd;
  nodes.resize(nNodes * NODE_W);
  memory.copy(nodes.ptr, input.ptr + (<usize>base << 2), <usize>(nNodes * NODE_W) << 2);
  dynPairs.len = 0;
  canonPairs.len = 0;
  err = 0;
  return n - base - nNodes * NODE_W;
}

export function nodeCount(): i32 {
  return nodes.len / NODE_W;
}
export function nodesPtr(): usize {
  return nodes.ptr;
}
export function canonCount(): i32 {
  return nCanon;
}
export function error(): i32 {
  return err;
}

/** Interned `intersection(a, b)` residual (a, b neither true nor false). */
function internIntersection(a: i32, b: i32): i32 {
  for (let i: i32 = 0; i < dynPairs.len; i += 3) {
    if (dynPairs.get(i) == a && dynPairs.get(i + 1) == b) return dynPairs.get(i + 2);
  }
  const ca = canonOf(a);
  const cb = canonOf(b);
  let canon: i32 = -1;
  for (let i: i32 = 0; i < canonPairs.len; i += 3) {
    if (canonPairs.get(i) == ca && canonPairs.get(i + 1) == cb) {
      canon = canonPairs.get(i + 2);
      break;
    }
  }
  if (canon < 0) {
    canon = nCanon++;
    canonPairs.push3(ca, cb, canon);
  }
  const id = nodes.len / NODE_W;
  nodes.reserve(NODE_W);
  nodes.push(OP_INTER);
  nodes.push(a);
  nodes.push(b);
  nodes.push(0);
  nodes.push(0);
  nodes.push(0);
  nodes.push(canon);
  nodes.push(0);
  dynPairs.push3(a, b, id);
  return id;
}

/** Rust's reduce_intersection on residual nodes. */
function reduceIntersection(a: i32, b: i32): i32 {
  const oa = op(a);
  const ob = op(b);
  if (oa == OP_FALSE || ob == OP_FALSE) return 0;
  if (oa == OP_TRUE) return b;
  if (ob == OP_TRUE) return a;
  return internIntersection(a, b);
}

/** Whether a residual at dim == nd selects the point (true / unions / intersections of those). */
function leafValue(n: i32): bool {
  const o = op(n);
  if (o == OP_TRUE) return true;
  if (o == OP_UNION) return leafValue(fa(n)) || leafValue(fb(n));
  if (o == OP_INTER) return leafValue(fa(n)) && leafValue(fb(n));
  return false;
}

/** Pushes the next steps of frame (loc, dim, n) onto `stack` as frames at dim + 1. */
function steps(n: i32, dim: i32, loc: i32): void {
  if (dim >= nd) return;
  const size = sizeOf(dim);
  const stride = strideOf(dim);
  const o = op(n);
  const d1 = dim + 1;
  if (o == OP_ALL || o == OP_TRUE) {
    const child = o == OP_TRUE ? 1 : fa(n);
    stack.reserve(3 * size);
    let l = loc;
    for (let i: i32 = 0; i < size; i++) {
      stack.push3(l, d1, child);
      l += stride;
    }
  } else if (o == OP_RANGE) {
    const base = n * NODE_W;
    const b = nodes.get(base + 3);
    let e = nodes.get(base + 4);
    const st = nodes.get(base + 5);
    if (e < 0 || e > size) e = size;
    const child = fa(n);
    for (let i: i64 = <i64>b; i < <i64>e; i += <i64>st) stack.push3(loc + <i32>i * stride, d1, child);
  } else if (o == OP_ANY) {
    if (size > 0) {
      let i = <i32>(Math.random() * <f64>size);
      if (i >= size) i = size - 1;
      stack.push3(loc + i * stride, d1, fa(n));
    }
  } else if (o == OP_UNION) {
    steps(fa(n), dim, loc);
    steps(fb(n), dim, loc);
  } else if (o == OP_INTER) {
    const s0 = stack.len;
    steps(fa(n), dim, loc);
    const s1 = stack.len;
    steps(fb(n), dim, loc);
    const s2 = stack.len;
    for (let i = s0; i < s1; i += 3) {
      const li = stack.get(i);
      for (let j = s1; j < s2; j += 3) {
        if (stack.get(j) == li) {
          const r = reduceIntersection(stack.get(i + 2), stack.get(j + 2));
          stack.push3(li, d1, r);
        }
      }
    }
    const m = stack.len - s2;
    memory.copy(stack.ptr + (<usize>s0 << 2), stack.ptr + (<usize>s2 << 2), <usize>m << 2);
    stack.len = s0 + m;
  } else if (o != OP_FALSE) {
    err = ERR_NOT_ROUTABLE;
  }
}

function ensureTable(n: i32): void {
  let cap = hMask + 1;
  if (n * 2 <= cap) return;
  while (cap < n * 2) cap <<= 1;
  hStamp.resize(cap);
  hLoc.resize(cap);
  hCanon.resize(cap);
  hVal.resize(cap);
  memory.fill(hStamp.ptr, 0, <usize>cap << 2);
  hMask = cap - 1;
  stamp = 0;
}

/** A fresh stamp (the table's slots with an older stamp are empty); clears the table on wrap-around. */
function nextStamp(): void {
  stamp++;
  if (stamp == 0x7fffffff) {
    memory.fill(hStamp.ptr, 0, <usize>(hMask + 1) << 2);
    stamp = 1;
  }
}

@inline function hash(a: i32, b: i32): i32 {
  let h = <u32>a * 0x9e3779b1 ^ (<u32>b * 0x85ebca77);
  h ^= h >> 15;
  return <i32>h;
}

/** Drops frames of stack[s0..len) whose (loc, canon) appeared earlier in that range; keeps order. */
function dedup(s0: i32): void {
  const n = (stack.len - s0) / 3;
  if (n < 2) return;
  ensureTable(n);
  nextStamp();
  let w = s0;
  for (let r = s0; r < stack.len; r += 3) {
    const loc = stack.get(r);
    const node = stack.get(r + 2);
    const c = canonOf(node);
    let h = hash(loc, c) & hMask;
    let dup = false;
    while (hStamp.get(h) == stamp) {
      if (hLoc.get(h) == loc && hCanon.get(h) == c) {
        dup = true;
        break;
      }
      h = (h + 1) & hMask;
    }
    if (dup) continue;
    hStamp.set(h, stamp);
    hLoc.set(h, loc);
    hCanon.set(h, c);
    if (w != r) {
      stack.set(w, loc);
      stack.set(w + 1, stack.get(r + 1));
      stack.set(w + 2, node);
    }
    w += 3;
  }
  stack.len = w;
}

function resolveOne(rank: i32, loc: i32, dim: i32, n: i32): void {
  if (loc != rank) {
    out.push3(loc, dim, n);
    return;
  }
  if (dim >= nd) {
    if (leafValue(n)) deliverFlag = 1;
    return;
  }
  const s0 = stack.len;
  steps(n, dim, loc);
  dedup(s0);
  const s1 = stack.len;
  for (let i = s0; i < s1; i += 3) resolveOne(rank, stack.get(i), stack.get(i + 1), stack.get(i + 2));
  stack.len = s0;
}

function resolveFrom(rank: i32, src: IVec, start: i32, nFrames: i32): void {
  deliverFlag = 0;
  out.len = 0;
  stack.len = 0;
  for (let k: i32 = 0; k < nFrames; k++) {
    const p = start + 3 * k;
    resolveOne(rank, src.get(p), src.get(p + 1), src.get(p + 2));
  }
}

/**
 * One hop: resolves the `nFrames` frames written at `inputPtr` at comm actor `rank`; `deliverHere()`
 * tells whether to deliver, and the frames for peers are grouped per peer (first-appearance
 * order) at `groupedPtr()`: `[peer, rank, count, frames(count * 3)...]` per peer. Returns the
 * number of peers, or -error.
 */
export function resolveGrouped(rank: i32, nFrames: i32): i32 {
  err = 0;
  resolveFrom(rank, input, 0, nFrames);
  if (err) return -err;
  queue.len = 0;
  enqueueGrouped(rank);
  return groupLoc.len;
}
export function groupedPtr(): usize {
  return queue.ptr;
}
export function deliverHere(): i32 {
  return deliverFlag;
}

/** Groups `out` by peer (first-appearance order) and appends one message per peer to `queue`. */
function enqueueGrouped(parent: i32): void {
  const n = out.len / 3;
  groupLoc.len = 0;
  if (n == 0) return;
  ensureTable(n);
  nextStamp();
  groupOf.resize(n);
  groupLoc.len = 0;
  groupCount.len = 0;
  for (let k: i32 = 0; k < n; k++) {
    const loc = out.get(3 * k);
    let h = hash(loc, -1) & hMask;
    let g: i32 = -1;
    while (hStamp.get(h) == stamp) {
      if (hLoc.get(h) == loc) {
        g = hVal.get(h);
        break;
      }
      h = (h + 1) & hMask;
    }
    if (g < 0) {
      g = groupLoc.len;
      hStamp.set(h, stamp);
      hLoc.set(h, loc);
      hVal.set(h, g);
      groupLoc.push(loc);
      groupCount.push(0);
    }
    groupCount.set(g, groupCount.get(g) + 1);
    groupOf.set(k, g);
  }
  const ng = groupLoc.len;
  groupPos.resize(ng);
  let pos = queue.len;
  for (let g: i32 = 0; g < ng; g++) {
    groupPos.set(g, pos + 3);
    pos += 3 + 3 * groupCount.get(g);
  }
  queue.resize(pos);
  for (let g: i32 = 0; g < ng; g++) {
    const p = groupPos.get(g) - 3;
    queue.set(p, groupLoc.get(g));
    queue.set(p + 1, parent);
    queue.set(p + 2, groupCount.get(g));
  }
  for (let k: i32 = 0; k < n; k++) {
    const g = groupOf.get(k);
    const p = groupPos.get(g);
    queue.set(p, out.get(3 * k));
    queue.set(p + 1, out.get(3 * k + 1));
    queue.set(p + 2, out.get(3 * k + 2));
    groupPos.set(g, p + 3);
  }
  messageCount += ng;
  frameCount += n;
}

/**
 * The whole cast: the root frame goes to the first hop (location of coordinates 0), then every
 * comm actor resolves the frames it received and forwards one message per peer, breadth-first.
 * Returns the number of deliveries (ranks at `deliveredPtr()`), or -error. `parentsPtr()` holds
 * (rank, parent) per message received, parent -1 for the first hop.
 */
export function routeAll(): i32 {
  err = 0;
  queue.len = 0;
  delivered.len = 0;
  parents.len = 0;
  messageCount = 1;
  frameCount = 1;
  queue.push3(offset, -1, 1);
  queue.push3(offset, 0, root);
  let head: i32 = 0;
  while (head < queue.len) {
    const rank = queue.get(head);
    const parent = queue.get(head + 1);
    const n = queue.get(head + 2);
    parents.push(rank);
    parents.push(parent);
    resolveFrom(rank, queue, head + 3, n);
    if (err) return -err;
    if (deliverFlag) delivered.push(rank);
    head += 3 + 3 * n;
    enqueueGrouped(rank);
  }
  return delivered.len;
}
export function deliveredPtr(): usize {
  return delivered.ptr;
}
export function parentsPtr(): usize {
  return parents.ptr;
}
export function messages(): i32 {
  return messageCount;
}
export function forwardedFrames(): i32 {
  return frameCount;
}
