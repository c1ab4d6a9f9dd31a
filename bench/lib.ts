/**
 * Benchmark harness shared by every suite under bench/suites/.
 *
 * A suite compares ours against a baseline measured in the same run; the machine is shared and
 * noisy, so suites report ratios, not absolute targets. Ratio convention (DEVELOPERS.md):
 * >1 means ours is better: baseline/ours for times, ours/baseline for rates.
 */
export interface BenchRow {
  name: string;
  impl: string;
  value: number;
  unit: string;
}
export interface SuiteResult {
  suite: string;
  results: BenchRow[];
  ratios: Record<string, number>;
  /** Extra human-readable lines printed after the table (e.g. growth factors). */
  notes?: string[];
}
export interface SuiteOptions {
  /** Remaining command-line arguments after the suite name (flags other than --json). */
  args: string[];
  /** True when `--quick` was given: smaller sizes, for smoke tests. */
  quick: boolean;
}
export type Suite = (opts: SuiteOptions) => Promise<SuiteResult>;

/**
 * Times `fn` (which performs `opsPerCall` operations) and returns nanoseconds per call: the
 * median of `samples` samples, each repeating `fn` until `minSampleMs` elapsed.
 */
export function timeNs(fn: () => unknown, opts: { samples?: number; minSampleMs?: number; warmup?: number } = {}): number {
  const samples = opts.samples ?? 7;
  const minSampleMs = opts.minSampleMs ?? 50;
  const warmup = opts.warmup ?? 3;
  let sink: unknown;
  for (let i = 0; i < warmup; i++) sink = fn();
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let t1 = t0;
    do {
      sink = fn();
      n++;
      t1 = process.hrtime.bigint();
    } while (Number(t1 - t0) < minSampleMs * 1e6);
    per.push(Number(t1 - t0) / n);
  }
  blackhole(sink);
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

/** Async variant of timeNs: median ns per call of an async function. */
export async function timeNsAsync(fn: () => Promise<unknown>, opts: { samples?: number; minSampleMs?: number; warmup?: number } = {}): Promise<number> {
  const samples = opts.samples ?? 7;
  const minSampleMs = opts.minSampleMs ?? 50;
  const warmup = opts.warmup ?? 3;
  for (let i = 0; i < warmup; i++) await fn();
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let t1 = t0;
    do {
      await fn();
      n++;
      t1 = process.hrtime.bigint();
    } while (Number(t1 - t0) < minSampleMs * 1e6);
    per.push(Number(t1 - t0) / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

// Written and never read on purpose: the store is what keeps the optimiser from dropping the work.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
let sinkSlot: unknown;
/** Keeps a value alive so the optimiser cannot drop the work that produced it. */
export function blackhole(v: unknown): void {
  sinkSlot = v;
}

/** Percentile (0..100) of an unsorted numeric array. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

/** Formats a number with 3 significant digits and SI-ish grouping for the table. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1e6) return v.toExponential(3);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}
