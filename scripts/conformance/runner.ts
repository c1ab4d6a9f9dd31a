/**
 * Golden-vector runner for files in the format of `test/fixtures/conformance/hotpath.json`
 * (test/fixtures/conformance/README.md): `{about, encoding, ops, cases: [{op, input, expected, source, ...}]}`.
 *
 * Each `op` is dispatched to a handler registered in scripts/conformance/ops/*.ts. A handler takes
 * the case's `input` and returns a JSON-shaped value, or throws. Comparison rules:
 * - expected objects are partial (only listed keys are asserted), arrays are exact, recursively;
 * - `{"error": Name, "fields": {...}}`: the handler must throw a typed `ActormeshError` whose
 *   `variant` is Name (`"*"` = any typed error) and whose own properties match `fields`;
 * - `{"panic": true}`: Rust panics here; we must throw a typed `ActormeshError` instead;
 * - `rust_actual` is ignored: `expected` is the intended behaviour.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { ActormeshError } from '../../src/base/errors.js';

export type OpHandler = (input: any, kase: GoldenCase) => unknown;
export interface GoldenCase {
  op: string;
  input: any;
  expected: any;
  source?: string;
  note?: string;
  derived?: boolean;
  rust_actual?: unknown;
}
export interface Failure {
  index: number;
  op: string;
  source: string;
  expected: unknown;
  got: unknown;
  reason: string;
}
export interface ConformanceReport {
  passed: number;
  failed: number;
  failures: Failure[];
}

let registry: Map<string, OpHandler> | undefined;

/** Loads every handler module in ./ops and merges their `ops` tables. */
export async function loadOps(): Promise<Map<string, OpHandler>> {
  if (registry) return registry;
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'ops');
  const map = new Map<string, OpHandler>();
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.ts'))
    .sort()) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { ops: Record<string, OpHandler> };
    for (const [k, v] of Object.entries(mod.ops)) {
      if (map.has(k)) throw new Error(`conformance: op ${k} registered twice (${f})`);
      map.set(k, v);
    }
  }
  registry = map;
  return map;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Partial deep match: returns null on match, else a path + reason. */
export function match(expected: unknown, got: unknown, path = '$'): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(got)) return `${path}: expected an array`;
    if (got.length !== expected.length) return `${path}: expected length ${expected.length}, got ${got.length}`;
    for (let i = 0; i < expected.length; i++) {
      const r = match(expected[i], got[i], `${path}[${i}]`);
      if (r) return r;
    }
    return null;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(got)) return `${path}: expected an object`;
    for (const k of Object.keys(expected)) {
      if (k === 'error' && 'fields' in expected) continue;
      const r = match(expected[k], got[k], `${path}.${k}`);
      if (r) return r;
    }
    if ('error' in expected) {
      if (expected.error !== '*' && got.error !== expected.error) return `${path}: expected error ${String(expected.error)}, got ${String(got.error)}`;
    }
    return null;
  }
  if (typeof got === 'bigint') got = Number(got);
  if (expected === null) return got === null || got === undefined ? null : `${path}: expected null`;
  return Object.is(expected, got) || expected === got ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`;
}

/** JSON-shaped view of a thrown value, used both for matching and for failure lines. */
export function errorShape(e: unknown): Record<string, unknown> {
  if (e instanceof ActormeshError) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) {
      if (k === 'variant' || k === 'kind') continue;
      fields[k] = typeof v === 'bigint' ? Number(v) : v;
    }
    return { error: e.variant, kind: e.kind, typed: true, message: e.message, fields };
  }
  return { error: e instanceof Error ? e.name : typeof e, typed: false, message: e instanceof Error ? e.message : String(e) };
}

function isErrorExpectation(x: unknown): x is { error: string; fields?: Record<string, unknown> } {
  return isPlainObject(x) && typeof x.error === 'string' && Object.keys(x).every((k) => k === 'error' || k === 'fields');
}

function safeJson(x: unknown): string {
  try {
    return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
  } catch {
    return String(x);
  }
}

export async function runCases(cases: GoldenCase[]): Promise<ConformanceReport> {
  const ops = await loadOps();
  const failures: Failure[] = [];
  let passed = 0;
  cases.forEach((kase, index) => {
    const fail = (got: unknown, reason: string) => failures.push({ index, op: kase.op, source: kase.source ?? '?', expected: kase.expected, got, reason });
    const handler = ops.get(kase.op);
    if (!handler) return fail(undefined, `no handler for op ${kase.op}`);
    const exp = kase.expected;
    const wantsPanic = isPlainObject(exp) && exp.panic === true && Object.keys(exp).length === 1;
    const wantsError = isErrorExpectation(exp);
    let got: unknown;
    try {
      got = handler(kase.input, kase);
    } catch (e) {
      const shape = errorShape(e);
      if (!shape.typed) return fail(shape, 'threw an untyped error');
      if (wantsPanic) return void passed++;
      if (!wantsError) return fail(shape, 'threw where a value was expected');
      if (exp.error !== '*' && shape.error !== exp.error) return fail(shape, `wrong error variant`);
      const r = match(exp.fields ?? {}, shape.fields, '$.fields');
      if (r) return fail(shape, r);
      return void passed++;
    }
    if (wantsPanic || wantsError) return fail(got, 'returned a value where an error was expected');
    const r = match(exp, got);
    if (r) return fail(got, r);
    passed++;
  });
  return { passed, failed: failures.length, failures };
}

export async function runFile(file: string): Promise<ConformanceReport> {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { cases?: GoldenCase[] };
  if (!doc || !Array.isArray(doc.cases)) throw new Error(`${file}: not a golden file (no "cases" array)`);
  return runCases(doc.cases);
}

export function formatFailure(f: Failure): string {
  return `FAIL #${f.index} ${f.op} (${f.source}): ${f.reason}; expected ${safeJson(f.expected)} got ${safeJson(f.got)}`;
}
