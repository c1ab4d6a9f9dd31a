// The five workloads of the peers suite, written once against a small driver interface so every
// system runs exactly the same client-side loop. A driver (one per system) provides:
//
//   start(procs, perProc) -> handle   from nothing to `procs` child processes x `perProc` actors,
//                                     every actor ready to answer
//   call(h, x)     -> Promise<number> request/reply to actor 0 of h; the actor answers x + 1
//   tell(h, s)     -> void            fire-and-forget of string s to actor 0 (never throws later)
//   count(h)       -> Promise<number> tells actor 0 received so far (64-char strings only)
//   callAll(h, x)  -> Promise<number[]> one call to every actor, replies in actor order
//   stop(h)        -> Promise<void>   stops the handle's actors and processes
//   close()        -> Promise<void>   stops whatever the system still runs (before exit)
//
// Every reply is checked (x + 1, counts equal to what was sent); a mismatch throws, and the
// suite reports that system's error instead of a number.
import { performance } from 'node:perf_hooks';

/** The fire-and-forget payload: 64 bytes of ASCII, the same string for every system. */
export const PAYLOAD = 'actormesh-peers-benchmark-payload-64-bytes-0123456789abcdefghijk';
if (PAYLOAD.length !== 64) throw new Error('payload must be 64 bytes');

export function check(got, want, what) {
  if (got !== want) throw new Error(`${what}: expected ${want}, got ${JSON.stringify(got)}`);
}

export function checkAll(vals, x, size, what) {
  if (!Array.isArray(vals) || vals.length !== size)
    throw new Error(`${what}: expected ${size} replies, got ${Array.isArray(vals) ? vals.length : typeof vals}`);
  for (const v of vals) check(v, x + 1, what);
}

/** p-th percentile (0..100) of a sorted array. */
export function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const yieldIo = () => new Promise((resolve) => setImmediate(resolve));

/** Stops the actors a setup step left in `state[key]` (if any) and forgets them. */
async function teardown(d, state, key) {
  const h = state[key];
  state[key] = undefined;
  if (h !== undefined) await d.stop(h);
  return {};
}

export const workloads = {
  /** Setup for workloads 1-3 (not timed): one process, one actor. */
  async 'setup-single'(d, state) {
    if (state.single !== undefined) throw new Error('single actor already set up');
    const t0 = performance.now();
    state.single = await d.start(1, 1);
    check(await d.call(state.single, 41), 42, 'setup call');
    return { ms: performance.now() - t0 };
  },

  'teardown-single': (d, state) => teardown(d, state, 'single'),

  /** 1. One call at a time: per-call latency (µs) and the rate over the whole loop. */
  async 'call-sync'(d, state, { n, maxMs }) {
    const h = state.single;
    const lat = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      const v = await d.call(h, i);
      lat.push((performance.now() - s) * 1000);
      check(v, i + 1, 'call-sync reply');
      if (performance.now() - t0 > maxMs) break;
    }
    const total = performance.now() - t0;
    lat.sort((a, b) => a - b);
    return { n: lat.length, p50Us: pct(lat, 50), p99Us: pct(lat, 99), perSec: (lat.length / total) * 1000 };
  },

  /** 2. `depth` calls outstanding; each reply issues the next call. */
  async 'call-pipelined'(d, state, { n, depth, maxMs }) {
    const h = state.single;
    let issued = 0;
    let done = 0;
    const t0 = performance.now();
    const lane = async () => {
      while (issued < n && performance.now() - t0 <= maxMs) {
        const x = issued++;
        check(await d.call(h, x), x + 1, 'call-pipelined reply');
        done++;
      }
    };
    await Promise.all(Array.from({ length: depth }, lane));
    const total = performance.now() - t0;
    return { n: done, perSec: (done / total) * 1000 };
  },

  /**
   * 3. `n` fire-and-forget 64-byte strings, sent in batches of `batch` with a turn of the event
   * loop between batches (the same producer for every system), then a call for the actor's
   * count: the rate is n over the time until a count call shows all n received. Where the
   * system keeps send order between tells and calls, the first count call does; a system that
   * lets a call overtake earlier tells (Comedy) is asked again until the count is n (`polls`
   * says how many count calls it took; more than `maxWaitMs` or a count above n is an error).
   */
  async 'tell-oneway'(d, state, { n, batch, maxWaitMs }) {
    const h = state.single;
    const before = await d.count(h);
    const t0 = performance.now();
    for (let i = 0; i < n;) {
      const end = Math.min(n, i + batch);
      for (; i < end; i++) d.tell(h, PAYLOAD);
      await yieldIo();
    }
    const sent = performance.now();
    let got = (await d.count(h)) - before;
    let polls = 1;
    while (got < n && performance.now() - sent < maxWaitMs) {
      await yieldIo();
      got = (await d.count(h)) - before;
      polls++;
    }
    const total = performance.now() - t0;
    check(got, n, `tell-oneway received count (after ${polls} count calls)`);
    return { n, polls, perSec: (n / total) * 1000 };
  },

  /** 4. From nothing to procs x perProc actors and one reply from each (ms); then torn down. */
  async spawn(d, state, { procs, perProc }) {
    const t0 = performance.now();
    const h = await d.start(procs, perProc);
    let ms;
    try {
      checkAll(await d.callAll(h, 7), 7, procs * perProc, 'spawn replies');
      ms = performance.now() - t0;
    } finally {
      await d.stop(h);
    }
    return { ms };
  },

  /** Setup for workload 5 (not timed). */
  async 'setup-fanout'(d, state, { procs, perProc }) {
    if (state.fanout !== undefined) throw new Error('fanout actors already set up');
    const t0 = performance.now();
    state.fanout = await d.start(procs, perProc);
    state.fanoutSize = procs * perProc;
    checkAll(await d.callAll(state.fanout, 0), 0, state.fanoutSize, 'setup-fanout replies');
    return { ms: performance.now() - t0 };
  },

  'teardown-fanout': (d, state) => teardown(d, state, 'fanout'),

  /** 5. Call every actor, wait for all replies; ms per fanout (median and mean of the loop). */
  async 'fanout-call'(d, state, { n, maxMs }) {
    const h = state.fanout;
    const per = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      const vals = await d.callAll(h, i);
      per.push(performance.now() - s);
      checkAll(vals, i, state.fanoutSize, 'fanout-call replies');
      if (performance.now() - t0 > maxMs) break;
    }
    const total = performance.now() - t0;
    per.sort((a, b) => a - b);
    return { n: per.length, p50Ms: pct(per, 50), meanMs: total / per.length };
  },
};
