// actormesh on a SLURM cluster: one sbatch job of 2 nodes (a worker on each), 2 procs per node,
// an actor in every proc, a call to every member, then the job cancelled.
// Run from a login node whose checkout the nodes share (it holds .actormesh/, the job's cache and
// logs): npx tsx examples/slurm.ts [partition]   (partition default: debug)
import { MeshActor, SlurmJob, isWorker, meshPoint, registerActor, type Context } from 'actormesh';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';

// Every proc imports this module (modules: [import.meta.url] below), on every node.
export class Reporter extends MeshActor<void> {
  static readonly typeName = 'slurm::Reporter';
  readonly endpoints = {
    where: (cx: Context) =>
      `rank ${meshPoint(cx)!.rank} on ${process.env['SLURMD_NODENAME']} (host ${hostname()}, SLURM job ${process.env['SLURM_JOB_ID']}) pid ${process.pid}, worker pid ${process.ppid}`,
  };
}
registerActor(Reporter);

async function main(): Promise<void> {
  const job = new SlurmJob({
    meshes: { trainers: 2 },
    partition: process.argv[2] ?? 'debug',
    timeLimit: '00:10:00',
    // The workers run this checkout's sources; a project that installed the package omits this (default: npx actormesh).
    workerCommand: [process.execPath, '--import', 'tsx', fileURLToPath(new URL('../src/api/cli-main.ts', import.meta.url))],
  });

  // 1. sbatch, wait until every worker is ready (progress on stderr), attach: {trainers: HostMesh}.
  const { trainers } = await job.state();
  console.log(`${trainers!.size} workers ready: ${trainers!.hosts.join(' ')}`);

  // 2. Two procs per node, one Reporter in each; call every member.
  const procs = await trainers!.spawnProcs({ gpus: 2 }, { modules: [import.meta.url] });
  console.log(`procs: ${procs.extent()}`);
  const reporters = await procs.spawn('reporter', Reporter, undefined);
  for (const line of (await reporters.where.call()).values()) console.log(`  ${line}`);

  // 3. The procs stop, then scancel ends the workers and the job, and the cache is removed.
  await trainers!.stop();
  await job.kill();
  console.log('job killed');
}

if (!isWorker()) await main();
