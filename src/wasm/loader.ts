/**
 * Loads the AssemblyScript kernels in `build/<name>.wasm` synchronously, once per process.
 *
 * Choices (measured on the enumerate kernel; see bench/RESULTS.md "WASM runtime and bindings"):
 * - runtime `stub`: for kernels that never allocate managed objects, stub, minimal and incremental
 *   compile to identical binaries (1.8 KB) with the same speed, so the runtime choice is invisible
 *   on the hot path. Stub is kept because it enforces the design: kernels read and write plain
 *   linear memory through `load`/`store` at offsets handed out by the module's own scratch area,
 *   reused from call to call, so there is no collector and memory stays flat.
 * - instantiated with `@assemblyscript/loader` (`instantiateSync`), whose helpers read what the
 *   kernels hand out as AssemblyScript objects (`__getString` for abort and trace messages); the
 *   kernels themselves are called through the raw `instance.exports`, not the loader's demangled
 *   wrappers (each wraps a call in a rest/spread closure that sets the argument count).
 * - raw exports (no `--bindings esm` glue): every export takes and returns numbers only; JS views
 *   the memory through typed arrays that `KernelModule.u32()` re-creates after `memory.grow`.
 *   The esm bindings copy arrays across the boundary on every call: measured 3-5x slower per
 *   small call (64 ranks: 2.0-3.4 us vs 0.35-0.75 us) and about 2x slower on 500k ranks
 *   (0.8-1.2 ms vs 0.37-0.43 ms).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateSync, type ASUtil } from '@assemblyscript/loader';
import { WasmError, WasmKernelError } from '../base/errors.js';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    // The repo has assembly/ (build/ may not exist yet); an installed package ships build/.
    if (existsSync(join(dir, 'package.json')) && (existsSync(join(dir, 'assembly')) || existsSync(join(dir, 'build')))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new WasmError('KernelsNotFound', 'cannot locate the package root (build/*.wasm): expected a package.json beside assembly/ or build/');
    dir = up;
  }
}

/** One instantiated kernel module: its raw exports and views over its linear memory. */
export class KernelModule<E extends object = Record<string, unknown>> {
  readonly name: string;
  readonly exports: E;
  readonly memory: WebAssembly.Memory;
  private buffer!: ArrayBuffer;
  private u32View!: Uint32Array;
  private i32View!: Int32Array;

  constructor(name: string, instance: WebAssembly.Instance) {
    this.name = name;
    this.exports = instance.exports as unknown as E;
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.refresh();
  }

  /** Re-creates the views when `memory.grow` replaced the buffer (and on first use). */
  private refresh(): void {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.u32View = new Uint32Array(this.buffer);
      this.i32View = new Int32Array(this.buffer);
    }
  }
  /** A Uint32Array over the whole memory, valid until the next call that may grow memory. */
  u32(): Uint32Array {
    this.refresh();
    return this.u32View;
  }
  /** An Int32Array over the whole memory, valid until the next call that may grow memory. */
  i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }
  /** Bytes of linear memory currently committed. */
  byteLength(): number {
    return this.memory.buffer.byteLength;
  }
}

const cache = new Map<string, KernelModule<any>>();

/** Instantiates (once) and returns the kernel module `build/<name>.wasm`. */
export function loadKernel<E extends object>(name: string): KernelModule<E> {
  const hit = cache.get(name);
  if (hit) return hit as KernelModule<E>;
  const file = join(packageRoot(), 'build', `${name}.wasm`);
  if (!existsSync(file)) {
    throw new WasmKernelError(name, `${file} is missing; run \`npm run build:wasm\``);
  }
  // The loader's helpers exist once instantiation returned; an abort during `_initialize` or a
  // kernel call reads its message through them.
  let util: ASUtil | undefined;
  const text = (ptr: number): string => (util !== undefined && ptr !== 0 ? util.__getString(ptr) : '');
  const loaded = instantiateSync<Record<string, unknown>>(readFileSync(file), {
    env: {
      abort(msg: number, fileName: number, line: number, col: number) {
        throw new WasmKernelError(name, `abort: ${text(msg)} at ${text(fileName)}:${line}:${col}`);
      },
      seed() {
        return Math.random() * 2 ** 53;
      },
      trace(msg: number, n: number, ...args: number[]) {
        console.log(`[wasm ${name}] ${text(msg)}`, ...args.slice(0, n));
      },
    },
  });
  util = loaded.exports;
  const instance = loaded.instance as unknown as WebAssembly.Instance;
  const start = instance.exports._initialize as (() => void) | undefined;
  if (start) start();
  const km = new KernelModule<E>(name, instance);
  cache.set(name, km);
  return km;
}

/**
 * Converts whatever a kernel call threw into a typed error: a `WebAssembly.RuntimeError`
 * (trap, e.g. `unreachable` or out-of-bounds memory) becomes a `WasmKernelError` naming the
 * kernel; typed errors pass through unchanged (docs/architecture.md WASM-1).
 */
export function translateTrap(kernel: string, e: unknown): Error {
  if (e instanceof WasmKernelError) return e;
  if (e instanceof WebAssembly.RuntimeError) return new WasmKernelError(kernel, e.message, { cause: e });
  if (e instanceof RangeError) return new WasmKernelError(kernel, e.message, { cause: e });
  return e instanceof Error ? e : new WasmKernelError(kernel, String(e));
}
