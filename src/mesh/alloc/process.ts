/**
 * `ProcessAllocator` / `ProcessAlloc` (Monarch hyperactor_mesh/src/alloc/process.rs): one child Node process per rank,
 * bootstrapped over a unix channel (`Hello` → `StartProc` → `StartedProc`, `Heartbeat`,
 * `StopAndExit`), with the client's config snapshot shipped in the child's environment.
 *
 * Invariants:
 * - Child `i` has rank `i` (`Created.point.rank = i`); events per child are monotone and each
 *   child reports `Stopped` exactly once, when its process has exited and its stdio closed.
 * - Children get, in `CONFIG_SNAPSHOT_ENV`, this process's effective config at allocation with
 *   `configSnapshot` (if given) on top; their env is this process's minus the config env vars,
 *   then `command.env`, then `env`.
 * - Output: without `output`, children's stdout is inherited and stderr copied here (unless
 *   `forwardStderr` is false). With `output`, both are piped and handed to it as whole lines
 *   (batched per chunk; a final line without newline is delivered at end of stream, before
 *   `Stopped`), and nothing is copied here. Either way stderr lines feed the `Exited` tail.
 * - Stop reasons: "first stop wins" — a child the watchdog had to signal is `Watchdog`;
 *   otherwise from the exit status: code 0 ⇒ `Stopped`, a signal ⇒ `Killed(signo)`, else
 *   `Exited(code, last stderr lines)`.
 * - After `stop()`, a child that has not exited within `PROCESS_EXIT_TIMEOUT` gets SIGTERM, and
 *   SIGKILL after another `PROCESS_EXIT_TIMEOUT`.
 * - The stream ends (`null`) only after `stop()` and once every child has exited.
 * - No orphans: children exit when this process dies (they watch their stdin pipe, see
 *   child-bootstrap.ts); children still alive when this process exits normally are SIGKILLed
 *   (docs/architecture.md MESH-6).
 * - Liveness comes from the processes, never from answers on time: a child is known dead when
 *   its process exited (`Stopped`, observed through `close`), and nothing else stops or signals
 *   a live child except `stop()`'s watchdog. The control link to a child has no delivery
 *   timeout (a parent blocked in synchronous work for any length of time leaves its children
 *   alone); it is aborted when the child exits (docs/architecture.md MESH-5).
 * - Nothing here keeps this process alive: children and their stdio pipes are unref'd (the
 *   bootstrap server is a uWS listener, closed when the alloc finishes); an application that is
 *   done with its work exits and takes its children along (see `thisHost()`, api/host.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ActorRef } from '../../actor/refs.js';
import { registeredActorModules } from '../../actor/registry.js';
import { anyAddr, dial, formatAddr, serve, type Rx, type Transport, type Tx, ChannelError } from '../../channel/index.js';
import { Config, config, configKeyByName, configKeys, PROCESS_EXIT_TIMEOUT, MESH_TAIL_LOG_LINES, type ConfigSnapshot } from '../../core/config.js';
import { WorldId } from '../../core/ids.js';
import { ShortUuid } from '../../core/name.js';
import type { Extent } from '../../ndslice/extent.js';
import {
  type Alloc,
  type AllocSpec,
  type Allocator,
  type ProcState,
  DEFAULT_AGENT_NAME,
  DEFAULT_AGENT_TYPE,
  encodeAgentParams,
  ProcStopReason,
  validateSpec,
} from './alloc.js';
import { EventQueue } from './event-queue.js';
import {
  BOOTSTRAP_ADDR_ENV,
  BOOTSTRAP_INDEX_ENV,
  CONFIG_SNAPSHOT_ENV,
  decodeToAllocator,
  encodeToProcess,
  type Allocator2Process,
  type Process2Allocator,
} from './protocol.js';

/** The command that starts a child: `program args...` (the child runs `bootstrapChild()`). */
export interface BootstrapCommand {
  readonly program: string;
  readonly args: readonly string[];
  /** Extra environment for the children. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ProcessAllocatorOptions {
  /** Default: `defaultBootstrapCommand()` (this package's `child-main` script). */
  readonly command?: BootstrapCommand;
  /** Stderr lines kept for `Exited` reasons (default: `MESH_TAIL_LOG_LINES`, or 20 when that is 0). */
  readonly stderrTailLines?: number;
  /**
   * Copy children's stderr to this process's stderr (default true; ignored when `output` is set).
   * Without `output`, children's stdout is inherited.
   */
  readonly forwardStderr?: boolean;
  /**
   * Receives the children's output as lines (without their `\n`), per child index and stream,
   * batched per chunk read. When set, children's stdout and stderr are both piped, and neither is
   * copied to this process's streams (stderr lines still feed the `Exited` tail).
   */
  readonly output?: (index: number, stream: 'stdout' | 'stderr', lines: string[]) => void;
  /**
   * Config for the children: laid over this process's effective config at allocation (keys by
   * name or env var; unknown keys or bad values make `allocate` reject with `ConfigError`).
   */
  readonly configSnapshot?: ConfigSnapshot;
  /** Extra environment for every child, applied after `command.env`. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Delivery timeout of the allocator → child control channel: none. Whether a child lives is told
 * by its process (exit → `Stopped`), not by how fast it acknowledges: a bounded timeout here used
 * to SIGTERM healthy children whenever this process was blocked for longer than it (the acks sat
 * unread in the socket while the timer fired first). The link is aborted when the child exits.
 */
const CONTROL_DELIVERY_TIMEOUT_MS = Number.POSITIVE_INFINITY;

/** Lines of child stderr kept when `MESH_TAIL_LOG_LINES` is 0. */
const DEFAULT_TAIL_LINES = 20;

/** A child's line longer than this (in UTF-16 units) without a newline is cut and delivered in pieces. */
const MAX_LINE_LENGTH = 1 << 20;

/**
 * `snapshot` with every key under its registered name (`HYPERACTOR_…` env var names accepted),
 * its values checked with the keys' parsers. Throws `ConfigError` for unknown keys or bad values.
 */
function normalizeSnapshot(snapshot: ConfigSnapshot): ConfigSnapshot {
  new Config({ env: {} }).install('ClientOverride', snapshot); // validates names and values
  const out: ConfigSnapshot = {};
  for (const [name, text] of Object.entries(snapshot)) out[configKeyByName(name)!.name] = text;
  return out;
}

/**
 * Module-loader flags of this process (`--import`, `--require`/`-r`, `--loader`,
 * `--experimental-loader`, with their values) that children must share to load the same modules:
 * an application started as `tsx app.ts` registers actor classes from `.ts` modules, which its
 * children can only import with the same loader. Other flags (inspector, profiling, memory) are
 * not inherited.
 */
export function inheritedLoaderFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const withValue = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (withValue.has(a) && i + 1 < execArgv.length) {
      out.push(a, execArgv[++i]!);
    } else if (/^--(import|require|loader|experimental-loader)=/.test(a)) {
      out.push(a);
    }
  }
  return out;
}

/**
 * `node [loader flags] <dir of this module>/child-main.{ts,js}`: children inherit this process's
 * module-loader flags (`inheritedLoaderFlags`); when this module runs from TypeScript sources the
 * tsx loader is added if it is not among them; from compiled `dist/` nothing is added.
 */
export function defaultBootstrapCommand(): BootstrapCommand {
  return nodeEntryCommand(import.meta.url, './child-main.ts', './child-main.js');
}

/**
 * `node [loader flags] <entry>`, the entry resolved against `moduleUrl`: `tsEntry` when that module
 * runs from TypeScript sources (the tsx loader added if this process has none), else `jsEntry`.
 */
export function nodeEntryCommand(moduleUrl: string, tsEntry: string, jsEntry: string): BootstrapCommand {
  const fromTs = moduleUrl.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromTs ? tsEntry : jsEntry, moduleUrl));
  const args = inheritedLoaderFlags();
  if (fromTs && !args.some((a) => a.includes('tsx'))) {
    let loader = 'tsx';
    try {
      loader = import.meta.resolve('tsx');
    } catch {
      /* fall back to resolving 'tsx' from the child's working directory */
    }
    args.push('--import', loader);
  }
  args.push(entry);
  return { program: process.execPath, args };
}

export class ProcessAllocator implements Allocator {
  private readonly opts: ProcessAllocatorOptions;
  constructor(opts: ProcessAllocatorOptions = {}) {
    this.opts = opts;
  }
  async allocate(spec: AllocSpec): Promise<ProcessAlloc> {
    validateSpec(spec, ['unix', 'tcp']);
    if (this.opts.configSnapshot !== undefined) normalizeSnapshot(this.opts.configSnapshot);
    const params = encodeAgentParams(spec);
    const [addr, rx] = await serve(anyAddr('unix'));
    return new ProcessAlloc(spec, params, formatAddr(addr), rx, this.opts);
  }
}

interface Child {
  readonly index: number;
  readonly createKey: ShortUuid;
  readonly proc: ChildProcess;
  readonly tail: string[];
  tx: Tx | undefined;
  running: boolean;
  exited: boolean;
  /** Set when the watchdog signalled the child (first stop wins). */
  reason: ProcStopReason | undefined;
  timers: NodeJS.Timeout[];
}

/** Children alive in this process, SIGKILLed if the process exits with them still running. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(p: ChildProcess): void {
  liveChildren.add(p);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of liveChildren) {
        try {
          c.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
  }
}

/** Lets a child's stdio pipe stop keeping this process alive (it still reads/writes while it runs). */
function unrefStream(s: unknown): void {
  (s as { unref?: () => void } | null)?.unref?.();
}

/**
 * Reads `s` as UTF-8 and hands its complete lines (without `\n`) to `onLines`, once per chunk that
 * completes any; the last line without a newline is handed over at end of stream. `onChunk` sees
 * every chunk first, as read.
 */
function readLines(s: NodeJS.ReadableStream, onChunk: ((chunk: string) => void) | undefined, onLines: (lines: string[]) => void): void {
  let partial = '';
  s.setEncoding('utf8');
  s.on('data', (chunk: string) => {
    onChunk?.(chunk);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    while (partial.length > MAX_LINE_LENGTH) {
      lines.push(partial.slice(0, MAX_LINE_LENGTH));
      partial = partial.slice(MAX_LINE_LENGTH);
    }
    if (lines.length > 0) onLines(lines);
  });
  s.on('end', () => {
    if (partial !== '') onLines([partial]);
    partial = '';
  });
}

export class ProcessAlloc implements Alloc {
  readonly spec: AllocSpec;
  readonly extent: Extent;
  readonly worldId: WorldId;
  readonly transport: Transport;
  readonly isLocal = false;
  /** The unix address children say Hello to. */
  readonly bootstrapAddr: string;
  private readonly events = new EventQueue<ProcState>();
  private readonly children: Child[] = [];
  private readonly command: BootstrapCommand;
  private readonly tailLines: number;
  private readonly forwardStderr: boolean;
  private readonly output: ProcessAllocatorOptions['output'];
  private readonly extraEnv: Readonly<Record<string, string>>;
  /** The client's config (with `configSnapshot` over it), taken at allocation and shipped to every child. */
  private readonly configSnapshot: string;
  private started = false;
  private stopRequested = false;
  private finished = false;
  private readonly rxLoop: Promise<void>;

  constructor(
    spec: AllocSpec,
    private readonly params: Uint8Array,
    bootstrapAddr: string,
    private readonly rx: Rx,
    opts: ProcessAllocatorOptions,
  ) {
    this.spec = spec;
    this.extent = spec.extent;
    this.transport = spec.transport;
    this.worldId = new WorldId(ShortUuid.generate().toString());
    this.bootstrapAddr = bootstrapAddr;
    this.command = opts.command ?? defaultBootstrapCommand();
    const configured = config.get(MESH_TAIL_LOG_LINES);
    this.tailLines = opts.stderrTailLines ?? (configured > 0 ? configured : DEFAULT_TAIL_LINES);
    this.forwardStderr = opts.forwardStderr ?? true;
    this.output = opts.output;
    this.extraEnv = opts.env ?? {};
    const snapshot = { ...config.snapshot(), ...(opts.configSnapshot !== undefined ? normalizeSnapshot(opts.configSnapshot) : {}) };
    this.configSnapshot = Buffer.from(JSON.stringify(snapshot), 'utf8').toString('base64');
    this.rxLoop = this.serveBootstrap().catch((e: unknown) => {
      process.stderr.write(`actormesh: alloc ${this.worldId}: the bootstrap channel failed: ${(e as Error).message}\n`);
    });
  }

  /** Pids of the children spawned so far, by rank (undefined if spawning failed). */
  get pids(): Array<number | undefined> {
    return this.children.map((c) => c.proc.pid);
  }

  next(): Promise<ProcState | null> {
    if (!this.started && !this.stopRequested) {
      this.started = true;
      this.spawnAll();
    }
    return this.events.next();
  }

  watch(f: (e: ProcState) => void): () => void {
    return this.events.watch(f);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ProcState> {
    for (;;) {
      const e = await this.next();
      if (e === null) return;
      yield e;
    }
  }

  async stop(): Promise<void> {
    if (this.stopRequested) return;
    this.stopRequested = true;
    const timeout = config.get(PROCESS_EXIT_TIMEOUT);
    for (const c of this.children) {
      if (c.exited) continue;
      if (c.tx !== undefined) this.sendTo(c, { type: 'StopAndExit', code: 0, timeoutMs: Math.min(1000, Math.max(10, timeout / 2)) });
      // else: the child is told to exit when it says Hello (see onHello).
      c.timers.push(
        setTimeout(() => {
          if (c.exited) return;
          c.reason ??= ProcStopReason.watchdog();
          c.proc.kill('SIGTERM');
          c.timers.push(
            setTimeout(() => {
              if (!c.exited) c.proc.kill('SIGKILL');
            }, timeout),
          );
        }, timeout),
      );
    }
    this.maybeFinish();
  }

  async stopAndWait(): Promise<void> {
    await this.stop();
    while ((await this.next()) !== null) {
      /* drain */
    }
    await this.rxLoop;
  }

  // --- children ------------------------------------------------------------------------------

  private childEnv(index: number): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The snapshot carries the effective values (including this process's env): children take
    // them from the snapshot, not from a re-read of inherited variables.
    for (const k of configKeys()) if (k.envVar) delete env[k.envVar];
    env[BOOTSTRAP_ADDR_ENV] = this.bootstrapAddr;
    env[BOOTSTRAP_INDEX_ENV] = String(index);
    env[CONFIG_SNAPSHOT_ENV] = this.configSnapshot;
    Object.assign(env, this.command.env ?? {}, this.extraEnv);
    return env;
  }

  private spawnAll(): void {
    for (let index = 0; index < this.extent.numRanks; index++) {
      const createKey = ShortUuid.generate();
      let proc: ChildProcess;
      try {
        proc = spawn(this.command.program, [...this.command.args], {
          env: this.childEnv(index),
          stdio: ['pipe', this.output !== undefined ? 'pipe' : 'inherit', 'pipe'],
        });
      } catch (e) {
        this.events.push({
          kind: 'Failed',
          worldId: this.worldId,
          description: `spawning child ${index} (${this.command.program}) failed: ${(e as Error).message}`,
        });
        return;
      }
      const c: Child = { index, createKey, proc, tail: [], tx: undefined, running: false, exited: false, reason: undefined, timers: [] };
      this.children.push(c);
      trackChild(proc);
      proc.stdin?.on('error', () => undefined); // EPIPE once the child is gone
      // A running child never keeps this process alive (its exit is still observed while the loop
      // runs); the child dies with this process (stdin EOF, see child-bootstrap.ts, and the exit hook).
      proc.unref();
      unrefStream(proc.stdin);
      unrefStream(proc.stdout);
      unrefStream(proc.stderr);
      this.captureOutput(c);
      proc.on('error', (err) => {
        // spawn failure (e.g. ENOENT): 'close' follows with code -2 / null
        process.stderr.write(`actormesh: child ${index} of alloc ${this.worldId}: ${err.message}\n`);
        c.tail.push(err.message);
      });
      proc.on('close', (code, signal) => this.onExit(c, code, signal));
      this.events.push({ kind: 'Created', createKey, point: this.extent.pointOfRank(index), pid: proc.pid ?? -1 });
    }
  }

  /**
   * Stderr lines go to the tail and, with `output`, to it; stdout (piped only with `output`) to
   * `output`. Without `output`, stderr chunks are copied to this process's stderr if `forwardStderr`.
   */
  private captureOutput(c: Child): void {
    const output = this.output;
    const deliver = (stream: 'stdout' | 'stderr', lines: string[]) => {
      if (output === undefined || lines.length === 0) return;
      try {
        output(c.index, stream, lines);
      } catch (e) {
        process.stderr.write(`actormesh: alloc ${this.worldId}: the output callback failed on child ${c.index}'s ${stream}: ${(e as Error).message}\n`);
      }
    };
    if (c.proc.stdout !== null && output !== undefined) readLines(c.proc.stdout, undefined, (lines) => deliver('stdout', lines));
    if (c.proc.stderr !== null) {
      const copy = output === undefined && this.forwardStderr ? (chunk: string) => process.stderr.write(chunk) : undefined;
      readLines(c.proc.stderr, copy, (lines) => {
        for (const l of lines) this.pushTail(c, l);
        deliver('stderr', lines);
      });
    }
  }

  private pushTail(c: Child, line: string): void {
    c.tail.push(line);
    if (c.tail.length > this.tailLines) c.tail.splice(0, c.tail.length - this.tailLines);
  }

  private onExit(c: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.exited) return;
    c.exited = true;
    liveChildren.delete(c.proc);
    for (const t of c.timers) clearTimeout(t);
    const tx = c.tx;
    c.tx = undefined;
    // Nobody is left to acknowledge what is still pending: drop it (no reconnect loop).
    tx?.abort(`child ${c.index} of alloc ${this.worldId} exited`);
    let reason = c.reason;
    if (reason === undefined) {
      if (signal !== null) reason = ProcStopReason.killed(osConstants.signals[signal] ?? 0);
      else if (code === 0) reason = ProcStopReason.stopped();
      else if (code !== null) reason = ProcStopReason.exited(code, c.tail.slice());
      else reason = ProcStopReason.unknown();
    }
    this.events.push({ kind: 'Stopped', createKey: c.createKey, reason });
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.finished || !this.stopRequested) return;
    if (this.children.some((c) => !c.exited)) return;
    this.finished = true;
    this.events.close();
    void this.rx.close().catch(() => undefined);
  }

  private sendTo(c: Child, m: Allocator2Process): void {
    c.tx?.post(encodeToProcess(m));
  }

  // --- bootstrap channel ---------------------------------------------------------------------

  private async serveBootstrap(): Promise<void> {
    for (;;) {
      let bytes: Uint8Array;
      try {
        bytes = await this.rx.recv();
      } catch (e) {
        if (e instanceof ChannelError) return; // closed
        throw e;
      }
      let m: Process2Allocator;
      try {
        m = decodeToAllocator(bytes);
      } catch (e) {
        process.stderr.write(`actormesh: alloc ${this.worldId}: dropping a malformed bootstrap frame: ${(e as Error).message}\n`);
        continue;
      }
      const c = this.children[m.index];
      if (c === undefined || c.exited) continue;
      switch (m.msg.type) {
        case 'Hello':
          this.onHello(c, m.msg.addr);
          break;
        case 'StartedProc':
          if (c.running || this.stopRequested) break;
          c.running = true;
          this.events.push({ kind: 'Running', createKey: c.createKey, procId: m.msg.procId, agent: new ActorRef(m.msg.agent), addr: m.msg.addr });
          break;
        case 'Heartbeat':
          break;
      }
    }
  }

  private onHello(c: Child, addr: string): void {
    if (c.tx !== undefined) return;
    let tx: Tx;
    try {
      tx = dial(addr, { deliveryTimeoutMs: CONTROL_DELIVERY_TIMEOUT_MS });
    } catch (e) {
      // A Hello with an address that cannot be dialed: this child can never be controlled.
      process.stderr.write(
        `actormesh: alloc ${this.worldId}: child ${c.index} said Hello from an undialable address ${JSON.stringify(addr)}: ${(e as Error).message}; stopping it\n`,
      );
      c.reason ??= ProcStopReason.watchdog();
      c.proc.kill('SIGTERM');
      return;
    }
    c.tx = tx;
    void tx.whenClosed().then((err) => {
      // Only a refusal (Unauthorized/Rejected) closes this link while the child runs: say so, but
      // leave the child alone (it still dies with this process, and `stop()` still signals it).
      if (err !== undefined && !c.exited)
        process.stderr.write(`actormesh: alloc ${this.worldId}: the control link to child ${c.index} closed: ${err.message}\n`);
    });
    if (this.stopRequested) {
      this.sendTo(c, { type: 'StopAndExit', code: 0, timeoutMs: 10 });
      return;
    }
    this.sendTo(c, {
      type: 'StartProc',
      world: this.worldId,
      rank: c.index,
      procName: this.spec.procName ?? null,
      transport: this.transport,
      agentType: this.spec.agentType ?? DEFAULT_AGENT_TYPE,
      agentName: this.spec.agentName ?? DEFAULT_AGENT_NAME,
      agentParams: this.params,
      modules: [...new Set([...registeredActorModules(), ...(this.spec.modules ?? [])])],
    });
  }
}
