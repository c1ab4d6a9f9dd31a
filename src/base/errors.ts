/**
 * Root of every error actormesh throws on purpose, and the brand that makes `instanceof` work
 * across two loaded copies of the package.
 *
 * Invariants:
 * - `kind` names the error enum (Monarch's where there is one: `SliceError`, `ViewError`,
 *   `MeshError` for `v1::Error`, ...) and `variant` its variant (`InvalidDims`, `EmptyRange`, ...).
 *   Several enums share a variant name (`EmptyRange` exists for slices, views, shapes and
 *   overlays), so a variant class may carry a prefix (`SliceEmptyRange`) while `variant` stays
 *   Monarch's name. Payload fields are plain own properties (`err.expected`, `err.got`, ...).
 * - Every kind has one base class named exactly as its kind (`class SliceError extends
 *   ActormeshError<'SliceError', SliceErrorVariant>`), directly below this root; every variant
 *   class extends its kind's base. So `kind` is a string literal and `variant` a literal union,
 *   and `if (e instanceof SliceError) switch (e.variant) { ... }` narrows
 *   (docs/architecture.md ERR-1). Pinned by
 *   test/base/errors.test.ts.
 * - `instanceof` holds across copies (src/ through tsx and dist/ through `actormesh`, or two
 *   installs): the root's prototype carries `Symbol.for('actormesh.error')`, and
 *   `Symbol.hasInstance` falls back, for a branded object of another copy, to matching class
 *   names along its prototype chain. Error class names are therefore unique across the package
 *   (test/base/errors.test.ts) and kept in the bundle (test/package-root.test.ts)
 *   (docs/architecture.md ERR-2).
 */

/** The brand on `ActormeshError.prototype`, shared by every copy of the package. */
export const ERROR_BRAND: unique symbol = Symbol.for('actormesh.error') as never;

const ownInstanceOf = Function.prototype[Symbol.hasInstance];

export class ActormeshError<K extends string = string, V extends string = string> extends Error {
  readonly kind: K;
  readonly variant: V;
  constructor(kind: K, variant: V, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.variant = variant;
    this.name = new.target.name;
  }

  /**
   * `x instanceof C` for `C` this class or any subclass: the prototype check first; then, for an
   * actormesh error of another copy of the package (branded), whether a class named as `C` is on
   * its prototype chain. A class of one copy matches the same-named class of the other, and only
   * that one: `SliceError` of copy A is no `ExtentError` of copy B.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (ownInstanceOf.call(this, x)) return true;
    if (typeof x !== 'object' || x === null || (x as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] !== true) return false;
    const name = this.name;
    for (let p: object | null = Object.getPrototypeOf(x) as object | null; p !== null && ERROR_BRAND in p; p = Object.getPrototypeOf(p) as object | null) {
      if (Object.hasOwn(p, 'constructor') && (p as { constructor: { name: string } }).constructor.name === name) return true;
    }
    return false;
  }
}
Object.defineProperty(ActormeshError.prototype, ERROR_BRAND, { value: true });

/** Variants of `WasmError`: a kernel trapped, or the compiled kernels could not be found. */
export type WasmErrorVariant = 'WasmKernelError' | 'KernelsNotFound';

/** An error of the WebAssembly kernels (loading or running them). */
export class WasmError extends ActormeshError<'WasmError', WasmErrorVariant> {
  constructor(variant: WasmErrorVariant, message: string, options?: { cause?: unknown }) {
    super('WasmError', variant, message, options);
  }
}

/**
 * A WebAssembly kernel trapped or aborted. Facades validate their inputs before calling a kernel,
 * so this signals a bug in actormesh, never bad user input; it still never reaches a caller as a
 * bare `RuntimeError: unreachable`.
 */
export class WasmKernelError extends WasmError {
  readonly kernel: string;
  constructor(kernel: string, detail: string, options?: { cause?: unknown }) {
    super('WasmKernelError', `WASM kernel ${kernel} failed: ${detail}`, options);
    this.kernel = kernel;
  }
}
