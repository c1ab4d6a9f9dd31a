/** Test deadline helper (not a test file itself). */

/** Settles as `p` does, or rejects if `p` does not settle within `ms` (tests must never hang). */
export function within<T>(p: Promise<T>, ms = 2000, what = 'operation'): Promise<T> {
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
