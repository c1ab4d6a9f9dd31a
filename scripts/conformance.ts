/**
 * `npm run conformance -- <file.json> [...]`: runs every case of golden files in the format of
 * `test/fixtures/conformance/hotpath.json`; prints one line per failing case and a closing line
 * `N passed, M failed`; exits 1 on any failure.
 */
import { runFile, formatFailure } from './conformance/runner.js';

const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!files.length) {
  console.error('usage: npm run conformance -- <file.json> [more.json ...]');
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const f of files) {
  const r = await runFile(f);
  for (const x of r.failures) console.log(formatFailure(x));
  passed += r.passed;
  failed += r.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
