/** Test deadline helper (not a test file itself). */

/**
 * Settles as `p` does, or rejects if `p` does not settle within `ms`. The bound only keeps a broken
 * test from hanging: generous by default, never a measurement.
 */
export function within<T>(p: Promise<T>, ms = 30_000, what = 'operation'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
