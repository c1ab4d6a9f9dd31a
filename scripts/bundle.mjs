// Bundles the compiled package (dist/src, from `tsc`) into dist/bundle:
// - `runtime.js`: the whole package, one module (every layer's exports), with `child-main.js`
//   (the worker entry) and the chunk the two share; esbuild with code splitting;
// - one file per entry point of package.json "exports" (`index.js` for the package root,
//   `<layer>.js` for `actormesh/<layer>`), each a single `export { ... } from './runtime.js'` of
//   the names its source barrel (`dist/src/<layer>/index.js`) exports;
// - `cli.js`, the `actormesh` command: two lines calling `runCli` of the `actormesh/api` entry.
// Why one runtime module: every worker process imports the runtime at start-up, and resolving
// and loading ~130 module files, then the CommonJS dependencies through Node's ESM loader (which
// parses each one for its export names), cost a worker more than the rest of its boot; an esbuild
// entry per layer would split the code into ~25 chunks by which entries reach it, and importing
// the package would load ~25 files instead of 3 (~15% slower in a fresh process). One runtime
// module also means one copy of each class and registry, whichever entry point a program (or the
// user's module in a worker) imports it from: `instanceof` holds across `actormesh` and
// `actormesh/mesh`. The pure-JS dependencies (ws, msgpackr, flatbuffers, @assemblyscript/loader)
// are bundled in; native ones stay external (uWebSockets.js, msgpackr-extract, ws's optional
// bufferutil / utf-8-validate) and are loaded with `require` from the package's own node_modules.
// Every file sits directly in dist/bundle: modules find `child-main.js`, `cli.js`, `build/*.wasm`
// and package.json relative to their own URL.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** Entry points of package.json "exports" other than "./package.json": bundle file → source barrel. */
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entries = Object.entries(pkg.exports)
  .filter(([k]) => k !== './package.json')
  .map(([, v]) => ({ out: v.import.replace(/^\.\/dist\/bundle\//, ''), src: v.types.replace(/\.d\.ts$/, '.js') }));

/** The names each barrel exports, read from the compiled sources. */
const names = new Map();
for (const e of entries) names.set(e, Object.keys(await import(pathToFileURL(resolve(e.src)).href)).sort());

// Chunk names change with their contents: start empty so no stale file is shipped.
rmSync('dist/bundle', { recursive: true, force: true });

const RUNTIME = 'actormesh:runtime';
const result = await build({
  entryPoints: { runtime: RUNTIME, 'child-main': 'dist/src/mesh/alloc/child-main.js' },
  plugins: [
    {
      name: 'runtime',
      setup(b) {
        b.onResolve({ filter: /^actormesh:runtime$/ }, (a) => ({ path: a.path, namespace: 'actormesh' }));
        b.onLoad({ filter: /.*/, namespace: 'actormesh' }, () => ({
          contents: entries.map((e) => `export * from ${JSON.stringify(resolve(e.src))};`).join('\n'),
          resolveDir: resolve('.'),
          loader: 'js',
        }));
      },
    },
  ],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/bundle',
  external: ['uWebSockets.js', 'msgpackr-extract', 'bufferutil', 'utf-8-validate'],
  // Bundled CommonJS code calls `require` (for Node built-ins and the external packages).
  banner: { js: "import { createRequire as __actormeshRequire } from 'node:module'; const require = __actormeshRequire(import.meta.url);" },
  chunkNames: 'shared',
  // Classes and functions keep their names (`err.name`, stacks, console output): without it the
  // bundler renames classes that refer to themselves (`_ActorId`) or share a name with another.
  keepNames: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

// A name two barrels export as different things would be dropped from `export *` (ambiguous):
// every barrel's names must be exported by the runtime module.
const runtimeExports = new Set(result.metafile.outputs['dist/bundle/runtime.js'].exports);
for (const [e, ns] of names) {
  const missing = ns.filter((n) => !runtimeExports.has(n));
  if (missing.length > 0)
    throw new Error(`bundle: ${e.src} exports ${missing.join(', ')}, which the runtime module does not (a name exported as two different things?)`);
  writeFileSync(`dist/bundle/${e.out}`, `export {\n${ns.map((n) => `  ${n},\n`).join('')}} from './runtime.js';\n`);
}

writeFileSync('dist/bundle/cli.js', "#!/usr/bin/env node\nimport { runCli } from './api.js';\n\nrunCli(process.argv.slice(2));\n");
chmodSync('dist/bundle/cli.js', 0o755);
