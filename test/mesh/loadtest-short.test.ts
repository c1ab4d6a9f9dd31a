// A short run of `npm run loadtest -- mesh` (bench/loadtests/mesh.ts): 4 child procs × 4 actors,
// sustained casts + point-to-point traffic with sequence-checked payloads, one proc SIGKILLed
// halfway. Nothing may be lost or reordered on live actors and the owner must see the failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import run from '../../bench/loadtests/mesh.js';
import { MESSAGE_DELIVERY_TIMEOUT, config } from '../../src/core/config.js';

// Channel clients wait up to the delivery timeout for acks from the SIGKILLed proc before the
// process can exit (30 s by default); keep that short here.
config.override(MESSAGE_DELIVERY_TIMEOUT, 5000);

test('sustained mesh traffic loses nothing on live procs while one proc is SIGKILLed', async () => {
  const res = await run({ durationS: 3, args: ['--procs', '4', '--per-proc', '4'] });
  const text = res.lines.join('\n');
  assert.ok(res.ok, text);
  assert.match(text, /lost: 0; order\/gap errors: 0/);
  assert.match(text, /supervision events received by the owner: [1-9]/);
  assert.match(text, /its proc died/);
  assert.match(text, /fails fast: yes/);
});
