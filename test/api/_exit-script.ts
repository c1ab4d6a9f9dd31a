// Runs _exit-without-shutdown-main.ts (a user program that never calls shutdown()) as a child
// process and checks that it exits by itself and takes its workers along (not a test file; used
// by host-exit.test.ts and bench/loadtests/liveness.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { alive } from '../host/_workers.js';

export { alive };

const script = fileURLToPath(new URL('./_exit-without-shutdown-main.ts', import.meta.url));

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The worker pids the script printed. */
  pids: number[];
  timedOut: boolean;
  /** From start to exit. */
  ms: number;
}

/** Runs the script; resolves with its exit status and output, or kills it after `boundMs`. */
function run(args: string[], boundMs: number): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pids: number[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /^\{"pids":\[[\d,]*\]\}$/m.exec(stdout);
      if (m !== null && pids.length === 0) pids = (JSON.parse(m[0]) as { pids: number[] }).pids;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pids, timedOut, ms: Date.now() - t0 });
    });
  });
}

/** Waits (generously) until none of `pids` is alive; returns those still alive. */
async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs the script with `args` (`['kill-one']`: it SIGKILLs a worker first) and asserts that it
 * exited by itself with code 0 after printing its result, and that none of its 3 workers
 * outlives it (workers still alive are SIGKILLed before returning).
 */
export async function checkExitsByItself(args: string[], boundMs = 60_000): Promise<ScriptRun> {
  const r = await run(args, boundMs);
  try {
    assert.equal(r.timedOut, false, `the script did not exit by itself within ${boundMs} ms; stdout: ${r.stdout}; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, `exit code ${r.code} (signal ${r.signal}); stdout: ${r.stdout}; stderr: ${r.stderr}`);
    assert.match(r.stdout, /main done: \[\{"sum":\d,"count":\d\}\]/);
    assert.equal(r.pids.length, 3, `worker pids not printed; stdout: ${r.stdout}`);
    assert.deepEqual(await waitGone(r.pids, 5000), [], 'no worker may outlive the script');
    return r;
  } finally {
    for (const p of r.pids) if (alive(p)) process.kill(p, 'SIGKILL');
  }
}
