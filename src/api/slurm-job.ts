/**
 * `SlurmJob` (Monarch's `SlurmJob`): one `sbatch` whose script `srun`s one `actormesh worker` per
 * node; SLURM does the placement, actormesh the messaging. The job id comes from `sbatch
 * --parsable`; state and nodes from `squeue -h -j <id> -o '%T|%N|%r'` (slurm.ts), addresses from
 * the workers' ready files (each advertises its node's `NodeAddr` from `scontrol show node`).
 *
 * Invariants:
 * - The mesh secret reaches the workers as a file path in the environment
 *   (`ACTORMESH_SECRET_FILE`), never on a command line.
 * - Each worker listens on `port + SLURM_NODEID * ntasksPerNode + SLURM_LOCALID`, so several
 *   nodes on one machine (SLURM's multiple-slurmd mode, one `NodeAddr`) never collide.
 * - `apply()` returns only when every worker is ready; a terminal state, a job that left the
 *   queue, or the start timeout fail it with the job's state and reason, and cancel the job.
 * - `kill()` = `scancel`, then waits (bounded) until the job left the running states.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseReadyLine } from '../host/worker-options.js';
import type { AttachOptions } from './host-mesh.js';
import { CachedJob, checkMeshes, checkPort } from './cached-job.js';
import { JobError, newSecretFile, sameSpec, tail, type JobCache } from './job.js';
import { TERMINAL_STATES, parseSqueueLine, type QueueEntry } from './slurm.js';

const run = promisify(execFile);

export interface SlurmJobSpec {
  /** Nodes per mesh name, e.g. `{trainers: 2, data: 1}` (one `sbatch` for all). */
  readonly meshes: Readonly<Record<string, number>>;
  readonly partition?: string;
  /** `--time`, e.g. `01:00:00`. */
  readonly timeLimit?: string;
  readonly gpusPerNode?: number;
  readonly cpusPerTask?: number;
  /** `--mem`, e.g. `16G`. */
  readonly mem?: string;
  readonly account?: string;
  readonly qos?: string;
  /** More `#SBATCH` options, each starting with `-`. */
  readonly slurmArgs?: readonly string[];
  /** Base port of the workers (default 22222). */
  readonly port?: number;
  readonly jobName?: string;
  /** The command that runs `actormesh` on the nodes (default `['npx', 'actormesh']`). */
  readonly workerCommand?: readonly string[];
  /** Modules every proc imports (`actormesh worker --modules`). */
  readonly modules?: readonly string[];
}

export interface SlurmJobOptions {
  /** Directory of the cache and secret (default `.actormesh`); must be on a file system the nodes share. */
  readonly dir?: string;
  /** Where the job's output and the workers' ready files go (default `<dir>/logs`; shared too). */
  readonly logDir?: string;
  /** How long the job may take to start and its workers to be ready (default 10 min). */
  readonly jobStartTimeoutMs?: number;
  readonly attach?: Omit<AttachOptions, 'secret' | 'name'>;
}

const KIND = 'SlurmJob';
const POLL_MS = 500;

export class SlurmJob extends CachedJob {
  readonly kind = KIND;
  readonly spec: SlurmJobSpec;

  constructor(
    spec: SlurmJobSpec,
    private readonly opts: SlurmJobOptions = {},
  ) {
    super(opts.dir, opts.attach);
    checkMeshes(KIND, spec, 'meshes, e.g. {meshes: {trainers: 2}}', (n) =>
      Number.isSafeInteger(n) && n >= 1 ? undefined : `${String(n)} nodes; expected a positive integer`,
    );
    for (const a of spec.slurmArgs ?? [])
      if (!a.startsWith('-') || /[\n\r]/.test(a)) throw new JobError('BadSpec', `slurmArgs entry ${JSON.stringify(a)}: expected one option starting with -`);
    this.spec = { ...spec, port: checkPort(spec.port, 22222) };
  }

  override async canRun(cache: JobCache): Promise<boolean> {
    if (cache.kind !== KIND || !sameSpec(cache.spec, this.spec) || cache.schedulerJobId === undefined) return false;
    return (await queueEntry(cache.schedulerJobId))?.state === 'RUNNING';
  }

  protected override async discard(cache: JobCache): Promise<void> {
    if (cache.schedulerJobId !== undefined) await cancel(cache.schedulerJobId);
  }

  /** The batch script (`#SBATCH` options, then one `srun` of `workerScript` per node) and the per-node worker script. */
  scripts(secretFile: string, logDir: string, workerScript: string, client?: readonly string[]): { batch: string; worker: string } {
    const s = this.spec;
    const total = Object.values(s.meshes).reduce((a, b) => a + b, 0);
    const lines = [
      '#!/bin/bash',
      `#SBATCH --job-name=${s.jobName ?? 'actormesh'}`,
      `#SBATCH --nodes=${total}`,
      '#SBATCH --ntasks-per-node=1',
      `#SBATCH --output=${logDir}/slurm_%j.out`,
      `#SBATCH --error=${logDir}/slurm_%j.err`,
    ];
    if (s.partition !== undefined) lines.push(`#SBATCH --partition=${s.partition}`);
    if (s.timeLimit !== undefined) lines.push(`#SBATCH --time=${s.timeLimit}`);
    if (s.gpusPerNode !== undefined) lines.push(`#SBATCH --gpus-per-node=${s.gpusPerNode}`);
    if (s.cpusPerTask !== undefined) lines.push(`#SBATCH --cpus-per-task=${s.cpusPerTask}`);
    if (s.mem !== undefined) lines.push(`#SBATCH --mem=${s.mem}`);
    if (s.account !== undefined) lines.push(`#SBATCH --account=${s.account}`);
    if (s.qos !== undefined) lines.push(`#SBATCH --qos=${s.qos}`);
    for (const a of s.slurmArgs ?? []) lines.push(`#SBATCH ${a}`);
    lines.push(`export ACTORMESH_SECRET_FILE=${shellQuote(secretFile)}`, `mkdir -p ${shellQuote(logDir)}/$SLURM_JOB_ID`);
    if (client === undefined) lines.push(`srun --ntasks-per-node=1 bash ${shellQuote(workerScript)}`);
    else
      // Batch mode: the workers in the background, the client in the allocation; the job ends
      // (workers stopped) with the client's exit code.
      lines.push(
        `srun --ntasks-per-node=1 bash ${shellQuote(workerScript)} &`,
        'workers=$!',
        `ACTORMESH_BATCH_JOB=1 ${client.map(shellQuote).join(' ')}`,
        'code=$?',
        'kill $workers 2>/dev/null',
        'wait $workers 2>/dev/null',
        'exit $code',
      );
    const cmd = (s.workerCommand ?? ['npx', 'actormesh']).map(shellQuote).join(' ');
    const modules = s.modules !== undefined && s.modules.length > 0 ? ` --modules ${shellQuote(s.modules.join(','))}` : '';
    const worker = [
      '#!/bin/bash',
      "# One actormesh worker per SLURM task: its node's address, a port per node and task.",
      `port=$((${s.port} + SLURM_NODEID + SLURM_LOCALID))`,
      `addr=$(scontrol show node -o "$SLURMD_NODENAME" | sed -n 's/.*NodeAddr=\\([^ ]*\\).*/\\1/p')`,
      `exec ${cmd} worker --listen tcp:0.0.0.0:$port --advertise "tcp:\${addr:-$(hostname)}:$port" --ready-file "${logDir}/$SLURM_JOB_ID/$SLURM_PROCID.ready"${modules}`,
    ];
    return { batch: `${lines.join('\n')}\n`, worker: `${worker.join('\n')}\n` };
  }

  /**
   * Batch mode: submits the job with `command` (the client, e.g. `['node', 'train.js']`) running
   * inside the allocation with `ACTORMESH_BATCH_JOB=1`, where `state()` of the same job finds the
   * workers of its own allocation instead of submitting; the job ends, its workers stopped, with
   * the client's exit code. Resolves with the SLURM job id once submitted.
   */
  async applyWithClient(command: readonly string[]): Promise<string> {
    if (!Array.isArray(command) || command.length === 0) throw new JobError('BadSpec', 'applyWithClient needs the client command, e.g. ["node", "train.js"]');
    const { secretFile, logDir, workerScript } = this.prepare();
    const { batch, worker } = this.scripts(secretFile, logDir, workerScript, command);
    writeFileSync(workerScript, worker, { mode: 0o755 });
    return submit(batch);
  }

  /** Inside a batch job (`ACTORMESH_BATCH_JOB=1`): the workers of this allocation, never a new job. */
  override async apply(): Promise<void> {
    const id = process.env['SLURM_JOB_ID'];
    if (process.env['ACTORMESH_BATCH_JOB'] !== '1' || id === undefined) return super.apply();
    if (this.cache !== undefined) return;
    const logDir = resolve(this.opts.logDir ?? join(this.dir, 'logs'));
    this.cache = await this.awaitWorkers(id, join(this.dir, 'secret'), logDir, false);
  }

  /** Inside a batch job the allocation ends with the client: nothing to kill. */
  override async kill(): Promise<void> {
    if (process.env['ACTORMESH_BATCH_JOB'] === '1' && process.env['SLURM_JOB_ID'] !== undefined) return;
    return super.kill();
  }

  private prepare(): { secretFile: string; logDir: string; workerScript: string } {
    const secretFile = newSecretFile(this.dir);
    const logDir = resolve(this.opts.logDir ?? join(this.dir, 'logs'));
    mkdirSync(logDir, { recursive: true });
    return { secretFile, logDir, workerScript: join(logDir, 'worker.sh') };
  }

  protected async start(): Promise<JobCache> {
    const { secretFile, logDir, workerScript } = this.prepare();
    const { batch, worker } = this.scripts(secretFile, logDir, workerScript);
    writeFileSync(workerScript, worker, { mode: 0o755 });
    const id = await submit(batch);
    return this.awaitWorkers(id, secretFile, logDir, true);
  }

  /** Waits for job `id` to run and all its workers to be ready; with `cancelOnFailure`, a failure cancels the job. */
  private async awaitWorkers(id: string, secretFile: string, logDir: string, cancelOnFailure: boolean): Promise<JobCache> {
    const total = Object.values(this.spec.meshes).reduce((a, b) => a + b, 0);
    const timeout = this.opts.jobStartTimeoutMs ?? 600_000;
    const t0 = Date.now();
    let lastReport = 0;
    let last: QueueEntry | undefined;
    try {
      for (;;) {
        last = await queueEntry(id);
        const elapsed = ((Date.now() - t0) / 1000).toFixed(1);
        if (last === undefined || TERMINAL_STATES.has(last.state))
          throw new JobError(
            'StartFailed',
            `SLURM job ${id} ${last === undefined ? 'left the queue' : `is ${last.state} (${last.reason})`} before its workers were ready; its stderr ends with:\n${tail(join(logDir, `slurm_${id}.err`))}`,
          );
        const ready = readyAddrs(join(logDir, id));
        if (last.state === 'RUNNING' && ready.size === total) {
          const order = [...ready.keys()].sort((a, b) => a - b).map((k) => ready.get(k)!);
          const workers: Record<string, string[]> = {};
          let k = 0;
          for (const [mesh, n] of Object.entries(this.spec.meshes)) workers[mesh] = order.slice(k, (k += n));
          return { kind: KIND, spec: this.spec, workers, pids: [], secretFile, createdAt: new Date().toISOString(), schedulerJobId: id };
        }
        if (Date.now() - t0 > timeout)
          throw new JobError(
            'StartFailed',
            `SLURM job ${id} did not start within ${timeout} ms: state ${last.state}, reason ${last.reason}; workers ready ${ready.size}/${total}`,
          );
        if (Date.now() - lastReport >= 1000) {
          lastReport = Date.now();
          process.stderr.write(
            `actormesh job: SLURM job ${id} ${last.state}${last.reason && last.reason !== 'None' ? ` (${last.reason})` : ''}, workers ready ${ready.size}/${total}, ${elapsed} s\n`,
          );
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (e) {
      if (cancelOnFailure) await cancel(id);
      throw e;
    }
  }
}

/** `sbatch --parsable` of `script` on stdin; the job id. */
async function submit(script: string): Promise<string> {
  const out = await new Promise<string>((resolveOut, reject) => {
    const child = execFile('sbatch', ['--parsable'], (err, stdout, stderr) => {
      if (err !== null) reject(new JobError('StartFailed', `sbatch failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolveOut(stdout);
    });
    child.stdin!.end(script);
  });
  const id = /^(\d+)/.exec(out.trim())?.[1];
  if (id === undefined) throw new JobError('StartFailed', `sbatch --parsable printed ${JSON.stringify(out.trim())}; expected a job id`);
  return id;
}

/** The job's queue entry; undefined once it left the queue. */
async function queueEntry(id: string): Promise<QueueEntry | undefined> {
  try {
    const { stdout } = await run('squeue', ['-h', '-j', id, '-o', '%T|%N|%r']);
    return parseSqueueLine(stdout);
  } catch (e) {
    // squeue exits 1 for a job id it no longer knows.
    if (/Invalid job id/i.test(String((e as { stderr?: string }).stderr ?? ''))) return undefined;
    throw new JobError('StartFailed', `squeue failed: ${(e as Error).message}`, { cause: e });
  }
}

/** `scancel`, then waits (up to 30 s) until the job left the running states. */
async function cancel(id: string): Promise<void> {
  await run('scancel', [id]).catch(() => undefined);
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const e = await queueEntry(id).catch(() => undefined);
    if (e === undefined || TERMINAL_STATES.has(e.state)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ready files `<procid>.ready` of a job directory → advertised addresses by procid. */
function readyAddrs(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const m = /^(\d+)\.ready$/.exec(f);
    if (m === null) continue;
    const r = parseReadyLine(readFileSync(join(dir, f), 'utf8').trim());
    if (r !== undefined) out.set(Number(m[1]), r.addr);
  }
  return out;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
