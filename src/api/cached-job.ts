/**
 * What the jobs share (`ProcessJob`, `SSHJob`): reuse of a cached job while it runs and matches
 * the spec, attach to its meshes, kill, the mesh-name rules, and starting worker processes in
 * their own process groups and waiting for their ready lines (with progress on stderr).
 *
 * Invariants:
 * - `apply()` either leaves every worker of the job ready and the cache written, or kills every
 *   worker it started and writes nothing (no partial job) (docs/architecture.md API-4).
 * - `state()` either attaches every mesh or stops the ones it attached before failing.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseReadyLine } from '../host/worker-options.js';
import { HostMesh, type AttachOptions } from './host-mesh.js';
import {
  JOB_DIR,
  JobError,
  alive,
  killPids,
  readJobCache,
  readSecret,
  removeJobCache,
  sameSpec,
  tail,
  writeJobCache,
  type Job,
  type JobCache,
  type JobState,
} from './job.js';

/**
 * Checks the `meshes` of a job spec: at least one, each named with a letter, then letters, digits,
 * `_` or `-`, and each value accepted by `why` (undefined when good, else what is wrong).
 * `needs` says what was expected (`meshes, e.g. {meshes: {trainers: 2}}`).
 */
export function checkMeshes<V>(
  kind: string,
  spec: { readonly meshes?: Readonly<Record<string, V>> } | undefined,
  needs: string,
  why: (v: V) => string | undefined,
): void {
  const meshes = spec?.meshes;
  if (typeof meshes !== 'object' || meshes === null || Object.keys(meshes).length === 0)
    throw new JobError('BadSpec', `${kind} needs ${needs}; got ${JSON.stringify(spec)}`);
  for (const [name, v] of Object.entries(meshes)) {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
      throw new JobError('BadSpec', `mesh name ${JSON.stringify(name)}: expected a letter, then letters, digits, _ or -`);
    const bad = why(v);
    if (bad !== undefined) throw new JobError('BadSpec', `mesh ${name}: ${bad}`);
  }
}

/** The port of a job spec (`given`, else `dflt`); `JobError('BadSpec')` outside 1..65535. */
export function checkPort(given: number | undefined, dflt: number): number {
  const port = given ?? dflt;
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new JobError('BadSpec', `port ${String(given)}: expected 1..65535`);
  return port;
}

export abstract class CachedJob implements Job {
  abstract readonly kind: string;
  abstract readonly spec: unknown;
  protected readonly dir: string;
  protected cache: JobCache | undefined;

  constructor(
    dir: string | undefined,
    private readonly attachOpts: Omit<AttachOptions, 'secret' | 'name'> | undefined,
  ) {
    this.dir = resolve(dir ?? JOB_DIR);
  }

  /** Starts every worker of the job and waits for all of them (or kills them all). */
  protected abstract start(): Promise<JobCache>;

  /** Before the workers' processes are ended (e.g. ask remote workers to shut down). */
  protected async beforeKill(_cache: JobCache): Promise<void> {}

  /** Ends what `cache` describes (default: the workers' process groups). */
  protected async discard(cache: JobCache): Promise<void> {
    await killPids(cache.pids);
  }

  async canRun(cache: JobCache): Promise<boolean> {
    return cache.kind === this.kind && sameSpec(cache.spec, this.spec) && cache.pids.every(alive);
  }

  async apply(): Promise<void> {
    if (this.cache !== undefined && (await this.canRun(this.cache))) return;
    const old = readJobCache(this.dir);
    if (old !== undefined) {
      if (await this.canRun(old)) {
        this.cache = old;
        return;
      }
      await this.discard(old);
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
      for (const [mesh, addrs] of Object.entries(cache.workers)) out[mesh] = await HostMesh.attach(addrs, { ...this.attachOpts, name: mesh, secret });
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
    await this.beforeKill(cache);
    await this.discard(cache);
    removeJobCache(this.dir);
  }
}

/** One worker process to start: what runs it, and where its output and ready line go. */
export interface WorkerLaunch {
  /** `<mesh>_<i>` (file names and messages). */
  readonly label: string;
  readonly mesh: string;
  readonly program: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Written to its stdin, which is then closed (e.g. the secret for `--secret-file -`). */
  readonly stdin?: string;
  /** Log files for its stdout and stderr. */
  readonly out: string;
  readonly err: string;
  /** Where its ready line appears: a `--ready-file`, else its stdout log. */
  readonly readyFile?: string;
}

/**
 * Starts the workers (each in its own process group, outliving this process) and waits until each
 * printed its ready line; returns the advertised addresses per mesh and the pids. A worker that
 * exits first, or a timeout, kills them all and throws `JobError('StartFailed')`.
 */
export async function launchWorkers(launches: readonly WorkerLaunch[], timeoutMs: number): Promise<{ workers: Record<string, string[]>; pids: number[] }> {
  const started = launches.map((l) => {
    const out = openSync(l.out, 'w');
    const err = openSync(l.err, 'w');
    const child = spawn(l.program, [...l.args], { env: l.env ?? process.env, stdio: [l.stdin !== undefined ? 'pipe' : 'ignore', out, err], detached: true });
    closeSync(out);
    closeSync(err);
    if (l.stdin !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(l.stdin);
    }
    let code: number | null | undefined;
    child.once('exit', (c, sig) => (code = c ?? (sig !== null ? -1 : null)));
    child.once('error', () => (code = -2));
    child.unref();
    return { l, pid: child.pid ?? -1, exited: () => code };
  });
  const total = started.length;
  const t0 = Date.now();
  let lastReport = t0;
  const addrs = new Map<number, string>();
  try {
    while (addrs.size < total) {
      started.forEach((w, k) => {
        if (addrs.has(k)) return;
        const file = w.l.readyFile ?? w.l.out;
        const ready = existsSync(file)
          ? readFileSync(file, 'utf8')
              .split('\n')
              .map(parseReadyLine)
              .find((r) => r !== undefined)
          : undefined;
        if (ready !== undefined) addrs.set(k, ready.addr);
        else if (w.exited() !== undefined)
          throw new JobError('StartFailed', `worker ${w.l.label} (pid ${w.pid}) exited before it was ready; its stderr ends with:\n${tail(w.l.err)}`);
      });
      if (addrs.size === total) break;
      if (Date.now() - t0 > timeoutMs)
        throw new JobError(
          'StartFailed',
          `${total - addrs.size} of ${total} workers not ready after ${Date.now() - t0} ms (their logs: ${launches[0]?.err ?? ''} …)`,
        );
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
  started.forEach((w, k) => (workers[w.l.mesh] ??= []).push(addrs.get(k)!));
  return { workers, pids: started.map((w) => w.pid) };
}
