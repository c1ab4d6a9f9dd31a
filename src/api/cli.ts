/**
 * The `actormesh` command (`runCli`; the package's `bin` is a two-line script that calls it). `actormesh worker ...` serves this machine to clients (see
 * `WORKER_USAGE`): it prints one ready line on stdout once it listens, exits 0 after a client's
 * shutdown, 2 on bad usage, 143 after SIGTERM (130 after SIGINT), procs stopped first.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exitWithParent } from '../mesh/alloc/index.js';
import { formatReadyLine, parseWorkerArgs, resolveAdvertised, WorkerUsageError } from '../host/worker-options.js';
import { PACKAGE_VERSION, startWorker, type WorkerHandle } from '../host/worker.js';
import { JOB_DIR, JobError, readJobCache, type Job } from './job.js';
import { loadJob } from './process-job.js';

const USAGE = `usage: actormesh <command> [options]

commands:
  worker                        serve this machine's procs to actormesh clients (actormesh worker --help)
  job apply <module>#<export>   start the job a module exports (a Job, or a function returning one)
  job state [--json]            the job in .actormesh/job.json: running or not, its meshes and workers
  job kill                      end the job's workers and remove its cache
  --version                     print the package version
options of job: --dir D (default .actormesh)
`;

/** `actormesh job apply|state|kill`. */
async function job(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  let dir = JOB_DIR;
  let json = false;
  const pos: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--dir' && i + 1 < rest.length) dir = rest[++i]!;
    else if (a.startsWith('--dir=')) dir = a.slice(6);
    else if (a === '--json') json = true;
    else pos.push(a);
  }
  switch (sub) {
    case 'apply': {
      const target = pos[0];
      if (target === undefined || !target.includes('#')) {
        process.stderr.write(`actormesh job apply: expected <module>#<export>, e.g. ./jobs.js#trainers\n`);
        return 2;
      }
      const [mod, name] = target.split('#') as [string, string];
      let exported: unknown;
      try {
        exported = (await import(moduleSpecifier(mod)))[name];
      } catch (e) {
        throw new JobError('BadModule', `cannot import ${mod}: ${(e as Error).message}`, { cause: e });
      }
      const j = (typeof exported === 'function' ? await (exported as () => unknown)() : exported) as Job | undefined;
      if (j === undefined || typeof (j as Job).apply !== 'function') {
        process.stderr.write(`actormesh job apply: ${target} is not a Job (export a ProcessJob, or a function returning one)\n`);
        return 2;
      }
      await j.apply();
      return printState(dir, json);
    }
    case 'state':
      return printState(dir, json);
    case 'kill': {
      const j = loadJob(dir);
      if (j === undefined) {
        process.stderr.write(`actormesh job kill: no job in ${dir}\n`);
        return 0;
      }
      await j.kill();
      process.stderr.write(`actormesh job kill: done\n`);
      return 0;
    }
    default:
      process.stderr.write(`actormesh job: expected apply, state or kill\n${USAGE}`);
      return 2;
  }
}

async function printState(dir: string, json: boolean): Promise<number> {
  const cache = readJobCache(dir);
  const j = loadJob(dir);
  const running = cache !== undefined && j !== undefined && (await j.canRun(cache));
  const state = { running, kind: cache?.kind ?? null, workers: cache?.workers ?? {}, createdAt: cache?.createdAt ?? null };
  if (json) process.stdout.write(`${JSON.stringify(state)}\n`);
  else if (cache === undefined) process.stdout.write(`no job in ${dir}\n`);
  else {
    process.stdout.write(`${cache.kind} ${running ? 'running' : 'not running'} (since ${cache.createdAt})\n`);
    for (const [mesh, addrs] of Object.entries(cache.workers)) process.stdout.write(`  ${mesh}: ${addrs.join(' ')}\n`);
  }
  return running || cache === undefined ? 0 : 1;
}

/** A module given on the command line: paths (./x.js, /x.js) become file URLs, bare names stay. */
function moduleSpecifier(m: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m)) return m;
  if (m.startsWith('.') || m.startsWith('/')) return pathToFileURL(resolve(m)).href;
  return m;
}

async function worker(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = await resolveAdvertised(parseWorkerArgs(argv, process.env));
  } catch (e) {
    if (e instanceof WorkerUsageError) {
      (e.exitCode === 0 ? process.stdout : process.stderr).write(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  if (process.env['ACTORMESH_WORKER_EXIT_WITH_PARENT'] === '1') exitWithParent();
  // Signals are handled from before the ready line: a SIGTERM right after it still drains the procs.
  let handle: WorkerHandle | undefined;
  let stopCode: number | undefined;
  const onSignal = (code: number) => () => {
    stopCode ??= code;
    if (handle !== undefined) void handle.stop(code);
  };
  process.once('SIGTERM', onSignal(143));
  process.once('SIGINT', onSignal(130));
  handle = await startWorker({
    listen: opts.listen,
    advertise: opts.advertise,
    ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
    ...(opts.tls !== undefined ? { tls: { cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.ca !== undefined ? { ca: opts.tls.ca } : {}) } } : {}),
    modules: opts.modules.map(moduleSpecifier),
  });
  const line = formatReadyLine(handle.addr, handle.pid, handle.version, handle.protocol, opts.json);
  if (opts.readyFile !== undefined) writeFileSync(opts.readyFile, `${line}\n`);
  process.stdout.write(`${line}\n`);
  if (stopCode !== undefined) void handle.stop(stopCode);
  return handle.done;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'worker':
      return worker(rest);
    case 'job':
      return job(rest);
    case '--version':
    case '-v':
      process.stdout.write(`${PACKAGE_VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`actormesh: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      return 2;
  }
}

/** Runs the `actormesh` command with `argv` (without `node` and the script) and exits with its code. */
export function runCli(argv: readonly string[]): void {
  main([...argv]).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`actormesh: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
