/**
 * `npm run bench -- slurm`: the time from `SlurmJob.state()` to a ready mesh of 4 SLURM nodes
 * (sbatch, scheduling, 4 workers started by srun, attach), and to the first call answered by an
 * actor on each of them, through the built package, on a real SLURM cluster of 4 nodes on this
 * machine (several slurmd, test/_support/slurm-cluster.sh). Needs root and Debian's slurmctld,
 * slurmd, slurm-client and munge; without them the suite reports nothing and says why.
 * There is no other system to compare with here: the ratio row is absent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SuiteOptions, SuiteResult } from '../lib.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export default async function slurmSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const out: SuiteResult = { suite: 'slurm', results: [], ratios: {}, notes: [] };
  if (process.getuid?.() !== 0 || !['sbatch', 'slurmctld', 'slurmd', 'munged'].every(has)) {
    out.notes!.push('skipped: needs root and SLURM (apt-get install slurmctld slurmd slurm-client munge)');
    return out;
  }
  const root = resolve('.');
  const cluster = join(root, 'test/_support/slurm-cluster.sh');
  const base = mkdtempSync(join(tmpdir(), 'actormesh-bench-slurm-'));
  chmodSync(base, 0o755);
  const env = { ...process.env, AM_SLURM_DIR: base, SLURM_CONF: join(base, 'slurm.conf') };
  try {
    execFileSync('bash', [cluster, 'up-multi', '4'], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
    const rounds = opts.quick ? 1 : 5;
    const workerCommand = JSON.stringify([process.execPath, join(root, 'dist/bundle/cli.js')]);
    const r = spawnSync(process.execPath, [join(root, 'bench/slurm/client.mjs'), join(base, 'job'), String(rounds), workerCommand], {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0) throw new Error(`the slurm client failed (${r.status}): ${r.stderr}`);
    const rows = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { readyMs: number; firstCallMs: number });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    out.results.push({ name: 'state-to-ready-4-nodes', impl: 'actormesh', value: median(rows.map((x) => x.readyMs)), unit: 'ms' });
    out.results.push({ name: 'state-to-first-call-4-nodes', impl: 'actormesh', value: median(rows.map((x) => x.firstCallMs)), unit: 'ms' });
    out.notes!.push(`rounds: ${rows.map((x) => `${x.readyMs.toFixed(0)}/${x.firstCallMs.toFixed(0)} ms`).join(', ')} (ready / first call)`);
  } finally {
    spawnSync('bash', [cluster, 'down'], { env, stdio: 'ignore', timeout: 90_000 });
    rmSync(base, { recursive: true, force: true });
  }
  return out;
}
