/**
 * `npm run loadtest -- <name> [--duration S] [args...]`
 *
 * Loads bench/loadtests/<name>.ts, whose default export is
 * `async (opts: {durationS, args}) => {ok: boolean, lines: string[]}`, runs it, prints its lines
 * and exits 1 unless `ok`. Load tests are the long versions of tests (minutes, real processes).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

export interface LoadtestOptions {
  /** Seconds the main phase of each scenario should last (default 30). */
  durationS: number;
  args: string[];
}
export interface LoadtestResult {
  ok: boolean;
  lines: string[];
}
export type Loadtest = (opts: LoadtestOptions) => Promise<LoadtestResult>;

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, 'loadtests');
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const argv = process.argv.slice(2);
const di = argv.indexOf('--duration');
const durationS = di >= 0 ? Number(argv[di + 1]) : 30;
const rest = di >= 0 ? [...argv.slice(0, di), ...argv.slice(di + 2)] : argv;
const name = rest.shift();
if (!name || !available.includes(name) || !(durationS > 0)) {
  console.error(`usage: npm run loadtest -- <name> [--duration S]\nload tests: ${available.join(', ')}`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { default: Loadtest };
const t0 = Date.now();
const res = await mod.default({ durationS, args: rest });
for (const l of res.lines) console.log(l);
console.log(`loadtest ${name}: ${res.ok ? 'PASS' : 'FAIL'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(res.ok ? 0 : 1);
