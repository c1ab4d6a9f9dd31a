/**
 * Boots one alloc proc in this process (Monarch hyperactor_mesh/src/alloc/local.rs `LocalAlloc::next`, hyperactor_mesh/src/proc_mesh/mesh_agent.rs
 * `ProcMeshAgent::bootstrap`): serve a channel
 * on the transport, create the proc with a queueing (reconfigurable) forwarder, register it in
 * the process-global router, serve it on the channel, spawn the agent by registry type name.
 *
 * Invariants: the proc's `forwarder` is a `QueueingSender` until the agent configures it (the
 * agent reaches it as `cx.proc.forwarder`), so nothing sent before configuration is lost; on any
 * boot failure everything already set up is torn down before the error propagates.
 */
import { Proc } from '../../actor/proc.js';
import { ActorRef } from '../../actor/refs.js';
import type { Actor } from '../../actor/actor.js';
import { anyAddr, formatAddr, serve, type Transport } from '../../channel/index.js';
import { ProcId, type WorldId } from '../../core/ids.js';
import { QueueingSender } from '../../mailbox/sender.js';
import { globalRouter } from '../../mailbox/routers.js';
import { serveMailbox, type MailboxServerHandle } from '../../mailbox/server.js';

export interface BootSpec {
  readonly world: WorldId;
  readonly rank: number;
  /** Direct-addressed procs: `Direct(addr, procName)`. */
  readonly procName?: string;
  readonly transport: Transport;
  readonly agentType: string;
  readonly agentName: string;
  /** Serialized agent params (payload codec). */
  readonly agentParams: Uint8Array;
}

export interface BootedProc {
  readonly proc: Proc;
  readonly procId: ProcId;
  /** Canonical channel address the proc is served on. */
  readonly addr: string;
  readonly agent: ActorRef<Actor<any, any>>;
  readonly forwarder: QueueingSender;
  /** Stops serving, unregisters, and destroys the proc's actors (waiting up to `timeoutMs`). */
  stop(timeoutMs: number): Promise<void>;
}

export async function bootProc(spec: BootSpec): Promise<BootedProc> {
  const [chAddr, rx] = await serve(anyAddr(spec.transport));
  const addr = formatAddr(chAddr);
  let server: MailboxServerHandle | undefined;
  let procId: ProcId | undefined;
  try {
    procId = spec.procName !== undefined ? ProcId.direct(addr, spec.procName) : ProcId.ranked(spec.world, spec.rank);
    const forwarder = new QueueingSender();
    const proc = new Proc(procId, forwarder);
    globalRouter.bind(procId, proc);
    server = serveMailbox(rx, proc);
    const agentId = await proc.spawnByName(spec.agentType, spec.agentName, spec.agentParams);
    const srv = server;
    const id = procId;
    let stopping: Promise<void> | undefined;
    return {
      proc,
      procId,
      addr,
      agent: new ActorRef(agentId),
      forwarder,
      stop(timeoutMs: number) {
        stopping ??= (async () => {
          globalRouter.unbind(id);
          await srv.stop().catch(() => undefined);
          await proc.destroyAndWait(timeoutMs);
        })();
        return stopping;
      },
    };
  } catch (e) {
    if (procId !== undefined) globalRouter.unbind(procId);
    if (server !== undefined) await server.stop().catch(() => undefined);
    else await rx.close().catch(() => undefined);
    throw e;
  }
}
