// The package's entry points (package.json "exports") and a type checker over their sources:
// what the package-root and error tests read the public surface from.
import { readFileSync } from 'node:fs';
import ts from 'typescript';

export interface Entry {
  /** The specifier a program imports (`actormesh`, `actormesh/mesh`). */
  readonly specifier: string;
  /** The source barrel (`src/index.ts`, `src/mesh/index.ts`). */
  readonly source: string;
  /** The built file (`dist/bundle/index.js`). */
  readonly bundle: string;
}

/** The entry points of package.json "exports". */
export function entries(): Entry[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, string | { types: string; import: string }> };
  return Object.entries(pkg.exports)
    .filter(([k]) => k !== './package.json')
    .map(([k, v]) => {
      const { types, import: js } = v as { types: string; import: string };
      return {
        specifier: k === '.' ? 'actormesh' : `actormesh/${k.slice(2)}`,
        source: types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'),
        bundle: js.replace(/^\.\//, ''),
      };
    });
}

/** A TypeScript program over `files` with the project's module settings, and its checker. */
export function typeCheck(files: readonly string[]): { program: ts.Program; checker: ts.TypeChecker } {
  const program = ts.createProgram([...files], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    noEmit: true,
  });
  return { program, checker: program.getTypeChecker() };
}
