// Real `actormesh worker` processes for the host tests: started from the sources (tsx), each in its
// own process group, ready when it prints its ready line; `stopAll` kills whatever is left.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createServer, type AddressInfo } from 'node:net';
import { parseReadyLine } from '../../src/host/worker-options.js';

export const CLI = fileURLToPath(new URL('../../src/api/cli-main.ts', import.meta.url));

export interface Worker {
  readonly child: ChildProcess;
  readonly addr: string;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const started: ChildProcess[] = [];

/** Runs `actormesh <args>` to completion; resolves with its exit code and output. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
  prefix: readonly string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [program, ...rest] = [...prefix, process.execPath, '--import', 'tsx', CLI, ...args];
    const c = spawn(program!, rest, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`actormesh ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    c.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `actormesh worker <args>` (after `prefix`, e.g. `ip netns exec ns`) and waits for its ready line. */
export function startWorker(args: string[], env: NodeJS.ProcessEnv = {}, prefix: readonly string[] = []): Promise<Worker> {
  const [program, ...rest] = [...prefix, process.execPath, '--import', 'tsx', CLI, 'worker', ...args];
  // Tied to this test process (stdin pipe and parent pid): a test file that dies on a failure
  // leaves no worker behind (ACTORMESH_WORKER_EXIT_WITH_PARENT; `env` may turn it off).
  const c = spawn(program!, rest, {
    env: { ...process.env, ACTORMESH_WORKER_EXIT_WITH_PARENT: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  c.stdin!.on('error', () => undefined);
  (c.stdin as unknown as { unref?: () => void }).unref?.();
  started.push(c);
  let err = '';
  c.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => c.once('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`worker ${args.join(' ')} printed no ready line in 30 s; stderr: ${err}`)), 30_000);
    const rl = createInterface({ input: c.stdout! });
    rl.on('line', (line) => {
      const r = parseReadyLine(line);
      if (r === undefined) return;
      clearTimeout(t);
      resolve({ child: c, addr: r.addr, pid: r.pid, exited, stderr: () => err });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(t);
      reject(new Error(`worker exited before ready (code ${code}, signal ${signal}); stderr: ${err}`));
    });
  });
}

/** Pids of the live processes whose parent is `ppid`. */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[1]) === ppid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export { alive } from '../../src/api/job.js';

/** A port free right now (a worker listening on it explicitly can reuse it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Kills every worker started here (process group), and waits for them. */
export async function stopAll(): Promise<void> {
  const cs = started.splice(0);
  await Promise.all(
    cs.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
      await gone;
    }),
  );
}
