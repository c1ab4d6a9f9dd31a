/**
 * `ProcessJob` (Monarch's `ProcessJob`): the workers of each mesh are local `actormesh worker`
 * processes, each in its own process group, outliving the client that started them, so a later
 * client reattaches through the job cache; `kill()` ends their process groups (SIGTERM, then
 * SIGKILL after `KILL_GRACE_MS`) and leaves none.
 *
 * Invariants:
 * - A worker is ready when it wrote its ready file; one that exits first fails `apply()` with the
 *   end of its stderr, and every worker already started is killed (no partial job is left).
 * - While waiting, progress goes to stderr once a second (workers ready k/n, elapsed).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseReadyLine } from '../host/worker-options.js';
import { HostMesh, workerCommand, type AttachOptions } from './host-mesh.js';
import {
  JOB_DIR,
  JobError,
  newSecretFile,
  readJobCache,
  readSecret,
  removeJobCache,
  sameSpec,
  writeJobCache,
  type Job,
  type JobCache,
  type JobState,
} from './job.js';

export interface ProcessJobSpec {
  /** Workers per mesh name, e.g. `{trainers: 2, eval: 1}`. */
  readonly meshes: Readonly<Record<string, number>>;
  /** Modules every proc of these workers imports (`actormesh worker --modules`). */
  readonly modules?: readonly string[];
}

export interface ProcessJobOptions {
  /** Directory of the cache, secret and worker logs (default `.actormesh`). */
  readonly dir?: string;
  /** How long the workers may take to be ready (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Passed to `HostMesh.attach` (e.g. `logs`). */
  readonly attach?: Omit<AttachOptions, 'secret' | 'name'>;
}

const KILL_GRACE_MS = 1000;
const KIND = 'ProcessJob';

export class ProcessJob implements Job {
  readonly kind = KIND;
  readonly spec: ProcessJobSpec;
  private readonly dir: string;
  private cache: JobCache | undefined;

  constructor(
    spec: ProcessJobSpec,
    private readonly opts: ProcessJobOptions = {},
  ) {
    const meshes = spec?.meshes;
    if (typeof meshes !== 'object' || meshes === null || Object.keys(meshes).length === 0)
      throw new JobError('BadSpec', `ProcessJob needs meshes, e.g. {meshes: {trainers: 2}}; got ${JSON.stringify(spec)}`);
    for (const [name, n] of Object.entries(meshes)) {
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
        throw new JobError('BadSpec', `mesh name ${JSON.stringify(name)}: expected a letter, then letters, digits, _ or -`);
      if (!Number.isSafeInteger(n) || n < 1) throw new JobError('BadSpec', `mesh ${name}: ${String(n)} workers; expected a positive integer`);
    }
    this.spec = { meshes: { ...meshes }, ...(spec.modules !== undefined ? { modules: [...spec.modules] } : {}) };
    this.dir = resolve(opts.dir ?? JOB_DIR);
  }

  async canRun(cache: JobCache): Promise<boolean> {
    return cache.kind === KIND && sameSpec(cache.spec, this.spec) && cache.pids.every(alive);
  }

  async apply(): Promise<void> {
    if (this.cache !== undefined && (await this.canRun(this.cache))) return;
    const old = readJobCache(this.dir);
    if (old !== undefined) {
      if (await this.canRun(old)) {
        this.cache = old;
        return;
      }
      await killPids(old.pids);
      removeJobCache(this.dir);
    }
    this.cache = await this.start();
    writeJobCache(this.dir, this.cache);
  }

  async state(): Promise<JobState> {
    await this.apply();
    const cache = this.cache!;
    const secret = readSecret(cache.secretFile);
    const out: Record<string, HostMesh> = {};
    try {
      for (const [mesh, addrs] of Object.entries(cache.workers)) out[mesh] = await HostMesh.attach(addrs, { ...this.opts.attach, name: mesh, secret });
    } catch (e) {
      await Promise.all(Object.values(out).map((h) => h.stop().catch(() => undefined)));
      throw e;
    }
    return out;
  }

  async kill(): Promise<void> {
    const cache = this.cache ?? readJobCache(this.dir);
    this.cache = undefined;
    if (cache === undefined) return;
    await killPids(cache.pids);
    removeJobCache(this.dir);
  }

  /** Starts every worker and waits for all of them (or kills them all). */
  private async start(): Promise<JobCache> {
    const secretFile = newSecretFile(this.dir);
    const logs = join(this.dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const cmd = workerCommand();
    const started: Array<{ mesh: string; i: number; pid: number; ready: string; err: string; exited: () => number | null | undefined }> = [];
    for (const [mesh, n] of Object.entries(this.spec.meshes)) {
      for (let i = 0; i < n; i++) {
        const base = join(logs, `${mesh}_${i}`);
        const ready = `${base}.ready`;
        rmSync(ready, { force: true }); // a previous run's, naming a worker that is gone
        const out = openSync(`${base}.out`, 'w');
        const err = openSync(`${base}.err`, 'w');
        const args = [...cmd.args, 'worker', '--listen', 'tcp:127.0.0.1:0', '--ready-file', ready];
        if (this.spec.modules !== undefined && this.spec.modules.length > 0) args.push('--modules', this.spec.modules.join(','));
        const env: NodeJS.ProcessEnv = { ...process.env, ACTORMESH_SECRET_FILE: secretFile };
        delete env['ACTORMESH_SECRET'];
        delete env['ACTORMESH_WORKER_EXIT_WITH_PARENT'];
        const child = spawn(cmd.program, args, { env, stdio: ['ignore', out, err], detached: true });
        closeSync(out);
        closeSync(err);
        let code: number | null | undefined;
        child.once('exit', (c, sig) => (code = c ?? (sig !== null ? -1 : null)));
        child.once('error', () => (code = -2));
        child.unref();
        started.push({ mesh, i, pid: child.pid ?? -1, ready, err: `${base}.err`, exited: () => code });
      }
    }
    const total = started.length;
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 60_000);
    const t0 = Date.now();
    let lastReport = t0;
    const addrs = new Map<string, string>();
    try {
      while (addrs.size < total) {
        for (const w of started) {
          const key = `${w.mesh}_${w.i}`;
          if (addrs.has(key)) continue;
          if (existsSync(w.ready)) {
            const r = parseReadyLine(readFileSync(w.ready, 'utf8').trim());
            if (r !== undefined) addrs.set(key, r.addr);
          } else if (w.exited() !== undefined) {
            throw new JobError('StartFailed', `worker ${key} (pid ${w.pid}) exited before it was ready; its stderr ends with:\n${tail(w.err)}`);
          }
        }
        if (addrs.size === total) break;
        if (Date.now() > deadline)
          throw new JobError('StartFailed', `${total - addrs.size} of ${total} workers not ready after ${Date.now() - t0} ms (logs in ${logs})`);
        if (Date.now() - lastReport >= 1000) {
          lastReport = Date.now();
          process.stderr.write(`actormesh job: workers ready ${addrs.size}/${total} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    } catch (e) {
      await killPids(started.map((w) => w.pid).filter((p) => p > 0));
      throw e;
    }
    const workers: Record<string, string[]> = {};
    for (const w of started) (workers[w.mesh] ??= []).push(addrs.get(`${w.mesh}_${w.i}`)!);
    return { kind: KIND, spec: this.spec, workers, pids: started.map((w) => w.pid), secretFile, createdAt: new Date().toISOString() };
  }
}

/** Whether `pid` runs (a zombie waiting for a lazy reaper counts as gone). */
function alive(pid: number): boolean {
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
async function killPids(pids: readonly number[]): Promise<void> {
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

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no stderr)';
  }
}

/** The job described by the cache in `dir` (for `actormesh job state|kill` and later clients); undefined when there is none. */
export function loadJob(dir: string = JOB_DIR): Job | undefined {
  const cache = readJobCache(dir);
  if (cache === undefined) return undefined;
  if (cache.kind === KIND) return new ProcessJob(cache.spec as ProcessJobSpec, { dir });
  throw new JobError('BadCache', `${dir}/job.json is a ${cache.kind} job, which this version cannot load; expected ${KIND}`);
}
