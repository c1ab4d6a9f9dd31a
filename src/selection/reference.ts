/**
 * Plain-TypeScript reference of the routing kernel (`assembly/routing.ts`): same program, same
 * frames `(loc, dim, node)`, same per-frame dedup on `(loc, canon)`, same breadth-first cast
 * simulation. Used as the baseline of bench/hotpath/route.ts and as the oracle of the kernel's
 * tests; not exported from the barrel. The kernel must give this module's results
 * (docs/architecture.md WASM-3).
 */
import { NODE_WORDS, OP, type CastRouting, type RouteProgram, type PackedHop } from './program.js';
import { SelectionNotImplemented } from './errors.js';

export class ReferenceRouter {
  private readonly nd: number;
  private readonly sizes: number[];
  private readonly strides: number[];
  /** Node table: 8 numbers per node; grows with interned intersection residuals. */
  readonly nodes: number[];
  private nCanon: number;
  private readonly dyn = new Map<string, number>();
  private readonly dynCanon = new Map<string, number>();
  private stack: number[] = [];
  private out: number[] = [];
  private deliver = false;

  constructor(readonly program: RouteProgram) {
    const w = program.words;
    this.nd = w[0]!;
    this.nCanon = w[3]!;
    this.sizes = Array.from(w.subarray(5, 5 + this.nd));
    this.strides = Array.from(w.subarray(5 + this.nd, 5 + 2 * this.nd));
    this.nodes = Array.from(w.subarray(5 + 2 * this.nd));
  }

  private reduce(a: number, b: number): number {
    const oa = this.nodes[a * NODE_WORDS]!;
    const ob = this.nodes[b * NODE_WORDS]!;
    if (oa === OP.false || ob === OP.false) return 0;
    if (oa === OP.true) return b;
    if (ob === OP.true) return a;
    const key = `${a},${b}`;
    const hit = this.dyn.get(key);
    if (hit !== undefined) return hit;
    const ck = `${this.nodes[a * NODE_WORDS + 6]},${this.nodes[b * NODE_WORDS + 6]}`;
    let canon = this.dynCanon.get(ck);
    if (canon === undefined) {
      canon = this.nCanon++;
      this.dynCanon.set(ck, canon);
    }
    const id = this.nodes.length / NODE_WORDS;
    this.nodes.push(OP.intersection, a, b, 0, 0, 0, canon, 0);
    this.dyn.set(key, id);
    return id;
  }

  private leafValue(n: number): boolean {
    const o = this.nodes[n * NODE_WORDS]!;
    if (o === OP.true) return true;
    if (o === OP.union) return this.leafValue(this.nodes[n * NODE_WORDS + 1]!) || this.leafValue(this.nodes[n * NODE_WORDS + 2]!);
    if (o === OP.intersection) return this.leafValue(this.nodes[n * NODE_WORDS + 1]!) && this.leafValue(this.nodes[n * NODE_WORDS + 2]!);
    return false;
  }

  private steps(n: number, dim: number, loc: number): void {
    if (dim >= this.nd) return;
    const size = this.sizes[dim]!;
    const stride = this.strides[dim]!;
    const base = n * NODE_WORDS;
    const o = this.nodes[base]!;
    const st = this.stack;
    const d1 = dim + 1;
    switch (o) {
      case OP.false:
        return;
      case OP.true:
      case OP.all: {
        const child = o === OP.true ? 1 : this.nodes[base + 1]!;
        for (let i = 0; i < size; i++) st.push(loc + i * stride, d1, child);
        return;
      }
      case OP.range: {
        const b = this.nodes[base + 3]!;
        let e = this.nodes[base + 4]!;
        const step = this.nodes[base + 5]!;
        if (e < 0 || e > size) e = size;
        const child = this.nodes[base + 1]!;
        for (let i = b; i < e; i += step) st.push(loc + i * stride, d1, child);
        return;
      }
      case OP.any:
        if (size > 0) st.push(loc + Math.floor(Math.random() * size) * stride, d1, this.nodes[base + 1]!);
        return;
      case OP.union:
        this.steps(this.nodes[base + 1]!, dim, loc);
        this.steps(this.nodes[base + 2]!, dim, loc);
        return;
      case OP.intersection: {
        const s0 = st.length;
        this.steps(this.nodes[base + 1]!, dim, loc);
        const s1 = st.length;
        this.steps(this.nodes[base + 2]!, dim, loc);
        const s2 = st.length;
        const pairs: number[] = [];
        for (let i = s0; i < s1; i += 3) {
          for (let j = s1; j < s2; j += 3) {
            if (st[i] === st[j]) pairs.push(st[i]!, d1, this.reduce(st[i + 2]!, st[j + 2]!));
          }
        }
        st.length = s0;
        for (const x of pairs) st.push(x);
        return;
      }
      default:
        throw new SelectionNotImplemented('routing', 'first');
    }
  }

  private dedup(s0: number): void {
    const st = this.stack;
    if (st.length - s0 < 6) return;
    const seen = new Set<number>();
    let w = s0;
    for (let r = s0; r < st.length; r += 3) {
      const key = st[r]! * 2 ** 20 + this.nodes[st[r + 2]! * NODE_WORDS + 6]!;
      if (seen.has(key)) continue;
      seen.add(key);
      st[w] = st[r]!;
      st[w + 1] = st[r + 1]!;
      st[w + 2] = st[r + 2]!;
      w += 3;
    }
    st.length = w;
  }

  private resolveOne(rank: number, loc: number, dim: number, n: number): void {
    if (loc !== rank) {
      this.out.push(loc, dim, n);
      return;
    }
    if (dim >= this.nd) {
      if (this.leafValue(n)) this.deliver = true;
      return;
    }
    const st = this.stack;
    const s0 = st.length;
    this.steps(n, dim, loc);
    this.dedup(s0);
    const s1 = st.length;
    for (let i = s0; i < s1; i += 3) this.resolveOne(rank, st[i]!, st[i + 1]!, st[i + 2]!);
    st.length = s0;
  }

  private resolveFrames(rank: number, frames: ArrayLike<number>, start: number, n: number): void {
    this.deliver = false;
    this.out = [];
    this.stack.length = 0;
    for (let k = 0; k < n; k++) this.resolveOne(rank, frames[start + 3 * k]!, frames[start + 3 * k + 1]!, frames[start + 3 * k + 2]!);
  }

  /** One hop at comm actor `rank`. */
  resolve(rank: number, frames: Int32Array): PackedHop {
    this.resolveFrames(rank, frames, 0, frames.length / 3);
    const groups = new Map<number, number[]>();
    const out = this.out;
    for (let k = 0; k < out.length; k += 3) {
      let g = groups.get(out[k]!);
      if (!g) groups.set(out[k]!, (g = []));
      g.push(out[k]!, out[k + 1]!, out[k + 2]!);
    }
    const nextSteps = new Map<number, Int32Array>();
    for (const [peer, g] of groups) nextSteps.set(peer, Int32Array.from(g));
    return { deliverHere: this.deliver, nextSteps };
  }

  /** The whole cast, breadth-first over comm actors (same order as the kernel); flat queue `[rank, parent, n, frames...]`. */
  routeAll(): CastRouting {
    const first = this.program.offset;
    const queue: number[] = [first, -1, 1, first, 0, this.program.root];
    const delivered: number[] = [];
    const parents: number[] = [];
    let messages = 1;
    let frames = 1;
    const groups = new Map<number, number[]>();
    for (let head = 0; head < queue.length;) {
      const rank = queue[head]!;
      const n = queue[head + 2]!;
      parents.push(rank, queue[head + 1]!);
      this.resolveFrames(rank, queue, head + 3, n);
      if (this.deliver) delivered.push(rank);
      head += 3 + 3 * n;
      const out = this.out;
      groups.clear();
      for (let k = 0; k < out.length; k += 3) {
        let g = groups.get(out[k]!);
        if (!g) groups.set(out[k]!, (g = []));
        g.push(out[k]!, out[k + 1]!, out[k + 2]!);
      }
      for (const [peer, g] of groups) {
        queue.push(peer, rank, g.length / 3);
        for (const x of g) queue.push(x);
      }
      messages += groups.size;
      frames += out.length / 3;
    }
    return { delivered: Int32Array.from(delivered), parents: Int32Array.from(parents), messages, frames };
  }
}
