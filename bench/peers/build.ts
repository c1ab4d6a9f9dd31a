/**
 * The actormesh client of the peers suite imports the package by name, which resolves to the
 * BUILT bundle dist/bundle/index.js (made from dist/src by scripts/bundle.mjs): this makes sure
 * the bundle is at least as new as every src/ file, running `npm run build:ts` when it is not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** src/ files whose dist/ output (compiled file and bundle) is missing or older than the source. */
export function staleSources(root: string): string[] {
  const bundle = join(root, 'dist', 'bundle', 'runtime.js');
  const bundleMs = existsSync(bundle) ? statSync(bundle).mtimeMs : -1;
  return tsFiles(join(root, 'src')).filter((src) => {
    const out = join(root, 'dist', relative(root, src)).replace(/\.ts$/, '.js');
    const srcMs = statSync(src).mtimeMs;
    return !existsSync(out) || statSync(out).mtimeMs < srcMs || bundleMs < srcMs;
  });
}

export interface BuildCheck {
  /** dist/src is fresh (possibly after a build) and loadable. */
  ok: boolean;
  notes: string[];
}

/** Builds dist/ when a src/ file is newer than its output; reports what it did. */
export function ensureDistFresh(root: string): BuildCheck {
  const stale = staleSources(root);
  if (stale.length === 0) return { ok: true, notes: ['actormesh: dist/ is up to date with src/ (no build needed)'] };
  const notes = [`actormesh: dist/ older than ${stale.length} src file(s) (e.g. ${relative(root, stale[0]!)}): running npm run build:ts`];
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', 'build:ts'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status === 0) notes.push(`actormesh: npm run build:ts done in ${secs} s`);
  else {
    const lines = `${r.stdout ?? ''}${r.stderr ?? ''}`
      .split('\n')
      .filter((l) => /error/i.test(l))
      .slice(0, 5);
    notes.push(`actormesh: npm run build:ts failed (${r.error?.message ?? `exit ${r.status}`}, ${secs} s)${lines.length ? ': ' + lines.join(' | ') : ''}`);
  }
  const still = staleSources(root);
  if (still.length > 0) {
    notes.push(`actormesh: dist/ still older than ${still.length} src file(s) after the build: not measured`);
    return { ok: false, notes };
  }
  if (r.status !== 0) notes.push('actormesh: tsc emitted dist/src despite the errors above; measuring that output');
  return { ok: true, notes };
}
