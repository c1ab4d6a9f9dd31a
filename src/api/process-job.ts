/**
 * `ProcessJob` (Monarch's `ProcessJob`): the workers of each mesh are local `actormesh worker`
 * processes, each in its own process group, outliving the client that started them, so a later
 * client reattaches through the job cache; `kill()` ends their process groups (SIGTERM, then
 * SIGKILL) and leaves none.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { workerCommand, type AttachOptions } from './host-mesh.js';
import { CachedJob, checkMeshes, launchWorkers, type WorkerLaunch } from './cached-job.js';
import { JOB_DIR, JobError, newSecretFile, readJobCache, type Job, type JobCache } from './job.js';
import { SSHJob, type SSHJobSpec } from './ssh-job.js';
import { SlurmJob, type SlurmJobSpec } from './slurm-job.js';
import { KubernetesJob, type KubernetesJobSpec } from './kubernetes-job.js';

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

const KIND = 'ProcessJob';

export class ProcessJob extends CachedJob {
  readonly kind = KIND;
  readonly spec: ProcessJobSpec;

  constructor(
    spec: ProcessJobSpec,
    private readonly opts: ProcessJobOptions = {},
  ) {
    super(opts.dir, opts.attach);
    checkMeshes(KIND, spec, 'meshes, e.g. {meshes: {trainers: 2}}', (n) =>
      Number.isSafeInteger(n) && n >= 1 ? undefined : `${String(n)} workers; expected a positive integer`,
    );
    this.spec = { meshes: { ...spec.meshes }, ...(spec.modules !== undefined ? { modules: [...spec.modules] } : {}) };
  }

  protected async start(): Promise<JobCache> {
    const secretFile = newSecretFile(this.dir);
    const logs = join(this.dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const cmd = workerCommand();
    const env: NodeJS.ProcessEnv = { ...process.env, ACTORMESH_SECRET_FILE: secretFile };
    delete env['ACTORMESH_SECRET'];
    delete env['ACTORMESH_WORKER_EXIT_WITH_PARENT'];
    const launches: WorkerLaunch[] = [];
    for (const [mesh, n] of Object.entries(this.spec.meshes)) {
      for (let i = 0; i < n; i++) {
        const base = join(logs, `${mesh}_${i}`);
        const readyFile = `${base}.ready`;
        rmSync(readyFile, { force: true }); // a previous run's, naming a worker that is gone
        const args = [...cmd.args, 'worker', '--listen', 'tcp:127.0.0.1:0', '--ready-file', readyFile];
        if (this.spec.modules !== undefined && this.spec.modules.length > 0) args.push('--modules', this.spec.modules.join(','));
        launches.push({ label: `${mesh}_${i}`, mesh, program: cmd.program, args, env, out: `${base}.out`, err: `${base}.err`, readyFile });
      }
    }
    const { workers, pids } = await launchWorkers(launches, this.opts.startTimeoutMs ?? 60_000);
    return { kind: KIND, spec: this.spec, workers, pids, secretFile, createdAt: new Date().toISOString() };
  }
}

/** The job described by the cache in `dir` (for `actormesh job state|kill` and later clients); undefined when there is none. */
export function loadJob(dir: string = JOB_DIR): Job | undefined {
  const cache = readJobCache(dir);
  if (cache === undefined) return undefined;
  if (cache.kind === KIND) return new ProcessJob(cache.spec as ProcessJobSpec, { dir });
  if (cache.kind === 'SSHJob') return new SSHJob(cache.spec as SSHJobSpec, { dir });
  if (cache.kind === 'SlurmJob') return new SlurmJob(cache.spec as SlurmJobSpec, { dir });
  if (cache.kind === 'KubernetesJob') return new KubernetesJob(cache.spec as KubernetesJobSpec, { dir });
  throw new JobError(
    'BadCache',
    `${dir}/job.json is a ${cache.kind} job, which this version cannot load; expected ProcessJob, SSHJob, SlurmJob or KubernetesJob`,
  );
}
