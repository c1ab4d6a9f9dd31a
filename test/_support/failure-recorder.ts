// Records the supervision failures a mesh's `onSupervise` receives, with when each arrived, and
// waits (bounded) for the first one. Shared by the tests of supervision; not a test file.
import type { MeshFailure } from '../../src/index.js';

export interface RecordedFailure {
  readonly at: number;
  readonly f: MeshFailure;
}

export function failureRecorder() {
  const failures: RecordedFailure[] = [];
  let wake: (() => void) | undefined;
  return {
    failures,
    /** The failures so far, in arrival order. */
    seen: (): MeshFailure[] => failures.map((r) => r.f),
    /** Pass as the spawn's `onSupervise`: records the failure and marks it handled. */
    onSupervise: (f: MeshFailure) => {
      failures.push({ at: Date.now(), f });
      wake?.();
      return true;
    },
    /** The first failure and when it arrived, or a rejection naming the bound. */
    first: (ms = 5000) =>
      new Promise<RecordedFailure>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no supervision event within ${ms} ms`)), ms);
        const check = () => {
          if (failures.length > 0) {
            clearTimeout(t);
            resolve(failures[0]!);
          } else wake = check;
        };
        check();
      }),
  };
}
