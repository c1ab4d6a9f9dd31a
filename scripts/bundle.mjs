// Bundles the compiled package (dist/src, from `tsc`) into dist/bundle: the package entry
// (`index.js`), the worker entry (`child-main.js`) and the runtime both share (`runtime.js`).
// Why: a worker process imports the runtime at start-up, and resolving and loading ~130 module
// files cost it more than the rest of its boot; three files load in a fraction of that. Both
// entries import the same `runtime.js`, so a worker that imports the user's module (which
// imports 'actormesh') and its own boot code holds one copy of the runtime (one actor registry).
// Dependencies (ws, flatbuffers, uWebSockets.js, @assemblyscript/loader) stay external.
import { build } from 'esbuild';

await build({
  entryPoints: { index: 'dist/src/index.js', 'child-main': 'dist/src/mesh/alloc/child-main.js' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/bundle',
  packages: 'external',
  chunkNames: 'runtime',
  sourcemap: true,
  logLevel: 'warning',
});
