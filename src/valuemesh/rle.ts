/**
 * Run-length helpers over generic values (Monarch hyperactor_mesh/src/v1/value_mesh/rle.rs), plain TypeScript.
 *
 * A *value run* is `{start, end, value}` (half-open, `start < end`); an *id run* indexes a table
 * instead. Invariants of outputs: sorted, non-overlapping, and touching runs with equal values are
 * coalesced by `append`. `mergeValueRuns` is true right-wins (every left run a right run covers is
 * trimmed, whichever branch emitted the right run; docs/architecture.md VM-1); Monarch's `merge_value_runs` leaves later
 * left runs untrimmed when the right run has the current left run's value.
 * The status-specialised path runs the same algorithm over interned codes in WASM (kernels.ts).
 */
import { TableBuilder, valueEquals, type Same } from './value-eq.js';

export interface ValueRun<T> {
  start: number;
  end: number;
  value: T;
}

export interface IdRun {
  start: number;
  end: number;
  id: number;
}

export interface Rle<T> {
  table: T[];
  runs: IdRun[];
}

/**
 * One run per maximal block of adjacent equal values; the table gets one entry per run
 * (`[A,A,B,B,B,A]` → table `[A,B,A]`), not a global de-duplication.
 */
export function rleFromDense<T>(values: readonly T[], same: Same<T> = valueEquals): Rle<T> {
  const table: T[] = [];
  const runs: IdRun[] = [];
  let i = 0;
  while (i < values.length) {
    const v = values[i]!;
    let j = i + 1;
    while (j < values.length && same(values[j]!, v)) j++;
    runs.push({ start: i, end: j, id: table.length });
    table.push(v);
    i = j;
  }
  return { table, runs };
}

/**
 * Re-encodes sorted, non-overlapping value runs with a globally de-duplicated table
 * (first-appearance order), coalescing touching runs with the same id. Gaps are preserved.
 */
export function rleFromValueRuns<T>(runs: readonly ValueRun<T>[], same: Same<T> = valueEquals): Rle<T> {
  const tb = new TableBuilder<T>(same);
  const out: IdRun[] = [];
  for (const r of runs) {
    const id = tb.intern(r.value);
    const last = out[out.length - 1];
    if (last && last.end === r.start && last.id === id) last.end = r.end;
    else out.push({ start: r.start, end: r.end, id });
  }
  return { table: tb.table, runs: out };
}

/** Appends a run, extending the last one when it touches and has an equal value. */
function append<T>(out: ValueRun<T>[], start: number, end: number, value: T, same: Same<T>): void {
  const last = out[out.length - 1];
  if (last && last.end === start && same(last.value, value)) last.end = end;
  else out.push({ start, end, value });
}

/**
 * Right-wins merge of two sorted, non-overlapping run lists: every rank covered by `right` takes
 * right's value, every other rank covered by `left` keeps left's. Output is sorted, non-overlapping,
 * touching-equal runs coalesced, gaps of both inputs preserved. O(|left| + |right|).
 */
export function mergeValueRuns<T>(left: readonly ValueRun<T>[], right: readonly ValueRun<T>[], same: Same<T> = valueEquals): ValueRun<T>[] {
  const out: ValueRun<T>[] = [];
  let i = 0;
  // every left rank below `shadow` was already emitted or is covered by an emitted right run
  let shadow = 0;
  for (const r of right) {
    while (i < left.length) {
      const l = left[i]!;
      const s = Math.max(l.start, shadow);
      if (s >= l.end) {
        i++;
        continue;
      }
      if (s >= r.start) break;
      const e = Math.min(l.end, r.start);
      append(out, s, e, l.value, same);
      shadow = e;
      if (e === l.end) i++;
      else break;
    }
    append(out, r.start, r.end, r.value, same);
    shadow = Math.max(shadow, r.end);
  }
  for (; i < left.length; i++) {
    const l = left[i]!;
    const s = Math.max(l.start, shadow);
    if (s < l.end) append(out, s, l.end, l.value, same);
  }
  return out;
}
