// This process's memory across a burst of work (not a test file): RSS and V8 heap before (after a
// GC), at the peak and after (after GCs), and the bound within which the heap must come back.
// Used by test/mesh/broadcast-flood.test.ts and bench/loadtests/liveness.ts.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full garbage collection (exposed at run time, so no node flag is needed). */
export const gc = runInNewContext('gc') as () => void;

export interface MemorySample {
  rss: number;
  heapUsed: number;
}

const MiB = 1024 * 1024;
const mb = (n: number) => `${(n / MiB).toFixed(0)} MB`;

function sample(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/**
 * Watches memory from `start()` (after a GC) on: `sample()` records the peak (call it right after
 * synchronous bursts; `startSampling` also samples on a timer while the event loop runs), and
 * `settle()` measures after the work, once garbage is collected.
 */
export class MemoryWatch {
  readonly before: MemorySample;
  readonly peak: MemorySample;
  after: MemorySample | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor() {
    gc();
    this.before = sample();
    this.peak = { ...this.before };
  }

  static start(): MemoryWatch {
    return new MemoryWatch();
  }

  sample(): void {
    const s = sample();
    this.peak.rss = Math.max(this.peak.rss, s.rss);
    this.peak.heapUsed = Math.max(this.peak.heapUsed, s.heapUsed);
  }

  startSampling(everyMs = 50): void {
    this.timer ??= setInterval(() => this.sample(), everyMs);
  }

  stopSampling(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Lets acks and replies settle, collects garbage, and takes the `after` sample. */
  async settle(): Promise<MemorySample> {
    this.stopSampling();
    this.sample();
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    await new Promise((r) => setTimeout(r, 200));
    gc();
    return (this.after = sample());
  }

  /** The heap must come back below before + 25% of what the burst added + 50 MB. */
  get heapBound(): number {
    return this.before.heapUsed + 0.25 * Math.max(0, this.peak.heapUsed - this.before.heapUsed) + 50 * MiB;
  }

  /** Whether the heap after `settle()` is within `heapBound`. */
  get heapReleased(): boolean {
    return this.after !== undefined && this.after.heapUsed < this.heapBound;
  }

  toString(): string {
    const a = this.after;
    const fmt = (k: keyof MemorySample) => `before ${mb(this.before[k])}, peak ${mb(this.peak[k])}, after ${a === undefined ? '?' : mb(a[k])}`;
    return `RSS ${fmt('rss')}; heapUsed ${fmt('heapUsed')} (bound after: < ${mb(this.heapBound)})`;
  }
}
