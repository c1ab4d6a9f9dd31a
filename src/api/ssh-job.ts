/**
 * `SSHJob` (Monarch's `SSHJob`): one worker per host, started through `ssh <host> <worker command>`;
 * the mesh secret goes to the remote worker on its stdin (`--secret-file -`), never on a
 * command line (docs/architecture.md HOST-2). The `ssh` processes run in their own process groups and outlive the client that
 * started them, so a later client reattaches through the job cache; `kill()` ends them (the
 * remote workers end with their ssh sessions).
 *
 * Invariants:
 * - A worker is ready when its ready line came back over ssh's stdout; an ssh that exits first
 *   fails `apply()` with the end of its stderr, and every ssh already started is killed.
 * - The advertised address is `tcp:<host>:<port>` as named in the spec: the host name must
 *   resolve to a routable address on the workers (a worker refuses one that resolves to loopback
 *   while it listens on 0.0.0.0, exit 2, which `apply()` reports).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HostMesh, type AttachOptions } from './host-mesh.js';
import { CachedJob, checkMeshes, checkPort, launchWorkers, type WorkerLaunch } from './cached-job.js';
import { newSecretFile, readSecret, type JobCache } from './job.js';

export interface SSHJobSpec {
  /** Host names per mesh, e.g. `{trainers: ['node1', 'node2']}`: one worker on each. */
  readonly meshes: Readonly<Record<string, readonly string[]>>;
  /** The port every worker listens on (default 26600). */
  readonly port?: number;
  /** The command that runs `actormesh` on the hosts (default `['npx', 'actormesh']`). */
  readonly workerCommand?: readonly string[];
  /** Extra `ssh` arguments (e.g. `['-i', key, '-o', 'BatchMode=yes']`). */
  readonly sshArgs?: readonly string[];
  /** Where workers listen: `0.0.0.0` (default) or `host` (the host's own name: several workers per machine in tests). */
  readonly bind?: '0.0.0.0' | 'host';
  /** Modules every proc imports (`actormesh worker --modules`). */
  readonly modules?: readonly string[];
}

export interface SSHJobOptions {
  readonly dir?: string;
  /** The ssh program (default `ssh` from the PATH). */
  readonly ssh?: string;
  readonly startTimeoutMs?: number;
  readonly attach?: Omit<AttachOptions, 'secret' | 'name'>;
}

const KIND = 'SSHJob';

export class SSHJob extends CachedJob {
  readonly kind = KIND;
  readonly spec: SSHJobSpec;

  constructor(
    spec: SSHJobSpec,
    private readonly opts: SSHJobOptions = {},
  ) {
    super(opts.dir, opts.attach);
    checkMeshes(KIND, spec, "meshes of host names, e.g. {meshes: {trainers: ['node1', 'node2']}}", (hosts) =>
      Array.isArray(hosts) && hosts.length > 0 && hosts.every((h) => typeof h === 'string' && /^[A-Za-z0-9.-]+$/.test(h))
        ? undefined
        : `expected a non-empty array of host names or IPs, got ${JSON.stringify(hosts)}`,
    );
    this.spec = { ...spec, port: checkPort(spec.port, 26600) };
  }

  /** Asks every reachable worker to shut down (its procs first); the ssh sessions are ended after. */
  protected override async beforeKill(cache: JobCache): Promise<void> {
    let secret: string;
    try {
      secret = readSecret(cache.secretFile);
    } catch {
      return; // no secret left: only the ssh sessions can be ended
    }
    await Promise.all(
      Object.values(cache.workers)
        .flat()
        .map(async (a) => {
          try {
            await (await HostMesh.attach([a], { secret, timeoutMs: 5000, connectTimeoutMs: 2000, logs: 'off' })).shutdown();
          } catch {
            /* gone or unreachable: its ssh session is ended next */
          }
        }),
    );
  }

  protected async start(): Promise<JobCache> {
    const secretFile = newSecretFile(this.dir);
    const secret = readSecret(secretFile);
    const logs = join(this.dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const port = this.spec.port!;
    const cmd = this.spec.workerCommand ?? ['npx', 'actormesh'];
    const launches: WorkerLaunch[] = [];
    for (const [mesh, hosts] of Object.entries(this.spec.meshes)) {
      hosts.forEach((host, i) => {
        const base = join(logs, `${mesh}_${i}`);
        rmSync(`${base}.out`, { force: true });
        const bind = this.spec.bind === 'host' ? host : '0.0.0.0';
        const remote = [
          ...cmd,
          'worker',
          '--listen',
          `tcp:${bind}:${port}`,
          '--advertise',
          `tcp:${host}:${port}`,
          '--secret-file',
          '-',
          ...(this.spec.modules !== undefined && this.spec.modules.length > 0 ? ['--modules', this.spec.modules.join(',')] : []),
        ];
        launches.push({
          label: `${mesh}_${i} on ${host}`,
          mesh,
          program: this.opts.ssh ?? 'ssh',
          args: [...(this.spec.sshArgs ?? []), host, '--', ...remote.map(shellQuote)],
          stdin: `${secret}\n`,
          out: `${base}.out`,
          err: `${base}.err`,
        });
      });
    }
    const { workers, pids } = await launchWorkers(launches, this.opts.startTimeoutMs ?? 120_000);
    return { kind: KIND, spec: this.spec, workers, pids, secretFile, createdAt: new Date().toISOString() };
  }
}

/** One word for the remote shell (ssh joins its arguments into one command line). */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
