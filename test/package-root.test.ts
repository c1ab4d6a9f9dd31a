// Every class and function the package root exports carries its own name, in the sources and in
// the built bundle: no export is an alias of a same-named class from another module (the bundler
// would rename one of them, e.g. `ActorSpawnError2`, and error names and stacks would show it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import * as root from '../src/index.js';

function misnamed(mod: Record<string, unknown>): string[] {
  return Object.entries(mod)
    .filter(([k, v]) => typeof v === 'function' && /^[A-Z]/.test(k) && (v as { name: string }).name !== k)
    .map(([k, v]) => `${k} is named ${(v as { name: string }).name}`);
}

test('every class exported from the package root (sources) is named as it is exported', () => {
  assert.deepEqual(misnamed(root), []);
});

test('every class exported from the built bundle is named as it is exported', async (t) => {
  const bundle = resolve('dist/bundle/index.js');
  if (!existsSync(bundle)) {
    t.skip('dist/bundle is not built (npm test builds it first: `npm run build`)');
    return;
  }
  const mod = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
  assert.deepEqual(misnamed(mod), []);
  assert.deepEqual(Object.keys(mod).sort(), Object.keys(root).sort(), 'the bundle exports what the sources export');
});
