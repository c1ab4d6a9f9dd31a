// Compiles every AssemblyScript kernel module `assembly/<name>.ts` into `build/<name>.wasm`.
// Files whose name starts with `_` are shared helpers imported by the modules, not modules.
// Options (runtime, optimisation) live in asconfig.json; see the comment in src/wasm/loader.ts
// for why the stub runtime and raw exports were chosen.
import { readdirSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
mkdirSync(join(root, 'build'), { recursive: true });
const modules = readdirSync(join(root, 'assembly')).filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.endsWith('.d.ts'));
let failed = 0;
for (const file of modules) {
  const name = file.slice(0, -3);
  const out = join('build', `${name}.wasm`);
  const r = spawnSync(process.execPath, [asc, join('assembly', file), '--config', 'asconfig.json', '--target', 'release', '--outFile', out], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed++;
    console.error(`build-wasm: ${file} failed (exit ${r.status})`);
  } else {
    console.log(`build-wasm: ${out}`);
  }
}
process.exit(failed ? 1 : 0);
