/**
 * Root of every error actormesh throws on purpose.
 *
 * Invariant: `variant` is the name of the error variant in Monarch's specification
 * (`InvalidDims`, `EmptyRange`, `OverlappingRanges`, ...). Several Monarch enums share a variant
 * name (`EmptyRange` exists for slices, views, shapes, selections and overlays), so the TS class
 * may carry a prefix while `variant` stays Monarch's name. `kind` names the enum the variant
 * belongs to (`SliceError`, `ViewError`, ...). Payload fields of the variant are plain own
 * properties of the error object (`err.expected`, `err.got`, ...).
 */
export class ActormeshError extends Error {
  readonly variant: string;
  readonly kind: string;
  constructor(kind: string, variant: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.variant = variant;
    this.name = new.target.name;
  }
}

/**
 * A WebAssembly kernel trapped or aborted. Facades validate their inputs before calling a kernel,
 * so this signals a bug in actormesh, never bad user input; it still never reaches a caller as a
 * bare `RuntimeError: unreachable`.
 */
export class WasmKernelError extends ActormeshError {
  readonly kernel: string;
  constructor(kernel: string, detail: string, options?: { cause?: unknown }) {
    super('WasmError', 'WasmKernelError', `WASM kernel ${kernel} failed: ${detail}`, options);
    this.kernel = kernel;
  }
}
