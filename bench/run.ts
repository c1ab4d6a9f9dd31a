/**
 * `npm run bench -- <suite> [--json] [--quick] [suite args...]`
 *
 * Loads bench/suites/<suite>.ts, runs it, prints a table for people and, with --json, one JSON
 * object `{"suite","results":[{"name","impl","value","unit"}],"ratios":{...}}` on the last line.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { fmt, type Suite, type SuiteResult } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const suitesDir = join(here, 'suites');
const available = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const quick = argv.includes('--quick');
const rest = argv.filter((a) => a !== '--json' && a !== '--quick');
const name = rest.shift();
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <suite> [--json] [--quick]\nsuites: ${available.join(', ')}`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(join(suitesDir, `${name}.ts`)).href)) as { default: Suite };
const res: SuiteResult = await mod.default({ args: rest, quick });

function table(r: SuiteResult): string {
  const rows = r.results.map((x) => [x.name, x.impl, fmt(x.value), x.unit]);
  const head = ['name', 'impl', 'value', 'unit'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  const out = [`suite: ${r.suite}`, line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)];
  out.push('', 'ratios (>1 = ours better):');
  for (const [k, v] of Object.entries(r.ratios)) out.push(`  ${k.padEnd(28)} ${v.toFixed(2)}`);
  for (const n of r.notes ?? []) out.push(n);
  return out.join('\n');
}
console.log(table(res));
if (json) {
  const { notes: _notes, ...payload } = res;
  console.log(JSON.stringify(payload));
}
process.exit(0);
