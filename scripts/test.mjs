// Runs every `test/**/*.test.ts` with node's test runner (TypeScript through tsx).
// Extra arguments are passed to `node --test` (e.g. `npm test -- --test-name-pattern=slice`);
// arguments that are paths to test files restrict the run to those files.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

function walk(dir, out) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const targets = files.length ? files : walk('test', []).sort();
const r = spawnSync(
  process.execPath,
  // Backstops so that a broken test fails instead of hanging the run: a per-test timeout (tests
  // that need long set their own, all well below it), and each file's process exits once its
  // tests are done even if a failing test leaked a socket or a timer.
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', '--test-force-exit', ...flags, ...targets],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
