/**
 * A worker: one per machine (Monarch's `run_worker_loop_forever`). It serves one port; everything
 * from other machines to its procs enters there (the gateway) and is routed inside to the proc's
 * local socket; its `service` proc runs the `HostAgent` that starts procs for clients.
 *
 * Invariants:
 * - One listening port per worker; the gateway delivers an envelope to the service proc, to one
 *   of this worker's running procs (bound by the agent while it runs), or dials the destination's
 *   own address (replies to clients); anything else comes back undeliverable, never silently
 *   (docs/architecture.md HOST-1).
 * - A connection that asks for a proc's route (`procRoute`, the address a client binds that
 *   proc to) is relayed to that proc's local socket while the proc runs (channel/relay.ts): the
 *   session runs end to end between client and proc, and the worker only copies messages. A
 *   route to a proc that is not running here is served by the gateway as above.
 * - With a secret, every connection to the port must prove it in its upgrade (channel/auth.ts),
 *   and procs started here prove it on their own links to other machines (`ACTORMESH_SECRET` in
 *   their environment, never on a command line) (docs/architecture.md HOST-2).
 * - The incarnation (random per start) tells a client that the worker at an address is a new
 *   process, so it never resumes an old session into it.
 * - `done` resolves with the exit code the worker's life ended with: 0 after a client's
 *   `ShutdownHost`, 143 after `stop('SIGTERM')`; every proc is stopped before it resolves.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Proc } from '../actor/proc.js';
import { ProcId, parsePortId } from '../core/ids.js';
import { AUTH_HEADER, makeProof, serve, setDefaultSecret, setDefaultTls, toAddr, type ChannelAddr } from '../channel/index.js';
import type { RelayTarget } from '../channel/relay.js';
import type { ServeOptions } from '../channel/index.js';
import { channelDialer, closeClients, recordingDialer, MailboxClient } from '../mailbox/client.js';
import { serveMailbox } from '../mailbox/server.js';
import { EnvelopeDecoder, isRouteShared, readRoute } from '../mailbox/envelope-codec.js';
import { remoteReturnHandle } from '../mailbox/undeliverable.js';
import { DialMailboxRouter } from '../mailbox/routers.js';
import { BaseMailboxSender } from '../mailbox/sender.js';
import type { MessageEnvelope, ReturnHandle } from '../mailbox/envelope.js';
import { MESH_SECRET_ENV, MESH_TLS_CA_ENV, MESH_TLS_CERT_ENV, MESH_TLS_KEY_ENV } from '../mesh/alloc/index.js';
import '../mesh/proc-mesh-agent.js';
import { HostAgent, type HostServices } from './host-agent.js';
import { advertisedAddress } from './worker-options.js';
import { HOST_AGENT_NAME, PROTOCOL_VERSION, SERVICE_PROC_NAME, procOfRoute } from './protocol.js';

/** The package version this worker runs (from package.json; `0.0.0` when it cannot be read). */
export const PACKAGE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export interface WorkerConfig {
  /** Where to listen (`tcp:0.0.0.0:26600`, `tcp:127.0.0.1:0`, ...). */
  readonly listen: ChannelAddr | string;
  /** The address peers dial (default: the bound address); port 0 is replaced by the bound port. */
  readonly advertise?: string;
  /** The mesh secret every connection must prove. */
  readonly secret?: string;
  /** Mutual TLS (PEM file paths). */
  readonly tls?: ServeOptions['tls'];
  /** Modules every proc imports before spawning actors. */
  readonly modules?: readonly string[];
  /** Lines the worker logs (default: stderr with an `actormesh worker:` prefix). */
  readonly log?: (line: string) => void;
}

export interface WorkerHandle {
  /** The advertised address (what clients attach to). */
  readonly addr: string;
  readonly incarnation: string;
  readonly pid: number;
  readonly version: string;
  readonly protocol: number;
  /** Resolves with the exit code once the worker stopped (0: shut down by a client). */
  readonly done: Promise<number>;
  /** Stops every proc, closes the port, resolves `done` with `code` (default 143). */
  stop(code?: number): Promise<void>;
}

/**
 * Forwards envelopes bound for this worker's procs as received, without decoding and re-encoding
 * them (the common full envelope; route-shared ones, whose route is that of an earlier envelope
 * of their frame, take the decoded path). Destinations are resolved once per destination text
 * and forgotten whenever a proc's route changes.
 */
class RawForwarder {
  private readonly procOf = new Map<string, string | null>();
  private readonly decoder = new EnvelopeDecoder();
  constructor(
    private readonly out: DialMailboxRouter,
    private readonly returns: ReturnHandle,
  ) {}

  readonly forward = (bytes: Uint8Array): boolean => {
    if (isRouteShared(bytes)) return false;
    let dest: string;
    try {
      dest = readRoute(bytes).dest;
    } catch {
      return false; // malformed: the decoded path reports it
    }
    let addr = this.procOf.get(dest);
    if (addr === undefined) {
      try {
        addr = this.out.lookup(parsePortId(dest).actor) ?? null;
      } catch {
        addr = null;
      }
      if (this.procOf.size >= 4096) this.procOf.clear();
      this.procOf.set(dest, addr);
    }
    if (addr === null) return false;
    const client = this.out.clientFor(addr);
    if (!(client instanceof MailboxClient)) return false;
    client.postEncoded(bytes, (b, err) => {
      try {
        this.decoder.decode(b).fail('BrokenLink', `channel to ${addr} failed: ${err.message}`, this.returns);
      } catch {
        /* undecodable: it was forwarded as received, so it was never readable here either */
      }
    });
    return true;
  };

  /** A proc's route changed: resolve destinations anew. */
  invalidate(): void {
    this.procOf.clear();
  }
}

/** Routes what arrives at the worker's port: service proc, a running proc of this worker, or onward. */
class Gateway extends BaseMailboxSender {
  constructor(
    private readonly service: Proc,
    private readonly out: DialMailboxRouter,
    private readonly advertised: string,
  ) {
    super();
  }
  postUnchecked(env: MessageEnvelope, rh: ReturnHandle): void {
    const proc = env.dest.actor.proc;
    if (proc.kind === 'direct' && proc.name === SERVICE_PROC_NAME) {
      if (proc.key === this.service.id.key) this.service.post(env, rh);
      else env.fail('Unroutable', `this worker is ${this.advertised}; it was addressed as ${proc.addr}: attach with the address the worker printed`, rh);
      return;
    }
    this.out.post(env, rh);
  }
}

/** Starts a worker in this process (the `actormesh worker` command runs this). */
export async function startWorker(cfg: WorkerConfig): Promise<WorkerHandle> {
  const log = cfg.log ?? ((l: string) => process.stderr.write(`actormesh worker: ${l}\n`));
  if (cfg.secret !== undefined) setDefaultSecret(cfg.secret);
  // Mutual TLS: this worker's own links (replies to clients) and its procs' links use it too.
  const tlsDial = cfg.tls?.ca !== undefined ? { ca: cfg.tls.ca, cert: cfg.tls.cert, key: cfg.tls.key } : undefined;
  if (tlsDial !== undefined) setDefaultTls(tlsDial);
  // Routed connections to running procs are relayed (bound once `out` exists, below).
  let relayTo: (route: string) => RelayTarget | undefined = () => undefined;
  const [bound, rx] = await serve(toAddr(cfg.listen), {
    ...(cfg.secret !== undefined ? { secret: cfg.secret } : {}),
    ...(cfg.tls !== undefined ? { tls: cfg.tls } : {}),
    log: (l) => log(l),
    relay: (route) => relayTo(route),
  });
  const advertised = advertisedAddress(cfg.advertise, bound);
  const incarnation = randomBytes(8).toString('hex');
  // TLS comes from the process default (tcp dials only: the procs' local sockets stay plain).
  const { dialer, clients } = recordingDialer(channelDialer(cfg.secret !== undefined ? { secret: cfg.secret } : {}));
  const out = new DialMailboxRouter({ directAddressedRemoteOnly: true, dialer });
  const secret = cfg.secret;
  relayTo = (route) => {
    const procId = procOfRoute(route);
    const addr = procId === undefined ? undefined : out.lookup(procId);
    if (addr === undefined) return undefined;
    try {
      return { addr: toAddr(addr), ...(secret !== undefined ? { headers: { [AUTH_HEADER]: makeProof(secret) } } : {}) };
    } catch {
      return undefined;
    }
  };
  const service = new Proc(ProcId.direct(advertised, SERVICE_PROC_NAME), out);
  service.setSupervisionCoordinator((ev) => log(`supervision event in the service proc: ${ev}`));
  const gateway = new Gateway(service, out, advertised);
  const raw = new RawForwarder(out, remoteReturnHandle(gateway));
  const server = serveMailbox(rx, gateway, { log, forward: raw.forward });
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let agent: HostAgent | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (code: number): Promise<void> =>
    (stopping ??= (async () => {
      const cx = service.instance(`stopper_${randomBytes(3).toString('hex')}`);
      await agent?.stopAll(cx).catch(() => undefined);
      // Let replies already sent (a shutdown ack) leave before the port closes.
      await closeClients(clients, 1000, 'the worker stopped');
      await server.stop().catch(() => undefined);
      await service.destroyAndWait(500).catch(() => undefined);
      resolveDone(code);
    })());
  const services: HostServices = {
    addr: advertised,
    incarnation,
    version: PACKAGE_VERSION,
    modules: cfg.modules ?? [],
    procEnv: {
      ...(cfg.secret !== undefined ? { [MESH_SECRET_ENV]: cfg.secret } : {}),
      ...(tlsDial !== undefined ? { [MESH_TLS_CA_ENV]: tlsDial.ca, [MESH_TLS_CERT_ENV]: tlsDial.cert, [MESH_TLS_KEY_ENV]: tlsDial.key } : {}),
    },
    bindProc: (id, addr) => {
      out.bind(id, addr);
      raw.invalidate();
    },
    unbindProc: (id) => {
      out.unbind(id);
      raw.invalidate();
    },
    exit: (code) => void stop(code),
    log,
  };
  const handle = await service.spawn(HOST_AGENT_NAME, HostAgent, services);
  agent = handle.actor;
  return {
    addr: advertised,
    incarnation,
    pid: process.pid,
    version: PACKAGE_VERSION,
    protocol: PROTOCOL_VERSION,
    done,
    stop: (code = 143) => stop(code),
  };
}
