// The slurm suite's client, written as a user would: plain JS against the BUILT package
// ('actormesh' → dist/bundle/index.js). argv: <job dir> <rounds> <worker command json>. Each
// round: `new SlurmJob({meshes: {w: 4}}).state()` until the 4 hosts are attached (ready), then
// spawnProcs + spawn + one call to all 4 members, then kill. Prints one JSON line per round.
import { SlurmJob } from 'actormesh';
import { ACTORS_MODULE, HostsAdder } from '../hosts/actors.mjs';

const [dir, roundsText, cmdText] = process.argv.slice(2);
const workerCommand = JSON.parse(cmdText);
for (let r = 0; r < Number(roundsText); r++) {
  const job = new SlurmJob({ meshes: { w: 4 }, port: 24000, workerCommand }, { dir, jobStartTimeoutMs: 120_000, attach: { logs: 'off' } });
  const t0 = performance.now();
  const { w } = await job.state();
  const ready = performance.now() - t0;
  const procs = await w.spawnProcs({ gpus: 1 }, { modules: [ACTORS_MODULE] });
  const m = await procs.spawn('adder', HostsAdder, undefined);
  const got = (await m.add.call(1)).values();
  if (got.length !== 4 || got.some((v) => v !== 2)) throw new Error(`bad replies ${JSON.stringify(got)}`);
  const firstCall = performance.now() - t0;
  await w.stop();
  await job.kill();
  console.log(JSON.stringify({ round: r, readyMs: ready, firstCallMs: firstCall }));
}
