/**
 * Typed configuration attributes: a key declares its name, Monarch env var, default, and a
 * parser/formatter pair between its value and text (env vars, files, snapshots).
 *
 * Invariant: for every key and every value `v` it can hold, `key.parse(key.format(v))` equals
 * `v`; snapshots and env vars therefore carry values as text without loss.
 */
import { ActormeshError } from '../base/errors.js';

/** A configuration value (or env var / snapshot entry) was invalid, or a key unknown. */
/** Variants of `ConfigError`. */
export type ConfigErrorVariant = 'InvalidValue' | 'UnknownKey' | 'DuplicateKey' | 'InvalidFile' | 'InvalidLayer' | 'InvalidSnapshot';

export class ConfigError extends ActormeshError<'ConfigError', ConfigErrorVariant> {
  /** The key's name (e.g. `MESSAGE_TTL_DEFAULT`), when known. */
  readonly key: string | undefined;
  /** The env var the value came from, if it came from the environment. */
  readonly envVar: string | undefined;
  readonly value: string | undefined;
  readonly expected: string;
  constructor(variant: ConfigErrorVariant, info: { key?: string; envVar?: string; value?: string; expected: string; detail?: string }) {
    const where = info.envVar ? `environment variable ${info.envVar}` : info.key ? `config key ${info.key}` : 'config';
    const got = info.value !== undefined ? ` has invalid value ${JSON.stringify(info.value)}` : '';
    super('ConfigError', variant, `${where}${got}${info.detail ? ` (${info.detail})` : ''}: expected ${info.expected}`);
    this.key = info.key;
    this.envVar = info.envVar;
    this.value = info.value;
    this.expected = info.expected;
  }
}

/**
 * Thrown by value parsers (`key.parse(text)`, variant `InvalidValue`, naming no key); `Config`
 * rethrows it as a `ConfigError` naming key, env var and value.
 */
export class AttrValueError extends ConfigError {
  readonly detail: string | undefined;
  constructor(expected: string, detail?: string) {
    super('InvalidValue', { expected, ...(detail !== undefined ? { detail } : {}) });
    this.detail = detail;
  }
}

/** A typed configuration key. `T` must be representable as text by `format`/`parse`. */
export interface ConfigKey<T> {
  /** Monarch's attribute name, e.g. `MESSAGE_TTL_DEFAULT`. */
  readonly name: string;
  /** Environment variable read at init, e.g. `HYPERACTOR_MESSAGE_TTL_DEFAULT`, if any. */
  readonly envVar: string | undefined;
  readonly default: T;
  /** Human description of accepted text, used in errors. */
  readonly expected: string;
  readonly doc: string;
  parse(text: string): T;
  format(value: T): string;
}

export interface KeyType<T> {
  expected: string;
  parse(text: string): T;
  format(value: T): string;
}

/** Declares a key. */
export function declareKey<T>(name: string, envVar: string | undefined, type: KeyType<T>, defaultValue: T, doc: string): ConfigKey<T> {
  return Object.freeze({
    name,
    envVar,
    default: defaultValue,
    expected: type.expected,
    doc,
    parse: type.parse,
    format: type.format,
  });
}

// ---------------------------------------------------------------------------------------------
// Humantime durations (Rust `humantime`): `30s`, `500ms`, `1m 30s`, `1h30m`, `2days`.
// Values are milliseconds (fractional below 1 ms).

const UNIT_MS: Record<string, number> = {
  nsec: 1e-6,
  ns: 1e-6,
  usec: 1e-3,
  us: 1e-3,
  µs: 1e-3,
  msec: 1,
  ms: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
  seconds: 1000,
  second: 1000,
  sec: 1000,
  secs: 1000,
  s: 1000,
  minutes: 60_000,
  minute: 60_000,
  min: 60_000,
  mins: 60_000,
  m: 60_000,
  hours: 3_600_000,
  hour: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  h: 3_600_000,
  days: 86_400_000,
  day: 86_400_000,
  d: 86_400_000,
  weeks: 604_800_000,
  week: 604_800_000,
  w: 604_800_000,
};

const DURATION_EXPECTED = 'a duration like 30s, 500ms, 1m 30s, 2h (units ns us ms s m h d w)';

/** Parses a humantime duration into milliseconds. Throws `AttrValueError`. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (s.length === 0) throw new AttrValueError(DURATION_EXPECTED, 'empty');
  const re = /(\d+)\s*([a-zµ]+)\s*/gy;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new AttrValueError(DURATION_EXPECTED, `cannot read ${JSON.stringify(s.slice(pos))}`);
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) throw new AttrValueError(DURATION_EXPECTED, `unknown unit ${JSON.stringify(m[2])}`);
    total += Number(m[1]) * unit;
    pos = re.lastIndex;
  }
  return total;
}

/** Formats milliseconds as a humantime duration (`1m 30s`, `500ms`, `0s`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new AttrValueError('a finite non-negative duration in ms', String(ms));
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const parts: string[] = [];
  const units: Array<[string, number]> = [
    ['d', 86_400e9],
    ['h', 3_600e9],
    ['m', 60e9],
    ['s', 1e9],
    ['ms', 1e6],
    ['us', 1e3],
    ['ns', 1],
  ];
  for (const [u, size] of units) {
    if (ns >= size) {
      const q = Math.floor(ns / size);
      ns -= q * size;
      parts.push(`${q}${u}`);
    }
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Key types.

/** A duration in milliseconds, humantime text. */
export const durationType: KeyType<number> = {
  expected: DURATION_EXPECTED,
  parse: parseDuration,
  format: formatDuration,
};

/** An unsigned integer within [min, max]. */
export function uintType(min = 0, max = Number.MAX_SAFE_INTEGER): KeyType<number> {
  const expected = `an integer between ${min} and ${max}`;
  return {
    expected,
    parse(text) {
      const t = text.trim();
      if (!/^\d+$/.test(t)) throw new AttrValueError(expected);
      const n = Number(t);
      if (!Number.isSafeInteger(n) || n < min || n > max) throw new AttrValueError(expected, 'out of range');
      return n;
    },
    format: (v) => String(v),
  };
}

/** An unsigned integer, or `unlimited` (Infinity). */
const UNLIMITED_EXPECTED = 'a non-negative integer or "unlimited"';
export const uintOrUnlimitedType: KeyType<number> = {
  expected: UNLIMITED_EXPECTED,
  parse(text) {
    const t = text.trim();
    if (t === 'unlimited') return Infinity;
    if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) throw new AttrValueError(UNLIMITED_EXPECTED);
    return Number(t);
  },
  format: (v) => (v === Infinity ? 'unlimited' : String(v)),
};

/** A finite number in [min, max]. */
export function floatType(min: number, max: number): KeyType<number> {
  const expected = `a number between ${min} and ${max}`;
  return {
    expected,
    parse(text) {
      const t = text.trim();
      const n = Number(t);
      if (t === '' || !Number.isFinite(n) || n < min || n > max) throw new AttrValueError(expected);
      return n;
    },
    format: (v) => String(v),
  };
}

/** `true`/`false` (also `1`/`0`, any case). */
const BOOL_EXPECTED = 'true or false (or 1/0)';
export const boolType: KeyType<boolean> = {
  expected: BOOL_EXPECTED,
  parse(text) {
    const t = text.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    throw new AttrValueError(BOOL_EXPECTED);
  },
  format: (v) => String(v),
};

/** One of a fixed set of strings. */
export function enumType<const V extends string>(values: readonly V[]): KeyType<V> {
  const expected = `one of ${values.join(', ')}`;
  return {
    expected,
    parse(text) {
      const t = text.trim() as V;
      if (!values.includes(t)) throw new AttrValueError(expected);
      return t;
    },
    format: (v) => v,
  };
}

/** Any string; unset (`undefined`) by default. Empty text means unset. */
export const optionalStringType: KeyType<string | undefined> = {
  expected: 'any text',
  parse: (text) => (text.length === 0 ? undefined : text),
  format: (v) => v ?? '',
};

/** A half-open port range `a..b` (a < b ≤ 65536), or unset. */
export interface PortRange {
  start: number;
  end: number;
}
const RANGE_EXPECTED = 'a port range a..b with 0 <= a < b <= 65536';
export const optionalPortRangeType: KeyType<PortRange | undefined> = {
  expected: RANGE_EXPECTED,
  parse(text) {
    const t = text.trim();
    if (t.length === 0) return undefined;
    const m = /^(\d+)\.\.(\d+)$/.exec(t);
    if (!m) throw new AttrValueError(RANGE_EXPECTED);
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (!(start < end) || end > 65536) throw new AttrValueError(RANGE_EXPECTED, 'empty or out of range');
    return { start, end };
  },
  format: (v) => (v ? `${v.start}..${v.end}` : ''),
};
