// The actor module of the hosts suite, written as a user would: plain JS against the package's
// public API. `'actormesh'` resolves through package.json "exports" (self-reference) to the BUILT
// dist/bundle/index.js. Every proc imports this module by URL (`spawnProcs(..., {modules})`), the
// procs of the `actormesh worker`s and those of `thisHost()` alike (same machine, same path).
import { MeshActor, registerActor } from 'actormesh';

export class HostsAdder extends MeshActor {
  static typeName = 'bench::hosts::Adder';
  endpoints = {
    add: (cx, x) => x + 1,
    /** The proc's pid and its parent's (a worker's pid for procs started by a worker). */
    pids: () => [process.pid, process.ppid],
  };
}
registerActor(HostsAdder);

export const ACTORS_MODULE = import.meta.url;
