// A program that never calls `thisHost().shutdown()` exits by itself once it has nothing left to
// do, like a Monarch script, and its worker processes do not outlive it.
import { test } from 'node:test';
import { checkExitsByItself } from './_exit-script.js';

test('a script that returns without shutdown() exits with code 0 and its workers are gone', { timeout: 90_000 }, async () => {
  await checkExitsByItself([]);
});

test('a script whose worker was SIGKILLed still exits by itself without shutdown()', { timeout: 90_000 }, async () => {
  await checkExitsByItself(['kill-one']);
});
