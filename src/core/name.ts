/**
 * Names of meshes, procs and actors (Monarch `v1::Name`) and their ShortUuid suffix.
 *
 * Invariants:
 * - a ShortUuid is a u64; its raw form is exactly 12 characters of the Flickr base58 alphabet,
 *   most significant first (58^12 > 2^64, so 12 always suffice; zero digits are '1'; since 58^11 > 2^64
 *   the first raw character is always '1', hence displays always carry the `_` prefix).
 * - a Name is `Suffixed(base, uuid)` displayed `base_<raw uuid>` or `Reserved(base)` displayed
 *   `base`; an empty base becomes `unnamed`. `Name.parse(n.toString())` equals `n` except for a
 *   reserved base that itself ends in `_` + 12 base58 characters (indistinguishable by syntax).
 */
import { randomFillSync } from 'node:crypto';
import { ActormeshError } from '../base/errors.js';

/** Flickr's base58 alphabet (no 0, O, I, l). */
export const FLICKR_BASE58 = '123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';

const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < FLICKR_BASE58.length; i++) DIGIT[FLICKR_BASE58.charCodeAt(i)] = i;

const U64_MAX = (1n << 64n) - 1n;
const TWO32 = 4294967296;

/** A ShortUuid or Name string was malformed. */
/** Variants of `NameParseError`. */
export type NameParseErrorVariant = 'Empty' | 'InvalidBase' | 'InvalidChar' | 'OutOfRange' | 'Overflow';

export class NameParseError extends ActormeshError<'NameParseError', NameParseErrorVariant> {
  readonly input: string;
  readonly expected: string;
  constructor(variant: NameParseErrorVariant, input: string, expected: string, detail: string) {
    super('NameParseError', variant, `invalid ${JSON.stringify(input)}: ${detail}; expected ${expected}`);
    this.input = input;
    this.expected = expected;
  }
}

// Random u64s drawn from a refilled pool (one syscall per 64 uuids).
const pool = new BigUint64Array(64);
let poolLeft = 0;
function randomU64(): bigint {
  if (poolLeft === 0) {
    randomFillSync(pool);
    poolLeft = pool.length;
  }
  return pool[--poolLeft]!;
}

function encodeRaw(v: bigint): string {
  let hi = Number(v >> 32n);
  let lo = Number(v & 0xffffffffn);
  const out = new Array<string>(12);
  for (let i = 11; i >= 0; i--) {
    // long division of (hi * 2^32 + lo) by 58, all intermediate values < 2^53
    const rh = hi % 58;
    hi = (hi - rh) / 58;
    const cur = rh * TWO32 + lo;
    const r = cur % 58;
    lo = (cur - r) / 58;
    out[i] = FLICKR_BASE58[r]!;
  }
  return out.join('');
}

/** A random u64 identifier rendered in Flickr base58. */
export class ShortUuid {
  readonly value: bigint;
  #rawText: string | undefined;
  constructor(value: bigint) {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
      throw new NameParseError('OutOfRange', String(value), 'a u64 bigint', 'not an unsigned 64-bit integer');
    }
    this.value = value;
  }
  /** A fresh random ShortUuid. */
  static generate(): ShortUuid {
    return new ShortUuid(randomU64());
  }
  /**
   * Parses base58 text, ignoring `_` and `-`. Throws `NameParseError` on an empty string, a
   * character outside the alphabet or a value above 2^64-1.
   */
  static parse(text: string): ShortUuid {
    let v = 0n;
    let digits = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 95 /* _ */ || c === 45 /* - */) continue;
      const d = c < 128 ? DIGIT[c]! : -1;
      if (d < 0) {
        throw new NameParseError(
          'InvalidChar',
          text,
          `Flickr base58 characters (${FLICKR_BASE58})`,
          `character ${JSON.stringify(text[i])} at offset ${i} is not base58`,
        );
      }
      v = v * 58n + BigInt(d);
      digits++;
      if (v > U64_MAX) throw new NameParseError('Overflow', text, 'a base58 value at most 2^64-1 (12 characters)', 'value exceeds u64');
    }
    if (digits === 0) throw new NameParseError('Empty', text, 'at least one base58 character', 'no digits');
    return new ShortUuid(v);
  }
  /** Exactly 12 base58 characters, most significant first (the form used inside Names). */
  get raw(): string {
    return (this.#rawText ??= encodeRaw(this.value));
  }
  /** Display form: the raw form, prefixed with `_` when it starts with a digit. */
  toString(): string {
    const r = this.raw;
    const c = r.charCodeAt(0);
    return c >= 48 && c <= 57 ? `_${r}` : r;
  }
  toJSON(): string {
    return this.raw;
  }
  equals(other: unknown): boolean {
    return other instanceof ShortUuid && other.value === this.value;
  }
}

function isRawUuid(text: string): boolean {
  if (text.length !== 12) return false;
  for (let i = 0; i < 12; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || DIGIT[c]! < 0) return false;
  }
  return true;
}

function decodeRaw(text: string): bigint {
  let v = 0n;
  for (let i = 0; i < text.length; i++) v = v * 58n + BigInt(DIGIT[text.charCodeAt(i)]!);
  return v;
}

/** A mesh/proc/actor name: `Suffixed(base, uuid)` (unique) or `Reserved(base)` (well-known). */
export class Name {
  readonly kind: 'suffixed' | 'reserved';
  readonly base: string;
  /** Present iff `kind === 'suffixed'`. */
  readonly uuid: ShortUuid | undefined;
  #text: string | undefined;
  private constructor(kind: 'suffixed' | 'reserved', base: string, uuid: ShortUuid | undefined) {
    if (typeof base !== 'string') throw new NameParseError('InvalidBase', String(base), 'a string base name', `got ${typeof base}`);
    this.kind = kind;
    this.base = base.length === 0 ? 'unnamed' : base;
    this.uuid = uuid;
  }
  /** A unique name `base_<uuid>` (user meshes, comm actors). */
  static new(base: string): Name {
    return new Name('suffixed', base, ShortUuid.generate());
  }
  /** A well-known name `base` (agents, services). */
  static reserved(base: string): Name {
    return new Name('reserved', base, undefined);
  }
  /** A suffixed name with a given uuid. */
  static suffixed(base: string, uuid: ShortUuid): Name {
    return new Name('suffixed', base, uuid);
  }
  /**
   * Parses a displayed name, splitting on the last `_`: when what follows is a 12-character
   * base58 ShortUuid the name is suffixed, otherwise (or with no `_`) it is reserved.
   */
  static parse(text: string): Name {
    if (typeof text !== 'string') throw new NameParseError('InvalidBase', String(text), 'a name string', `got ${typeof text}`);
    const i = text.lastIndexOf('_');
    if (i >= 0) {
      const suffix = text.slice(i + 1);
      if (isRawUuid(suffix)) {
        const v = decodeRaw(suffix);
        if (v <= U64_MAX) return new Name('suffixed', text.slice(0, i), new ShortUuid(v));
      }
    }
    return new Name('reserved', text, undefined);
  }
  toString(): string {
    return (this.#text ??= this.uuid ? `${this.base}_${this.uuid.raw}` : this.base);
  }
  toJSON(): string {
    return this.toString();
  }
  equals(other: unknown): boolean {
    return (
      other instanceof Name &&
      other.kind === this.kind &&
      other.base === this.base &&
      (this.uuid === undefined ? other.uuid === undefined : this.uuid.equals(other.uuid))
    );
  }
}
