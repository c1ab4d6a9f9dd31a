/**
 * Child side of ProcessAlloc (Monarch hyperactor_mesh/src/bootstrap.rs, hyperactor_mesh/src/alloc/process.rs): install the client's config
 * snapshot, serve a listen channel, say `Hello` to the allocator, and on `StartProc` import the
 * client's actor modules, boot the proc with its agent and answer `StartedProc`; `StopAndExit`
 * destroys the procs and exits, `Exit` exits at once.
 *
 * Invariants (no orphans):
 * - The child exits when its parent dies, however it dies: the parent holds the write end of
 *   the child's stdin pipe, so EOF on stdin means the parent is gone (even after SIGKILL); as a
 *   second net, a change of `process.ppid` is polled every 500 ms (docs/architecture.md MESH-6).
 * - Only the parent's death ends the child, never a slow parent: the channel to the allocator
 *   has no delivery timeout (a parent blocked in synchronous work for minutes does not answer,
 *   and must find its children alive afterwards); heartbeats are fire-and-forget
 *   (docs/architecture.md CH-4). The child exits
 *   if the allocator refuses the session (a closed-for-good channel that is not a timeout).
 * - Any failure while bootstrapping is printed to stderr and exits with code 1, so the allocator
 *   reports `Exited(1, <stderr tail>)` with the reason.
 */
import { config, type ConfigSnapshot } from '../../core/config.js';
import { anyAddr, dial, formatAddr, serve, setDefaultSecret, setDefaultTls, ChannelError, type Rx, type Tx } from '../../channel/index.js';
import { installChannelDialer } from '../../mailbox/client.js';
import { bootProc, type BootedProc } from './proc-boot.js';
import {
  BOOTSTRAP_ADDR_ENV,
  BOOTSTRAP_INDEX_ENV,
  CONFIG_SNAPSHOT_ENV,
  MESH_SECRET_ENV,
  MESH_TLS_CA_ENV,
  MESH_TLS_CERT_ENV,
  MESH_TLS_KEY_ENV,
  BootstrapProtocolError,
  decodeToProcess,
  encodeToAllocator,
  type Allocator2Process,
  type ChildMessage,
} from './protocol.js';

/** Heartbeat period (Monarch: 5 s). */
const HEARTBEAT_INTERVAL_MS = 5_000;
const PPID_POLL_MS = 500;

/** Exit code used when the parent is gone. */
const ORPHAN_EXIT_CODE = 1;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function fail(why: string): never {
  process.stderr.write(`actormesh bootstrap: ${why}\n`);
  process.exit(1);
}

/** Installs the config snapshot shipped in `CONFIG_SNAPSHOT_ENV` as the ClientOverride layer. */
export function installShippedConfig(env: NodeJS.ProcessEnv = process.env): void {
  const text = env[CONFIG_SNAPSHOT_ENV];
  if (text === undefined || text === '') return;
  let snap: ConfigSnapshot;
  try {
    snap = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as ConfigSnapshot;
  } catch (e) {
    throw new BootstrapProtocolError(`${CONFIG_SNAPSHOT_ENV} is not base64 JSON: ${(e as Error).message}`);
  }
  config.install('ClientOverride', snap);
}

/**
 * Exits this process when the parent dies: on EOF of stdin (when stdin is the parent's pipe) and
 * when `process.ppid` changes (re-parenting). Timers are unref'd: they never keep the child alive.
 */
export function exitWithParent(): void {
  const ppid = process.ppid;
  const die = () => process.exit(ORPHAN_EXIT_CODE);
  if (!process.stdin.isTTY) {
    process.stdin.on('end', die);
    process.stdin.on('close', die);
    process.stdin.on('error', die);
    process.stdin.resume();
    process.stdin.unref?.();
  }
  setInterval(() => {
    if (process.ppid !== ppid) die();
  }, PPID_POLL_MS).unref();
}

/**
 * Runs the child side of the protocol; never resolves (the process exits from StopAndExit/Exit,
 * a dead parent or a failure). Called by `child-main.ts`.
 */
export async function bootstrapChild(env: NodeJS.ProcessEnv = process.env): Promise<never> {
  exitWithParent();
  const bootstrapAddr = env[BOOTSTRAP_ADDR_ENV];
  const indexText = env[BOOTSTRAP_INDEX_ENV];
  if (bootstrapAddr === undefined || indexText === undefined || !/^\d+$/.test(indexText)) {
    fail(`${BOOTSTRAP_ADDR_ENV} and ${BOOTSTRAP_INDEX_ENV} (a non-negative integer) must be set; got ${String(bootstrapAddr)} and ${String(indexText)}`);
  }
  const index = Number(indexText);
  try {
    installShippedConfig(env);
  } catch (e) {
    fail((e as Error).message);
  }
  // Procs started by a worker prove the mesh secret on their links to other machines.
  const secret = env[MESH_SECRET_ENV];
  if (secret !== undefined && secret !== '') setDefaultSecret(secret);
  const ca = env[MESH_TLS_CA_ENV];
  if (ca !== undefined && ca !== '')
    setDefaultTls({ ca, ...(env[MESH_TLS_CERT_ENV] ? { cert: env[MESH_TLS_CERT_ENV], key: env[MESH_TLS_KEY_ENV] ?? '' } : {}) });
  installChannelDialer();

  const [listenAddr, rx] = await serve(anyAddr('unix'));
  // No delivery timeout: the parent's liveness is watched through stdin and ppid (exitWithParent).
  const tx = dial(bootstrapAddr, { deliveryTimeoutMs: Number.POSITIVE_INFINITY });
  const send = (msg: ChildMessage) => tx.post(encodeToAllocator({ index, msg }));
  send({ type: 'Hello', addr: formatAddr(listenAddr) });

  const heartbeat = setInterval(() => send({ type: 'Heartbeat' }), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  void tx.whenClosed().then((err) => {
    if (err !== undefined) fail(`the channel to the allocator at ${bootstrapAddr} closed: ${err.message}`);
  });

  return serveCommands(rx, tx, send);
}

/**
 * Closing the listen channel acks everything it received (the last command included), so the
 * allocator's Tx is not left waiting for acks from a process that is gone.
 */
async function flushAcks(rx: Rx): Promise<void> {
  await rx.close().catch(() => undefined);
  await sleep(20); // let the final ack frames reach the socket
}

async function serveCommands(rx: Rx, tx: Tx, send: (m: ChildMessage) => void): Promise<never> {
  const procs: BootedProc[] = [];
  for (;;) {
    let bytes: Uint8Array;
    try {
      bytes = await rx.recv();
    } catch (e) {
      if (e instanceof ChannelError) fail(`the listen channel closed: ${e.message}`);
      throw e;
    }
    let cmd: Allocator2Process;
    try {
      cmd = decodeToProcess(bytes);
    } catch (e) {
      process.stderr.write(`actormesh bootstrap: dropping a malformed command: ${(e as Error).message}\n`);
      continue;
    }
    switch (cmd.type) {
      case 'StartProc': {
        try {
          for (const m of cmd.modules) await import(m);
          const booted = await bootProc({
            world: cmd.world,
            rank: cmd.rank,
            ...(cmd.procName !== null ? { procName: cmd.procName } : {}),
            transport: cmd.transport,
            agentType: cmd.agentType,
            agentName: cmd.agentName,
            agentParams: cmd.agentParams,
          });
          procs.push(booted);
          send({ type: 'StartedProc', procId: booted.procId, agent: booted.agent.actorId, addr: booted.addr });
        } catch (e) {
          process.stderr.write(
            `actormesh bootstrap: starting proc ${cmd.world}[${cmd.rank}] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
          );
          await flushAcks(rx);
          process.exit(1);
        }
        break;
      }
      case 'StopAndExit': {
        await Promise.all(procs.map((p) => p.stop(cmd.timeoutMs)));
        await Promise.race([tx.close(), sleep(200)]);
        await flushAcks(rx);
        process.exit(cmd.code);
      }
      // falls through (unreachable: process.exit never returns)
      case 'Exit':
        process.exit(cmd.code);
    }
  }
}
