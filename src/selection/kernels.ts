/**
 * Facade of the routing kernel (`build/routing.wasm`, source `assembly/routing.ts`).
 *
 * One WASM call per hop (`resolve`) or per whole cast (`routeAll`). The kernel holds one program
 * at a time; a router re-loads its program (including the intersection residuals the kernel
 * interned meanwhile) when another router used the kernel since its last call.
 *
 * Invariants enforced here before any kernel call: the program came from `compileRoute` (dims,
 * i31 base ranks, validated selection); frames are `(loc, dim, node)` triples with an integer loc,
 * `0 <= dim <= numDim` and a known node. A trap never escapes as `RuntimeError` (`translateTrap`)
 * (docs/architecture.md WASM-1).
 */
import { loadKernel, translateTrap, type KernelModule } from '../wasm/loader.js';
import { InvalidFrame, SelectionNotImplemented } from './errors.js';
import { NODE_WORDS, type CastRouting, type PackedHop, type RouteProgram } from './program.js';

interface RoutingExports {
  inputPtr(n: number): number;
  loadProgram(n: number): number;
  nodeCount(): number;
  nodesPtr(): number;
  canonCount(): number;
  resolveGrouped(rank: number, nFrames: number): number;
  groupedPtr(): number;
  deliverHere(): number;
  routeAll(): number;
  deliveredPtr(): number;
  parentsPtr(): number;
  messages(): number;
  forwardedFrames(): number;
}

let kernel: KernelModule<RoutingExports> | undefined;
let current: WasmRouter | undefined;

function routingKernel(): KernelModule<RoutingExports> {
  return (kernel ??= loadKernel<RoutingExports>('routing'));
}

const ERRORS: Record<number, () => Error> = {
  1: () => new SelectionNotImplemented('routing', 'first'),
};

export class WasmRouter {
  private words: Int32Array;
  private readonly headerWords: number;
  private nodes: number;

  constructor(readonly program: RouteProgram) {
    this.words = program.words;
    this.headerWords = 5 + 2 * program.numDim;
    this.nodes = program.words[2]!;
  }

  /**
   * The program words including the intersection residuals interned so far: what a peer needs
   * (with `decodeRouteProgram`) to resolve frames this router produced.
   */
  programWords(): Int32Array {
    if (current === this) this.saveFrom(routingKernel());
    return this.words.slice();
  }

  /** Node count including intersection residuals interned so far. */
  nodeCount(): number {
    return current === this ? routingKernel().exports.nodeCount() : this.nodes;
  }

  private activate(): RoutingExports {
    const k = routingKernel();
    const x = k.exports;
    if (current === this) return x;
    if (current) current.saveFrom(k);
    const n = this.words.length;
    const ptr = x.inputPtr(n);
    k.i32().set(this.words, ptr >>> 2);
    x.loadProgram(n);
    current = this;
    return x;
  }

  /** Copies the kernel's node table (with interned residuals) back into this router's program. */
  private saveFrom(k: KernelModule<RoutingExports>): void {
    const x = k.exports;
    const n = x.nodeCount();
    if (n === this.nodes) return;
    const words = new Int32Array(this.headerWords + n * NODE_WORDS);
    words.set(this.words.subarray(0, this.headerWords));
    words[2] = n;
    words[3] = x.canonCount();
    const p = x.nodesPtr() >>> 2;
    words.set(k.i32().subarray(p, p + n * NODE_WORDS), this.headerWords);
    this.words = words;
    this.nodes = n;
  }

  private check(frames: Int32Array): void {
    if (!(frames instanceof Int32Array) || frames.length % 3 !== 0) throw new InvalidFrame('frames must be an Int32Array of (loc, dim, node) triples');
    const nodes = this.nodeCount();
    const nd = this.program.numDim;
    for (let i = 0; i < frames.length; i += 3) {
      const dim = frames[i + 1]!;
      const node = frames[i + 2]!;
      if (dim < 0 || dim > nd) throw new InvalidFrame(`frame ${i / 3} has dim ${dim} (expected 0..${nd})`);
      if (node < 0 || node >= nodes) throw new InvalidFrame(`frame ${i / 3} has node ${node} (expected < ${nodes})`);
      if (frames[i]! < 0) throw new InvalidFrame(`frame ${i / 3} has location ${frames[i]} (expected >= 0)`);
    }
  }

  /** One hop at comm actor `rank`: deliver here?, and the frames for each peer rank. */
  resolve(rank: number, frames: Int32Array): PackedHop {
    this.check(frames);
    if (!Number.isInteger(rank) || rank < 0 || rank >= 2 ** 31) throw new InvalidFrame(`rank ${rank} is not a base rank (expected an integer in 0..2^31)`);
    try {
      const x = this.activate();
      const k = routingKernel();
      const ptr = x.inputPtr(frames.length);
      k.i32().set(frames, ptr >>> 2);
      const n = x.resolveGrouped(rank, frames.length / 3);
      if (n < 0) throw (ERRORS[-n] ?? (() => new InvalidFrame(`kernel error ${-n}`)))();
      const deliverHere = x.deliverHere() === 1;
      const i32 = k.i32();
      let p = x.groupedPtr() >>> 2;
      const nextSteps = new Map<number, Int32Array>();
      for (let g = 0; g < n; g++) {
        const count = i32[p + 2]!;
        nextSteps.set(i32[p]!, i32.slice(p + 3, p + 3 + 3 * count));
        p += 3 + 3 * count;
      }
      return { deliverHere, nextSteps };
    } catch (e) {
      throw translateTrap('routing', e);
    }
  }

  /** Routes the whole cast through every hop of its comm tree in one call. */
  routeAll(): CastRouting {
    try {
      const x = this.activate();
      const k = routingKernel();
      const n = x.routeAll();
      if (n < 0) throw (ERRORS[-n] ?? (() => new InvalidFrame(`kernel error ${-n}`)))();
      const messages = x.messages();
      const i32 = k.i32();
      const d = x.deliveredPtr() >>> 2;
      const p = x.parentsPtr() >>> 2;
      return {
        delivered: i32.slice(d, d + n),
        parents: i32.slice(p, p + 2 * messages),
        messages,
        frames: x.forwardedFrames(),
      };
    } catch (e) {
      throw translateTrap('routing', e);
    }
  }
}
