/**
 * Out-of-cluster clients: one `kubectl port-forward` per worker pod (`kubectl [--kubeconfig K]
 * [--context C] --namespace NS port-forward pod/<pod> :<port>`), each printing `Forwarding from
 * 127.0.0.1:<local> -> <port>`; the client then dials `tcp:127.0.0.1:<local>` whenever it sends
 * to that worker's advertised `tcp:<pod IP>:<port>` (`AttachOptions.dialVia`).
 *
 * Invariants:
 * - `start` resolves only when every forward printed its local port; if one exits first or does
 *   not answer within `timeoutMs`, every forward already started is ended and it throws
 *   `JobError('StartFailed')` with the end of kubectl's stderr.
 * - The forwards are children of this process: `close()` ends them, and so does this process's
 *   exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { JobError } from './job.js';

/** What kubectl to run and against which cluster. */
export interface PortForwardConfig {
  readonly kubectl?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace: string;
  readonly timeoutMs?: number;
}

/** Live forwards: worker address → local address. */
export interface PortForwards {
  readonly dialVia: Readonly<Record<string, string>>;
  close(): void;
}

const live = new Set<ChildProcess>();
let exitHook = false;

/** Starts a forward to each `{pod, addr, port}`; see the module invariants. */
export async function startPortForwards(cfg: PortForwardConfig, targets: ReadonlyArray<{ pod: string; addr: string; port: number }>): Promise<PortForwards> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGTERM');
    });
  }
  const children: ChildProcess[] = [];
  const close = () => {
    for (const c of children) {
      live.delete(c);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    }
  };
  try {
    const locals = await Promise.all(targets.map((t) => forwardOne(cfg, t, children)));
    const dialVia: Record<string, string> = {};
    targets.forEach((t, i) => (dialVia[t.addr] = locals[i]!));
    return { dialVia, close };
  } catch (e) {
    close();
    throw e;
  }
}

function forwardOne(cfg: PortForwardConfig, t: { pod: string; port: number }, children: ChildProcess[]): Promise<string> {
  const args = [
    ...(cfg.kubeconfig !== undefined ? ['--kubeconfig', cfg.kubeconfig] : []),
    ...(cfg.context !== undefined ? ['--context', cfg.context] : []),
    '--namespace',
    cfg.namespace,
    'port-forward',
    `pod/${t.pod}`,
    `:${t.port}`,
  ];
  const kubectl = cfg.kubectl ?? 'kubectl';
  const child = spawn(kubectl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + String(d)).slice(-2000)));
  const timeoutMs = cfg.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new JobError('StartFailed', `${kubectl} port-forward pod/${t.pod} ${why}; its stderr ends with:\n${err.trim() || '(nothing)'}`));
    const timer = setTimeout(() => fail(`printed no "Forwarding from 127.0.0.1:<port>" line within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/.exec(line.trim());
      if (m === null) return;
      clearTimeout(timer);
      resolve(`tcp:127.0.0.1:${m[1]}`);
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      fail(`could not start: ${e.message}`);
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      fail(`exited (${code !== null ? `code ${code}` : `signal ${sig}`}) before forwarding`);
    });
  });
}
