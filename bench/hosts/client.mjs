// Client process of the hosts suite (bench/suites/hosts.ts), written as a user would: plain JS
// importing 'actormesh', which resolves through package.json "exports" to the BUILT
// dist/bundle/index.js. It starts `actormesh worker` processes (the package's bin,
// dist/bundle/cli.js, on tcp:127.0.0.1:0), attaches to them with `HostMesh.attach`, spawns procs
// on them and on `thisHost()`, and runs the measured steps one at a time on the suite's command.
//
// Line protocol: the one of bench/peers (protocol.mjs), so the suite drives this process with
// the same PeerClient: one JSON command per stdin line `{"id","op",...params}`, one stdout line
// `@@peers {"id","ok":true,"result"}` or `@@peers {"id","ok":false,"error"}` per command,
// `@@peers {"ready":true,...}` once at start. Workers and procs are children of this process,
// in its process group (the suite kills the whole group at the end, whatever happened).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { HostMesh, thisHost } from 'actormesh';
import { HostsAdder, ACTORS_MODULE } from './actors.mjs';
import { check, checkAll, pct } from '../peers/workloads.mjs';
import { serveOps } from '../peers/protocol.mjs';

const SECRET = randomBytes(18).toString('base64url');
const RESOLVED = import.meta.resolve('actormesh');
/** The package's `actormesh` command (package.json "bin"), next to the resolved bundle. */
const CLI = fileURLToPath(new URL('./cli.js', RESOLVED));
const WORKER_READY_MS = 30_000;
const ATTACH = { secret: SECRET, logs: 'off', timeoutMs: 20_000, connectTimeoutMs: 5_000 };
const READY_RE = /^actormesh worker ready (\S+) pid=(\d+) version=(\S+) protocol=(\d+)/;

/**
 * CPU time (µs) a process used so far: the sum of its threads' `se.sum_exec_runtime` from
 * /proc/<pid>/task/<tid>/sched (ns resolution), else utime + stime from /proc/<pid>/stat (10 ms
 * ticks); undefined off Linux or once the process is gone.
 */
function procCpuUs(pid) {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'));
      if (m === null) throw new Error('no sum_exec_runtime');
      total += Number(m[1]) * 1000; // ms → µs
    }
    return total;
  } catch {
    /* no sched file (kernel without CONFIG_SCHED_DEBUG): the coarse counters */
  }
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000; // utime + stime, in 1/100 s
  } catch {
    return undefined;
  }
}

function clientCpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU used during `fn` by this process and by `pids`, in µs. */
async function withCpu(pids, fn) {
  const before = pids.map(procCpuUs);
  const c0 = clientCpuUs();
  const r = await fn();
  const client = clientCpuUs() - c0;
  const after = pids.map(procCpuUs);
  const others = pids.map((_, i) => (before[i] === undefined || after[i] === undefined ? NaN : after[i] - before[i]));
  return { r, client, others };
}

// --- workers ----------------------------------------------------------------------------------

/** Running workers: { addr, pid, child, exited }. */
const workers = [];

function startWorker() {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'worker', '--listen', 'tcp:127.0.0.1:0'], {
    env: { ...process.env, ACTORMESH_SECRET: SECRET, ACTORMESH_WORKER_EXIT_WITH_PARENT: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.on('error', () => undefined);
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker pid ${child.pid}: no ready line within ${WORKER_READY_MS} ms`)), WORKER_READY_MS);
    let ready = false;
    // Read every line for the worker's whole life (a full pipe would block it).
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = ready ? null : READY_RE.exec(line);
      if (m === null) {
        process.stderr.write(`[worker ${child.pid}] ${line}\n`);
        return;
      }
      ready = true;
      clearTimeout(timer);
      const w = { addr: m[1], pid: Number(m[2]), version: m[3], protocol: Number(m[4]), child, exited, readyMs: performance.now() - t0 };
      if (w.pid !== child.pid) reject(new Error(`worker ready line names pid ${w.pid}, the child is ${child.pid}`));
      else resolve(w);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
}

async function killWorkers(graceMs) {
  const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  for (const w of live) w.child.kill('SIGTERM');
  let timer;
  await Promise.race([Promise.all(live.map((w) => w.exited)), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  for (const w of live) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
}

// --- the two ways to 8 procs -------------------------------------------------------------------

/** The host mesh the spawn and call steps use (attached once, not timed). */
let hosts;
/** Per variant ('hosts' | 'thisHost'): { procs, mesh, one, size, pids, workerPid }. */
const live = {};

async function spawnVariant(variant, shape) {
  if (live[variant] !== undefined) throw new Error(`${variant} procs already running`);
  const t0 = performance.now();
  let procs;
  if (variant === 'hosts') {
    if (hosts === undefined) throw new Error('no host mesh attached (setup-hosts first)');
    procs = await hosts.spawnProcs({ gpus: shape.perHost }, { modules: [ACTORS_MODULE] });
  } else {
    procs = await thisHost().spawnProcs({ gpus: shape.hosts * shape.perHost }, { modules: [ACTORS_MODULE] });
  }
  const t1 = performance.now();
  let mesh;
  try {
    mesh = await procs.spawn('adder', HostsAdder, undefined);
  } catch (e) {
    await procs.stop().catch(() => undefined);
    throw e;
  }
  const t2 = performance.now();
  const size = shape.hosts * shape.perHost;
  const st = { procs, mesh, size };
  live[variant] = st;
  checkAll((await mesh.add.call(7)).values(), 7, size, `${variant} first call`);
  const t3 = performance.now();
  // One member: host 0 / gpu 0 (a proc of the first worker), or gpu 0 of this host's procs.
  st.one = variant === 'hosts' ? mesh.slice({ hosts: 0, gpus: 0 }) : mesh.slice({ gpus: 0 });
  const pids = (await mesh.pids.call()).values();
  if (pids.length !== size) throw new Error(`${variant}: ${pids.length} pid replies, expected ${size}`);
  st.pids = pids.map((p) => p[0]);
  const [onePid, oneParent] = await st.one.pids.callOne();
  st.onePid = onePid;
  if (variant === 'hosts') {
    const w = workers.find((x) => x.pid === oneParent);
    if (w === undefined) throw new Error(`host 0 gpu 0 runs under pid ${oneParent}, not under a worker of this run`);
    if (w.addr !== hosts.hosts[0]) throw new Error(`host 0 gpu 0 runs under worker ${w.addr}, expected ${hosts.hosts[0]}`);
    st.workerPid = oneParent;
    // Every proc runs under one of the attached workers, `perHost` under each.
    const parents = pids.map((p) => p[1]);
    hosts.hosts.forEach((addr) => {
      const wp = workers.find((x) => x.addr === addr).pid;
      const n = parents.filter((pp) => pp === wp).length;
      if (n !== shape.perHost) throw new Error(`worker ${addr} runs ${n} procs of the mesh, expected ${shape.perHost}`);
    });
  } else if (oneParent !== process.pid) throw new Error(`thisHost proc runs under pid ${oneParent}, not this client (${process.pid})`);
  return { ms: t2 - t0, procsMs: t1 - t0, actorsMs: t2 - t1, firstCallMs: t3 - t2 };
}

async function stopVariant(variant) {
  const st = live[variant];
  live[variant] = undefined;
  if (st === undefined) return { ms: 0 };
  const t0 = performance.now();
  await st.procs.stop();
  return { ms: performance.now() - t0 };
}

function liveVariant(variant) {
  const st = live[variant];
  if (st === undefined) throw new Error(`${variant} procs are not running`);
  return st;
}

// --- the steps --------------------------------------------------------------------------------

const ops = {
  /** Starts `n` more workers (in parallel); not a measured row (the time goes in the notes). */
  async 'start-workers'({ n }) {
    const t0 = performance.now();
    const ws = await Promise.all(Array.from({ length: n }, () => startWorker()));
    workers.push(...ws);
    return { ms: performance.now() - t0, addrs: ws.map((w) => w.addr), readyMs: ws.map((w) => w.readyMs), version: ws[0]?.version, protocol: ws[0]?.protocol };
  },

  /** `HostMesh.attach` to the first `k` workers (timed), checked, then `stop()` (timed apart). */
  async attach({ k }) {
    if (hosts !== undefined) throw new Error('attach is measured with no other host mesh in this process');
    if (workers.length < k) throw new Error(`${k} workers needed, ${workers.length} running`);
    const addrs = workers.slice(0, k).map((w) => w.addr);
    const t0 = performance.now();
    const hm = await HostMesh.attach(addrs, ATTACH);
    const ms = performance.now() - t0;
    let bad;
    try {
      check(hm.size, k, 'attached hosts');
      hm.infos.forEach((info, i) => check(info.pid, workers[i].pid, `pid of attached worker ${i}`));
    } catch (e) {
      bad = e;
    }
    const t1 = performance.now();
    await hm.stop();
    const stopMs = performance.now() - t1;
    if (bad !== undefined) throw bad;
    return { ms, stopMs };
  },

  /** Attaches (not timed) to the first `hosts` workers for the spawn and call steps. */
  async 'setup-hosts'({ hosts: n }) {
    if (hosts !== undefined) throw new Error('host mesh already attached');
    const t0 = performance.now();
    hosts = await HostMesh.attach(
      workers.slice(0, n).map((w) => w.addr),
      { ...ATTACH, name: 'bench-hosts' },
    );
    return { ms: performance.now() - t0 };
  },

  async 'teardown-hosts'() {
    const hm = hosts;
    hosts = undefined;
    if (hm !== undefined) await hm.stop();
    return {};
  },

  /** spawnProcs + spawn of one actor mesh (ms; `procsMs` and `actorsMs` apart), checked by a call to all. */
  spawn: ({ variant, shape }) => spawnVariant(variant, shape),

  stop: ({ variant }) => stopVariant(variant),

  /** Sequential `callOne` to one member: `warm` calls not recorded, then up to `n` (or `maxMs`). */
  async 'call-sync'({ variant, n, maxMs, warm }) {
    const st = liveVariant(variant);
    for (let i = 0; i < warm; i++) check(await st.one.add.callOne(i), i + 1, `${variant} call-sync warm-up reply`);
    const pids = [st.onePid, ...(st.workerPid !== undefined ? [st.workerPid] : [])];
    const lat = [];
    const { client, others } = await withCpu(pids, async () => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        const v = await st.one.add.callOne(i);
        lat.push((performance.now() - s) * 1000);
        check(v, i + 1, `${variant} call-sync reply`);
        if (performance.now() - t0 > maxMs) break;
      }
    });
    const k = lat.length;
    lat.sort((a, b) => a - b);
    return {
      n: k,
      p50Us: pct(lat, 50),
      p99Us: pct(lat, 99),
      cpuClientUs: client / k,
      cpuProcUs: others[0] / k,
      cpuWorkerUs: others.length > 1 ? others[1] / k : undefined,
    };
  },

  /** `call()` to every member, all replies checked: `warm` not recorded, then up to `n` (or `maxMs`); µs per call(). */
  async fanout({ variant, n, maxMs, warm }) {
    const st = liveVariant(variant);
    for (let i = 0; i < warm; i++) checkAll((await st.mesh.add.call(i)).values(), i, st.size, `${variant} fanout warm-up replies`);
    const wpids = variant === 'hosts' ? hosts.infos.map((i) => i.pid) : [];
    const per = [];
    const { client, others } = await withCpu([...st.pids, ...wpids], async () => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        const vals = (await st.mesh.add.call(i)).values();
        per.push((performance.now() - s) * 1000);
        checkAll(vals, i, st.size, `${variant} fanout replies`);
        if (performance.now() - t0 > maxMs) break;
      }
    });
    const k = per.length;
    per.sort((a, b) => a - b);
    const sum = (xs) => xs.reduce((a, b) => a + b, 0);
    return {
      n: k,
      p50Us: pct(per, 50),
      p99Us: pct(per, 99),
      cpuClientUs: client / k,
      cpuProcsUs: sum(others.slice(0, st.pids.length)) / k,
      cpuWorkersUs: wpids.length > 0 ? sum(others.slice(st.pids.length)) / k : undefined,
    };
  },

  /**
   * Attaches to every worker and shuts them down (`HostMesh.shutdown`, workers exit 0); returns
   * the missing hosts and each worker's exit. Whatever is still running afterwards is killed.
   */
  async 'shutdown-workers'() {
    for (const v of Object.keys(live)) await stopVariant(v).catch(() => undefined);
    if (hosts !== undefined) await ops['teardown-hosts']();
    const t0 = performance.now();
    let missing = [];
    if (workers.length > 0) {
      const hm = await HostMesh.attach(
        workers.map((w) => w.addr),
        ATTACH,
      );
      missing = (await hm.shutdown()).missingHosts;
    }
    let timer;
    const exits = await Promise.race([Promise.all(workers.map((w) => w.exited)), new Promise((r) => (timer = setTimeout(() => r(undefined), 10_000)))]);
    clearTimeout(timer);
    await killWorkers(2000);
    return {
      ms: performance.now() - t0,
      missingHosts: missing,
      exitCodes: exits === undefined ? 'timed out' : exits.map((e) => e.code ?? e.signal),
    };
  },
};

// --- the protocol loop ------------------------------------------------------------------------

serveOps(
  ops,
  async () => {
    for (const v of Object.keys(live)) await stopVariant(v).catch(() => undefined);
    if (hosts !== undefined) await ops['teardown-hosts']().catch(() => undefined);
    await thisHost()
      .shutdown()
      .catch(() => undefined);
    await killWorkers(3000);
  },
  { resolved: RESOLVED, cli: CLI, node: process.version },
);
