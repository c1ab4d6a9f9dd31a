// The shape of actormesh's errors (src/base/errors.ts): one base class per kind, named as its
// kind, directly below `ActormeshError`; `kind` a string literal and `variant` a literal union on
// every exported error class; `instanceof` across two loaded copies of the package (the sources
// through tsx and the built bundle); and no plain Error/TypeError/RangeError thrown from src/.
// Pins docs/architecture.md ERR-1 (one kind base per error, no plain Error thrown), ERR-2
// (instanceof across two copies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { ActormeshError } from '../../src/base/errors.js';
import * as root from '../../src/index.js';
import { Extent, Slice, parseSelection, ValueMesh, Region } from '../../src/index.js';
import { parseActorId } from '../../src/core/index.js';
import { parseAddr } from '../../src/channel/index.js';
import { entries, typeCheck } from '../_support/entry-points.js';

type ErrorClass = (abstract new (...args: never[]) => ActormeshError) & { readonly name: string };

/** Kind bases that are deliberately not exported from the package root (internal or tool-facing kinds). */
const NOT_AT_ROOT = ['BindingError', 'ReferenceParsingError', 'NameParseError', 'ProcMeshAgentError', 'BootstrapError', 'LogFoldError'];

/** `extends Error` outside the hierarchy: internal sentinels, caught and rethrown as typed errors where they are thrown. */
const SENTINELS: ReadonlyArray<{ file: string; cls: string; why: string }> = [
  { file: 'src/core/fast-codec.ts', cls: 'Malformed', why: 'the fast-path decoder unwinds with it; codec.ts rethrows it as DeserializationError' },
  { file: 'src/api/kube-pods.ts', cls: 'DeadlineError', why: 'ends a readiness wait; the waiter turns it into PodsNotReadyError' },
];

/** The source barrels of the package's entry points. */
const entrySources = (): string[] => entries().map((e) => e.source);

async function exportedErrorClasses(): Promise<Map<string, ErrorClass>> {
  const out = new Map<string, ErrorClass>();
  for (const f of entrySources()) {
    const mod = (await import(pathToFileURL(resolve(f)).href)) as Record<string, unknown>;
    for (const [name, v] of Object.entries(mod)) {
      if (typeof v === 'function' && (v === ActormeshError || v.prototype instanceof ActormeshError)) out.set(name, v as ErrorClass);
    }
  }
  return out;
}

/** The class of `C`'s chain directly below `ActormeshError` (undefined for the root itself). */
function kindBaseOf(C: ErrorClass): ErrorClass | undefined {
  let c: ErrorClass = C;
  while (c !== ActormeshError) {
    const parent = Object.getPrototypeOf(c) as ErrorClass;
    if (parent === ActormeshError) return c;
    c = parent;
  }
  return undefined;
}

/** Per exported error class: the literal types of `kind` and `variant` as the type checker sees them (null: not literals). */
function declaredLiterals(names: ReadonlySet<string>): Map<string, { kind: string[] | null; variant: string[] | null; ctorFirst: string[] | null }> {
  const files = entrySources();
  const { program, checker } = typeCheck(files);
  const literals = (t: ts.Type): string[] | null => {
    const parts = t.isUnion() ? t.types : [t];
    return parts.every((p) => p.isStringLiteral()) ? parts.map((p) => (p as ts.StringLiteralType).value).sort() : null;
  };
  const out = new Map<string, { kind: string[] | null; variant: string[] | null; ctorFirst: string[] | null }>();
  for (const f of files) {
    const sf = program.getSourceFile(f)!;
    for (const e of checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!)) {
      if (!names.has(e.name) || out.has(e.name)) continue;
      const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
      const inst = checker.getDeclaredTypeOfSymbol(target);
      const prop = (n: string) => checker.getTypeOfSymbol(checker.getPropertyOfType(inst, n)!);
      const sig = checker.getTypeOfSymbol(target).getConstructSignatures()[0];
      const first = sig?.parameters[0];
      out.set(e.name, { kind: literals(prop('kind')), variant: literals(prop('variant')), ctorFirst: first ? literals(checker.getTypeOfSymbol(first)) : null });
    }
  }
  return out;
}

test('every exported error class extends exactly one kind base, named as its kind literal, with a literal-union variant', async () => {
  const classes = await exportedErrorClasses();
  const decl = declaredLiterals(new Set(classes.keys()));
  const bad: string[] = [];
  const bases = new Set<ErrorClass>();
  for (const [name, C] of classes) {
    if (C === ActormeshError) continue;
    const base = kindBaseOf(C)!;
    bases.add(base);
    const d = decl.get(name)!;
    if (d.kind === null || d.kind.length !== 1 || d.kind[0] !== base.name)
      bad.push(`${name}: kind is ${JSON.stringify(d.kind)}, its kind base is ${base.name}`);
    if (d.variant === null) bad.push(`${name}: variant is not a union of string literals`);
    const baseVariants = decl.get(base.name)?.variant;
    if (baseVariants === undefined) bad.push(`${name}: its kind base ${base.name} is not exported from any entry point`);
    else if (d.variant && !d.variant.every((v) => baseVariants?.includes(v))) bad.push(`${name}: variants outside ${base.name}'s`);
  }
  assert.deepEqual(bad, []);
  // The kind bases a program catches are at the package root.
  const missing = [...bases].map((b) => b.name).filter((n) => !(n in root) && !NOT_AT_ROOT.includes(n));
  assert.deepEqual(missing, [], 'kind bases missing from the package root');
  assert.ok(bases.size >= 30, `${bases.size} kind bases`);
});

test('every variant of every kind base constructs with that kind and variant, and is an instance of its base only', async () => {
  const classes = await exportedErrorClasses();
  const decl = declaredLiterals(new Set(classes.keys()));
  const bases = [...new Set([...classes.values()].filter((C) => C !== ActormeshError).map((C) => kindBaseOf(C)!))];
  let built = 0;
  for (const Base of bases) {
    const d = decl.get(Base.name)!;
    // Kind bases whose constructor takes the variant first (all but the single-variant ones).
    if (d.ctorFirst === null || d.ctorFirst.join() !== d.variant!.join()) continue;
    for (const v of d.variant!) {
      const e = new (Base as unknown as new (...a: unknown[]) => ActormeshError)(v, 'm', 'm', []);
      assert.equal(e.kind, Base.name);
      assert.equal(e.variant, v);
      assert.equal(e.name, Base.name);
      assert.ok(e instanceof ActormeshError && e instanceof Base && e instanceof Error);
      for (const Other of bases) if (Other !== Base) assert.ok(!(e instanceof Other), `${Base.name} is no ${Other.name}`);
      built++;
    }
  }
  assert.ok(built > 100, `${built} variants constructed`);
});

test('errors thrown by real operations carry their kind base and a variant of its union', async () => {
  const classes = await exportedErrorClasses();
  const decl = declaredLiterals(new Set(classes.keys()));
  const thrown: unknown[] = [];
  const attempt = (f: () => unknown) => {
    try {
      f();
      assert.fail('expected a throw');
    } catch (e) {
      thrown.push(e);
    }
  };
  attempt(() => Slice.new(0, [2, 3], [1]));
  attempt(() => Slice.new(0, [2], [1]).get(5));
  attempt(() => Extent.of([['a', 2]]).pointOfRank(7));
  attempt(() => Extent.of([['a', 2]]).concat(Extent.of([['a', 3]])));
  attempt(() => Region.parse('nope'));
  attempt(() => parseSelection('*,,'));
  attempt(() => ValueMesh.new(Extent.of([['a', 2]]).region(), [1]));
  attempt(() => parseActorId('!'));
  attempt(() => parseAddr('tcp:host'));
  const bad: string[] = [];
  for (const e of thrown) {
    if (!(e instanceof ActormeshError)) {
      bad.push(`not an ActormeshError: ${String(e)}`);
      continue;
    }
    const base = kindBaseOf(e.constructor as ErrorClass)!;
    if (e.kind !== base.name) bad.push(`${e.name}: kind ${e.kind}, base ${base.name}`);
    if (!decl.get(base.name)?.variant?.includes(e.variant)) bad.push(`${e.name}: variant ${e.variant} outside ${base.name}'s union`);
  }
  assert.deepEqual(bad, []);
  assert.equal(thrown.length, 9);
});

test('instanceof holds across two loaded copies (sources and the built bundle), both ways, and stays precise', async (t) => {
  const bundle = 'dist/bundle/index.js';
  if (!existsSync(bundle)) {
    t.skip('dist/bundle is not built (npm test builds it first: `npm run build`)');
    return;
  }
  const other = (await import(pathToFileURL(resolve(bundle)).href)) as typeof root;
  assert.notEqual(other.SliceError, root.SliceError, 'two copies');
  const ndsliceOther = (await import(pathToFileURL(resolve('dist/bundle/ndslice.js')).href)) as typeof import('../../src/ndslice/index.js');
  const ndslice = await import('../../src/ndslice/index.js');

  // bundle → sources
  const fromBundle = new other.SliceError('InvalidDims', 'm');
  assert.ok(fromBundle instanceof root.ActormeshError);
  assert.ok(fromBundle instanceof root.SliceError);
  assert.ok(fromBundle instanceof Error);
  assert.ok(!(fromBundle instanceof root.ExtentError));
  assert.ok(!(fromBundle instanceof root.ShapeError));
  assert.ok(!(fromBundle instanceof ndslice.InvalidDims), 'a SliceError is not its InvalidDims variant class');
  let real: unknown;
  try {
    other.Slice.new(0, [2, 3], [1]);
  } catch (e) {
    real = e;
  }
  assert.ok(real instanceof ndslice.InvalidDims && real instanceof root.SliceError && real instanceof root.ActormeshError);
  assert.ok(!(real instanceof ndslice.InvalidInteger) && !(real instanceof root.MeshError));
  assert.equal(real.expected, 2);

  // sources → bundle
  const fromSources = new root.TimeoutError('ask', 5);
  assert.ok(fromSources instanceof other.ActormeshError);
  assert.ok(fromSources instanceof other.MailboxError);
  assert.ok(fromSources instanceof other.TimeoutError);
  assert.ok(!(fromSources instanceof other.PortClosedError));
  assert.ok(!(fromSources instanceof other.ChannelError));
  assert.ok(new ndslice.SliceEmptyRange(1, 1, 1) instanceof ndsliceOther.SliceError);
  assert.ok(!(new ndslice.SliceEmptyRange(1, 1, 1) instanceof ndsliceOther.ViewEmptyRange));

  // Non-errors and foreign errors are no actormesh errors in either copy.
  for (const x of [new Error('x'), new TypeError('x'), { [Symbol.for('actormesh.error')]: true, kind: 'SliceError' }, null, undefined, 7, 'SliceError']) {
    assert.ok(!(x instanceof root.ActormeshError) && !(x instanceof other.ActormeshError), String(x));
    assert.ok(!(x instanceof root.SliceError) && !(x instanceof other.SliceError), String(x));
  }
});

test('error class names are unique across the entry points (the cross-copy check matches by name)', async () => {
  const classes = await exportedErrorClasses();
  const byName = new Map<string, Set<ErrorClass>>();
  for (const C of classes.values()) byName.set(C.name, (byName.get(C.name) ?? new Set()).add(C));
  assert.deepEqual(
    [...byName].filter(([, s]) => s.size > 1).map(([n]) => n),
    [],
  );
});

test('no file of src/ throws a plain Error, TypeError or RangeError, or subclasses one outside the hierarchy', () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
    }
  };
  walk('src');
  const found: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/throw new (?:Error|TypeError|RangeError|SyntaxError)\(|reject\(new (?:Error|TypeError|RangeError)\(/g)) {
      found.push(`${f}: ${m[0]}`);
    }
    for (const m of text.matchAll(/class (\w+)(?:<[^>]*>)? extends (?:Error|TypeError|RangeError)\b/g)) {
      if (f === join('src', 'base', 'errors.ts') && m[1] === 'ActormeshError') continue;
      if (SENTINELS.some((s) => s.file === f && s.cls === m[1])) continue;
      found.push(`${f}: class ${m[1]} extends a built-in error`);
    }
  }
  assert.deepEqual(found, []);
  for (const s of SENTINELS)
    assert.match(readFileSync(s.file, 'utf8'), new RegExp(`class ${s.cls} extends Error`), `sentinel ${s.cls} is gone: drop it from the list`);
});
