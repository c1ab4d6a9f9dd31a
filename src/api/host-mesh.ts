/**
 * Host meshes across machines (Monarch's `HostMesh` / `HostMeshRef`, `attach_to_workers`): a
 * client attaches to running `actormesh worker`s, spawns proc meshes on them, and stops or shuts
 * them down.
 *
 * Invariants:
 * - Attach fails closed (Monarch HM-1..HM-4): it returns only when every worker installed the
 *   client's configuration; otherwise `AttachError` names each failing host and why, and the
 *   workers that did answer forget the host mesh
 *   (docs/architecture.md API-1). A refused secret fails that host at once
 *   (`Unauthorized`), a port nobody answers on fails it after `connectTimeoutMs`
 *   (`Unreachable`), a worker that accepts but does not answer after `timeoutMs`
 *   (`ReplyTimedOut`), a worker of another protocol at once (`ProtocolMismatch`). A different
 *   package version is a warning.
 * - One network client per process and secret: a proc served on a TCP address the workers can
 *   reach (default: the local address of the route to the first worker, loopback when the
 *   workers are on loopback), through which every host mesh of this process talks.
 * - A host is lost only when its link stays disconnected for `hostLinkTimeoutMs` (a busy worker
 *   keeps its TCP connection and is never taken for dead): every proc on it then stops with
 *   `HostWatchdog`, so its ranks become supervision failures and calls waiting on them fail at
 *   once; the other hosts are untouched (docs/architecture.md API-2).
 * - The client tells its workers it is alive every `MESH_KEEPALIVE_INTERVAL`; a worker stops the
 *   procs of a client silent for `MESH_ORPHAN_TIMEOUT` and stays up for the next client.
 * - Only the owned mesh (what `attach`/`process` returned) stops or shuts down; refs (slices,
 *   parsed text) can spawn procs but `stop`/`shutdown` on them throw `NotOwnedError`.
 * - `shutdown()` never hangs on a dead worker: after `MESH_TERMINATE_TIMEOUT` + 5 s it returns
 *   with the workers that did not acknowledge in `missingHosts`.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import { Proc } from '../actor/proc.js';
import { ActorRef, type PortRef } from '../actor/refs.js';
import type { Instance } from '../actor/instance.js';
import { ProcId } from '../core/ids.js';
import { ShortUuid } from '../core/name.js';
import {
  config,
  MESH_ATTACH_CONFIG_TIMEOUT,
  MESH_ATTACH_CONNECT_TIMEOUT,
  MESH_HOST_LINK_TIMEOUT,
  MESH_HOST_UNRESPONSIVE_TIMEOUT,
  MESH_KEEPALIVE_INTERVAL,
  MESH_ORPHAN_TIMEOUT,
  MESH_TERMINATE_TIMEOUT,
  PROC_SPAWN_MAX_IDLE,
} from '../core/config.js';
import { formatAddr, parseAddr, serve, type ChannelAddr } from '../channel/index.js';
import { channelDialer, closeClients, recordingDialer, type MailboxClient } from '../mailbox/client.js';
import { serveMailbox, type MailboxServerHandle } from '../mailbox/server.js';
import { DialMailboxRouter } from '../mailbox/routers.js';
import type { MessageEnvelope } from '../mailbox/envelope.js';
import { Extent } from '../ndslice/extent.js';
import { Region } from '../ndslice/region.js';
import { AllocatedProcMesh, type MeshClient } from '../mesh/proc-mesh.js';
import '../mesh/proc-mesh-agent.js';
import { ConfigurationError } from '../mesh/errors.js';
import { nodeEntryCommand } from '../mesh/alloc/process.js';
import { MESH_SECRET_ENV } from '../mesh/alloc/index.js';
import { LogFolder, type LogLine } from '../host/log-fold.js';
import { hostAgentId, PROTOCOL_VERSION, type HostInfo } from '../host/protocol.js';
import { RemoteAlloc } from '../host/remote-alloc.js';
import { PACKAGE_VERSION } from '../host/worker.js';
import { advertisedAddress, parseReadyLine } from '../host/worker-options.js';
import { AttachError, HostMeshRefParseError, HostMeshStoppedError, NotOwnedError, WorkerStartError, type AttachFailure } from '../host/errors.js';
import { ProcMesh, isWorker, ApiUsageError, thisHost, watchProcDeaths, type IdleStoppable, type SpawnProcsOptions } from './host.js';
import type { SliceSpec } from '../mesh/actor-mesh.js';

export interface AttachOptions {
  /** Host mesh name (default `hosts`); a unique suffix is added so two attaches never collide. */
  name?: string;
  /** The mesh secret (default: `ACTORMESH_SECRET`, or the content of `ACTORMESH_SECRET_FILE`). */
  secret?: string;
  /** How long a reachable worker may take to answer (default `MESH_ATTACH_CONFIG_TIMEOUT`, 60 s). */
  timeoutMs?: number;
  /** How long a worker's port may refuse connections before it is `Unreachable` (default 10 s). */
  connectTimeoutMs?: number;
  /** Where this client serves (default `tcp:<local address of the route to the workers>:0`). */
  listen?: string;
  /** The address workers dial back (default: the bound listen address). */
  advertise?: string;
  /**
   * Mutual TLS with workers started with `--tls-cert/--tls-key/--tls-ca` (PEM file paths): this
   * client presents `cert` (issued by the mesh CA), verifies the workers against `ca`, and serves
   * its own port with the same certificate (the procs dial it back over TLS).
   */
  tls?: { cert: string; key: string; ca: string };
  /**
   * Proc output: folded onto this terminal (default), dropped, handed to a function, or written to
   * files in `dir` (`<host>_<point>.stdout.log` / `.stderr.log`, one pair per proc).
   */
  logs?: 'fold' | 'off' | ((line: LogLine) => void) | { dir: string };
  /**
   * Where to connect instead of a worker's advertised address, e.g. `{'tcp:10.1.2.3:26600':
   * 'tcp:127.0.0.1:40001'}` (a client outside a Kubernetes cluster, through `kubectl
   * port-forward`). Messages still name the worker by its advertised address; the procs on the
   * workers still dial this client at its own address (`listen`/`advertise`), which must be
   * reachable from them. Kept for every later dial of this process to that worker.
   */
  dialVia?: Readonly<Record<string, string>>;
}

export interface HostSpawnProcsOptions extends Omit<SpawnProcsOptions, 'alloc'> {
  /** Forward the procs' stdout/stderr to this client (default: the host mesh's `logs` option). */
  logs?: boolean;
}

export interface ShutdownResult {
  readonly ok: boolean;
  /** Workers that did not acknowledge the shutdown (dead, unreachable or too slow). */
  readonly missingHosts: readonly string[];
}

// --- the network client ----------------------------------------------------------------------

/** What a host mesh needs from this process: a proc the workers reach, and host watches. */
interface NetClient extends MeshClient {
  readonly addr: string;
  readonly secret: string | undefined;
  readonly watches: Map<string, HostWatch>;
  /** Owned host meshes using this client; the last one to stop or shut down closes it. */
  users: number;
  /** When the keepalive tick last ran (a late tick means this process was stalled). */
  lastTick: number;
  /** Calls `f` with the reason whenever a message of this client to the worker at `addr` bounces. */
  onBounce(addr: string, f: (why: string) => void): () => void;
}

/**
 * Per worker (an address and the incarnation attached to there): keepalives of the host meshes
 * on it, and loss detection. A worker replaced at the same address is another worker: its
 * attach finds a different incarnation, and the old watch is lost (docs/architecture.md API-5).
 */
interface HostWatch {
  readonly addr: string;
  /** The worker's incarnation, from the attach that made this watch. */
  incarnation: string | undefined;
  readonly hostMeshes: Set<string>;
  /** Called once if the host is lost. */
  readonly onLost: Set<(why: string) => void>;
  lost: string | undefined;
  /** When the worker last answered a keepalive (or when the watch began). */
  lastHeard: number;
  /** The port its keepalive answers come back on. */
  replies: PortRef<number> | undefined;
}

const netClients = new Map<string, Promise<NetClient>>();

/** `AttachOptions.dialVia` of every attach so far: worker address → the address connected to. */
const dialVia = new Map<string, string>();

/** Where to connect for `addr`: its `dialVia` entry; a proc's route behind a worker keeps its route on the worker's entry. */
function viaOf(addr: string): string {
  const direct = dialVia.get(addr);
  if (direct !== undefined || dialVia.size === 0) return direct ?? addr;
  const a = parseAddr(addr);
  if (a.transport !== 'tcp' || a.route === undefined) return addr;
  const via = dialVia.get(formatAddr({ transport: 'tcp', host: a.host, port: a.port }));
  if (via === undefined) return addr;
  const v = parseAddr(via);
  return v.transport === 'tcp' ? formatAddr({ ...v, route: a.route }) : addr;
}

function resolveSecret(secret: string | undefined): string | undefined {
  if (secret !== undefined) return secret;
  const env = process.env['ACTORMESH_SECRET'];
  if (env !== undefined && env !== '') return env;
  return undefined;
}

/** The local IPv4 of this machine's route to `host` (no packet is sent: a connected UDP socket). */
async function localAddressToward(host: string, port: number): Promise<string> {
  const ip = isIP(host) ? host : (await lookup(host)).address;
  if (ip.startsWith('127.') || ip === '::1') return '127.0.0.1';
  return new Promise((resolve) => {
    const s = createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4');
    s.on('error', () => {
      s.close();
      resolve('0.0.0.0');
    });
    s.connect(port || 9, ip, () => {
      const a = s.address().address;
      s.close();
      resolve(a);
    });
  });
}

async function netClient(secret: string | undefined, workers: readonly ChannelAddr[], opts: AttachOptions): Promise<NetClient> {
  const key = JSON.stringify([secret ?? '', opts.tls ?? null]);
  let p = netClients.get(key);
  if (p === undefined) {
    p = createNetClient(secret, workers, opts);
    netClients.set(key, p);
    p.catch(() => netClients.delete(key));
  }
  return p;
}

async function createNetClient(secret: string | undefined, workers: readonly ChannelAddr[], opts: AttachOptions): Promise<NetClient> {
  let listen = opts.listen;
  if (listen === undefined) {
    const first = workers.find((w) => w.transport === 'tcp');
    const ip = first !== undefined && first.transport === 'tcp' ? await localAddressToward(first.host, first.port) : '127.0.0.1';
    listen = `tcp:${ip}:0`;
  }
  const [bound, rx] = await serve(parseAddr(listen), {
    ...(secret !== undefined ? { secret } : {}),
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    log: () => {},
  });
  const addr = advertisedAddress(opts.advertise, bound);
  const { dialer, clients } = recordingDialer(
    channelDialer({ ...(secret !== undefined ? { secret } : {}), ...(opts.tls !== undefined ? { tls: opts.tls } : {}), returnRx: rx }),
  );
  const router = new DialMailboxRouter({ directAddressedRemoteOnly: true, dialer: (a) => dialer(viaOf(a)) });
  const proc = new Proc(ProcId.direct(addr, `client-${ShortUuid.generate()}`), router);
  proc.setSupervisionCoordinator((ev) => console.error(`actormesh: supervision event in the host mesh client: ${ev}`));
  const server: MailboxServerHandle = serveMailbox(rx, proc, { log: () => {} });
  const cx = proc.instance('client');
  const watches = new Map<string, HostWatch>();
  const timer = setInterval(() => tickWatches(nc), config.get(MESH_KEEPALIVE_INTERVAL));
  timer.unref();
  const bounceListeners = new Map<string, Set<(why: string) => void>>();
  cx.undeliverables!.background = true;
  void (async () => {
    for (;;) {
      const env = await cx.undeliverables!.recv().catch(() => undefined);
      if (env === undefined) return;
      const p = env.dest.actor.proc;
      if (p.kind !== 'direct') continue;
      const why = env.errors.map((e) => e.message ?? String(e)).join('; ') || 'undeliverable';
      for (const f of [...(bounceListeners.get(p.addr) ?? [])]) f(why);
    }
  })();
  const nc: NetClient = {
    onBounce(a, f) {
      let set = bounceListeners.get(a);
      if (set === undefined) bounceListeners.set(a, (set = new Set()));
      set.add(f);
      return () => set.delete(f);
    },
    proc,
    cx,
    router,
    addr,
    secret,
    watches,
    users: 0,
    lastTick: Date.now(),
    async close() {
      clearInterval(timer);
      await proc.destroyAndWait(500);
      await closeClients(clients, 1000, 'the host mesh client was closed');
      await server.stop().catch(() => undefined);
    },
  };
  return nc;
}

/** The network client of a ref without an owner here: one already watching its hosts, else a new one (secret from the environment). */
async function clientFor(hosts: readonly string[]): Promise<NetClient> {
  for (const p of netClients.values()) {
    const nc = await p.catch(() => undefined);
    if (nc !== undefined && hosts.some((h) => nc.watches.has(h))) return nc;
  }
  return netClient(resolveSecret(undefined), hosts.map(parseAddr), {});
}

/** One owned host mesh is done with `nc`: the last one closes it (its port no longer holds the process). */
async function releaseNetClient(nc: NetClient): Promise<void> {
  if (--nc.users > 0) return;
  for (const [k, p] of netClients) if ((await p.catch(() => undefined)) === nc) netClients.delete(k);
  await nc.close();
}

/** Keepalives to every watched worker, and link-loss checks. */
function tickWatches(nc: NetClient): void {
  const linkTimeout = config.get(MESH_HOST_LINK_TIMEOUT);
  const silentTimeout = config.get(MESH_HOST_UNRESPONSIVE_TIMEOUT);
  const now = Date.now();
  // This tick came late: this process was busy (its event loop stalled) and could not read the
  // answers that wait in its sockets. That time is not the workers' silence.
  const late = now - nc.lastTick - config.get(MESH_KEEPALIVE_INTERVAL);
  nc.lastTick = now;
  for (const w of nc.watches.values()) {
    if (w.lost !== undefined) continue;
    if (late > 0) w.lastHeard += late;
    if (w.replies === undefined) {
      const [h, rx] = nc.cx.openPort<number>('KeepaliveReply');
      rx.background = true;
      w.replies = h.bind();
      void (async () => {
        for (;;) {
          if ((await rx.recv().catch(() => undefined)) === undefined) return;
          w.lastHeard = Date.now();
        }
      })();
    }
    new ActorRef<never>(hostAgentId(w.addr)).send(nc.cx, { type: 'Keepalive', hostMeshes: [...w.hostMeshes], reply: w.replies } as never, {
      returnUndeliverable: false,
    });
    const link = nc.router.linkState(w.addr);
    if (link !== undefined && !link.connected && link.downSinceMs !== undefined && now - link.downSinceMs > linkTimeout) {
      hostLost(nc, w, `no connection to ${w.addr} for ${now - link.downSinceMs} ms (MESH_HOST_LINK_TIMEOUT ${linkTimeout} ms)`);
    } else if (now - w.lastHeard > silentTimeout) {
      hostLost(nc, w, `${w.addr} answered no keepalive for ${now - w.lastHeard} ms (MESH_HOST_UNRESPONSIVE_TIMEOUT ${silentTimeout} ms)`);
    }
  }
}

/** `w`'s worker is gone: its host meshes' ranks there fail. `abortLink` false when the link to the address already serves the worker that replaced it. */
function hostLost(nc: NetClient, w: HostWatch, why: string, abortLink = true): void {
  if (w.lost !== undefined) return;
  w.lost = why;
  if (w.hostMeshes.size > 0) console.warn(`actormesh: host ${w.addr} lost: ${why}`);
  if (abortLink) nc.router.abortClient(w.addr, `host ${w.addr} lost: ${why}`);
  for (const f of [...w.onLost]) {
    try {
      f(why);
    } catch (e) {
      console.error(`actormesh: host-loss handler failed: ${(e as Error).message}`);
    }
  }
}

function watchFor(nc: NetClient, addr: string): HostWatch {
  let w = nc.watches.get(addr);
  if (w === undefined || w.lost !== undefined) {
    w = { addr, incarnation: undefined, hostMeshes: new Set(), onLost: new Set(), lost: undefined, lastHeard: Date.now(), replies: undefined };
    nc.watches.set(addr, w);
  }
  return w;
}

// --- attach ----------------------------------------------------------------------------------

/** Per host: what attaching found. */
type AttachResult = { ok: true; info: HostInfo } | { ok: false; failure: AttachFailure };

/** What the attach of every host of one host mesh shares. */
interface AttachRun {
  readonly nc: NetClient;
  readonly inst: Instance;
  /** Bounced requests, by worker address. */
  readonly bounces: Map<string, (e: MessageEnvelope) => void>;
  readonly hostMesh: string;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
}

async function attachOne(run: AttachRun, addr: string): Promise<AttachResult> {
  const { nc } = run;
  // A host given up on is dialed afresh.
  const lostBefore = nc.watches.get(addr)?.lost !== undefined;
  if (lostBefore) nc.router.redial(addr, `re-attaching to ${addr}`);
  const first = await attachOnce(run, addr);
  if (first.ok) return first;
  // The worker this process knew at addr is gone: a new one there ended the old session
  // (ServerRestarted; Monarch #4310), or the old one was declared lost while this attach used its
  // link. The new worker is another worker: its old watch is lost (without aborting the link,
  // which is redialed here), and it is attached once more on a fresh session.
  const w = nc.watches.get(addr);
  const restarted = /restart/i.test(first.failure.detail);
  const lostMeanwhile = !lostBefore && w?.lost !== undefined;
  if (!restarted && !lostMeanwhile) return first;
  if (w !== undefined && w.lost === undefined) hostLost(nc, w, `the worker at ${addr} was restarted: ${first.failure.detail}`, false);
  nc.router.redial(addr, `${addr} restarted`);
  return attachOnce(run, addr);
}

async function attachOnce(run: AttachRun, addr: string): Promise<AttachResult> {
  const { nc, inst, bounces, hostMesh, connectTimeoutMs, timeoutMs } = run;
  const client = nc.router.clientFor(addr) as MailboxClient;
  const [ph, prx] = inst.openOncePort<HostInfo>('HostInfo');
  const timers: NodeJS.Timeout[] = [];
  const fail = (reason: AttachFailure['reason'], detail: string): AttachResult => ({ ok: false, failure: { host: addr, reason, detail } });
  try {
    return await new Promise<AttachResult>((resolve) => {
      bounces.set(addr, (env) => resolve(fail('Unroutable', env.errors.map((e) => e.message ?? String(e)).join('; ') || 'the message bounced')));
      void client.tx.whenClosed().then((err) => {
        if (err === undefined) return;
        if (err.variant === 'Unauthorized')
          resolve(fail('Unauthorized', 'the worker refused the mesh secret (pass the secret the worker was started with: ACTORMESH_SECRET)'));
        else if (err.variant === 'TlsError') resolve(fail('Unauthorized', err.message));
        else resolve(fail('Unreachable', err.message));
      });
      // The connect timeout counts from this attach: a link to this address lost long before (an
      // earlier worker there, since replaced) is given the whole timeout to come up again.
      const started = Date.now();
      const connectCheck = setInterval(() => {
        const link = nc.router.linkState(addr);
        if (link !== undefined && !link.connected && link.downSinceMs !== undefined && Date.now() - Math.max(link.downSinceMs, started) > connectTimeoutMs)
          resolve(fail('Unreachable', `nothing accepted a connection at ${addr} for ${connectTimeoutMs} ms`));
      }, 50);
      timers.push(connectCheck as unknown as NodeJS.Timeout);
      timers.push(setTimeout(() => resolve(fail('ReplyTimedOut', `no reply within ${timeoutMs} ms`)), timeoutMs));
      new ActorRef<never>(hostAgentId(addr)).send(inst, {
        type: 'SetClientConfig',
        hostMesh,
        config: config.snapshot({ includeDefaults: false }),
        protocol: PROTOCOL_VERSION,
        version: PACKAGE_VERSION,
        orphanTimeoutMs: config.get(MESH_ORPHAN_TIMEOUT),
        reply: ph.bind(),
      } as never);
      prx.recv().then(
        (info) => {
          if (info.protocol !== PROTOCOL_VERSION)
            resolve(
              fail(
                'ProtocolMismatch',
                `the worker speaks protocol ${info.protocol} (actormesh ${info.version}), this client ${PROTOCOL_VERSION} (actormesh ${PACKAGE_VERSION})`,
              ),
            );
          else resolve({ ok: true, info });
        },
        () => undefined,
      );
    });
  } finally {
    for (const t of timers) clearInterval(t);
    bounces.delete(addr);
  }
}

/** The canonical form of a worker address (ours or Monarch's `tcp://h:p`; an alias `dial@bind` gives `dial`). */
function canonicalAddr(a: string): string {
  const at = a.indexOf('@');
  const dialPart = at > 0 && !a.startsWith('unix:@') ? a.slice(0, at) : a;
  return formatAddr(parseAddr(dialPart));
}

// --- HostMeshRef -----------------------------------------------------------------------------

/** A reference to hosts (serializable; slices and parsed refs are refs): can spawn procs. */
export class HostMeshRef {
  /** @internal */
  constructor(
    readonly name: string,
    readonly hosts: readonly string[],
    /** Rank of each host in the owned mesh (for log prefixes). */
    readonly hostRanks: readonly number[] = hosts.map((_, i) => i),
    /** @internal */ readonly owner?: HostMesh,
  ) {}

  extent(): Extent {
    return Extent.from({ hosts: this.hosts.length });
  }
  region(): Region {
    return Region.fromExtent(this.extent());
  }
  get size(): number {
    return this.hosts.length;
  }

  /** `{hosts: i}` or `{hosts: [start, end?, step?]}`: a ref to those hosts. */
  slice(spec: SliceSpec): HostMeshRef {
    const keys = Object.keys(spec ?? {});
    if (keys.some((k) => k !== 'hosts')) throw new ApiUsageError('InvalidSlice', `a host mesh has one dimension, hosts; got ${keys.join(', ')}`);
    const v = spec['hosts'];
    if (v === undefined) return this;
    const region = typeof v === 'number' ? this.region().range('hosts', [v, v + 1]) : this.region().range('hosts', v);
    const idx = Array.from(region.baseRanks());
    return new HostMeshRef(
      this.name,
      idx.map((i) => this.hosts[i]!),
      idx.map((i) => this.hostRanks[i]!),
      this.owner,
    );
  }

  /** `name:addr,addr,...@hosts=n` (parses back with `HostMeshRef.parse`). */
  toString(): string {
    return `${this.name}:${this.hosts.join(',')}@hosts=${this.hosts.length}`;
  }

  static parse(text: string): HostMeshRef {
    if (typeof text !== 'string') throw new HostMeshRefParseError(String(text), 'not a string');
    const colon = text.indexOf(':');
    const at = text.lastIndexOf('@hosts=');
    if (colon <= 0) throw new HostMeshRefParseError(text, 'missing name');
    if (at < 0) throw new HostMeshRefParseError(text, 'missing @hosts=<n>');
    const name = text.slice(0, colon);
    const n = Number(text.slice(at + '@hosts='.length));
    const hosts = text.slice(colon + 1, at).split(',');
    if (!Number.isSafeInteger(n) || n < 1) throw new HostMeshRefParseError(text, `bad host count ${text.slice(at + 7)}`);
    if (hosts.length !== n) throw new HostMeshRefParseError(text, `${hosts.length} addresses for hosts=${n}`);
    try {
      return new HostMeshRef(name, hosts.map(canonicalAddr));
    } catch (e) {
      throw new HostMeshRefParseError(text, (e as Error).message);
    }
  }

  /**
   * Spawns `perHost` procs on every host of this ref (e.g. `{gpus: 4}` → extent `{hosts: N,
   * gpus: 4}`), each with a comm actor for casting; `modules` are imported by every proc (the
   * modules defining your actors: they must exist at the same path on the workers' machines).
   */
  async spawnProcs(perHost: Record<string, number>, opts: HostSpawnProcsOptions = {}): Promise<ProcMesh> {
    if (isWorker())
      throw new ApiUsageError('SpawnInWorker', 'spawnProcs was called inside a mesh worker process: guard your main code with `if (!isWorker()) { ... }`');
    this.owner?.checkUsable();
    if ('hosts' in perHost) throw new ConfigurationError('per_host dims overlap with existing dims when spawning proc mesh (hosts)');
    const per = Extent.from(perHost);
    const nc = await (this.owner?.client ?? clientFor(this.hosts));
    const procMesh = `${opts.name ?? 'procs'}-${ShortUuid.generate()}`;
    const logs = opts.logs ?? this.owner?.logsEnabled ?? true;
    const folder = this.owner?.logSink;
    const alloc = new RemoteAlloc({
      cx: nc.cx,
      hostMesh: this.name,
      procMesh,
      hosts: this.hosts,
      hostRanks: this.hostRanks,
      extent: Extent.from({ hosts: this.hosts.length }).concat(per),
      perHost: per.numRanks,
      modules: opts.modules ?? [],
      forwardLogs: logs,
      ...(logs
        ? {
            onLogs: (rank: number, stream: 'stdout' | 'stderr', text: string) => {
              const h = Math.floor(rank / per.numRanks);
              const coords = per.pointOfRank(rank % per.numRanks).coords();
              const where = per.labels.map((l, i) => `${l}=${coords[i]}`).join(',');
              const line: LogLine = { source: `host${this.hostRanks[h]} ${where}`.trim(), stream, text };
              if (folder !== undefined) folder.push([line]);
              else (stream === 'stdout' ? process.stdout : process.stderr).write(`[${line.source}] ${text}\n`);
            },
          }
        : {}),
      onBounce: (addr, f) => nc.onBounce(addr, f),
      spawnTimeoutMs: config.get(PROC_SPAWN_MAX_IDLE),
      stopTimeoutMs: config.get(MESH_TERMINATE_TIMEOUT) + 5000,
    });
    const unlost: Array<() => void> = [];
    this.hosts.forEach((addr, h) => {
      const w = this.owner?.watchOf(addr) ?? watchFor(nc, addr);
      w.hostMeshes.add(this.name);
      const f = (why: string) => alloc.hostLost(h, why);
      w.onLost.add(f);
      unlost.push(() => w.onLost.delete(f));
      if (w.lost !== undefined) f(w.lost);
    });
    const deaths = watchProcDeaths(alloc);
    let pm: AllocatedProcMesh;
    try {
      pm = await AllocatedProcMesh.allocate(nc.cx, alloc, opts.name ?? 'procs', { commTree: true, forwarder: nc.addr });
    } catch (e) {
      deaths.unwatch();
      for (const f of unlost) f();
      throw e;
    }
    const procs = new ProcMesh(pm, nc);
    deaths.setProcs(procs);
    if (this.owner === undefined) {
      // A ref without its owner in this process (parsed from text): these procs are this
      // process's to stop, and the client's port must not outlive them.
      nc.users++;
      thisHost().adopt({
        idleStop: async () => {
          await procs.stop().catch(() => undefined);
          await releaseNetClient(nc);
        },
      });
    }
    this.owner?.procMeshes.add(procs);
    void alloc.ended.then(() => {
      for (const f of unlost) f();
      this.owner?.procMeshes.delete(procs);
    });
    return procs;
  }

  /** Refs cannot stop hosts: only the owned `HostMesh` can. */
  stop(): Promise<void> {
    return Promise.reject(new NotOwnedError('stop'));
  }
  shutdown(): Promise<ShutdownResult> {
    return Promise.reject(new NotOwnedError('shut down'));
  }
}

// --- proc output -----------------------------------------------------------------------------

/** Where a host mesh's proc output goes. */
interface LogSink {
  push(lines: readonly LogLine[]): void;
  flush(): void;
  close(): void;
}

function logSinkFor(logs: AttachOptions['logs']): LogSink | undefined {
  if (logs === 'off') return undefined;
  if (typeof logs === 'function') {
    const f = logs;
    return { push: (lines) => lines.forEach(f), flush: () => undefined, close: () => undefined };
  }
  if (typeof logs === 'object' && logs !== null) return new FileLogSink(logs.dir);
  return new LogFolder();
}

/** One file per proc and stream in `dir` (created if missing). */
class FileLogSink implements LogSink {
  private readonly files = new Map<string, WriteStream>();
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  push(lines: readonly LogLine[]): void {
    for (const l of lines) {
      const name = `${l.source.replace(/[^A-Za-z0-9_.-]+/g, '_')}.${l.stream}.log`;
      let f = this.files.get(name);
      if (f === undefined) this.files.set(name, (f = createWriteStream(join(this.dir, name), { flags: 'a' })));
      f.write(`${l.text}\n`);
    }
  }
  flush(): void {}
  close(): void {
    for (const f of this.files.values()) f.end();
    this.files.clear();
  }
}

// --- HostMesh (owned) ------------------------------------------------------------------------

/** Local worker processes started by `HostMesh.process`. */
interface LocalWorkers {
  readonly children: ChildProcess[];
  readonly exited: Array<Promise<number | null>>;
}

/** Hosts this client attached to (owned: it can stop and shut them down). */
export class HostMesh implements IdleStoppable {
  /** @internal */ readonly procMeshes = new Set<ProcMesh>();
  /** @internal */ readonly logSink: LogSink | undefined;
  /** @internal */ readonly logsEnabled: boolean;
  private state: 'attached' | 'stopped' | 'shut down' = 'attached';
  private locals: LocalWorkers | undefined;
  /**
   * The watch of each host from this mesh's attach. A host lost stays lost for this mesh: a new
   * worker later at the same address (watched afresh by later attaches) is never taken for it,
   * so stop() and shutdown() never reach a worker this mesh did not attach to.
   */
  private readonly watches: ReadonlyMap<string, HostWatch>;
  /** What each worker said when attached. */
  readonly infos: readonly HostInfo[];
  readonly ref: HostMeshRef;

  private constructor(
    /** @internal */ readonly client: Promise<NetClient>,
    name: string,
    hosts: readonly string[],
    infos: readonly HostInfo[],
    logs: AttachOptions['logs'],
    watches: ReadonlyMap<string, HostWatch>,
  ) {
    this.ref = new HostMeshRef(name, hosts, undefined, this);
    this.infos = infos;
    this.watches = watches;
    // A script that never calls stop()/shutdown() still ends: once idle, this mesh is stopped.
    thisHost().adopt(this);
    this.logsEnabled = logs !== 'off';
    this.logSink = logSinkFor(logs);
  }

  /**
   * Attaches to running workers (`actormesh worker` processes) at `addrs` (`tcp:IP:PORT`,
   * `tcp://host:port`, or Monarch's `dial@bind` alias). Fails closed with `AttachError`.
   */
  static async attach(addrs: readonly string[], opts: AttachOptions = {}): Promise<HostMesh> {
    if (!Array.isArray(addrs) || addrs.length === 0) throw new ApiUsageError('InvalidHosts', 'attach needs a non-empty array of worker addresses');
    const failures: AttachFailure[] = [];
    const hosts: string[] = [];
    for (const a of addrs) {
      try {
        hosts.push(canonicalAddr(a));
      } catch (e) {
        failures.push({ host: String(a), reason: 'InvalidAddress', detail: (e as Error).message });
      }
    }
    hosts.forEach((h, i) => {
      if (hosts.indexOf(h) !== i)
        failures.push({
          host: h,
          reason: 'InvalidAddress',
          detail: `listed more than once (as ${String(addrs[hosts.indexOf(h)])} and ${String(addrs[i])}); one worker serves one host`,
        });
    });
    if (failures.length > 0) throw new AttachError(failures, addrs.length);
    const secret = resolveSecret(opts.secret);
    for (const [a, via] of Object.entries(opts.dialVia ?? {})) dialVia.set(canonicalAddr(a), canonicalAddr(via));
    const ncP = netClient(
      secret,
      hosts.map((h) => parseAddr(dialVia.get(h) ?? h)),
      opts,
    );
    const nc = await ncP;
    // This attach uses the client from now on; a failed attach releases it (its port would
    // otherwise keep the process alive).
    nc.users++;
    try {
      return await HostMesh.attachWith(nc, ncP, hosts, opts);
    } catch (e) {
      await releaseNetClient(nc);
      throw e;
    }
  }

  private static async attachWith(nc: NetClient, ncP: Promise<NetClient>, hosts: readonly string[], opts: AttachOptions): Promise<HostMesh> {
    const name = `${opts.name ?? 'hosts'}-${ShortUuid.generate()}`;
    const inst = nc.proc.instance(`attach-${ShortUuid.generate()}`);
    const bounces = new Map<string, (e: MessageEnvelope) => void>();
    inst.undeliverables!.background = true;
    void (async () => {
      for (;;) {
        const env = await inst.undeliverables!.recv().catch(() => undefined);
        if (env === undefined) return;
        const p = env.dest.actor.proc;
        if (p.kind === 'direct') bounces.get(p.addr)?.(env);
      }
    })();
    const connectTimeoutMs = opts.connectTimeoutMs ?? config.get(MESH_ATTACH_CONNECT_TIMEOUT);
    const timeoutMs = opts.timeoutMs ?? config.get(MESH_ATTACH_CONFIG_TIMEOUT);
    let results: AttachResult[];
    try {
      const run: AttachRun = { nc, inst, bounces, hostMesh: name, connectTimeoutMs, timeoutMs };
      results = await Promise.all(hosts.map((h) => attachOne(run, h)));
    } finally {
      inst.stop();
    }
    const bad = results.filter((r): r is { ok: false; failure: AttachFailure } => !r.ok).map((r) => r.failure);
    // A link to an address where nothing listens is not left retrying in the background, unless
    // a host mesh of this process still watches a worker there.
    for (const f of bad) {
      const w = nc.watches.get(f.host);
      if (f.reason === 'Unreachable' && (w === undefined || w.lost !== undefined)) nc.router.redial(f.host, `attach to ${f.host} failed: ${f.detail}`);
    }
    if (bad.length > 0) {
      // Fail closed: the workers that answered forget this host mesh.
      results.forEach((r, i) => {
        if (r.ok)
          new ActorRef<never>(hostAgentId(hosts[i]!)).send(nc.cx, {
            type: 'StopProcs',
            hostMesh: name,
            procMesh: null,
            reply: nc.cx.openOncePort<number>()[0].bind(),
          } as never);
      });
      throw new AttachError(bad, hosts.length);
    }
    const infos = results.map((r) => (r as { ok: true; info: HostInfo }).info);
    for (const i of infos)
      if (i.version !== PACKAGE_VERSION) console.warn(`actormesh: worker ${i.addr} runs actormesh ${i.version}, this client ${PACKAGE_VERSION}`);
    const watches = new Map<string, HostWatch>();
    hosts.forEach((h, i) => {
      const incarnation = infos[i]!.incarnation;
      const prev = nc.watches.get(h);
      if (prev !== undefined && prev.lost === undefined && prev.incarnation !== undefined && prev.incarnation !== incarnation)
        hostLost(nc, prev, `the worker at ${h} was replaced (incarnation ${prev.incarnation}, now ${incarnation})`, false);
      const w = watchFor(nc, h);
      w.incarnation ??= incarnation;
      w.hostMeshes.add(name);
      watches.set(h, w);
    });
    return new HostMesh(ncP, name, hosts, infos, opts.logs, watches);
  }

  /**
   * Starts `n` local workers (child processes in their own process group, on `tcp:127.0.0.1:0`,
   * with a fresh secret) and attaches to them: the multi-host path on one machine (tests,
   * examples). `shutdown()` makes them exit; they also exit if this process dies.
   */
  static async process(n: number, opts: AttachOptions & { modules?: string[] } = {}): Promise<HostMesh> {
    if (!Number.isSafeInteger(n) || n < 1) throw new ApiUsageError('InvalidHosts', `HostMesh.process needs a positive number of workers, got ${n}`);
    const secret = opts.secret ?? resolveSecret(undefined) ?? randomBytes(24).toString('base64url');
    const locals: LocalWorkers = { children: [], exited: [] };
    const killAll = () => {
      for (const c of locals.children) if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
    };
    process.once('exit', killAll);
    let addrs: string[];
    try {
      addrs = await Promise.all(Array.from({ length: n }, () => startLocalWorker(secret, opts.modules ?? [], locals)));
    } catch (e) {
      killAll();
      throw e;
    }
    let mesh: HostMesh;
    try {
      mesh = await HostMesh.attach(addrs, { ...opts, secret });
    } catch (e) {
      killAll();
      throw e;
    }
    mesh.locals = locals;
    return mesh;
  }

  get name(): string {
    return this.ref.name;
  }
  get hosts(): readonly string[] {
    return this.ref.hosts;
  }
  extent(): Extent {
    return this.ref.extent();
  }
  region(): Region {
    return this.ref.region();
  }
  get size(): number {
    return this.ref.size;
  }
  slice(spec: SliceSpec): HostMeshRef {
    return this.ref.slice(spec);
  }
  spawnProcs(perHost: Record<string, number>, opts: HostSpawnProcsOptions = {}): Promise<ProcMesh> {
    return this.ref.spawnProcs(perHost, opts);
  }
  toString(): string {
    return this.ref.toString();
  }

  /**
   * @internal Called when the program is idle (see `thisHost().exitWhenIdle`): local workers
   * (`HostMesh.process`) are shut down, attached workers are left running (only this mesh's procs stop).
   */
  idleStop(): Promise<unknown> {
    return this.locals !== undefined ? this.shutdown() : this.stop();
  }

  /** @internal The watch of host `addr` from this mesh's attach. */
  watchOf(addr: string): HostWatch | undefined {
    return this.watches.get(addr);
  }

  /** @internal */
  checkUsable(): void {
    if (this.state !== 'attached') throw new HostMeshStoppedError(this.name, this.state);
  }

  /** Stops this host mesh's procs (other clients' and host meshes' procs are untouched); the workers stay up. */
  async stop(): Promise<void> {
    if (this.state !== 'attached') return;
    this.state = 'stopped';
    thisHost().release(this);
    await this.drain();
    const nc = await this.client;
    await this.forget(nc);
    this.logSink?.close();
    await releaseNetClient(nc);
  }

  private async drain(): Promise<void> {
    await Promise.all([...this.procMeshes].map((p) => p.stop().catch(() => undefined)));
    this.procMeshes.clear();
    this.logSink?.flush();
  }

  /** Tells every live worker to drop this host mesh (its remaining procs stop). */
  private async forget(nc: NetClient): Promise<void> {
    const wait = config.get(MESH_TERMINATE_TIMEOUT) + 5000;
    await Promise.all(
      this.hosts.map(async (addr) => {
        const w = this.watches.get(addr);
        w?.hostMeshes.delete(this.name);
        if (w?.lost !== undefined) return;
        const [ph, prx] = nc.cx.openOncePort<number>('StopProcsReply');
        new ActorRef<never>(hostAgentId(addr)).send(nc.cx, { type: 'StopProcs', hostMesh: this.name, procMesh: null, reply: ph.bind() } as never, {
          returnUndeliverable: false,
        });
        await prx.recv(wait).catch(() => undefined);
      }),
    );
  }

  /**
   * Stops every proc on the workers, then makes every worker exit (Monarch's two phases). Returns
   * the workers that did not acknowledge in `missingHosts` (never hangs on a dead one).
   */
  async shutdown(): Promise<ShutdownResult> {
    if (this.state === 'shut down') return { ok: true, missingHosts: [] };
    this.state = 'shut down';
    thisHost().release(this);
    const nc = await this.client;
    await this.drain();
    const timeout = config.get(MESH_TERMINATE_TIMEOUT);
    const missing: string[] = [];
    await Promise.all(
      this.hosts.map(async (addr) => {
        const w = this.watches.get(addr);
        w?.hostMeshes.delete(this.name);
        if (w?.lost !== undefined) {
          missing.push(addr);
          return;
        }
        const [ph, prx] = nc.cx.openOncePort<number>('ShutdownAck');
        new ActorRef<never>(hostAgentId(addr)).send(nc.cx, { type: 'ShutdownHost', timeoutMs: timeout, ack: ph.bind() } as never, {
          returnUndeliverable: false,
        });
        try {
          await prx.recv(timeout + 5000);
        } catch {
          missing.push(addr);
        }
        if (nc.watches.get(addr) === w) nc.watches.delete(addr);
      }),
    );
    if (this.locals !== undefined) await reapLocalWorkers(this.locals, timeout);
    this.logSink?.close();
    await releaseNetClient(nc);
    return { ok: missing.length === 0, missingHosts: missing.sort((a, b) => this.hosts.indexOf(a) - this.hosts.indexOf(b)) };
  }

  /** `await using hosts = await HostMesh.attach(...)`: shuts down at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}

// --- local workers ---------------------------------------------------------------------------

/** `node [loader flags] <package>/cli.js` (the `actormesh` command of this package; `cli-main.ts` from sources). */
export function workerCommand(): { program: string; args: string[] } {
  const c = nodeEntryCommand(import.meta.url, './cli-main.ts', './cli.js');
  return { program: c.program, args: [...c.args] };
}

/** How long a local worker may take to print its ready line. */
const LOCAL_WORKER_READY_MS = 30_000;

function startLocalWorker(secret: string, modules: readonly string[], locals: LocalWorkers): Promise<string> {
  const cmd = workerCommand();
  const args = [...cmd.args, 'worker', '--listen', 'tcp:127.0.0.1:0', ...(modules.length > 0 ? ['--modules', modules.join(',')] : [])];
  const child = spawnChild(cmd.program, args, {
    env: { ...process.env, [MESH_SECRET_ENV]: secret, ACTORMESH_WORKER_EXIT_WITH_PARENT: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  locals.children.push(child);
  locals.exited.push(new Promise((r) => child.once('exit', (code) => r(code))));
  child.unref();
  (child.stdin as unknown as { unref?(): void } | null)?.unref?.();
  child.stdin?.on('error', () => undefined);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new WorkerStartError(`a local worker (pid ${child.pid}) printed no ready line within ${LOCAL_WORKER_READY_MS} ms`)),
      LOCAL_WORKER_READY_MS,
    );
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const r = parseReadyLine(line);
      if (r !== undefined) {
        clearTimeout(timer);
        resolve(r.addr);
        (child.stdout as unknown as { unref?(): void })?.unref?.();
      } else process.stdout.write(`${line}\n`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new WorkerStartError(`a local worker exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new WorkerStartError(`a local worker could not start: ${e.message}`, { cause: e }));
    });
  });
}

function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-c.pid!, sig);
  } catch {
    try {
      c.kill(sig);
    } catch {
      /* gone */
    }
  }
}

/** Waits for the local workers to exit (they were told to), then kills what is left. */
async function reapLocalWorkers(locals: LocalWorkers, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(locals.exited), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  for (const c of locals.children) if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
  await Promise.all(locals.exited);
}
