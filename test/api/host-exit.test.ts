// A program that never calls `thisHost().shutdown()` exits by itself once it has nothing left to
// do, like a Monarch script, and its worker processes do not outlive it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./_exit-without-shutdown-main.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the script; resolves with its exit status and output, or kills it after `boundMs`. */
function run(args: string[], boundMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; pids: number[]; timedOut: boolean }> {
  return new Promise((resolve) => {
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
      resolve({ code, signal, stdout, stderr, pids, timedOut });
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

async function check(args: string[]): Promise<void> {
  const r = await run(args, 60_000);
  try {
    assert.equal(r.timedOut, false, `the script did not exit by itself within 60 s; stdout: ${r.stdout}; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, `exit code ${r.code} (signal ${r.signal}); stdout: ${r.stdout}; stderr: ${r.stderr}`);
    assert.match(r.stdout, /main done: \[\{"sum":\d,"count":\d\}\]/);
    assert.equal(r.pids.length, 3, `worker pids not printed; stdout: ${r.stdout}`);
    assert.deepEqual(await waitGone(r.pids, 5000), [], 'no worker may outlive the script');
  } finally {
    for (const p of r.pids) if (alive(p)) process.kill(p, 'SIGKILL');
  }
}

test('a script that returns without shutdown() exits with code 0 and its workers are gone', { timeout: 90_000 }, async () => {
  await check([]);
});

test('a script whose worker was SIGKILLed still exits by itself without shutdown()', { timeout: 90_000 }, async () => {
  await check(['kill-one']);
});
