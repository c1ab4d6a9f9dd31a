// The public surface: the package root (`actormesh`, src/index.ts) is a curated list, the rest of
// each layer is its own entry point (`actormesh/<layer>`, src/<layer>/index.ts), and across all of
// them a name means one thing. Every class carries its own name, in the sources and in the built
// bundle: no export is an alias of a same-named thing from another module (the bundler would
// rename one of them, e.g. `ActorSpawnError2`, and error names and stacks would show it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import ts from 'typescript';
import * as root from '../src/index.js';
import { entries, typeCheck } from './_support/entry-points.js';

/** Most runtime names the package root may export, and most type-only names. */
const ROOT_RUNTIME_LIMIT = 120;
const ROOT_TYPE_LIMIT = 60;

async function load(file: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
}

function misnamed(mod: Record<string, unknown>): string[] {
  return Object.entries(mod)
    .filter(([k, v]) => typeof v === 'function' && /^[A-Z]/.test(k) && (v as { name: string }).name !== k)
    .map(([k, v]) => `${k} is named ${(v as { name: string }).name}`);
}

/** Every exported name of each barrel with the declaration it denotes, and whether it is a value. */
function declaredExports(files: readonly string[]): Map<string, Map<string, { decl: string; value: boolean }>> {
  const { program, checker } = typeCheck(files);
  const out = new Map<string, Map<string, { decl: string; value: boolean }>>();
  for (const f of files) {
    const sf = program.getSourceFile(f);
    assert.ok(sf, `${f} is not a source file`);
    const names = new Map<string, { decl: string; value: boolean }>();
    for (const e of checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!)) {
      const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
      const d = target.declarations?.[0];
      const decl = d ? `${d.getSourceFile().fileName.replace(/^.*?\/src\//, 'src/')}#${target.name}` : target.name;
      names.set(e.name, { decl, value: (target.flags & ts.SymbolFlags.Value) !== 0 });
    }
    out.set(f, names);
  }
  return out;
}

test('package.json "exports" has the root and one entry per layer, each its folder\'s index', () => {
  for (const e of entries()) {
    assert.ok(existsSync(e.source), `${e.specifier}: ${e.source} does not exist`);
    if (e.specifier !== 'actormesh') assert.equal(e.source, `src/${e.specifier.slice('actormesh/'.length)}/index.ts`);
  }
});

test(`the package root exports at most ${ROOT_RUNTIME_LIMIT} runtime names and ${ROOT_TYPE_LIMIT} type-only names`, () => {
  const runtime = Object.keys(root);
  assert.ok(runtime.length <= ROOT_RUNTIME_LIMIT, `${runtime.length} runtime names`);
  const types = [...declaredExports(['src/index.ts']).get('src/index.ts')!].filter(([n]) => !(n in root));
  assert.ok(types.length <= ROOT_TYPE_LIMIT, `${types.length} type-only names`);
});

test('no barrel renames what it exports (`export { X as Y }`)', () => {
  for (const e of entries()) {
    const text = readFileSync(e.source, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const aliases = [...text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').filter((s) => /\sas\s/.test(s)));
    assert.deepEqual(
      aliases.map((a) => a.trim()),
      [],
      `${e.source} aliases`,
    );
  }
});

test('a name means one thing across the root and every subpath (values and types)', () => {
  const es = entries();
  const byName = new Map<string, Map<string, string[]>>();
  for (const [file, names] of declaredExports(es.map((e) => e.source))) {
    for (const [name, { decl }] of names) {
      const decls = byName.get(name) ?? new Map<string, string[]>();
      decls.set(decl, [...(decls.get(decl) ?? []), file]);
      byName.set(name, decls);
    }
  }
  const clashes = [...byName]
    .filter(([, decls]) => decls.size > 1)
    .map(([name, decls]) => `${name}: ${[...decls].map(([d, fs]) => `${d} (${fs.join(', ')})`).join(' vs ')}`);
  assert.deepEqual(clashes, []);
});

test('every root export is the same object in its layer entry point (sources)', async () => {
  const subs = await Promise.all(
    entries()
      .filter((e) => e.specifier !== 'actormesh')
      .map(async (e) => [e.specifier, await load(e.source)] as const),
  );
  const homeless: string[] = [];
  for (const [name, v] of Object.entries(root)) {
    const homes = subs.filter(([, m]) => name in m);
    for (const [spec, m] of homes) assert.equal(m[name], v, `${name} differs between actormesh and ${spec}`);
    // src/base (the root error class and the kernel errors) has no entry point of its own.
    if (homes.length === 0 && !['ActormeshError', 'WasmError', 'WasmKernelError'].includes(name)) homeless.push(name);
  }
  assert.deepEqual(homeless, [], 'root exports that no layer entry point exports');
});

test('every class exported from an entry point (sources) is named as it is exported', async () => {
  for (const e of entries()) assert.deepEqual(misnamed(await load(e.source)), [], e.specifier);
});

test('the built bundle: each entry point exports what its sources export, classes keep their names, and one class is one object across entry points', async (t) => {
  const es = entries();
  if (!es.every((e) => existsSync(e.bundle))) {
    t.skip('dist/bundle is not built (npm test builds it first: `npm run build`)');
    return;
  }
  const built = new Map<string, Record<string, unknown>>();
  for (const e of es) {
    const mod = await load(e.bundle);
    built.set(e.specifier, mod);
    assert.deepEqual(misnamed(mod), [], e.specifier);
    assert.deepEqual(Object.keys(mod).sort(), Object.keys(await load(e.source)).sort(), `${e.bundle} exports what ${e.source} exports`);
  }
  const seen = new Map<string, unknown>();
  for (const [spec, mod] of built) {
    for (const [name, v] of Object.entries(mod)) {
      if (seen.has(name)) assert.equal(v, seen.get(name), `${name} from ${spec} is another object than from an earlier entry point`);
      else seen.set(name, v);
    }
  }
  const top = built.get('actormesh')!;
  const mesh = built.get('actormesh/mesh')!;
  const SupervisionError = mesh['SupervisionError'] as new (meshName: string, failure: undefined, variant: string) => Error;
  const e = new SupervisionError('counter', undefined, 'MeshStopped');
  assert.ok(e instanceof (top['SupervisionError'] as new () => Error), 'instanceof across actormesh and actormesh/mesh');
  assert.ok(e instanceof (top['ActormeshError'] as new () => Error));
});
