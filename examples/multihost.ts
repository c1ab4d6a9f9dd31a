// actormesh across machines: attach to running workers, spawn procs on every host, call, slice,
// shut down.
//
// Two terminals per machine (see the README's "Across machines"):
//   worker machines:  ACTORMESH_SECRET=s3cret node --import tsx dist/bundle/cli.js worker --listen tcp:127.0.0.1:26601
//   client:           ACTORMESH_SECRET=s3cret npx tsx examples/multihost.ts tcp:127.0.0.1:26601 tcp:127.0.0.1:26602
// Without addresses it starts two local workers itself (HostMesh.process) and attaches to them.
import { HostMesh, MeshActor, isWorker, meshPoint, registerActor, sumAccumulator, type Context } from 'actormesh';
import { hostname } from 'node:os';

// Every proc imports this module (modules: [import.meta.url] below): it must exist at the same path
// on the worker machines (a shared checkout, or the same container image).
export class Trainer extends MeshActor<{ lr: number }> {
  static readonly typeName = 'multihost::Trainer';
  private steps = 0;
  constructor(private readonly p: { lr: number }) {
    super();
  }
  readonly endpoints = {
    where: (cx: Context) => `rank ${meshPoint(cx)!.rank} on ${hostname()} pid ${process.pid} (worker pid ${process.ppid})`,
    step: (_cx: Context, n: number) => {
      this.steps += n;
      return this.steps * this.p.lr;
    },
  };
}
registerActor(Trainer);

async function main(): Promise<void> {
  const addrs = process.argv.slice(2);
  // 1. The hosts: attach to workers (fails closed with AttachError naming each bad host), or start two.
  const hosts = addrs.length > 0 ? await HostMesh.attach(addrs, { name: 'trainers' }) : await HostMesh.process(2, { name: 'trainers' });
  console.log(`attached ${hosts.size} hosts: ${hosts.ref}`);

  // 2. Two procs per host: extent {hosts: N, gpus: 2}.
  const procs = await hosts.spawnProcs({ gpus: 2 }, { name: 'trainer', modules: [import.meta.url] });
  console.log(`procs: ${procs.extent()}`);

  // 3. One Trainer per proc; call every member, a slice, and reduce.
  const trainers = await procs.spawn('trainer', Trainer, { lr: 0.5 });
  for (const w of (await trainers.where.call()).values()) console.log(`  ${w}`);
  console.log('step ->', (await trainers.step.call(2)).values());
  console.log('host 1 only ->', (await trainers.slice({ hosts: 1 }).step.call(2)).values());
  console.log('sum over the mesh ->', await trainers.step.reduce(sumAccumulator(), 0));

  // 4. Shut down: procs stop, then every worker exits; a worker that is gone is listed, not waited for.
  const { ok, missingHosts } = await hosts.shutdown();
  console.log(`shutdown ok=${ok} missing=[${missingHosts.join(', ')}]`);
}

if (!isWorker()) await main();
