// Runs every `test/**/*.test.ts` with node's test runner (TypeScript through tsx).
// Extra arguments are passed to `node --test` (e.g. `npm test -- --test-name-pattern=slice`);
// arguments that are paths to test files restrict the run to those files.
//
// The runner's TAP goes to stdout as it comes; at the end, every failing test is printed again
// with its diagnostics, so that a log cut to its last lines still says what failed and why.
import { readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
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
const child = spawn(
  process.execPath,
  // Backstops so that a broken test fails instead of hanging the run: a per-test timeout (tests
  // that need long set their own, all well below it), and each file's process exits once its
  // tests are done even if a failing test leaked a socket or a timer.
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', '--test-force-exit', ...flags, ...targets],
  { stdio: ['inherit', 'pipe', 'inherit'] },
);

// A runner stopped by a signal stops the tests it started (their own cleanup then runs).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));

/** Failing tests' TAP blocks: the `not ok` line and its indented YAML diagnostics up to `...`. */
const failures = [];
let open = null; // { indent, lines }
let partial = '';
function onLine(line) {
  if (open) {
    open.lines.push(line);
    if (line === `${open.indent}  ...`) {
      failures.push(open.lines.join('\n'));
      open = null;
    }
    return;
  }
  const m = /^(\s*)not ok \d+ - /.exec(line);
  if (m) open = { indent: m[1], lines: [line] };
}
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const text = partial + chunk.toString('utf8');
  const lines = text.split('\n');
  partial = lines.pop();
  for (const l of lines) onLine(l);
});
child.on('close', (code, signal) => {
  if (partial) onLine(partial);
  if (open) failures.push(open.lines.join('\n'));
  if (failures.length) {
    process.stdout.write(`\n# ${failures.length} failing (repeated from above):\n`);
    for (const f of failures) process.stdout.write(`${f}\n`);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
