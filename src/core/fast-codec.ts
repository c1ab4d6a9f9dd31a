/**
 * Fast path of the payload codec for small, flat messages: a plain object with a few identifier
 * keys whose values are `undefined`, `null`, booleans, numbers, short strings, small arrays of
 * those, or instances of registered codec classes (ports, ids, …). This is the shape of almost
 * every actor message (`{type: 'inc', by: 1}`, `{type: 'get', reply: OncePortRef}`).
 *
 * Format (self-contained: no state is shared between encoder and decoder):
 *   0xc1 0xc1 | n:u8 (1..32) | n × (len:u8, ASCII key) | n values      (a flat object)
 *   0xc1 0xc1 | 0x00 | value                                            (any other fast value)
 *   value := 0x00 undefined | 0x01 null | 0x02 false | 0x03 true
 *          | 0x0b int8 | 0x04 int32 LE | 0x0c float32 LE (exact) | 0x05 float64 LE
 *          | 0x06 len:u8 UTF-8 | 0x07 len:u32 LE UTF-8           (strings)
 *          | 0x08 n:u8 n × value                                    (array)
 *          | 0x09 tag:string value                                  (registered class, inline:
 *            its tag, then toValue(obj))
 *          | 0x0a slot:u32 LE                                       (registered bindable class,
 *            extracted into the bindings by encodeMessage)
 *          | 0x0d len:u32 LE bytes                                  (a plain `Uint8Array`)
 *          | 0x0e kind:u8 fields                                    (a runtime class with a fixed
 *            layout, see `registerLayout`: kind 1 `OncePortRef`, 2 `ActorRef`; fields are
 *            actor ids (0x06 len:u8 ASCII key), u32 LE, strings (0x06/0x07 as above), bytes 0/1)
 * MessagePack never starts a value with 0xc1 and record-mode payloads (0xc1 + MessagePack) never
 * continue with a second 0xc1, so `decode` tells the three formats apart by the first two bytes.
 *
 * Invariants:
 * - `tryEncode` either writes a complete message or returns undefined having changed nothing
 *   visible (bindings it pushed are truncated again); the caller then uses MessagePack. It
 *   accepts exactly values the MessagePack path round-trips the same way
 *   (docs/architecture.md CORE-1): `-0` is written as the
 *   integer 0 (as MessagePack does), strings must be well-formed UTF-16 (MessagePack mangles lone
 *   surrogates; those messages fall back), keys are ASCII identifiers other than `__proto__`.
 * - Registered classes are matched by exact constructor; subclasses fall back (MessagePack
 *   matches them with `instanceof`).
 * - Output is a view of a shared slab (core/slab.ts) that is only ever appended to, never
 *   rewritten, so earlier results stay valid; a new slab is taken when the current one has less
 *   than MAX_MESSAGE bytes left.
 * - Shape caches are bounded (cleared when full): any number of distinct shapes is correct.
 * - Fixed layouts (0x0e) exist only for the runtime's own classes, under kind numbers fixed in
 *   this file (a kind is not a registration-order artefact, so any process reads them); a writer
 *   that cannot express a value returns false and the value goes through the generic forms.
 * - A key list whose values keep failing the fast path (e.g. always nested) skips it for a while:
 *   only speed depends on this, never the bytes' meaning (both formats decode everywhere).
 */

import { markAsUntransferable } from 'node:worker_threads';
import { type ActorId, parseActorId } from './ids.js';
import { BindingError } from './codec-errors.js';
import { Slab } from './slab.js';

/** How the fast path reaches the class registry of codec.ts. */
export interface ShapeClassHooks {
  /**
   * For an instance of a registered class (exact class): collects it as a binding and returns
   * its slot number with `tag` set to undefined, or returns `toValue(obj)` with `tag` set to the
   * class tag. Returns NOT_REGISTERED for anything else.
   */
  writeClass(obj: object): unknown;
  /** Set by `writeClass`. */
  tag: string | undefined;
  /** Rebuilds an inline instance (throws DeserializationError for an unknown tag). */
  readClass(tag: string, value: unknown): unknown;
  /** Rebuilds a bound instance from binding `slot` (throws DeserializationError). */
  readSlot(slot: number): unknown;
}

/** `writeClass`'s answer for a value that is not an instance of a registered class. */
export const NOT_REGISTERED: unique symbol = Symbol('not registered');

export const SHAPE_MARK = 0xc1;

const MAX_KEYS = 32;
const MAX_KEY_LEN = 64;
const MAX_ARRAY = 64;
const MAX_DEPTH = 4;
/** Longer strings go through MessagePack (the fast path is for small messages). */
const MAX_STRING = 1024;
const SLAB_SIZE = 64 * 1024;
/** A message never grows beyond this on the fast path (checked as it is written). */
const MAX_MESSAGE = 16 * 1024;
const CACHE_LIMIT = 512;

const T_UNDEF = 0,
  T_NULL = 1,
  T_FALSE = 2,
  T_TRUE = 3,
  T_INT = 4,
  T_F64 = 5,
  T_STR8 = 6,
  T_STR32 = 7,
  T_ARRAY = 8,
  T_CLASS = 9,
  T_SLOT = 10,
  T_INT8 = 11,
  T_F32 = 12,
  T_BYTES = 13,
  T_LAYOUT = 14;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32b = new Uint8Array(f32.buffer);
const textEncoder = new TextEncoder();
/** `String.prototype.isWellFormed` (Node 20; not in this project's TS lib). */
type WellFormedCheck = string & { isWellFormed(): boolean };

// ---------------------------------------------------------------------------------------------
// Encoder.

interface EncShape {
  readonly keys: readonly string[];
  /** 0xc1 0xc1 n keys… */
  readonly header: Uint8Array;
  /** False when a key is not an ASCII identifier (such objects always use MessagePack). */
  readonly usable: boolean;
  /** Fallbacks in a row for this key list (its values do not fit), and messages left to skip. */
  bails: number;
  skip: number;
}

/** After this many fallbacks in a row, a key list skips the fast path for SKIP_AFTER_BAILS messages. */
const BAILS_BEFORE_SKIP = 16;
const SKIP_AFTER_BAILS = 256;

const encShapes = new Map<string, EncShape>();
let lastEnc: EncShape | undefined;

const NO_HEADER = new Uint8Array(0);

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The (cached) shape of a key list; unusable (never fast) if a key is not an ASCII identifier. */
function shapeFor(keys: string[]): EncShape {
  const id = keys.join(',');
  let s = encShapes.get(id);
  if (s !== undefined && sameKeys(s.keys, keys)) return s; // (invalid keys may contain ',')
  if (encShapes.size >= CACHE_LIMIT) encShapes.clear();
  let len = 3;
  for (const k of keys) {
    if (k.length > MAX_KEY_LEN || k === '__proto__' || !IDENT.test(k)) {
      s = { keys, header: NO_HEADER, usable: false, bails: 0, skip: 0 };
      encShapes.set(id, s);
      return s;
    }
    len += 1 + k.length;
  }
  const header = new Uint8Array(len);
  header[0] = SHAPE_MARK;
  header[1] = SHAPE_MARK;
  header[2] = keys.length;
  let p = 3;
  for (const k of keys) {
    header[p++] = k.length;
    for (let i = 0; i < k.length; i++) header[p++] = k.charCodeAt(i);
  }
  s = { keys, header, usable: true, bails: 0, skip: 0 };
  encShapes.set(id, s);
  return s;
}

/**
 * The encoder's slab: a message is written at its end (with room for MAX_MESSAGE bytes) and kept
 * (`pos` committed) only when the fast path succeeds. The writers use the module-level copies
 * below of its bytes and position while a message is written.
 */
const encSlab = new Slab(SLAB_SIZE);
let slab = encSlab.bytes;
/** `slab.buffer`, kept: the getter is a C++ call in V8. */
let slabBuffer = encSlab.buffer;
let pos = 0;
/** End of the writable region of the message being written (pos never passes it). */
let limit = 0;
let hooks: ShapeClassHooks | undefined;
let busy = false;

// The writers return false to abandon the fast path (never throw for that: a throw per
// fallback message costs more than the whole MessagePack encode).

function writeString(s: string): boolean {
  const n = s.length;
  if (n > MAX_STRING || pos + n * 3 + 5 > limit) return false;
  const start = pos;
  // ASCII fast path, with a one-byte length.
  if (n < 256) {
    let p = start + 2;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      slab[p++] = c;
    }
    if (i === n) {
      slab[start] = T_STR8;
      slab[start + 1] = n;
      pos = p;
      return true;
    }
  }
  if (!(s as WellFormedCheck).isWellFormed()) return false;
  const { written } = textEncoder.encodeInto(s, slab.subarray(start + 5, start + 5 + n * 3));
  if (written < 256) {
    slab[start] = T_STR8;
    slab[start + 1] = written;
    slab.copyWithin(start + 2, start + 5, start + 5 + written);
    pos = start + 2 + written;
  } else {
    slab[start] = T_STR32;
    slab[start + 1] = written & 0xff;
    slab[start + 2] = (written >>> 8) & 0xff;
    slab[start + 3] = (written >>> 16) & 0xff;
    slab[start + 4] = written >>> 24;
    pos = start + 5 + written;
  }
  return true;
}

function writeU32(tag: number, v: number): boolean {
  if (pos + 5 > limit) return false;
  slab[pos] = tag;
  slab[pos + 1] = v & 0xff;
  slab[pos + 2] = (v >>> 8) & 0xff;
  slab[pos + 3] = (v >>> 16) & 0xff;
  slab[pos + 4] = v >>> 24;
  pos += 5;
  return true;
}

function writeByte(b: number): boolean {
  if (pos + 1 > limit) return false;
  slab[pos++] = b;
  return true;
}

/** A plain `Uint8Array` (not a Buffer or other subclass: MessagePack decodes those differently). */
function writeBytes(v: Uint8Array): boolean {
  const n = v.length;
  if (pos + 5 + n > limit) return false;
  writeU32(T_BYTES, n);
  if (n <= 16) for (let i = 0; i < n; i++) slab[pos + i] = v[i]!;
  else slab.set(v, pos);
  pos += n;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Fixed layouts for the runtime's own classes (value tag 0x0e).

/** Kind numbers of the fixed layouts (part of the format: never renumber). */
export const LAYOUT_KIND = { OncePortRef: 1, ActorRef: 2 } as const;

/** Writes the fields of a fixed layout; each returns false if the value does not fit. */
export interface LayoutWriter {
  actorId(a: ActorId): boolean;
  u32(n: number): boolean;
  str(s: string): boolean;
  bool(b: boolean): boolean;
}
/** Reads them back in the same order; throws (malformed) on bytes that do not match. */
export interface LayoutReader {
  actorId(): ActorId;
  u32(): number;
  str(): string;
  bool(): boolean;
}

interface Layout {
  readonly kind: number;
  readonly ctor: unknown;
  write(obj: never, w: LayoutWriter): boolean;
  read(r: LayoutReader): unknown;
}
const layoutsByKind: (Layout | undefined)[] = [];
/** Layouts by exact constructor, checked in order (a handful). */
let layouts: Layout[] = [];

/**
 * Gives the runtime class `ctor` (exact class, not subclasses) the fixed layout `kind`
 * (`LAYOUT_KIND`). `write` must write every field or return false (the encoder then takes the
 * generic path for this value); `read` must read exactly what `write` wrote.
 */
export function registerLayout<T>(
  kind: number,
  ctor: abstract new (...args: never[]) => T,
  write: (obj: T, w: LayoutWriter) => boolean,
  read: (r: LayoutReader) => T,
): void {
  if (!Number.isInteger(kind) || kind < 1 || kind > 255) throw new BindingError('InvalidLayoutKind', `layout kind must be 1..255, got ${kind}`);
  if (layoutsByKind[kind] !== undefined) throw new BindingError('DuplicateLayoutKind', `layout kind ${kind} is already registered`);
  const l: Layout = { kind, ctor, write: write as Layout['write'], read };
  layoutsByKind[kind] = l;
  layouts = [...layouts, l];
}

/**
 * Actor ids are written as their ASCII key; the bytes of the last one written are kept, so a
 * repeated id (the common case: reply ports of one asker) is a copy, not a string walk.
 */
let wActor: ActorId | undefined;
let wActorBytes: Uint8Array = new Uint8Array(0);

function writeActorId(a: ActorId): boolean {
  let b = wActorBytes;
  if (a !== wActor) {
    const k = a.key;
    const n = k.length;
    if (n > 255) return false;
    b = new Uint8Array(n + 2);
    b[0] = T_STR8;
    b[1] = n;
    for (let i = 0; i < n; i++) {
      const c = k.charCodeAt(i);
      if (c >= 0x80) return false;
      b[i + 2] = c;
    }
    wActor = a;
    wActorBytes = b;
  }
  const n = b.length;
  if (pos + n > limit) return false;
  const p = pos;
  for (let i = 0; i < n; i++) slab[p + i] = b[i]!;
  pos = p + n;
  return true;
}

const layoutWriter: LayoutWriter = {
  actorId: writeActorId,
  u32(v: number): boolean {
    if (!(v >= 0 && v <= 0xffffffff && v === Math.floor(v)) || pos + 4 > limit) return false;
    slab[pos] = v & 0xff;
    slab[pos + 1] = (v >>> 8) & 0xff;
    slab[pos + 2] = (v >>> 16) & 0xff;
    slab[pos + 3] = v >>> 24;
    pos += 4;
    return true;
  },
  str: (s: string): boolean => writeString(s),
  bool: (b: boolean): boolean => writeByte(b ? 1 : 0),
};

function writeLayout(l: Layout, v: object): boolean {
  if (pos + 2 > limit) return false;
  const start = pos;
  slab[pos] = T_LAYOUT;
  slab[pos + 1] = l.kind;
  pos += 2;
  if (l.write(v as never, layoutWriter)) return true;
  pos = start;
  return false;
}

function writeValue(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'number': {
      if ((v | 0) === v) {
        if (v >= -128 && v < 128) {
          if (pos + 2 > limit) return false;
          slab[pos] = T_INT8;
          slab[pos + 1] = v;
          pos += 2;
          return true;
        }
        return writeU32(T_INT, v);
      }
      if (Math.fround(v) === v) {
        // exactly representable in 4 bytes (0.5, 0.125, ±Infinity, …)
        if (pos + 5 > limit) return false;
        f32[0] = v;
        slab[pos] = T_F32;
        for (let i = 0; i < 4; i++) slab[pos + 1 + i] = f32b[i]!;
        pos += 5;
        return true;
      }
      if (pos + 9 > limit) return false;
      f64[0] = v;
      slab[pos] = T_F64;
      for (let i = 0; i < 8; i++) slab[pos + 1 + i] = f64b[i]!;
      pos += 9;
      return true;
    }
    case 'string':
      return writeString(v);
    case 'boolean':
      return writeByte(v ? T_TRUE : T_FALSE);
    case 'undefined':
      return writeByte(T_UNDEF);
    case 'object': {
      if (v === null) return writeByte(T_NULL);
      if (depth >= MAX_DEPTH) return false;
      // Exact-class checks filtered by `constructor` (a property load) first: at this site
      // `Object.getPrototypeOf` showed up in perf as a C++ runtime call. An own `constructor` key
      // can only make a value fall back.
      const ctor = (v as { constructor?: unknown }).constructor;
      if (ctor === Uint8Array && Object.getPrototypeOf(v) === Uint8Array.prototype) return writeBytes(v as Uint8Array);
      if (ctor === Array && Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) {
        const n = (v as unknown[]).length;
        if (n > MAX_ARRAY || pos + 2 > limit) return false;
        slab[pos] = T_ARRAY;
        slab[pos + 1] = n;
        pos += 2;
        for (let i = 0; i < n; i++) {
          // holes: MessagePack writes undefined; keep it exact by falling back
          if (!(i in (v as unknown[])) || !writeValue((v as unknown[])[i], depth + 1)) return false;
        }
        return true;
      }
      if (Array.isArray(v)) return false; // an Array subclass: MessagePack's business
      const ls = layouts;
      for (let i = 0; i < ls.length; i++) {
        const l = ls[i]!;
        if (l.ctor === ctor) {
          if (Object.getPrototypeOf(v) !== (ctor as { prototype: unknown }).prototype) break;
          if (writeLayout(l, v as object)) return true;
          break; // a value the layout cannot express: the generic forms below
        }
      }
      const h = hooks!;
      const payload = h.writeClass(v);
      if (payload === NOT_REGISTERED) return false;
      const tag = h.tag;
      if (tag === undefined) return writeU32(T_SLOT, payload as number);
      return writeByte(T_CLASS) && writeString(tag) && writeValue(payload, depth + 1);
    }
    default:
      return false; // bigint, function, symbol: MessagePack's business (or its error)
  }
}

/** True if `value`'s keys (for-in order) are exactly `keys`. */
function hasKeys(value: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in value) {
    if (keys[i] !== k) return false;
    i++;
  }
  return i === keys.length;
}

/** Recently used shapes, checked before building the key list (messages alternate shapes). */
const recent: (EncShape | undefined)[] = [undefined, undefined, undefined, undefined];
let recentNext = 0;

function writeMessage(value: Record<string, unknown>): boolean {
  let s = lastEnc;
  if (s === undefined || !hasKeys(value, s.keys)) {
    s = undefined;
    for (let r = 0; r < recent.length; r++) {
      const c = recent[r];
      if (c !== undefined && c !== lastEnc && hasKeys(value, c.keys)) {
        s = c;
        break;
      }
    }
    if (s === undefined) {
      const keys: string[] = [];
      for (const k in value) {
        if (keys.length === MAX_KEYS) return false;
        keys.push(k);
      }
      if (keys.length === 0) return false;
      s = shapeFor(keys);
      recent[recentNext] = s;
      recentNext = (recentNext + 1) & 3;
    }
    lastEnc = s;
  }
  if (!s.usable) return false;
  if (s.skip > 0) {
    s.skip--;
    return false;
  }
  const header = s.header;
  const hn = header.length;
  if (pos + hn > limit) return false;
  let p = pos;
  for (let j = 0; j < hn; j++) slab[p++] = header[j]!;
  pos = p;
  const keys = s.keys;
  for (let j = 0; j < keys.length; j++) {
    if (!writeValue(value[keys[j]!], 0)) {
      if (++s.bails >= BAILS_BEFORE_SKIP) {
        s.bails = 0;
        s.skip = SKIP_AFTER_BAILS;
      }
      return false;
    }
  }
  s.bails = 0;
  return true;
}

/**
 * Encodes `value` on the fast path (flat objects, and top-level scalars, small arrays and
 * registered instances), or returns undefined (nothing written, `bindings` restored
 * to its length on entry) when the value is not a small flat message.
 */
export function tryEncode(value: unknown, classHooks: ShapeClassHooks, bindings: unknown[] | null): Uint8Array | undefined {
  // Re-entrant calls (a `toValue` that encodes) use MessagePack: the slab is mid-write.
  if (busy) return undefined;
  return encodeInSlab(classHooks, bindings, writeTop, value);
}

/** The whole of `tryEncode`'s message: a flat object, or 0 keys and one value. */
function writeTop(value: unknown): boolean {
  // A plain object: `constructor` (inherited) is Object and the prototype is Object.prototype;
  // the property load filters first, so `Object.getPrototypeOf` (seen in perf as a C++ runtime
  // call here) only runs for candidates.
  const flat =
    typeof value === 'object' &&
    value !== null &&
    (value as { constructor?: unknown }).constructor === Object &&
    Object.getPrototypeOf(value) === Object.prototype;
  if (flat) return writeMessage(value as Record<string, unknown>);
  // Anything else (a number, a string, a small array, a registered instance): 0 keys, one value.
  slab[pos] = SHAPE_MARK;
  slab[pos + 1] = SHAPE_MARK;
  slab[pos + 2] = 0;
  pos += 3;
  return writeValue(value, 0);
}

/**
 * Runs `write(arg)` at the end of the slab (a fresh slab when fewer than MAX_MESSAGE bytes are
 * left) and returns what it wrote; on failure (false) or a throw (a `toValue` threw) leaves
 * nothing behind: the slab position and `bindings` are restored.
 */
function encodeInSlab<A>(classHooks: ShapeClassHooks, bindings: unknown[] | null, write: (arg: A) => boolean, arg: A): Uint8Array | undefined {
  const bytes = encSlab.room(MAX_MESSAGE);
  if (bytes !== slab) {
    // Only when the slab changed: a module variable written on every call costs the writers,
    // which read `slab` for every byte, a load per access (measured: +10 % per message).
    slab = bytes;
    slabBuffer = encSlab.buffer;
  }
  const start = (pos = encSlab.pos);
  const bound = bindings === null ? 0 : bindings.length;
  limit = start + MAX_MESSAGE;
  busy = true;
  hooks = classHooks;
  let ok: boolean;
  try {
    ok = write(arg);
  } catch (e) {
    unwind(start, bindings, bound);
    throw e;
  } finally {
    busy = false;
  }
  if (!ok) {
    unwind(start, bindings, bound);
    return undefined;
  }
  encSlab.pos = pos;
  return new Uint8Array(slabBuffer, start, pos - start); // cheaper than subarray (no species lookup)
}

/** Drops a failed encoding: the slab position and the bindings it had collected. */
function unwind(start: number, bindings: unknown[] | null, bound: number): void {
  pos = start;
  if (bindings !== null && bindings.length !== bound) bindings.length = bound;
}

/**
 * Messages whose leading values repeat (a cast to one member sends the same type, point texts,
 * sender and reply port every time): `prefix` is a fast-path message (`tryEncode` of an object
 * whose last `tail.length` values were `undefined`) without those trailing `undefined` bytes;
 * this writes the prefix, then `tail`'s values, giving exactly the bytes `tryEncode` would give
 * for the whole object. Returns undefined (nothing written, `bindings` restored) when a tail
 * value is not fast-path material.
 */
export function tryEncodeWithPrefix(
  prefix: Uint8Array,
  tail: readonly unknown[],
  classHooks: ShapeClassHooks,
  bindings: unknown[] | null,
): Uint8Array | undefined {
  if (busy || prefix.length > MAX_MESSAGE) return undefined;
  prefixTail = tail;
  return encodeInSlab(classHooks, bindings, writePrefixed, prefix);
}

/** The tail `tryEncodeWithPrefix` hands to `writePrefixed` (set right before the call). */
let prefixTail: readonly unknown[] = [];

function writePrefixed(prefix: Uint8Array): boolean {
  const tail = prefixTail;
  slab.set(prefix, pos);
  pos += prefix.length;
  for (let i = 0; i < tail.length; i++) if (!writeValue(tail[i], 0)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Decoder.

/** A compiled decoder for one key list: builds the object literal reading values in order. */
type Build = (r: Reader) => Record<string, unknown>;

interface DecShape {
  /** The header bytes after the two marks (n, keys). */
  readonly header: Uint8Array;
  readonly build: Build;
}

interface Reader {
  v(): unknown;
}

let src: Uint8Array = new Uint8Array(0);
let rp = 0;
let end = 0;
let lastDec: DecShape | undefined;
/** Always the same hooks object (codec.ts), so nested decodes need not restore it. */
let decHooks: ShapeClassHooks | undefined;
const decShapes = new Map<number, DecShape>();

class Malformed extends Error {}
function malformed(why: string): never {
  throw new Malformed(`malformed fast-path message: ${why}`);
}

/** Short-string cache: repeated strings (types, tags, actor ids) come back as one string object. */
const STR_CACHE = 4096;
const strKeys: (Uint8Array | undefined)[] = new Array(STR_CACHE).fill(undefined);
const strVals: string[] = new Array(STR_CACHE).fill('');
const MAX_CACHED_STR = 48;

function readAscii(start: number, n: number): string | undefined {
  // Direct-mapped by length and three sampled bytes (no full hash); a hit is verified byte by
  // byte, which also rejects non-ASCII (never cached).
  const slot = n === 0 ? 0 : (n * 0x9e5 + src[start]! * 0x3b + src[start + (n >> 1)]! * 0x65 + src[start + n - 1]! * 0x1f) & (STR_CACHE - 1);
  const k = strKeys[slot];
  if (k !== undefined && k.length === n) {
    let i = 0;
    while (i < n && k[i] === src[start + i]) i++;
    if (i === n) return strVals[slot]!;
  }
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = src[start + i]!;
    if (c >= 0x80) return undefined;
    s += String.fromCharCode(c);
  }
  strKeys[slot] = src.slice(start, start + n);
  strVals[slot] = s;
  return s;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decoded byte arrays are copies, never views of the message bytes. Small ones get their own
 * buffer (V8 keeps ≤ 64-byte typed arrays on the heap: cheap); medium ones are views of a decoder
 * slab that is only appended to (like Node's Buffer pool: `.buffer` may hold other messages'
 * bytes, and the slab is marked untransferable: a transfer list naming it copies instead of detaching
 * its neighbours); large
 * ones get their own buffer again. Measured: 1 KiB `slice` ≈ 450 ns, slab copy ≈ 70 ns.
 */
const BYTES_OWN_MAX = 64;
const BYTES_POOL_MAX = 4096;
const BYTES_SLAB = 256 * 1024;
/** Views 8-byte aligned; a fresh slab is marked untransferable before any view of it is made. */
const bytesSlab = new Slab(BYTES_SLAB, { max: BYTES_POOL_MAX, align: 8, onNew: (b) => markAsUntransferable(b) });

function copyBytes(at: number, n: number): Uint8Array {
  if (n <= BYTES_OWN_MAX || n > BYTES_POOL_MAX) return src.slice(at, at + n);
  return bytesSlab.copy(new Uint8Array(src.buffer, src.byteOffset + at, n));
}

function readStr(n: number): string {
  const start = rp;
  if (start + n > end) malformed('string runs past the end');
  rp = start + n;
  if (n <= MAX_CACHED_STR) {
    const s = readAscii(start, n);
    if (s !== undefined) return s;
  }
  try {
    return utf8.decode(src.subarray(start, start + n));
  } catch {
    malformed('invalid UTF-8 in a string');
  }
}

/** An unsigned 32-bit LE integer at `rp` (advanced past it); `what` names a truncation. */
function readU32(what: string): number {
  if (rp + 4 > end) malformed(what);
  const v = (src[rp]! | (src[rp + 1]! << 8) | (src[rp + 2]! << 16) | (src[rp + 3]! << 24)) >>> 0;
  rp += 4;
  return v;
}

function readValue(depth: number): unknown {
  if (rp >= end) malformed('value missing');
  const t = src[rp++]!;
  switch (t) {
    case T_UNDEF:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_INT: {
      if (rp + 4 > end) malformed('truncated integer');
      const v = src[rp]! | (src[rp + 1]! << 8) | (src[rp + 2]! << 16) | (src[rp + 3]! << 24);
      rp += 4;
      return v;
    }
    case T_INT8: {
      if (rp >= end) malformed('truncated integer');
      return (src[rp++]! << 24) >> 24;
    }
    case T_F32: {
      if (rp + 4 > end) malformed('truncated float');
      for (let i = 0; i < 4; i++) f32b[i] = src[rp + i]!;
      rp += 4;
      return f32[0];
    }
    case T_F64: {
      if (rp + 8 > end) malformed('truncated float');
      for (let i = 0; i < 8; i++) f64b[i] = src[rp + i]!;
      rp += 8;
      return f64[0];
    }
    case T_STR8: {
      if (rp >= end) malformed('truncated string length');
      return readStr(src[rp++]!);
    }
    case T_STR32:
      return readStr(readU32('truncated string length'));
    case T_ARRAY: {
      if (depth >= MAX_DEPTH) malformed('nested too deeply');
      if (rp >= end) malformed('truncated array length');
      const n = src[rp++]!;
      const a = new Array<unknown>(n);
      for (let i = 0; i < n; i++) a[i] = readValue(depth + 1);
      return a;
    }
    case T_CLASS: {
      if (depth >= MAX_DEPTH) malformed('nested too deeply');
      const tag = readValue(depth + 1);
      if (typeof tag !== 'string') malformed('class tag is not a string');
      return decHooks!.readClass(tag, readValue(depth + 1));
    }
    case T_BYTES: {
      const n = readU32('truncated byte-array length');
      if (rp + n > end) malformed('byte array runs past the end');
      const b = copyBytes(rp, n);
      rp += n;
      return b;
    }
    case T_LAYOUT: {
      if (rp >= end) malformed('truncated layout kind');
      const l = layoutsByKind[src[rp++]!];
      if (l === undefined) malformed(`unknown layout kind ${src[rp - 1]}`);
      return l.read(layoutReader);
    }
    case T_SLOT:
      return decHooks!.readSlot(readU32('truncated binding slot'));
    default:
      return malformed(`unknown value tag 0x${t.toString(16)}`);
  }
}

const reader: Reader = { v: () => readValue(0) };

/** The last actor id read, and its bytes (tag, length, key): a repeat is a byte compare. */
let rActor: ActorId | undefined;
let rActorBytes: Uint8Array = new Uint8Array(0);

function readActorId(): ActorId {
  const start = rp;
  if (start + 2 > end || src[start] !== T_STR8) malformed('expected an actor id');
  const n = src[start + 1]! + 2;
  if (start + n > end) malformed('actor id runs past the end');
  const b = rActorBytes;
  if (b.length === n) {
    let i = 2;
    while (i < n && b[i] === src[start + i]) i++;
    if (i === n) {
      rp = start + n;
      return rActor!;
    }
  }
  rp = start + 2;
  const key = readStr(n - 2);
  let a: ActorId;
  try {
    a = parseActorId(key);
  } catch (e) {
    malformed(`bad actor id ${JSON.stringify(key)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  rActor = a;
  rActorBytes = src.slice(start, start + n);
  return a;
}

const layoutReader: LayoutReader = {
  actorId: readActorId,
  u32: (): number => readU32('truncated u32'),
  str(): string {
    if (rp >= end) malformed('string missing');
    const t = src[rp]!;
    if (t !== T_STR8 && t !== T_STR32) malformed(`expected a string, found tag 0x${t.toString(16)}`);
    return readValue(0) as string;
  },
  bool(): boolean {
    if (rp >= end) malformed('truncated boolean');
    const b = src[rp++]!;
    if (b > 1) malformed(`bad boolean byte ${b}`);
    return b === 1;
  },
};

function compile(keys: string[]): Build {
  const body = `return {${keys.map((k) => `${JSON.stringify(k)}: r.v()`).join(', ')}};`;
  return new Function('r', body) as Build;
}

function sameBytes(a: Uint8Array, at: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== src[at + i]) return false;
  return true;
}

function lookupShape(): DecShape {
  const start = rp;
  // Hot path: the same shape as last time (headers are self-delimiting, so matching all of the
  // last header's bytes means the same key list).
  const last = lastDec;
  if (last !== undefined) {
    const h = last.header;
    const n = h.length;
    if (start + n <= end) {
      let i = 0;
      while (i < n && h[i] === src[start + i]) i++;
      if (i === n) {
        rp = start + n;
        return last;
      }
    }
  }
  // Header: n, then n × (len, key bytes).
  if (start >= end) malformed('missing key count');
  const n = src[start]!;
  if (n === 0 || n > MAX_KEYS) malformed(`bad key count ${n}`);
  let p = start + 1;
  for (let i = 0; i < n; i++) {
    if (p >= end) malformed('truncated key');
    p += 1 + src[p]!;
  }
  if (p > end) malformed('truncated key');
  const hlen = p - start;
  let h = 0x811c9dc5;
  for (let i = start; i < p; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  let s = decShapes.get(h);
  if (s === undefined || s.header.length !== hlen || !sameBytes(s.header, start, hlen)) {
    const keys: string[] = [];
    let q = start + 1;
    for (let i = 0; i < n; i++) {
      const len = src[q++]!;
      let k = '';
      for (let j = 0; j < len; j++) k += String.fromCharCode(src[q + j]!);
      q += len;
      if (len === 0 || len > MAX_KEY_LEN || k === '__proto__' || !IDENT.test(k)) malformed(`bad key ${JSON.stringify(k)}`);
      if (keys.includes(k)) malformed(`duplicate key ${JSON.stringify(k)}`);
      keys.push(k);
    }
    s = { header: src.slice(start, p), build: compile(keys) };
    if (decShapes.size >= CACHE_LIMIT) decShapes.clear();
    decShapes.set(h, s);
  }
  lastDec = s;
  rp = p;
  return s;
}

/** True if `bytes` is a fast-path message (starts with 0xc1 0xc1). */
export function isShapeEncoded(bytes: Uint8Array): boolean {
  return bytes.length > 1 && bytes[0] === SHAPE_MARK && bytes[1] === SHAPE_MARK;
}

/**
 * Decodes a fast-path message. Throws `Error` (with a message saying what was wrong) on
 * malformed bytes; the caller wraps it into its typed error.
 */
export function decodeShape(bytes: Uint8Array, classHooks: ShapeClassHooks): unknown {
  const savedSrc = src,
    savedRp = rp,
    savedEnd = end;
  src = bytes;
  rp = 2;
  end = bytes.length;
  decHooks = classHooks;
  try {
    let obj: unknown;
    if (end > 2 && src[2] === 0) {
      rp = 3;
      obj = readValue(0);
    } else obj = lookupShape().build(reader);
    if (rp !== end) malformed(`${end - rp} trailing byte(s)`);
    return obj;
  } finally {
    src = savedSrc;
    rp = savedRp;
    end = savedEnd;
  }
}
