/**
 * Facade over the `rle` WASM kernel (assembly/rle.ts): run-list merge, dense↔runs encoding and the
 * dense status state with its incremental NotExist count.
 *
 * Invariants enforced here, so the kernel never sees bad input: run lists handed to the kernel are
 * sorted, non-overlapping, non-empty `(start, end, code)` u32 triples (callers build them through
 * validated overlays/meshes) and every run of an overlay applied to a dense state ends within it.
 * Memory: this module owns the kernel's linear memory above `heapBase()` through `Arena`
 * (power-of-two blocks with free lists). Scratch blocks are reused from call to call and only grow,
 * so memory stays flat under repeated calls; dense states are freed by `dispose()` or, failing
 * that, by a FinalizationRegistry when their owner is collected. Only `Arena.alloc` grows the
 * memory, and it refreshes the module's u32 `view` when it does.
 *
 * Boundary choice (measured by bench/hotpath/status-reduce.ts, perf-notes "JS ↔ WebAssembly"):
 * bulk work — merges, encode/decode, multi-run or long-run overlays — is one kernel call; a run of
 * fewer than JS_RUN_MAX ranks (the single-rank agent reply) is written from JS through `view`
 * into the same WASM-resident state, because a call costs more than that work.
 */
import { loadKernel, translateTrap, type KernelModule } from '../wasm/loader.js';
import { StateDisposed } from './errors.js';

interface RleExports {
  memory: unknown;
  heapBase(): number;
  lastCount(): number;
  mergeRuns(lp: number, ln: number, rp: number, rn: number, op: number, countCode: number): number;
  encodeDense(cp: number, n: number, op: number, countCode: number): number;
  decodeRuns(rp: number, rn: number, op: number, n: number, fill: number): void;
  applyRuns(sp: number, n: number, rp: number, rn: number, countCode: number): number;
  applyOne(sp: number, n: number, start: number, end: number, code: number, countCode: number): number;
  countCodeBelow(rp: number, rn: number, code: number, limit: number): number;
}

const PAGE = 65536;
const MIN_BLOCK = 64;

/** Power-of-two block allocator over the kernel's linear memory (JS-side bookkeeping). */
class Arena {
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly sizes = new Map<number, number>();
  constructor(
    private readonly km: KernelModule<RleExports>,
    base: number,
  ) {
    this.top = base;
  }
  alloc(bytes: number): number {
    let size = MIN_BLOCK;
    while (size < bytes) size *= 2;
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.sizes.set(reused, size);
      return reused;
    }
    const ptr = this.top;
    const need = ptr + size - this.km.memory.buffer.byteLength;
    if (need > 0) {
      this.km.memory.grow(Math.ceil(need / PAGE));
      view = this.km.u32();
    }
    this.top = ptr + size;
    this.sizes.set(ptr, size);
    return ptr;
  }
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }
  /** Bytes handed out and not released. */
  liveBytes(): number {
    let t = 0;
    for (const s of this.sizes.values()) t += s;
    return t;
  }
}

/** A scratch block that is reused across calls and only grows. */
class Scratch {
  ptr = 0;
  bytes = 0;
  constructor(private readonly arena: Arena) {}
  ensure(bytes: number): number {
    if (bytes > this.bytes) {
      if (this.bytes) this.arena.release(this.ptr);
      this.ptr = this.arena.alloc(bytes);
      this.bytes = Math.max(bytes, MIN_BLOCK);
    }
    return this.ptr;
  }
}

let km: KernelModule<RleExports> | undefined;
let arena: Arena;
let inA: Scratch;
let inB: Scratch;
let outS: Scratch;
let small = 0; // 16-triple block for single-run overlays
let applyOneFn: RleExports['applyOne'] | undefined; // hoisted: the per-update calls of the accumulator
let applyRunsFn: RleExports['applyRuns'] | undefined;
/** u32 view of the kernel memory; only `Arena.alloc` grows memory, and it refreshes this view. */
let view: Uint32Array = new Uint32Array(0);
/** Runs shorter than this are written from JS through `view`: a kernel call costs more. */
const JS_RUN_MAX = 16;

function kernel(): KernelModule<RleExports> {
  if (!km) {
    const m = loadKernel<RleExports>('rle');
    view = m.u32();
    arena = new Arena(m, m.exports.heapBase());
    inA = new Scratch(arena);
    inB = new Scratch(arena);
    outS = new Scratch(arena);
    small = arena.alloc(16 * 12);
    applyOneFn = m.exports.applyOne;
    applyRunsFn = m.exports.applyRuns;
    km = m;
  }
  return km;
}

function call<R>(fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    throw translateTrap('rle', e);
  }
}

/** Result of a run-list kernel: `runs` holds `count` (start, end, code) triples. */
export interface CodeRuns {
  runs: Uint32Array;
  /** Number of ranks covered by runs with the count code. */
  counted: number;
}

/**
 * Right-wins merge of two code run lists (`ln`/`rn` triples), coalescing touching equal codes.
 * Also counts output ranks whose code is `countCode`.
 */
export function mergeCodeRuns(left: Uint32Array, ln: number, right: Uint32Array, rn: number, countCode: number): CodeRuns {
  const k = kernel();
  return call(() => {
    const lp = inA.ensure(ln * 12);
    const rp = inB.ensure(rn * 12);
    const op = outS.ensure((ln + 2 * rn + 1) * 12);
    const mem = k.u32();
    mem.set(left.subarray(0, ln * 3), lp >>> 2);
    mem.set(right.subarray(0, rn * 3), rp >>> 2);
    const n = k.exports.mergeRuns(lp, ln, rp, rn, op, countCode);
    const out = k.u32().slice(op >>> 2, (op >>> 2) + n * 3);
    return { runs: out, counted: k.exports.lastCount() };
  });
}

/** Dense codes → coalesced code runs (one kernel call). */
export function encodeDenseCodes(codes: Uint32Array, countCode: number): CodeRuns {
  const k = kernel();
  return call(() => {
    const n = codes.length;
    const cp = inA.ensure(n * 4);
    const op = outS.ensure(n * 12);
    k.u32().set(codes, cp >>> 2);
    const r = k.exports.encodeDense(cp, n, op, countCode);
    return { runs: k.u32().slice(op >>> 2, (op >>> 2) + r * 3), counted: k.exports.lastCount() };
  });
}

/** Code runs → dense codes over `n` ranks; uncovered ranks get `fill`. */
export function decodeCodeRuns(runs: Uint32Array, rn: number, n: number, fill: number): Uint32Array {
  const k = kernel();
  return call(() => {
    const rp = inA.ensure(rn * 12);
    const op = outS.ensure(n * 4);
    k.u32().set(runs.subarray(0, rn * 3), rp >>> 2);
    k.exports.decodeRuns(rp, rn, op, n, fill);
    return k.u32().slice(op >>> 2, (op >>> 2) + n);
  });
}

/** Ranks below `limit` covered by runs with `code` (computed in JS: one pass, no copying). */
export function countCodeBelow(runs: Uint32Array, rn: number, code: number, limit: number): number {
  let total = 0;
  for (let j = 0; j < rn; j++) {
    if (runs[j * 3 + 2] !== code) continue;
    const s = runs[j * 3]!;
    const e = Math.min(runs[j * 3 + 1]!, limit);
    if (s < e) total += e - s;
  }
  return total;
}

const registry = new FinalizationRegistry<number>((ptr) => {
  if (km) arena.release(ptr);
});

/**
 * A dense array of `n` u32 codes living in the kernel's memory: the status accumulator's state.
 * `apply` writes an overlay's runs in one kernel call and returns the change in the count of
 * `countCode` ranks, which keeps completion checks O(1).
 */
export class DenseCodeState {
  readonly n: number;
  private ptr: number;
  private readonly token = {};
  constructor(n: number, fill: number) {
    const k = kernel();
    this.n = n;
    this.ptr = arena.alloc(Math.max(4, n * 4));
    k.u32().fill(fill, this.ptr >>> 2, (this.ptr >>> 2) + n);
    registry.register(this, this.ptr, this.token);
  }
  private live(): number {
    if (this.ptr < 0) throw new StateDisposed('a status accumulation state');
    return this.ptr;
  }
  /**
   * Applies `rn` validated triples (ends ≤ n) right-wins in one kernel call; codes are mapped
   * through `codeMap` when given. Returns Δ(#ranks with countCode).
   */
  apply(runs: ArrayLike<number>, rn: number, countCode: number, codeMap?: Uint32Array): number {
    const sp = this.live();
    try {
      const rp = rn <= 16 ? small : inB.ensure(rn * 12);
      const v = view; // ensure() may have grown memory and refreshed the view
      const at = rp >>> 2;
      for (let j = 0; j < rn * 3; j += 3) {
        v[at + j] = runs[j]!;
        v[at + j + 1] = runs[j + 1]!;
        v[at + j + 2] = codeMap ? codeMap[runs[j + 2]!]! : runs[j + 2]!;
      }
      return applyRunsFn!(sp, this.n, rp, rn, countCode);
    } catch (e) {
      throw translateTrap('rle', e);
    }
  }
  /**
   * Applies one validated run `(start, end ≤ n, code)` right-wins; returns Δ(#ranks with
   * countCode). Short runs (a single-rank agent reply) are written from JS straight into the
   * kernel memory, since one JS→WASM call costs more than the work; longer runs take one call.
   */
  applyOne(start: number, end: number, code: number, countCode: number): number {
    if (this.ptr < 0) this.live();
    if (end - start < JS_RUN_MAX) {
      const base = this.ptr >>> 2;
      const v = view;
      let delta = 0;
      for (let k = base + start, e = base + Math.min(end, this.n); k < e; k++) {
        const old = v[k]!;
        if (old !== code) {
          if (old === countCode) delta--;
          else if (code === countCode) delta++;
          v[k] = code;
        }
      }
      return delta;
    }
    try {
      return applyOneFn!(this.ptr, this.n, start, end, code, countCode);
    } catch (e) {
      throw translateTrap('rle', e);
    }
  }
  /** The code of one rank. */
  get(rank: number): number {
    return view[(this.live() >>> 2) + rank]!;
  }
  /** Coalesced runs of the current state (one kernel call). */
  encode(countCode: number): CodeRuns {
    const k = km!;
    const sp = this.live();
    return call(() => {
      const op = outS.ensure(this.n * 12);
      const r = k.exports.encodeDense(sp, this.n, op, countCode);
      return { runs: k.u32().slice(op >>> 2, (op >>> 2) + r * 3), counted: k.exports.lastCount() };
    });
  }
  /** Copies the codes out. */
  codes(): Uint32Array {
    const p = this.live() >>> 2;
    return km!.u32().slice(p, p + this.n);
  }
  /** Returns the block to the arena; the state is unusable afterwards. Idempotent. */
  dispose(): void {
    if (this.ptr < 0) return;
    registry.unregister(this.token);
    arena.release(this.ptr);
    this.ptr = -1;
  }
}

/** Diagnostics: committed bytes of the kernel's memory and bytes held by live blocks. */
export function rleMemoryStats(): { committed: number; live: number } {
  const k = kernel();
  return { committed: k.byteLength(), live: arena.liveBytes() };
}
