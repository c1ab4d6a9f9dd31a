// A program that never calls `thisHost().shutdown()` exits by itself once it has nothing left to
// do, like a Monarch script, and its worker processes do not outlive it.
// Pins docs/architecture.md API-3 (a done program exits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExitsByItself } from './_exit-script.js';

test('a script that returns without shutdown() exits with code 0 and its workers are gone', { timeout: 90_000 }, async () => {
  await checkExitsByItself([]);
});

test('a script whose worker was SIGKILLed still exits by itself without shutdown()', { timeout: 90_000 }, async () => {
  await checkExitsByItself(['kill-one']);
});

test('a script awaiting a message from an actor on a port, with no timeout, is not shut down while it waits', { timeout: 90_000 }, async () => {
  const r = await checkExitsByItself(['await-port']);
  assert.match(r.stdout, /^port: pong after 1500$/m);
});
