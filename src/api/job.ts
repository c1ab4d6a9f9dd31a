/**
 * Jobs (Monarch's `monarch.job`): where the workers of one or more host meshes come from, and how
 * a later client finds them again. `state()` gives `{[meshName]: HostMesh}`, starting the workers
 * if needed (`apply()`), or attaching to the ones a previous client started, found in the job's
 * cache file (`.actormesh/job.json`).
 *
 * Invariants:
 * - The cache is JSON data (kind, spec, worker addresses, process ids, the path of the secret
 *   file), never code: loading it runs nothing (Monarch pickles the job object).
 * - A cached job is reused only when its spec equals the caller's and it still runs
 *   (`canRun`); otherwise what is left of it is killed and the cache replaced.
 * - The mesh secret lives in its own file (mode 0600) next to the cache, never in the cache.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ActormeshError } from '../base/errors.js';
import type { HostMesh } from './host-mesh.js';

/** The host meshes of a running job, by mesh name. */
export type JobState = Readonly<Record<string, HostMesh>>;

/** Default directory of a job's cache, secret and logs (relative to the working directory). */
export const JOB_DIR = '.actormesh';

/** What a job writes to `<dir>/job.json`. */
export interface JobCache {
  readonly kind: string;
  readonly spec: unknown;
  /** Worker addresses per mesh name, in host-rank order. */
  readonly workers: Readonly<Record<string, readonly string[]>>;
  /** Process ids of the workers (local jobs) whose process groups `kill()` ends. */
  readonly pids: readonly number[];
  readonly secretFile: string;
  readonly createdAt: string;
  /** The scheduler's id of the job (`SlurmJob`: the SLURM job id; `KubernetesJob`: `<namespace>/<name>`). */
  readonly schedulerJobId?: string;
}

export interface Job {
  readonly kind: string;
  /** Starts the workers unless this job already runs them. */
  apply(): Promise<void>;
  /** The host meshes, attached (applying the job first if it does not run). */
  state(): Promise<JobState>;
  /** Ends every worker of the job and removes its cache. */
  kill(): Promise<void>;
  /** Whether the job described by `cache` still runs and matches this job's spec. */
  canRun(cache: JobCache): Promise<boolean>;
}

/** A job's cache or spec is unusable, or its workers did not come up. */
export class JobError extends ActormeshError<'JobError', 'BadCache' | 'BadSpec' | 'StartFailed' | 'BadModule'> {
  constructor(variant: 'BadCache' | 'BadSpec' | 'StartFailed' | 'BadModule', message: string, options?: { cause?: unknown }) {
    super('JobError', variant, message, options);
  }
}

export function cachePath(dir: string): string {
  return join(resolve(dir), 'job.json');
}

/** Reads `<dir>/job.json`; undefined when there is none; `JobError('BadCache')` when it is malformed. */
export function readJobCache(dir: string = JOB_DIR): JobCache | undefined {
  const p = cachePath(dir);
  if (!existsSync(p)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new JobError('BadCache', `${p} is not JSON: ${(e as Error).message}; delete it or run \`actormesh job kill\``, { cause: e });
  }
  const o = v as Partial<JobCache> | null;
  const ok =
    typeof o === 'object' &&
    o !== null &&
    typeof o.kind === 'string' &&
    typeof o.workers === 'object' &&
    o.workers !== null &&
    Object.values(o.workers).every((a) => Array.isArray(a) && a.every((x) => typeof x === 'string')) &&
    Array.isArray(o.pids) &&
    o.pids.every((x) => Number.isSafeInteger(x) && x > 0) &&
    typeof o.secretFile === 'string';
  if (!ok) throw new JobError('BadCache', `${p} does not describe a job; expected {kind, spec, workers: {mesh: [addr]}, pids, secretFile, createdAt}`);
  return o as JobCache;
}

export function writeJobCache(dir: string, cache: JobCache): void {
  const p = cachePath(dir);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, `${JSON.stringify(cache, null, 2)}\n`);
}

export function removeJobCache(dir: string): void {
  rmSync(cachePath(dir), { force: true });
}

/** A fresh mesh secret in `<dir>/secret` (mode 0600); returns its path. */
export function newSecretFile(dir: string): string {
  const p = join(resolve(dir), 'secret');
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}

export function readSecret(file: string): string {
  let s: string;
  try {
    s = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new JobError('BadCache', `the job's secret file ${file} cannot be read (${(e as Error).message}); run \`actormesh job kill\` and apply again`, {
      cause: e,
    });
  }
  if (s === '') throw new JobError('BadCache', `the job's secret file ${file} is empty; run \`actormesh job kill\` and apply again`);
  return s;
}

/** Structural equality of two JSON-like specs (key order ignored). */
export function sameSpec(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** How long `kill()` waits after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 1000;

/** Whether `pid` runs (a zombie waiting for a lazy reaper counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** SIGTERM every worker's process group, SIGKILL what is left after `KILL_GRACE_MS`. */
export async function killPids(pids: readonly number[]): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const p of pids) {
      try {
        process.kill(-p, sig);
      } catch {
        /* gone */
      }
    }
  };
  signal('SIGTERM');
  const end = Date.now() + KILL_GRACE_MS;
  while (Date.now() < end && pids.some(alive)) await new Promise((r) => setTimeout(r, 25));
  if (pids.some(alive)) signal('SIGKILL');
  const hard = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < hard) await new Promise((r) => setTimeout(r, 10));
}

export function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no stderr)';
  }
}
