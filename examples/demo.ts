/**
 * Proc meshes end to end: allocate 8 child processes as a {hosts: 2, gpus: 4} mesh, spawn an
 * actor on each, cast a message to all of them and collect one reply per rank, print the status
 * mesh, then stop everything and exit with no child left behind.
 * Run: `npx tsx examples/demo.ts`
 */
import { Extent, Status } from 'actormesh';
import { statusesToRankedValues } from 'actormesh/valuemesh';
import { ProcessAllocator, AllocatedProcMesh, castDirect } from 'actormesh/mesh';
import { Greeter, type Greeting } from './greeter.js';

const t0 = performance.now();
const since = () => `${(performance.now() - t0).toFixed(0).padStart(5)} ms`;

// A client: a proc whose router can reach the mesh, and an instance to act as.
const client = AllocatedProcMesh.createClient('demo');
const cx = client.cx;

// 1. Allocate one child process per point of {hosts: 2, gpus: 4}.
// Each child imports the modules of the registered actor classes (the agent, our Greeter: both
// registered with `registerActor(Class, { module: import.meta.url })`) before spawning.
const alloc = await new ProcessAllocator().allocate({ extent: Extent.from({ hosts: 2, gpus: 4 }), transport: 'unix' });
const mesh = await AllocatedProcMesh.allocate(cx, alloc, 'demo');
console.log(`${since()}  allocated ${mesh} (${mesh.numRanks} child processes)`);
const alive = await mesh.status(cx);
console.log(`${since()}  agents alive: ${alive.values().every(Boolean)}`);

// 2. Spawn a Greeter on every proc (fails with ActorSpawnError{statuses} if any rank fails).
const greeters = await mesh.spawn(cx, 'greeter', Greeter, { greeting: 'hello' });
console.log(`${since()}  spawned ${greeters}`);

// 3. Cast one message to every rank and collect one reply per rank.
const [port, replies] = cx.openPort<Greeting>();
castDirect(cx, String(greeters.name), mesh.ref.targets(greeters.name), { type: 'greet', who: 'demo', reply: port.bind() });
const pids = new Set<number>();
for (let i = 0; i < greeters.numRanks; i++) {
  const g = await replies.recv(10_000);
  pids.add(g.pid);
  console.log(`${since()}    ${g.text} (pid ${g.pid})`);
}
replies.close();
console.log(`${since()}  ${greeters.numRanks} replies from ${pids.size} distinct processes`);

// 4. The status mesh of the actor mesh, two ways.
const statuses = await mesh.statuses(cx, greeters.name);
console.log(`${since()}  status mesh: ${statuses}`);
console.log(`${since()}  as rank ranges: ${statusesToRankedValues(statuses, Status.NotExist, statuses.numRanks)}`);
const grid = new Map<number, string[]>();
for (const [point, status] of statuses.iter()) {
  const [host] = point.coords();
  grid.set(host!, [...(grid.get(host!) ?? []), String(status).padEnd(8)]);
}
for (const [host, row] of grid) console.log(`${since()}    hosts=${host}: gpus 0..4 = ${row.join(' ')}`);
const hosts1 = mesh.slice({ hosts: 1 });
console.log(`${since()}  slice hosts=1: ${hosts1} -> procs ${hosts1.ranks.map((r) => r.procId).join(' ')}`);

// 5. Stop the actors, then the procs; close the client.
await greeters.stop(cx);
console.log(`${since()}  after stop: ${statusesToRankedValues(await mesh.statuses(cx, greeters.name), Status.NotExist, mesh.numRanks)}`);
await mesh.stop();
await client.close();
const stopped = mesh.events.filter((e) => e.kind === 'Stopped').length;
console.log(`${since()}  proc mesh stopped (${stopped} procs reported Stopped); bye`);
