// The subset of the WebAssembly JS API that actormesh uses. TypeScript ships these declarations
// only in lib.dom, and @types/node 20 does not declare them; pulling in all of DOM for four
// classes would put browser globals into a Node library's types.
declare namespace WebAssembly {
  type Fn = (...args: any[]) => any;
  type ImportValue = Fn | Memory | number;
  type Imports = Record<string, Record<string, ImportValue>>;
  type Exports = Record<string, Fn | Memory | unknown>;
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class RuntimeError extends Error {}
  class CompileError extends Error {}
  class LinkError extends Error {}
}
