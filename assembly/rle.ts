// Run-list kernels over u32 triples (start, end, code) in linear memory (Monarch
// hyperactor_mesh/src/v1/value_mesh/rle.rs `merge_value_runs`; docs/architecture.md). Statuses (or any values) are interned to small integer codes by the JS facade
// (src/valuemesh/kernels.ts), which also owns the memory layout: every pointer below was handed
// out by its allocator, and inputs were validated there (sorted, non-overlapping, non-empty runs,
// ends within the region). Kernels never allocate; one call processes a whole run list. Merges
// are right-wins (docs/architecture.md VM-1).

let gCount: u32 = 0;

/** Offset of the first byte JS may use (16-aligned, past static data). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Ranks counted by the last `mergeRuns` / `encodeDense` call (code == countCode). */
export function lastCount(): u32 {
  return gCount;
}

// Appends (s, e, c) at out[n], extending out[n-1] when it touches with the same code; returns n'.
@inline
function append(op: usize, n: u32, s: u32, e: u32, c: u32, countCode: u32): u32 {
  if (c == countCode) gCount += e - s;
  if (n > 0) {
    const last = op + (<usize>(n - 1)) * 12;
    if (load<u32>(last, 4) == s && load<u32>(last, 8) == c) {
      store<u32>(last, e, 4);
      return n;
    }
  }
  const p = op + (<usize>n) * 12;
  store<u32>(p, s, 0);
  store<u32>(p, e, 4);
  store<u32>(p, c, 8);
  return n + 1;
}

/**
 * True right-wins merge of run lists `left[ln]` and `right[rn]` into `out` (room for ln + 2·rn + 1
 * triples); returns the number of output runs. Every rank covered by a right run takes its code;
 * every left run a right run covers is trimmed (not Monarch's equal-value bug). Output is sorted,
 * non-overlapping, touching equal codes coalesced. Also counts output ranks with `countCode`
 * (read it with `lastCount`).
 */
export function mergeRuns(lp: usize, ln: u32, rp: usize, rn: u32, op: usize, countCode: u32): u32 {
  gCount = 0;
  let n: u32 = 0;
  let i: u32 = 0;
  let shadow: u32 = 0;
  for (let j: u32 = 0; j < rn; j++) {
    const r = rp + (<usize>j) * 12;
    const rs = load<u32>(r, 0);
    const re = load<u32>(r, 4);
    const rc = load<u32>(r, 8);
    while (i < ln) {
      const l = lp + (<usize>i) * 12;
      const le = load<u32>(l, 4);
      const s = max(load<u32>(l, 0), shadow);
      if (s >= le) {
        i++;
        continue;
      }
      if (s >= rs) break;
      const e = min(le, rs);
      n = append(op, n, s, e, load<u32>(l, 8), countCode);
      shadow = e;
      if (e == le) i++;
      else break;
    }
    n = append(op, n, rs, re, rc, countCode);
    shadow = max(shadow, re);
  }
  for (; i < ln; i++) {
    const l = lp + (<usize>i) * 12;
    const le = load<u32>(l, 4);
    const s = max(load<u32>(l, 0), shadow);
    if (s < le) n = append(op, n, s, le, load<u32>(l, 8), countCode);
  }
  return n;
}

/** Dense codes `codes[n]` → coalesced runs in `out` (room for n triples); counts `countCode`. */
export function encodeDense(cp: usize, n: u32, op: usize, countCode: u32): u32 {
  gCount = 0;
  let k: u32 = 0;
  let i: u32 = 0;
  while (i < n) {
    const c = load<u32>(cp + (<usize>i) * 4);
    let j = i + 1;
    while (j < n && load<u32>(cp + (<usize>j) * 4) == c) j++;
    const p = op + (<usize>k) * 12;
    store<u32>(p, i, 0);
    store<u32>(p, j, 4);
    store<u32>(p, c, 8);
    if (c == countCode) gCount += j - i;
    k++;
    i = j;
  }
  return k;
}

/** Runs `runs[rn]` → dense codes in `out[n]`; ranks no run covers get `fill`. */
export function decodeRuns(rp: usize, rn: u32, op: usize, n: u32, fill: u32): void {
  let at: u32 = 0;
  for (let j: u32 = 0; j < rn; j++) {
    const r = rp + (<usize>j) * 12;
    const s = min(load<u32>(r, 0), n);
    const e = min(load<u32>(r, 4), n);
    const c = load<u32>(r, 8);
    for (; at < s; at++) store<u32>(op + (<usize>at) * 4, fill);
    for (at = max(at, s); at < e; at++) store<u32>(op + (<usize>at) * 4, c);
  }
  for (; at < n; at++) store<u32>(op + (<usize>at) * 4, fill);
}

/**
 * Applies overlay runs `runs[rn]` to the dense state `state[n]` (right wins, in place) and returns
 * the change in the number of ranks holding `countCode` (new − old). Run ends are clamped to n.
 */
export function applyRuns(sp: usize, n: u32, rp: usize, rn: u32, countCode: u32): i32 {
  let delta: i32 = 0;
  for (let j: u32 = 0; j < rn; j++) {
    const r = rp + (<usize>j) * 12;
    const s = load<u32>(r, 0);
    const e = min(load<u32>(r, 4), n);
    const c = load<u32>(r, 8);
    if (c == countCode) {
      for (let k = s; k < e; k++) {
        const p = sp + (<usize>k) * 4;
        if (load<u32>(p) != countCode) {
          delta++;
          store<u32>(p, c);
        }
      }
    } else {
      for (let k = s; k < e; k++) {
        const p = sp + (<usize>k) * 4;
        if (load<u32>(p) == countCode) delta--;
        store<u32>(p, c);
      }
    }
  }
  return delta;
}

/** Ranks below `limit` covered by runs with `code`. */
export function countCodeBelow(rp: usize, rn: u32, code: u32, limit: u32): u32 {
  let total: u32 = 0;
  for (let j: u32 = 0; j < rn; j++) {
    const r = rp + (<usize>j) * 12;
    if (load<u32>(r, 8) != code) continue;
    const s = load<u32>(r, 0);
    const e = min(load<u32>(r, 4), limit);
    if (s < e) total += e - s;
  }
  return total;
}

/**
 * `applyRuns` for one run given as scalars (the single-rank agent reply), so JS writes no memory:
 * sets `state[start..min(end, n))` to `code`, returns Δ(#ranks with `countCode`).
 */
export function applyOne(sp: usize, n: u32, start: u32, end: u32, code: u32, countCode: u32): i32 {
  let delta: i32 = 0;
  const e = min(end, n);
  for (let k = start; k < e; k++) {
    const p = sp + (<usize>k) * 4;
    const old = load<u32>(p);
    delta += <i32>(code == countCode) - <i32>(old == countCode);
    store<u32>(p, code);
  }
  return delta;
}
