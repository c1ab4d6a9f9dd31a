// The layering of src/, checked mechanically: the folders form the layers listed in the "Layers"
// block of docs/architecture.md (top = lowest), every import between folders goes down that list
// (a layer imports only from the layers above it), and no value import closes a cycle between
// files except the allow-listed ones inside ndslice. `src/base` (the root error class) is the
// lowest layer; `src/index.ts` (the package root) sits above all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = 'src';

/** Value-import cycles that are known and deliberate (each file pair explained). */
const ALLOWED_CYCLES: ReadonlyArray<{ files: readonly string[]; why: string }> = [
  {
    files: ['src/ndslice/kernels.ts', 'src/ndslice/reference.ts'],
    why: 'the WASM kernels fall back to their plain-TS reference (e.g. when the kernels are not loaded), and the reference fills the same caller buffers (`outBuffer`)',
  },
  {
    files: ['src/ndslice/extent.ts', 'src/ndslice/point.ts', 'src/ndslice/region.ts', 'src/ndslice/view.ts'],
    why: "the ndslice value types build one another (an extent makes its points and region, a region its extent, a view its region), as in Monarch's ndslice crate",
  },
];

interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports and re-exports of every source file (comments removed first). */
function imports(): Import[] {
  const out: Import[] = [];
  const re = /^(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gm;
  for (const f of sourceFiles(SRC)) {
    const text = readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(re)) {
      const spec = m[3] ?? m[4]!;
      const names = (m[2] ?? '').trim();
      // `import { type A, type B } from` is as type-only as `import type { A, B } from`.
      const allTypes =
        /^\{[^}]*\}$/.test(names) &&
        names
          .slice(1, -1)
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .every((x) => x.startsWith('type '));
      const to = relative('.', resolve(dirname(f), spec)).replace(/\.js$/, '.ts');
      out.push({ from: f, to, typeOnly: m[1] !== undefined || allTypes });
    }
  }
  return out;
}

/** The layer folders in the order of docs/architecture.md's "Layers" block (lowest first). */
function documentedLayers(): string[] {
  const doc = readFileSync('docs/architecture.md', 'utf8');
  const section = doc.slice(doc.indexOf('\n## Layers\n'));
  const block = section.slice(section.indexOf('```') + 3, section.indexOf('```', section.indexOf('```') + 3));
  return [...block.matchAll(/^src\/(\w+)\s/gm)].map((m) => m[1]!);
}

/** Layer rank of a source file: +∞ for src/index.ts, else its folder's. */
function rankOf(file: string, layers: readonly string[]): number {
  const rel = relative(SRC, file);
  if (rel === 'index.ts') return Number.POSITIVE_INFINITY;
  const r = layers.indexOf(rel.split('/')[0]!);
  assert.ok(r >= 0, `${file} is in no layer of the list in docs/architecture.md (${layers.join(', ')})`);
  return r;
}

test('docs/architecture.md lists every folder of src/ as a layer, and only those, with src/base lowest', () => {
  const layers = documentedLayers();
  assert.equal(layers[0], 'base', 'src/base (the root error class) is the lowest layer');
  const folders = readdirSync(SRC)
    .filter((e) => statSync(join(SRC, e)).isDirectory())
    .sort();
  assert.deepEqual([...layers].sort(), folders);
});

test('every import between folders of src/ goes down the layer order of docs/architecture.md', () => {
  const layers = documentedLayers();
  const upward = imports()
    .filter((i) => rankOf(i.to, layers) > rankOf(i.from, layers))
    .map((i) => `${i.from} imports ${i.to}${i.typeOnly ? ' (types only)' : ''}`);
  assert.deepEqual(upward, [], 'a layer may import only from the layers above it in the docs/architecture.md list');
});

test('no value import closes a cycle between source files, except the allow-listed ones', () => {
  const graph = new Map<string, Set<string>>();
  for (const f of sourceFiles(SRC)) graph.set(f, new Set());
  for (const i of imports()) if (!i.typeOnly && graph.has(i.to)) graph.get(i.from)!.add(i.to);
  // Tarjan's strongly connected components.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) cycles.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  const allowed = new Set(ALLOWED_CYCLES.map((c) => [...c.files].sort().join(' ')));
  const found = cycles.map((c) => c.join(' '));
  assert.deepEqual(
    found.filter((c) => !allowed.has(c)),
    [],
    'value-import cycles outside the allow-list',
  );
  // The allow-list stays exact: a cycle that was broken leaves it.
  assert.deepEqual(
    [...allowed].filter((c) => !found.includes(c)),
    [],
    'allow-listed cycles that no longer exist',
  );
});
