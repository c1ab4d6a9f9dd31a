/**
 * Suite side of the peers protocol (see protocol.mjs): starts one system's client script as
 * `node bench/peers/<system>.mjs` (plain Node, no loader) in a process group of its own, sends
 * commands one at a time, each under a timeout, and can kill the whole group (the client and
 * every process it started) at any point.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const PREFIX = '@@peers ';
/** Non-protocol output lines kept per client (for error notes). */
const TAIL_LINES = 20;

/** Why a request failed: the workload reported an error, or the client timed out / died. */
export class PeerError extends Error {
  constructor(
    readonly kind: 'failed' | 'timeout' | 'crashed',
    message: string,
  ) {
    super(message);
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class PeerClient {
  readonly tail: string[] = [];
  info: Record<string, unknown> = {};
  private readonly proc: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitText: string | undefined;
  private readonly ready: Promise<void>;

  private constructor(
    readonly system: string,
    script: string,
    cwd: string,
    private readonly verbose: boolean,
  ) {
    // detached: the client leads a new process group, so killGroup reaches its children too.
    this.proc = spawn(process.execPath, [script], { cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdin!.on('error', () => undefined); // EPIPE after the client died
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      if (!line.startsWith(PREFIX)) return this.keep(line);
      let msg: { id?: number; ok?: boolean; result?: unknown; error?: string; ready?: boolean; pid?: number; info?: Record<string, unknown> };
      try {
        msg = JSON.parse(line.slice(PREFIX.length));
      } catch {
        return this.keep(line);
      }
      if (msg.ready) {
        this.info = { pid: msg.pid, ...msg.info };
        return readyResolve();
      }
      const p = this.pending.get(msg.id!);
      if (p === undefined) return;
      this.pending.delete(msg.id!);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new PeerError('failed', msg.error ?? 'unknown error'));
    });
    createInterface({ input: this.proc.stderr! }).on('line', (line) => this.keep(line));
    this.proc.on('error', (e) => this.died(`could not start: ${e.message}`, readyReject));
    this.proc.on('exit', (code, signal) => this.died(`client exited (${signal ?? `code ${code}`})`, readyReject));
  }

  /** Starts the client script and waits for its ready line. */
  static async start(system: string, script: string, cwd: string, opts: { timeoutMs: number; verbose: boolean }): Promise<PeerClient> {
    const c = new PeerClient(system, script, cwd, opts.verbose);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.ready,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new PeerError('timeout', `no ready line within ${opts.timeoutMs} ms`)), opts.timeoutMs);
        }),
      ]);
    } catch (e) {
      c.killGroup();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return c;
  }

  get alive(): boolean {
    return this.exitText === undefined;
  }

  /** Runs one command; on timeout the whole group is killed (its state is unknown). */
  request<T>(op: string, params: Record<string, unknown>, timeoutMs: number): Promise<T> {
    if (this.exitText !== undefined) return Promise.reject(new PeerError('crashed', this.exitText));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PeerError('timeout', `${op} did not answer within ${timeoutMs} ms`));
        this.killGroup();
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.proc.stdin!.write(JSON.stringify({ id, op, ...params }) + '\n');
    });
  }

  /** Asks the client to stop everything and exit, then kills whatever is left of the group. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.alive) await this.request('exit', {}, timeoutMs).catch(() => undefined);
    this.killGroup();
    await this.waitGroupGone(5_000);
  }

  /** SIGKILL to every process of the client's group (synchronous; safe to repeat). */
  killGroup(): void {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* ESRCH: the group is already gone */
    }
  }

  /** True once no process of the group is left (checked with signal 0). */
  async waitGroupGone(timeoutMs: number): Promise<boolean> {
    const pid = this.proc.pid;
    if (pid === undefined) return true;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        process.kill(-pid, 0);
      } catch {
        return true;
      }
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private keep(line: string): void {
    if (this.verbose) process.stderr.write(`[peers ${this.system}] ${line}\n`);
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private died(text: string, readyReject: (e: Error) => void): void {
    if (this.exitText !== undefined) return;
    this.exitText = text;
    this.killGroup(); // whatever the client started must not outlive it
    const e = new PeerError('crashed', text);
    readyReject(e);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }
}
