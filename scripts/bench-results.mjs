#!/usr/bin/env node
/**
 * Builds bench/RESULTS.md from the per-area records in bench/results/ (`npm run bench:results`):
 * summary.md (title and the table of targets) first, then each area file with its headings one
 * level down, then appendix.md. The area files are the only place to edit; RESULTS.md is
 * regenerated and committed so every quoted figure is in one file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'results');
const AREAS = ['peers', 'hotpath', 'codec', 'actor', 'channel', 'procmesh', 'hosts', 'slurm', 'cast', 'loadtest-mesh', 'appendix'];
/** Headings one level down (not inside fenced code blocks, where `# ` is a shell comment). */
function demote(md) {
  let fenced = false;
  return md
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) fenced = !fenced;
      return !fenced && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}
const parts = [readFileSync(join(dir, 'summary.md'), 'utf8').trimEnd()];
for (const a of AREAS) parts.push(demote(readFileSync(join(dir, `${a}.md`), 'utf8').trimEnd()));
const out = join(dir, '..', 'RESULTS.md');
writeFileSync(out, `${parts.join('\n\n\n')}\n`);
console.log(`wrote ${out} (${AREAS.length} areas)`);
