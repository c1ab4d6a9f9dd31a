/** Polling helper for tests (not a test file itself). */

/**
 * Resolves once `cond()` holds, checking every `everyMs`; throws naming `what` (a text, or a
 * function giving it then, to show the state at the end) if it still does not hold after `ms`.
 * The deadline only keeps a broken test from hanging: it is generous, never a measurement, so a
 * slow or loaded machine does not fail a correct test.
 */
export async function eventually(cond: () => boolean, what: string | (() => string) = 'condition', ms = 30_000, everyMs = 2): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${typeof what === 'function' ? what() : what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
