/**
 * Status of one rank's resource (proc or actor) (Monarch hyperactor_mesh/src/resource.rs `Status`).
 *
 * Invariants: a `Status` is immutable; the five payload-free variants are singletons
 * (`Status.Running === Status.Running`), so `===` works for them while `equals` works for all.
 * `code` is the declaration order (0 = NotExist … 6 = Timeout), which is also the first key of the
 * derived total order. The order is never used to reduce statuses: merging is last-writer-wins.
 */
import { InvalidStatus } from './errors.js';

/** Rust `std::time::Duration`: whole seconds plus nanoseconds `< 1e9`. */
export interface Duration {
  readonly secs: number;
  readonly nanos: number;
}

export type StatusKind = 'NotExist' | 'Initializing' | 'Running' | 'Stopping' | 'Stopped' | 'Failed' | 'Timeout';

const KINDS: readonly StatusKind[] = ['NotExist', 'Initializing', 'Running', 'Stopping', 'Stopped', 'Failed', 'Timeout'];

/** Declaration-order codes of the variants; payload-free ones double as interned status codes. */
export const StatusCode = {
  NotExist: 0,
  Initializing: 1,
  Running: 2,
  Stopping: 3,
  Stopped: 4,
  Failed: 5,
  Timeout: 6,
} as const;

/** A Duration from milliseconds (non-negative, finite; fractions kept to the nanosecond). */
export function durationFromMs(ms: number): Duration {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidStatus(ms, 'a timeout must be a finite, non-negative number of milliseconds');
  }
  const totalNs = Math.round(ms * 1e6);
  const secs = Math.floor(totalNs / 1e9);
  return { secs, nanos: totalNs - secs * 1e9 };
}

export function durationToMs(d: Duration): number {
  return d.secs * 1000 + d.nanos / 1e6;
}

function fmtDecimal(int: number, frac: number, fracDigits: number, unit: string): string {
  if (frac === 0) return `${int}${unit}`;
  const digits = String(frac).padStart(fracDigits, '0').replace(/0+$/, '');
  return `${int}.${digits}${unit}`;
}

/**
 * Rust's `Debug` for Duration without a precision: the largest unit among s/ms/µs/ns in which the
 * integer part is non-zero, then every non-zero fractional digit (`1.5s`, `30s`, `50ms`, `0ns`).
 */
export function formatDurationDebug(d: Duration): string {
  if (d.secs > 0) return fmtDecimal(d.secs, d.nanos, 9, 's');
  if (d.nanos >= 1e6) return fmtDecimal(Math.floor(d.nanos / 1e6), d.nanos % 1e6, 6, 'ms');
  if (d.nanos >= 1e3) return fmtDecimal(Math.floor(d.nanos / 1e3), d.nanos % 1e3, 3, 'µs');
  return `${d.nanos}ns`;
}

/** Rust `String` order: byte-wise UTF-8, i.e. by code point (JS `<` compares UTF-16 units). */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const surX = x >= 0xd800 && x <= 0xdfff;
    const surY = y >= 0xd800 && y <= 0xdfff;
    if (surX !== surY) return surX ? 1 : -1; // a surrogate pair encodes a code point above U+FFFF
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export class Status {
  /** Declaration order of the variant (see `StatusCode`). */
  readonly code: number;
  readonly kind: StatusKind;
  /** `Failed(message)` payload; undefined for other variants. */
  readonly message: string | undefined;
  /** `Timeout(duration)` payload; undefined for other variants. */
  readonly duration: Duration | undefined;
  /** A string that is equal for two statuses exactly when they are `equals` (for hashing). */
  readonly key: string;

  private constructor(code: number, message?: string, duration?: Duration) {
    this.code = code;
    this.kind = KINDS[code]!;
    this.message = message;
    this.duration = duration ? Object.freeze({ secs: duration.secs, nanos: duration.nanos }) : undefined;
    this.key = code === StatusCode.Failed ? `F:${message}` : code === StatusCode.Timeout ? `T:${duration!.secs}:${duration!.nanos}` : this.kind;
    Object.freeze(this);
  }

  static readonly NotExist = new Status(StatusCode.NotExist);
  static readonly Initializing = new Status(StatusCode.Initializing);
  static readonly Running = new Status(StatusCode.Running);
  static readonly Stopping = new Status(StatusCode.Stopping);
  static readonly Stopped = new Status(StatusCode.Stopped);

  static failed(message: string): Status {
    if (typeof message !== 'string') throw new InvalidStatus({ Failed: message }, 'a Failed message must be a string');
    return new Status(StatusCode.Failed, message);
  }

  /** `Timeout(d)`: `d` in milliseconds or as a Rust `{secs, nanos}` Duration. */
  static timeout(d: number | Duration): Status {
    if (typeof d === 'number') return new Status(StatusCode.Timeout, undefined, durationFromMs(d));
    const ok = d !== null && typeof d === 'object' && Number.isSafeInteger(d.secs) && d.secs >= 0 && Number.isInteger(d.nanos) && d.nanos >= 0 && d.nanos < 1e9;
    if (!ok) throw new InvalidStatus({ Timeout: d }, 'a Timeout duration needs integer secs >= 0 and 0 <= nanos < 1e9');
    return new Status(StatusCode.Timeout, undefined, d);
  }

  /** The payload-free status with this code (0..4). */
  static ofCode(code: number): Status {
    const s = SIMPLE[code];
    if (!s) throw new InvalidStatus(code, 'only codes 0..4 name payload-free statuses');
    return s;
  }

  /** Stopping | Stopped | Failed | Timeout. */
  isTerminating(): boolean {
    return this.code >= StatusCode.Stopping;
  }
  /** Failed | Timeout. */
  isFailure(): boolean {
    return this.code >= StatusCode.Failed;
  }
  /** Initializing | Running. */
  isHealthy(): boolean {
    return this.code === StatusCode.Initializing || this.code === StatusCode.Running;
  }
  isNotExist(): boolean {
    return this.code === StatusCode.NotExist;
  }

  equals(other: Status): boolean {
    return this === other || (other instanceof Status && this.key === other.key);
  }

  /** Derived Rust order: variant declaration order, then payload (string by code point, duration). */
  compare(other: Status): -1 | 0 | 1 {
    if (this.code !== other.code) return this.code < other.code ? -1 : 1;
    if (this.code === StatusCode.Failed) return compareStrings(this.message!, other.message!) as -1 | 0 | 1;
    if (this.code === StatusCode.Timeout) {
      const a = this.duration!;
      const b = other.duration!;
      if (a.secs !== b.secs) return a.secs < b.secs ? -1 : 1;
      if (a.nanos !== b.nanos) return a.nanos < b.nanos ? -1 : 1;
    }
    return 0;
  }

  /** Rust Display: the variant name, `Failed(msg)`, `Timeout(<Duration Debug>)`. */
  toString(): string {
    if (this.code === StatusCode.Failed) return `Failed(${this.message})`;
    if (this.code === StatusCode.Timeout) return `Timeout(${formatDurationDebug(this.duration!)})`;
    return this.kind;
  }

  /** Serde encoding: `"Running"`, `{"Failed": msg}`, `{"Timeout": {secs, nanos}}`. */
  toJSON(): StatusJson {
    if (this.code === StatusCode.Failed) return { Failed: this.message! };
    if (this.code === StatusCode.Timeout) return { Timeout: { secs: this.duration!.secs, nanos: this.duration!.nanos } };
    return this.kind as SimpleStatusName;
  }

  static fromJSON(x: unknown): Status {
    if (x instanceof Status) return x;
    if (typeof x === 'string') {
      const code = KINDS.indexOf(x as StatusKind);
      if (code < 0 || code > StatusCode.Stopped) throw new InvalidStatus(x, `unknown payload-free variant "${x}"`);
      return SIMPLE[code]!;
    }
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      const keys = Object.keys(x);
      if (keys.length === 1 && keys[0] === 'Failed') return Status.failed((x as { Failed: string }).Failed);
      if (keys.length === 1 && keys[0] === 'Timeout') return Status.timeout((x as { Timeout: Duration }).Timeout);
    }
    throw new InvalidStatus(x, 'not a status encoding');
  }
}

const SIMPLE: readonly Status[] = [Status.NotExist, Status.Initializing, Status.Running, Status.Stopping, Status.Stopped];

export type SimpleStatusName = 'NotExist' | 'Initializing' | 'Running' | 'Stopping' | 'Stopped';
export type StatusJson = SimpleStatusName | { Failed: string } | { Timeout: { secs: number; nanos: number } };
