#!/usr/bin/env node
/**
 * Builds bench/RESULTS.md from the per-suite records in bench/results/ (`npm run bench:results`):
 * summary.md (title and how to read the figures) first, then for each suite its title, its
 * command (the first `Command: \`...\`` of the file) and its `## Current figures` section, with a
 * link to the suite's file for the method and the analysis. The suite files are the only place
 * to edit; RESULTS.md is regenerated and committed so every current figure is in one file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'results');
const SUITES = ['peers', 'hotpath', 'codec', 'actor', 'channel', 'procmesh', 'hosts', 'slurm', 'cast', 'loadtest-mesh', 'loadtest-liveness'];

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

/** The title, the command and the `## Current figures` section of one suite file. */
function currentOf(name) {
  const md = readFileSync(join(dir, `${name}.md`), 'utf8');
  const title = /^# (.+)$/m.exec(md)?.[1];
  const command = /Command: (`[^`]+`)/.exec(md)?.[1];
  const start = md.indexOf('\n## Current figures\n');
  if (title === undefined || command === undefined || start < 0) {
    throw new Error(`bench/results/${name}.md needs a '# ' title, a 'Command: \`...\`' and a '## Current figures' section`);
  }
  const body = md.slice(start + '\n## Current figures\n'.length);
  const next = body.search(/^## /m);
  const current = (next < 0 ? body : body.slice(0, next)).trim();
  return [`## ${title}`, `Command: ${command}. Method and analysis: [results/${name}.md](results/${name}.md).`, demote(current)].join('\n\n');
}

const parts = [readFileSync(join(dir, 'summary.md'), 'utf8').trimEnd()];
for (const s of SUITES) parts.push(currentOf(s));
const out = join(dir, '..', 'RESULTS.md');
writeFileSync(out, `${parts.join('\n\n')}\n`);
console.log(`wrote ${out} (${SUITES.length} suites)`);
