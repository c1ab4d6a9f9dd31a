// Bundles the compiled package (dist/src, from `tsc`) into dist/bundle: the package entry
// (`index.js`), the worker entry (`child-main.js`) and the runtime both share (`runtime.js`);
// the `actormesh` command (`cli.js`) is two lines calling the package entry's `runCli`.
// Why: every worker process imports the runtime at start-up, and resolving and loading ~130
// module files, then the CommonJS dependencies through Node's ESM loader (which parses each one
// for its export names), cost a worker more than the rest of its boot. The pure-JS dependencies
// (ws, msgpackr, flatbuffers, @assemblyscript/loader) are bundled in; native ones stay external
// (uWebSockets.js, msgpackr-extract, ws's optional bufferutil / utf-8-validate) and are loaded
// with `require` from the package's own node_modules. Both entries import the same
// `runtime.js`, so a worker that imports the user's module (which imports 'actormesh') and its
// own boot code holds one copy of the runtime (one actor registry).
import { chmodSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: { index: 'dist/src/index.js', 'child-main': 'dist/src/mesh/alloc/child-main.js' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/bundle',
  external: ['uWebSockets.js', 'msgpackr-extract', 'bufferutil', 'utf-8-validate'],
  // Bundled CommonJS code calls `require` (for Node built-ins and the external packages).
  banner: { js: "import { createRequire as __actormeshRequire } from 'node:module'; const require = __actormeshRequire(import.meta.url);" },
  chunkNames: 'runtime',
  // Classes and functions keep their names (`err.name`, stacks, console output): without it the
  // bundler renames classes that refer to themselves (`_ActorId`) or share a name with another.
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
});

writeFileSync('dist/bundle/cli.js', "#!/usr/bin/env node\nimport { runCli } from './index.js';\n\nrunCli(process.argv.slice(2));\n");
chmodSync('dist/bundle/cli.js', 0o755);
