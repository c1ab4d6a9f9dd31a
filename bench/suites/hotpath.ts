/**
 * `npm run bench -- hotpath [--json] [--quick]`: the WASM kernels against their plain-TS
 * references, same run. Parts live in bench/hotpath/*.ts (one per kernel family).
 */
import type { Suite, SuiteResult } from '../lib.js';
import { run as enumerate } from '../hotpath/enumerate.js';
import { run as remap } from '../hotpath/remap.js';
import { run as statusReduce } from '../hotpath/status-reduce.js';
import { run as route } from '../hotpath/route.js';

const suite: Suite = async ({ quick }) => {
  const out: SuiteResult = { suite: 'hotpath', results: [], ratios: {}, notes: [] };
  for (const part of [enumerate, remap, statusReduce, route]) {
    const r = await part(quick);
    out.results.push(...r.results);
    Object.assign(out.ratios, r.ratios);
    out.notes!.push(...(r.notes ?? []));
  }
  return out;
};
export default suite;
