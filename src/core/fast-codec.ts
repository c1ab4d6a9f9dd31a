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
 *            layout, see `registerLayout`: kind 1 `OncePortRef`, 2 `ActorRef`, numbered by
 *            `LAYOUT_KIND` in actor/refs.ts; fields are actor ids (0x06 len:u8 ASCII key),
 *            u32 LE, strings (0x06/0x07 as above), bytes 0/1)
 * MessagePack never starts a value with 0xc1 and record-mode payloads (0xc1 + MessagePack) never
 * continue with a second 0xc1, so `decode` tells the three formats apart by the first two bytes.
 *
 * State: a `FastEncoder` owns everything one encoding touches (its output slab, write position,
 * shape caches, last actor id written), a `FastDecoder` everything one decoding touches (input,
 * read position, compiled shapes, string cache, byte-array slab, last actor id read); two
 * instances never share mutable state. The module functions (`tryEncode`, `tryEncodeWithPrefix`,
 * `decodeShape`) use one default instance each. Module-level and process-wide: the registry of
 * fixed layouts (`registerLayout`, filled once at load by the classes' own modules) and
 * stateless helpers (scratch float views used within one call, TextEncoder/TextDecoder).
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
 * - Output is a view of the encoder's slab (core/slab.ts) that is only ever appended to, never
 *   rewritten, so earlier results stay valid; a new slab is taken when the current one has less
 *   than MAX_MESSAGE bytes left.
 * - Shape caches are bounded (cleared when full): any number of distinct shapes is correct.
 * - Fixed layouts (0x0e) exist only for the runtime's own classes, under kind numbers fixed by
 *   the module that registers them (a kind is not a registration-order artefact, so any process
 *   reads them); a writer that cannot express a value returns false and the value goes through
 *   the generic forms.
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

// Stateless helpers, shared: the float views are scratch used within one synchronous write or
// read (nothing can run between filling and reading them), the text codecs keep no state.
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32b = new Uint8Array(f32.buffer);
const textEncoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** `String.prototype.isWellFormed` (Node 20; not in this project's TS lib). */
type WellFormedCheck = string & { isWellFormed(): boolean };

const NO_BYTES = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Fixed layouts for the runtime's own classes (value tag 0x0e).

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

// The layout registry is process-wide on purpose: a kind number is part of the format (every
// encoder and decoder in every process must agree on it), and registrations are made once, when
// the module defining the class loads (actor/refs.ts). Encoders and decoders only read it.
const layoutsByKind: (Layout | undefined)[] = [];
/** Layouts by exact constructor, checked in order (a handful); replaced, never mutated. */
let layouts: readonly Layout[] = [];

/**
 * Gives the runtime class `ctor` (exact class, not subclasses) the fixed layout `kind` (1..255,
 * fixed by the caller: never renumber a kind once bytes carrying it exist). `write` must write
 * every field or return false (the encoder then takes the generic path for this value); `read`
 * must read exactly what `write` wrote.
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

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

/** A new shape for a key list; unusable (never fast) if a key is not an ASCII identifier. */
function makeShape(keys: string[]): EncShape {
  let len = 3;
  for (const k of keys) {
    if (k.length > MAX_KEY_LEN || k === '__proto__' || !IDENT.test(k)) return { keys, header: NO_BYTES, usable: false, bails: 0, skip: 0 };
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
  return { keys, header, usable: true, bails: 0, skip: 0 };
}

/**
 * Writes fast-path messages into a slab of its own. Every field is initialized in the
 * constructor (a stable object shape: the writers read `slab` and `pos` for every byte).
 * Re-entrant use (a `toValue` that encodes with the same encoder) falls back to MessagePack:
 * the slab is mid-write. Implements `LayoutWriter` for the fixed layouts' `write` (only valid
 * while this encoder is writing a message).
 */
export class FastEncoder implements LayoutWriter {
  /**
   * The output slab: a message is written at its end (with room for MAX_MESSAGE bytes) and kept
   * (`out.pos` committed) only when the fast path succeeds. The writers use the copies below of
   * its bytes and position while a message is written.
   */
  private readonly out: Slab;
  private slab: Uint8Array;
  /** `slab.buffer`, kept: the getter is a C++ call in V8. */
  private slabBuffer: ArrayBuffer;
  private pos: number;
  /** End of the writable region of the message being written (pos never passes it). */
  private limit: number;
  private hooks: ShapeClassHooks | undefined;
  private busy: boolean;
  /** Shapes by key list, the last one used, and a few recent ones (messages alternate shapes). */
  private readonly shapes: Map<string, EncShape>;
  private lastShape: EncShape | undefined;
  private readonly recent: (EncShape | undefined)[];
  private recentNext: number;
  /**
   * Actor ids are written as their ASCII key; the bytes of the last one written are kept, so a
   * repeated id (the common case: reply ports of one asker) is a copy, not a string walk.
   */
  private lastActor: ActorId | undefined;
  private lastActorBytes: Uint8Array;

  constructor(slabSize: number = SLAB_SIZE) {
    this.out = new Slab(Math.max(slabSize, MAX_MESSAGE));
    this.slab = this.out.bytes;
    this.slabBuffer = this.out.buffer;
    this.pos = 0;
    this.limit = 0;
    this.hooks = undefined;
    this.busy = false;
    this.shapes = new Map();
    this.lastShape = undefined;
    this.recent = [undefined, undefined, undefined, undefined];
    this.recentNext = 0;
    this.lastActor = undefined;
    this.lastActorBytes = NO_BYTES;
  }

  /**
   * Encodes `value` on the fast path (flat objects, and top-level scalars, small arrays and
   * registered instances), or returns undefined (nothing written, `bindings` restored
   * to its length on entry) when the value is not a small flat message.
   */
  tryEncode(value: unknown, classHooks: ShapeClassHooks, bindings: unknown[] | null): Uint8Array | undefined {
    if (this.busy) return undefined;
    return this.encodeInSlab(classHooks, bindings, undefined, value);
  }

  /**
   * Messages whose leading values repeat (a cast to one member sends the same type, point texts,
   * sender and reply port every time): `prefix` is a fast-path message (`tryEncode` of an object
   * whose last `tail.length` values were `undefined`) without those trailing `undefined` bytes;
   * this writes the prefix, then `tail`'s values, giving exactly the bytes `tryEncode` would give
   * for the whole object. Returns undefined (nothing written, `bindings` restored) when a tail
   * value is not fast-path material.
   */
  tryEncodeWithPrefix(prefix: Uint8Array, tail: readonly unknown[], classHooks: ShapeClassHooks, bindings: unknown[] | null): Uint8Array | undefined {
    if (this.busy || prefix.length > MAX_MESSAGE) return undefined;
    return this.encodeInSlab(classHooks, bindings, prefix, tail);
  }

  /**
   * Writes one message at the end of the slab (a fresh slab when fewer than MAX_MESSAGE bytes are
   * left): `prefix` then the values of `value` (an array) if a prefix is given, else `value`.
   * Returns what it wrote; on failure (false) or a throw (a `toValue` threw) leaves nothing
   * behind: the slab position and `bindings` are restored.
   */
  private encodeInSlab(classHooks: ShapeClassHooks, bindings: unknown[] | null, prefix: Uint8Array | undefined, value: unknown): Uint8Array | undefined {
    const out = this.out;
    const bytes = out.room(MAX_MESSAGE);
    if (bytes !== this.slab) {
      // Only when the slab changed (a store on every call measured slower in the writers).
      this.slab = bytes;
      this.slabBuffer = out.buffer;
    }
    const start = (this.pos = out.pos);
    const bound = bindings === null ? 0 : bindings.length;
    this.limit = start + MAX_MESSAGE;
    this.busy = true;
    this.hooks = classHooks;
    let ok: boolean;
    try {
      ok = prefix === undefined ? this.writeTop(value) : this.writePrefixed(prefix, value as readonly unknown[]);
    } catch (e) {
      this.unwind(start, bindings, bound);
      throw e;
    } finally {
      this.busy = false;
    }
    if (!ok) {
      this.unwind(start, bindings, bound);
      return undefined;
    }
    const end = this.pos;
    out.pos = end;
    return new Uint8Array(this.slabBuffer, start, end - start); // cheaper than subarray (no species lookup)
  }

  /** Drops a failed encoding: the slab position and the bindings it had collected. */
  private unwind(start: number, bindings: unknown[] | null, bound: number): void {
    this.pos = start;
    if (bindings !== null && bindings.length !== bound) bindings.length = bound;
  }

  /** The whole of `tryEncode`'s message: a flat object, or 0 keys and one value. */
  private writeTop(value: unknown): boolean {
    // A plain object: `constructor` (inherited) is Object and the prototype is Object.prototype;
    // the property load filters first, so `Object.getPrototypeOf` (seen in perf as a C++ runtime
    // call here) only runs for candidates.
    const flat =
      typeof value === 'object' &&
      value !== null &&
      (value as { constructor?: unknown }).constructor === Object &&
      Object.getPrototypeOf(value) === Object.prototype;
    if (flat) return this.writeMessage(value as Record<string, unknown>);
    // Anything else (a number, a string, a small array, a registered instance): 0 keys, one value.
    const slab = this.slab;
    const pos = this.pos;
    slab[pos] = SHAPE_MARK;
    slab[pos + 1] = SHAPE_MARK;
    slab[pos + 2] = 0;
    this.pos = pos + 3;
    return this.writeValue(value, 0);
  }

  private writePrefixed(prefix: Uint8Array, tail: readonly unknown[]): boolean {
    this.slab.set(prefix, this.pos);
    this.pos += prefix.length;
    for (let i = 0; i < tail.length; i++) if (!this.writeValue(tail[i], 0)) return false;
    return true;
  }

  /** The (cached) shape of a key list. */
  private shapeFor(keys: string[]): EncShape {
    const id = keys.join(',');
    const shapes = this.shapes;
    let s = shapes.get(id);
    if (s !== undefined && sameKeys(s.keys, keys)) return s; // (invalid keys may contain ',')
    if (shapes.size >= CACHE_LIMIT) shapes.clear();
    s = makeShape(keys);
    shapes.set(id, s);
    return s;
  }

  private writeMessage(value: Record<string, unknown>): boolean {
    let s = this.lastShape;
    if (s === undefined || !hasKeys(value, s.keys)) {
      const last = s;
      s = undefined;
      const recent = this.recent;
      for (let r = 0; r < recent.length; r++) {
        const c = recent[r];
        if (c !== undefined && c !== last && hasKeys(value, c.keys)) {
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
        s = this.shapeFor(keys);
        recent[this.recentNext] = s;
        this.recentNext = (this.recentNext + 1) & 3;
      }
      this.lastShape = s;
    }
    if (!s.usable) return false;
    if (s.skip > 0) {
      s.skip--;
      return false;
    }
    const header = s.header;
    const hn = header.length;
    let p = this.pos;
    if (p + hn > this.limit) return false;
    const slab = this.slab;
    for (let j = 0; j < hn; j++) slab[p++] = header[j]!;
    this.pos = p;
    const keys = s.keys;
    for (let j = 0; j < keys.length; j++) {
      if (!this.writeValue(value[keys[j]!], 0)) {
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

  // The writers return false to abandon the fast path (never throw for that: a throw per
  // fallback message costs more than the whole MessagePack encode).

  private writeValue(v: unknown, depth: number): boolean {
    switch (typeof v) {
      case 'number': {
        const slab = this.slab;
        const pos = this.pos;
        if ((v | 0) === v) {
          if (v >= -128 && v < 128) {
            if (pos + 2 > this.limit) return false;
            slab[pos] = T_INT8;
            slab[pos + 1] = v;
            this.pos = pos + 2;
            return true;
          }
          return this.writeU32(T_INT, v);
        }
        if (Math.fround(v) === v) {
          // exactly representable in 4 bytes (0.5, 0.125, ±Infinity, …)
          if (pos + 5 > this.limit) return false;
          f32[0] = v;
          slab[pos] = T_F32;
          for (let i = 0; i < 4; i++) slab[pos + 1 + i] = f32b[i]!;
          this.pos = pos + 5;
          return true;
        }
        if (pos + 9 > this.limit) return false;
        f64[0] = v;
        slab[pos] = T_F64;
        for (let i = 0; i < 8; i++) slab[pos + 1 + i] = f64b[i]!;
        this.pos = pos + 9;
        return true;
      }
      case 'string':
        return this.writeString(v);
      case 'boolean':
        return this.writeByte(v ? T_TRUE : T_FALSE);
      case 'undefined':
        return this.writeByte(T_UNDEF);
      case 'object': {
        if (v === null) return this.writeByte(T_NULL);
        if (depth >= MAX_DEPTH) return false;
        // Exact-class checks filtered by `constructor` (a property load) first: at this site
        // `Object.getPrototypeOf` showed up in perf as a C++ runtime call. An own `constructor`
        // key can only make a value fall back.
        const ctor = (v as { constructor?: unknown }).constructor;
        if (ctor === Uint8Array && Object.getPrototypeOf(v) === Uint8Array.prototype) return this.writeBytes(v as Uint8Array);
        if (ctor === Array && Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) {
          const n = (v as unknown[]).length;
          const pos = this.pos;
          if (n > MAX_ARRAY || pos + 2 > this.limit) return false;
          this.slab[pos] = T_ARRAY;
          this.slab[pos + 1] = n;
          this.pos = pos + 2;
          for (let i = 0; i < n; i++) {
            // holes: MessagePack writes undefined; keep it exact by falling back
            if (!(i in (v as unknown[])) || !this.writeValue((v as unknown[])[i], depth + 1)) return false;
          }
          return true;
        }
        if (Array.isArray(v)) return false; // an Array subclass: MessagePack's business
        const ls = layouts;
        for (let i = 0; i < ls.length; i++) {
          const l = ls[i]!;
          if (l.ctor === ctor) {
            if (Object.getPrototypeOf(v) !== (ctor as { prototype: unknown }).prototype) break;
            if (this.writeLayout(l, v as object)) return true;
            break; // a value the layout cannot express: the generic forms below
          }
        }
        const h = this.hooks!;
        const payload = h.writeClass(v);
        if (payload === NOT_REGISTERED) return false;
        const tag = h.tag;
        if (tag === undefined) return this.writeU32(T_SLOT, payload as number);
        return this.writeByte(T_CLASS) && this.writeString(tag) && this.writeValue(payload, depth + 1);
      }
      default:
        return false; // bigint, function, symbol: MessagePack's business (or its error)
    }
  }

  private writeString(s: string): boolean {
    const n = s.length;
    const start = this.pos;
    if (n > MAX_STRING || start + n * 3 + 5 > this.limit) return false;
    const slab = this.slab;
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
        this.pos = p;
        return true;
      }
    }
    if (!(s as WellFormedCheck).isWellFormed()) return false;
    const { written } = textEncoder.encodeInto(s, slab.subarray(start + 5, start + 5 + n * 3));
    if (written < 256) {
      slab[start] = T_STR8;
      slab[start + 1] = written;
      slab.copyWithin(start + 2, start + 5, start + 5 + written);
      this.pos = start + 2 + written;
    } else {
      slab[start] = T_STR32;
      slab[start + 1] = written & 0xff;
      slab[start + 2] = (written >>> 8) & 0xff;
      slab[start + 3] = (written >>> 16) & 0xff;
      slab[start + 4] = written >>> 24;
      this.pos = start + 5 + written;
    }
    return true;
  }

  private writeU32(tag: number, v: number): boolean {
    const pos = this.pos;
    if (pos + 5 > this.limit) return false;
    const slab = this.slab;
    slab[pos] = tag;
    slab[pos + 1] = v & 0xff;
    slab[pos + 2] = (v >>> 8) & 0xff;
    slab[pos + 3] = (v >>> 16) & 0xff;
    slab[pos + 4] = v >>> 24;
    this.pos = pos + 5;
    return true;
  }

  private writeByte(b: number): boolean {
    const pos = this.pos;
    if (pos + 1 > this.limit) return false;
    this.slab[pos] = b;
    this.pos = pos + 1;
    return true;
  }

  /** A plain `Uint8Array` (not a Buffer or other subclass: MessagePack decodes those differently). */
  private writeBytes(v: Uint8Array): boolean {
    const n = v.length;
    if (this.pos + 5 + n > this.limit) return false;
    this.writeU32(T_BYTES, n);
    const slab = this.slab;
    const pos = this.pos;
    if (n <= 16) for (let i = 0; i < n; i++) slab[pos + i] = v[i]!;
    else slab.set(v, pos);
    this.pos = pos + n;
    return true;
  }

  private writeLayout(l: Layout, v: object): boolean {
    const start = this.pos;
    if (start + 2 > this.limit) return false;
    this.slab[start] = T_LAYOUT;
    this.slab[start + 1] = l.kind;
    this.pos = start + 2;
    if (l.write(v as never, this)) return true;
    this.pos = start;
    return false;
  }

  // LayoutWriter.

  /** An actor id, as its key (a STR8 string); false if it is not ASCII or too long. */
  actorId(a: ActorId): boolean {
    let b = this.lastActorBytes;
    if (a !== this.lastActor) {
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
      this.lastActor = a;
      this.lastActorBytes = b;
    }
    const n = b.length;
    const p = this.pos;
    if (p + n > this.limit) return false;
    const slab = this.slab;
    for (let i = 0; i < n; i++) slab[p + i] = b[i]!;
    this.pos = p + n;
    return true;
  }

  /** An unsigned 32-bit integer, LE; false if `v` is not one. */
  u32(v: number): boolean {
    const pos = this.pos;
    if (!(v >= 0 && v <= 0xffffffff && v === Math.floor(v)) || pos + 4 > this.limit) return false;
    const slab = this.slab;
    slab[pos] = v & 0xff;
    slab[pos + 1] = (v >>> 8) & 0xff;
    slab[pos + 2] = (v >>> 16) & 0xff;
    slab[pos + 3] = v >>> 24;
    this.pos = pos + 4;
    return true;
  }

  str(s: string): boolean {
    return this.writeString(s);
  }

  bool(b: boolean): boolean {
    return this.writeByte(b ? 1 : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoder.

/** A compiled decoder for one key list: builds the object literal reading values in order. */
type Build = (r: FastDecoder) => Record<string, unknown>;

interface DecShape {
  /** The header bytes after the two marks (n, keys). */
  readonly header: Uint8Array;
  readonly build: Build;
}

class Malformed extends Error {}
function malformed(why: string): never {
  throw new Malformed(`malformed fast-path message: ${why}`);
}

function compile(keys: string[]): Build {
  const body = `return {${keys.map((k) => `${JSON.stringify(k)}: r.value()`).join(', ')}};`;
  return new Function('r', body) as Build;
}

/** Short-string cache: repeated strings (types, tags, actor ids) come back as one string object. */
const STR_CACHE = 4096;
const MAX_CACHED_STR = 48;

/**
 * Decoded byte arrays are copies, never views of the message bytes. Small ones get their own
 * buffer (V8 keeps ≤ 64-byte typed arrays on the heap: cheap); medium ones are views of a decoder
 * slab that is only appended to (like Node's Buffer pool: `.buffer` may hold other messages'
 * bytes, and the slab is marked untransferable: a transfer list naming it copies instead of
 * detaching its neighbours); large ones get their own buffer again. Measured: 1 KiB `slice`
 * ≈ 450 ns, slab copy ≈ 70 ns.
 */
const BYTES_OWN_MAX = 64;
const BYTES_POOL_MAX = 4096;
const BYTES_SLAB = 256 * 1024;

/**
 * Reads fast-path messages. Every field is initialized in the constructor (a stable object
 * shape). Re-entrant use (a `fromValue` that decodes with the same decoder) is allowed: `decode`
 * saves and restores the input and read position. Implements `LayoutReader` for the fixed
 * layouts' `read` and `value()` for the compiled object builders (only valid while this decoder
 * is reading a message).
 */
export class FastDecoder implements LayoutReader {
  private src: Uint8Array;
  private rp: number;
  private end: number;
  private hooks: ShapeClassHooks | undefined;
  /** Compiled shapes by header hash, and the last one used. */
  private readonly shapes: Map<number, DecShape>;
  private lastShape: DecShape | undefined;
  /** Direct-mapped short-string cache (see `readAscii`). */
  private readonly strKeys: (Uint8Array | undefined)[];
  private readonly strVals: string[];
  /** Medium byte arrays are copied here; views 8-byte aligned, slabs marked untransferable. */
  private readonly bytesSlab: Slab;
  /** The last actor id read, and its bytes (tag, length, key): a repeat is a byte compare. */
  private lastActor: ActorId | undefined;
  private lastActorBytes: Uint8Array;

  constructor() {
    this.src = NO_BYTES;
    this.rp = 0;
    this.end = 0;
    this.hooks = undefined;
    this.shapes = new Map();
    this.lastShape = undefined;
    this.strKeys = new Array<Uint8Array | undefined>(STR_CACHE).fill(undefined);
    this.strVals = new Array<string>(STR_CACHE).fill('');
    this.bytesSlab = new Slab(BYTES_SLAB, { max: BYTES_POOL_MAX, align: 8, onNew: (b) => markAsUntransferable(b) });
    this.lastActor = undefined;
    this.lastActorBytes = NO_BYTES;
  }

  /**
   * Decodes a fast-path message. Throws `Error` (with a message saying what was wrong) on
   * malformed bytes; the caller wraps it into its typed error.
   */
  decode(bytes: Uint8Array, classHooks: ShapeClassHooks): unknown {
    const savedSrc = this.src,
      savedRp = this.rp,
      savedEnd = this.end,
      savedHooks = this.hooks;
    this.src = bytes;
    this.rp = 2;
    const end = (this.end = bytes.length);
    this.hooks = classHooks;
    try {
      let obj: unknown;
      if (end > 2 && bytes[2] === 0) {
        this.rp = 3;
        obj = this.readValue(0);
      } else obj = this.lookupShape().build(this);
      if (this.rp !== end) malformed(`${end - this.rp} trailing byte(s)`);
      return obj;
    } finally {
      this.src = savedSrc;
      this.rp = savedRp;
      this.end = savedEnd;
      this.hooks = savedHooks;
    }
  }

  /** The next value (the compiled object builders call this once per key). */
  value(): unknown {
    return this.readValue(0);
  }

  private readValue(depth: number): unknown {
    const src = this.src;
    let rp = this.rp;
    const end = this.end;
    if (rp >= end) malformed('value missing');
    const t = src[rp++]!;
    this.rp = rp;
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
        this.rp = rp + 4;
        return v;
      }
      case T_INT8: {
        if (rp >= end) malformed('truncated integer');
        this.rp = rp + 1;
        return (src[rp]! << 24) >> 24;
      }
      case T_F32: {
        if (rp + 4 > end) malformed('truncated float');
        for (let i = 0; i < 4; i++) f32b[i] = src[rp + i]!;
        this.rp = rp + 4;
        return f32[0];
      }
      case T_F64: {
        if (rp + 8 > end) malformed('truncated float');
        for (let i = 0; i < 8; i++) f64b[i] = src[rp + i]!;
        this.rp = rp + 8;
        return f64[0];
      }
      case T_STR8: {
        if (rp >= end) malformed('truncated string length');
        this.rp = rp + 1;
        return this.readStr(src[rp]!);
      }
      case T_STR32:
        return this.readStr(this.readU32('truncated string length'));
      case T_ARRAY: {
        if (depth >= MAX_DEPTH) malformed('nested too deeply');
        if (rp >= end) malformed('truncated array length');
        const n = src[rp]!;
        this.rp = rp + 1;
        const a = new Array<unknown>(n);
        for (let i = 0; i < n; i++) a[i] = this.readValue(depth + 1);
        return a;
      }
      case T_CLASS: {
        if (depth >= MAX_DEPTH) malformed('nested too deeply');
        const tag = this.readValue(depth + 1);
        if (typeof tag !== 'string') malformed('class tag is not a string');
        return this.hooks!.readClass(tag, this.readValue(depth + 1));
      }
      case T_BYTES: {
        const n = this.readU32('truncated byte-array length');
        const at = this.rp;
        if (at + n > end) malformed('byte array runs past the end');
        this.rp = at + n;
        if (n <= BYTES_OWN_MAX || n > BYTES_POOL_MAX) return src.slice(at, at + n);
        return this.bytesSlab.copy(new Uint8Array(src.buffer, src.byteOffset + at, n));
      }
      case T_LAYOUT: {
        if (rp >= end) malformed('truncated layout kind');
        const l = layoutsByKind[src[rp]!];
        if (l === undefined) malformed(`unknown layout kind ${src[rp]}`);
        this.rp = rp + 1;
        return l.read(this);
      }
      case T_SLOT:
        return this.hooks!.readSlot(this.readU32('truncated binding slot'));
      default:
        return malformed(`unknown value tag 0x${t.toString(16)}`);
    }
  }

  /** An unsigned 32-bit LE integer at `rp` (advanced past it); `what` names a truncation. */
  private readU32(what: string): number {
    const src = this.src;
    const rp = this.rp;
    if (rp + 4 > this.end) malformed(what);
    const v = (src[rp]! | (src[rp + 1]! << 8) | (src[rp + 2]! << 16) | (src[rp + 3]! << 24)) >>> 0;
    this.rp = rp + 4;
    return v;
  }

  private readStr(n: number): string {
    const start = this.rp;
    if (start + n > this.end) malformed('string runs past the end');
    this.rp = start + n;
    if (n <= MAX_CACHED_STR) {
      const s = this.readAscii(start, n);
      if (s !== undefined) return s;
    }
    try {
      return utf8.decode(this.src.subarray(start, start + n));
    } catch {
      malformed('invalid UTF-8 in a string');
    }
  }

  private readAscii(start: number, n: number): string | undefined {
    const src = this.src;
    // Direct-mapped by length and three sampled bytes (no full hash); a hit is verified byte by
    // byte, which also rejects non-ASCII (never cached).
    const slot = n === 0 ? 0 : (n * 0x9e5 + src[start]! * 0x3b + src[start + (n >> 1)]! * 0x65 + src[start + n - 1]! * 0x1f) & (STR_CACHE - 1);
    const k = this.strKeys[slot];
    if (k !== undefined && k.length === n) {
      let i = 0;
      while (i < n && k[i] === src[start + i]) i++;
      if (i === n) return this.strVals[slot]!;
    }
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = src[start + i]!;
      if (c >= 0x80) return undefined;
      s += String.fromCharCode(c);
    }
    this.strKeys[slot] = src.slice(start, start + n);
    this.strVals[slot] = s;
    return s;
  }

  private sameBytes(a: Uint8Array, at: number, n: number): boolean {
    const src = this.src;
    for (let i = 0; i < n; i++) if (a[i] !== src[at + i]) return false;
    return true;
  }

  private lookupShape(): DecShape {
    const src = this.src;
    const start = this.rp;
    const end = this.end;
    // Hot path: the same shape as last time (headers are self-delimiting, so matching all of the
    // last header's bytes means the same key list).
    const last = this.lastShape;
    if (last !== undefined) {
      const h = last.header;
      const n = h.length;
      if (start + n <= end) {
        let i = 0;
        while (i < n && h[i] === src[start + i]) i++;
        if (i === n) {
          this.rp = start + n;
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
    const shapes = this.shapes;
    let s = shapes.get(h);
    if (s === undefined || s.header.length !== hlen || !this.sameBytes(s.header, start, hlen)) {
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
      if (shapes.size >= CACHE_LIMIT) shapes.clear();
      shapes.set(h, s);
    }
    this.lastShape = s;
    this.rp = p;
    return s;
  }

  // LayoutReader.

  actorId(): ActorId {
    const src = this.src;
    const start = this.rp;
    const end = this.end;
    if (start + 2 > end || src[start] !== T_STR8) malformed('expected an actor id');
    const n = src[start + 1]! + 2;
    if (start + n > end) malformed('actor id runs past the end');
    const b = this.lastActorBytes;
    if (b.length === n) {
      let i = 2;
      while (i < n && b[i] === src[start + i]) i++;
      if (i === n) {
        this.rp = start + n;
        return this.lastActor!;
      }
    }
    this.rp = start + 2;
    const key = this.readStr(n - 2);
    let a: ActorId;
    try {
      a = parseActorId(key);
    } catch (e) {
      malformed(`bad actor id ${JSON.stringify(key)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.lastActor = a;
    this.lastActorBytes = src.slice(start, start + n);
    return a;
  }

  u32(): number {
    return this.readU32('truncated u32');
  }

  str(): string {
    const rp = this.rp;
    if (rp >= this.end) malformed('string missing');
    const t = this.src[rp]!;
    if (t !== T_STR8 && t !== T_STR32) malformed(`expected a string, found tag 0x${t.toString(16)}`);
    return this.readValue(0) as string;
  }

  bool(): boolean {
    const rp = this.rp;
    if (rp >= this.end) malformed('truncated boolean');
    const b = this.src[rp]!;
    if (b > 1) malformed(`bad boolean byte ${b}`);
    this.rp = rp + 1;
    return b === 1;
  }
}

// ---------------------------------------------------------------------------------------------
// The default instances, used by codec.ts (held in module-local consts: the calls below are
// monomorphic and the instances are never replaced).

const encoder = new FastEncoder();
const decoder = new FastDecoder();

/** `FastEncoder.tryEncode` on the default encoder. */
export function tryEncode(value: unknown, classHooks: ShapeClassHooks, bindings: unknown[] | null): Uint8Array | undefined {
  return encoder.tryEncode(value, classHooks, bindings);
}

/** `FastEncoder.tryEncodeWithPrefix` on the default encoder. */
export function tryEncodeWithPrefix(
  prefix: Uint8Array,
  tail: readonly unknown[],
  classHooks: ShapeClassHooks,
  bindings: unknown[] | null,
): Uint8Array | undefined {
  return encoder.tryEncodeWithPrefix(prefix, tail, classHooks, bindings);
}

/** True if `bytes` is a fast-path message (starts with 0xc1 0xc1). */
export function isShapeEncoded(bytes: Uint8Array): boolean {
  return bytes.length > 1 && bytes[0] === SHAPE_MARK && bytes[1] === SHAPE_MARK;
}

/** `FastDecoder.decode` on the default decoder. */
export function decodeShape(bytes: Uint8Array, classHooks: ShapeClassHooks): unknown {
  return decoder.decode(bytes, classHooks);
}
