// In-process cast fixture (not a test file): N procs wired through one MailboxRouter, a comm actor
// per proc in Mesh mode, and an actor mesh spawned directly on the procs. Real actors, real
// envelopes (every message is serialized), no proc-mesh machinery.
import { ActorId, ProcId } from '../../src/core/ids.js';
import { Proc, type Actor, type ActorClass, type ParamsOf, type Instance } from '../../src/actor/index.js';
import { MailboxRouter } from '../../src/mailbox/routers.js';
import { Extent } from '../../src/ndslice/extent.js';
import { Region } from '../../src/ndslice/region.js';
import { CommActor } from '../../src/mesh/comm-actor.js';
import { memberName } from '../../src/mesh/cast-protocol.js';
import { ActorMesh, type ActorMeshRef } from '../../src/mesh/actor-mesh.js';
import { MeshHealth, type MeshFailure } from '../../src/mesh/supervision.js';
import type { Endpoints } from '../../src/mesh/endpoint.js';

let n = 0;

export interface LocalMesh<A extends Actor<any, any>> {
  procs: Proc[];
  comms: CommActor[];
  client: Instance;
  mesh: ActorMesh<A> & Endpoints<A>;
  failures: MeshFailure[];
  /** Members by base rank (local objects, for assertions). */
  members: A[];
}

/** `procSizes` = extent of the proc mesh (e.g. {hosts: 2, gpus: 4}); `perProc` adds an `actors` dim. */
export async function localMesh<A extends Actor<any, any>>(
  procSizes: Record<string, number>,
  cls: ActorClass<A>,
  params: ParamsOf<A>,
  opts: { perProc?: number; configureLate?: boolean; viaRootComm?: boolean; pointToPoint?: boolean } = {},
): Promise<LocalMesh<A>> {
  const world = `cast${process.pid}x${n++}`;
  const router = new MailboxRouter();
  const pe = Extent.from(procSizes);
  const nprocs = pe.numRanks;
  const procs: Proc[] = [];
  for (let i = 0; i < nprocs; i++) {
    const p = new Proc(ProcId.ranked(world, i), router);
    p.setSupervisionCoordinator(() => {});
    p.setExitHook((_c, ev, reason) => {
      throw new Error(`unexpected exit: ${reason}: ${ev}`);
    });
    router.bind(p.id, p);
    procs.push(p);
  }
  const cproc = new Proc(ProcId.ranked(`${world}c`, 0), router);
  router.bind(cproc.id, cproc);
  const client = cproc.instance('client');
  const peers = procs.map((p) => new ActorId(p.id, 'comm', 0));
  const comms: CommActor[] = [];
  for (let i = 0; i < nprocs; i++) {
    const h = await procs[i]!.spawn('comm', CommActor, opts.configureLate ? {} : { rank: i, peers });
    comms.push(h.actor);
  }
  const perProc = opts.perProc ?? 1;
  const name = `mesh${n}`;
  const members: A[] = [];
  for (let i = 0; i < nprocs; i++) {
    for (let j = 0; j < perProc; j++) {
      const h = await procs[i]!.spawn(memberName(name, perProc, j), cls, params);
      members.push(h.actor);
    }
  }
  const health = new MeshHealth(name);
  const failures: MeshFailure[] = [];
  health.supervise = (f) => {
    failures.push(f);
    return true;
  };
  const root = Region.fromExtent(opts.perProc === undefined ? pe : pe.concat(Extent.from({ actors: perProc })));
  const mesh = ActorMesh.own<A>(
    name,
    {
      cx: client,
      procIds: procs.map((p) => p.id),
      rootComm: peers[0],
      ...(opts.viaRootComm ? {} : { commPeers: peers }),
      health,
      pointToPoint: opts.pointToPoint ?? false,
    },
    root,
    perProc,
    async () => {
      await Promise.all(procs.map((p) => p.destroyAndWait(1000)));
    },
  );
  if (opts.configureLate) {
    // Mode arrives after the first casts (Monarch's hyperactor_mesh/src/v1/proc_mesh.rs `ProcMesh::create`
    // sends `CommActorMode` as a separate message): the comm actors must queue them.
    setTimeout(() => {
      for (let i = 0; i < nprocs; i++) procs[i]!.lookup(peers[i], CommActor)!.send({ type: 'comm.mode', rank: i, peers });
    }, 50);
  }
  return { procs, comms, client, mesh, failures, members };
}

// --- a test actor --------------------------------------------------------------------------------
import type { Context } from '../../src/actor/index.js';
import type { PortRef } from '../../src/actor/refs.js';
import { MeshActor, castPoint, castSender, meshPoint } from '../../src/mesh/endpoint.js';
import { registerActor } from '../../src/actor/registry.js';

export interface CastInfo {
  self: string;
  castRank: number;
  castLabels: string[];
  meshRank: number;
  sender: string;
}

export class TestActor extends MeshActor<{ tag: string }> {
  static readonly typeName = 'test::mesh::TestActor';
  readonly log: number[] = [];
  readonly tag: string;
  constructor(p: { tag: string }) {
    super();
    this.tag = p.tag;
  }
  readonly endpoints = {
    info: (cx: Context): CastInfo => {
      const p = castPoint(cx)!;
      return { self: cx.self.key, castRank: p.rank, castLabels: [...p.extent.labels], meshRank: meshPoint(cx)!.rank, sender: String(castSender(cx)) };
    },
    record: (_cx: Context, i: number): void => {
      this.log.push(i);
    },
    getLog: (): number[] => this.log.slice(),
    times: (cx: Context, x: number): number => x * (meshPoint(cx)!.rank + 1),
    slow: async (cx: Context, ms: number): Promise<number> => {
      await new Promise((r) => setTimeout(r, ms));
      return meshPoint(cx)!.rank;
    },
    boom: (_cx: Context, why: string): number => {
      throw new Error(why);
    },
    pid: (): number => process.pid,
    /** Casts `record(i)` to `ref` from inside this actor (a mesh ref received in a message). */
    relay: (cx: Context, ref: ActorMeshRef<TestActor>, i: number): number => {
      ref.bind(cx).endpoint('record').broadcast(i);
      return ref.size;
    },
    /** Sends `k` updates to `port` (test_cast_and_accum / test_cast_and_reply). */
    burst: (cx: Context, port: PortRef<number>, k: number): string => {
      for (let i = 0; i < k; i++) port.send(cx, i);
      return port.portId.actor.key;
    },
  };
}
registerActor(TestActor);

/** This module's URL: worker processes import it to get TestActor registered. */
export const FIXTURE_MODULE = import.meta.url;
