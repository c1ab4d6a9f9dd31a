/**
 * Payload codec for user messages: small flat messages (`{type, …scalars, …port refs}`, the
 * common actor message) take a compact fast path (`fast-codec.ts`, bytes start 0xc1 0xc1);
 * everything else is MessagePack via msgpackr with `moreTypes` (plain mode, or record mode for
 * messages holding a Map; chosen by measurement, see bench/results/codec.md), plus bindings
 * extraction for casts. Both paths round-trip exactly the same values the same way.
 *
 * What round-trips: primitives, `undefined` vs `null` (kept apart), bigint (64-bit and larger),
 * strings, arrays, plain objects, `Map` (keys of any type), `Set`, `Date`, `Error`, `RegExp`,
 * `Uint8Array`/`Buffer` and the other typed arrays (decoded as copies, never views of `data`),
 * the actormesh ids (`WorldId`, `ProcId`, `ActorId`, `PortId`, `GangId`), `Name`, `ShortUuid`,
 * `Rank`, and classes registered with `registerCodecClass` / `registerBindable`.
 * What does not: instances of other classes become plain objects (prototype dropped), `-0`
 * becomes `0`, functions and symbols throw `SerializationError`, cycles throw too.
 *
 * Invariants:
 * - `decode(encode(v))` deep-equals `v` for every supported value; the encoded bytes are
 *   self-contained (no shared record structures), so any process can decode them
 *   (docs/architecture.md CORE-1).
 * - registered classes are encoded as extension 0x31 carrying either `[tag, value]` (inline) or,
 *   inside `encodeMessage` for bindable classes, the slot number of their binding (the fast path
 *   writes the same two forms with its own tags).
 * - the first bytes tell the formats apart: 0xc1 0xc1 fast path, 0xc1 + MessagePack record
 *   mode, anything else plain MessagePack (which never uses 0xc1).
 * - encoding is synchronous; the bindings list being collected belongs to the innermost
 *   `encode`/`encodeMessage` call (nested calls from a `toValue` save and restore it).
 */
import { Packr, Unpackr, addExtension, C1 } from 'msgpackr';
import { ActorId, DirectProcId, GangId, PortId, RankedProcId, WorldId, parseReference, type Reference } from './ids.js';
import { Name, ShortUuid } from './name.js';
import { Rank, RANK_TAG, type Binding } from './bindings.js';
import { BindingError, DeserializationError, SerializationError } from './codec-errors.js';
import { NOT_REGISTERED, SHAPE_MARK, decodeShape, tryEncode, tryEncodeWithPrefix, type ShapeClassHooks } from './fast-codec.js';

export { SerializationError, DeserializationError, BindingError } from './codec-errors.js';

/** msgpack extension type used for every registered class (msgpackr uses 0x00–0x1f, 0x42, 0x62–0x78). */
export const CODEC_EXT_TYPE = 0x31;

function rejectFunction(fn: unknown): never {
  const name = typeof fn === 'function' && fn.name ? ` ${fn.name}` : '';
  throw new SerializationError(typeLabel(), `functions cannot be serialized (found function${name})`);
}

/**
 * Two MessagePack modes (measured, see bench/results/codec.md): plain mode (objects as msgpack
 * maps) is the fastest, but cannot tell a `Map` from an object; record mode (objects as records,
 * definitions inline) keeps them apart at ~1.6× the cost on small objects. A message uses record
 * mode only when it contains a `Map` (or is too large to scan cheaply); such messages start with
 * the byte 0xc1, which MessagePack never uses, so `decode` knows which mode to read.
 */
const RECORDS_PREFIX = 0xc1;
const plainPackr = new Packr({ useRecords: false, moreTypes: true, writeFunction: rejectFunction as () => never });
const plainUnpackr = new Unpackr({ useRecords: false, moreTypes: true, copyBuffers: true, mapsAsObjects: true });
const recordsPackr = new Packr({ useRecords: true, moreTypes: true, writeFunction: rejectFunction as () => never });
const recordsUnpackr = new Unpackr({ useRecords: true, moreTypes: true, copyBuffers: true });

/** Object nodes `needsRecords` visits before giving up and choosing record mode (always safe). */
const SCAN_BUDGET = 512;
let scanLeft = 0;

/** True if `v` contains a Map (or the scan ran out of budget, e.g. on a huge or cyclic value). */
function needsRecords(v: object): boolean {
  if (--scanLeft < 0) return true;
  if (v instanceof Map) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (typeof e === 'object' && e !== null && needsRecords(e)) return true;
    }
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype) {
    // A registered class is written as its extension payload, not its fields: scan that.
    const def = proto === null ? undefined : byProto.get(proto as object);
    if (def !== undefined) {
      if (def.bindable && collecting !== null && (def.shouldBind === undefined || def.shouldBind(v))) return false;
      const payload = def.toValue(v);
      return typeof payload === 'object' && payload !== null && needsRecords(payload);
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return false;
    if (v instanceof Set) {
      for (const e of v) if (typeof e === 'object' && e !== null && needsRecords(e)) return true;
      return false;
    }
  }
  for (const k in v) {
    const e: unknown = (v as Record<string, unknown>)[k];
    if (typeof e === 'object' && e !== null && needsRecords(e)) return true;
  }
  return false;
}

/** The fast path's view of the class registry (see fast-codec.ts). */
/**
 * One-entry caches of the class registry for the fast path (messages repeat one ref class).
 * `lastCtor` is only set after checking that the instance's prototype is `lastCtor.prototype`,
 * and a hit compares `obj.constructor` (a property load) instead of calling
 * `Object.getPrototypeOf` (seen in perf as a C++ runtime call at this site). Both are reset by
 * `define`.
 */
let lastCtor: unknown;
let lastCtorDef: ClassDef | undefined;
let lastTag: string | undefined;
let lastTagDef: ClassDef | undefined;

const shapeHooks: ShapeClassHooks = {
  tag: undefined,
  writeClass(obj: object): unknown {
    const ctor = (obj as { constructor?: unknown }).constructor;
    let def: ClassDef | undefined;
    if (ctor === lastCtor && ctor !== undefined) def = lastCtorDef!;
    else {
      const proto: unknown = Object.getPrototypeOf(obj);
      def = proto === null ? undefined : byProto.get(proto as object);
      if (def === undefined) return NOT_REGISTERED;
      if (typeof ctor === 'function' && ctor.prototype === proto) {
        lastCtor = ctor;
        lastCtorDef = def;
      }
    }
    if (def.bindable && collecting !== null && (def.shouldBind === undefined || def.shouldBind(obj))) {
      const slot = collecting.length;
      collecting.push({ tag: def.tag, slot, value: def.toValue(obj) });
      this.tag = undefined;
      return slot;
    }
    this.tag = def.tag;
    return def.toValue(obj);
  },
  readClass(tag: string, value: unknown): unknown {
    let def: ClassDef | undefined;
    if (tag === lastTag) def = lastTagDef!;
    else {
      def = byTag.get(tag);
      if (!def)
        throw new DeserializationError(typeLabel(), `unknown class tag ${JSON.stringify(tag)} (register it with registerCodecClass on the receiving side)`);
      lastTag = tag;
      lastTagDef = def;
    }
    return def.fromValue(value);
  },
  readSlot: (slot: number): unknown => readExt(slot),
};

function packValue(value: unknown): Uint8Array {
  const fast = tryEncode(value, shapeHooks, collecting);
  if (fast !== undefined) return fast;
  if (typeof value === 'object' && value !== null) {
    scanLeft = SCAN_BUDGET;
    if (needsRecords(value)) {
      const body = recordsPackr.pack(value);
      const out = Buffer.allocUnsafe(body.length + 1); // pooled: much cheaper than a fresh ArrayBuffer
      out[0] = RECORDS_PREFIX;
      out.set(body, 1);
      return out;
    }
  }
  return plainPackr.pack(value);
}

function unpackValue(bytes: Uint8Array): unknown {
  if (bytes[0] === RECORDS_PREFIX) {
    if (bytes.length === 1) throw new DeserializationError(typeLabel(), 'record-mode prefix without a value');
    if (bytes[1] === SHAPE_MARK) return decodeShape(bytes, shapeHooks);
    return recordsUnpackr.unpack(bytes.subarray(1));
  }
  const v = plainUnpackr.unpack(bytes);
  if (v === C1) throw new DeserializationError(typeLabel(), 'invalid MessagePack byte 0xc1');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Class registry.

interface ClassDef {
  tag: string;
  Class: abstract new (...args: never[]) => unknown;
  bindable: boolean;
  toValue(obj: unknown): unknown;
  fromValue(value: unknown): unknown;
  shouldBind: ((obj: unknown) => boolean) | undefined;
}

const byTag = new Map<string, ClassDef>();
/**
 * Registered classes by prototype, for exact-class lookups (fast path, Map scan). A class is left
 * out when a later-registered superclass would win MessagePack's `instanceof` search for it.
 */
const byProto = new Map<object, ClassDef>();

/** Bindings being collected by the current `encodeMessage`, or null in plain `encode`. */
let collecting: Binding[] | null = null;
/** Bindings supplied to the current `decodeMessage`, or null in plain `decode`. */
let supplied: readonly Binding[] | null = null;
/** Type name given by the caller of the current encode/decode (computed lazily for errors). */
let currentTypeName: string | undefined;
let currentValue: unknown;
function typeLabel(): string {
  return currentTypeName ?? nameOf(currentValue);
}

function readExt(payload: unknown): unknown {
  if (typeof payload === 'number') {
    const b = supplied?.[payload];
    if (!b) {
      throw new DeserializationError(typeLabel(), `the data refers to binding slot ${payload} but ${supplied ? supplied.length : 0} binding(s) were supplied`);
    }
    const def = byTag.get(b.tag);
    if (!def) throw new DeserializationError(typeLabel(), `binding slot ${payload} has unknown tag ${JSON.stringify(b.tag)}`);
    return def.fromValue(b.value);
  }
  if (!Array.isArray(payload) || payload.length !== 2 || typeof payload[0] !== 'string') {
    throw new DeserializationError(typeLabel(), 'malformed class extension (expected [tag, value] or a slot number)');
  }
  const def = byTag.get(payload[0]);
  if (!def)
    throw new DeserializationError(typeLabel(), `unknown class tag ${JSON.stringify(payload[0])} (register it with registerCodecClass on the receiving side)`);
  return def.fromValue(payload[1]);
}

function define(def: ClassDef): void {
  if (byTag.has(def.tag)) throw new BindingError('DuplicateTag', `codec class tag ${JSON.stringify(def.tag)} is already registered`);
  byTag.set(def.tag, def);
  lastCtor = lastCtorDef = lastTag = lastTagDef = undefined;
  const proto = def.Class.prototype as object;
  for (const p of [...byProto.keys()]) if (p !== proto && Object.prototype.isPrototypeOf.call(proto, p)) byProto.delete(p);
  byProto.set(proto, def);
  addExtension({
    Class: def.Class as unknown as new (...args: unknown[]) => unknown,
    type: CODEC_EXT_TYPE,
    write: (obj: unknown): unknown => writeExt(def, obj),
    read: readExt,
  });
}

/** The extension payload of a registered instance: a binding slot (collected) or `[tag, value]`. */
function writeExt(def: ClassDef, obj: unknown): unknown {
  if (def.bindable && collecting !== null && (def.shouldBind === undefined || def.shouldBind(obj))) {
    const slot = collecting.length;
    collecting.push({ tag: def.tag, slot, value: def.toValue(obj) });
    return slot;
  }
  return [def.tag, def.toValue(obj)];
}

/**
 * Registers a class that is always encoded inline as `[tag, toValue(obj)]` and rebuilt with
 * `fromValue` (e.g. `OncePortRef`, `ActorRef`). `toValue` must return an encodable value.
 */
export function registerCodecClass<T>(spec: {
  tag: string;
  Class: abstract new (...args: never[]) => T;
  toValue(obj: T): unknown;
  fromValue(value: unknown): T;
}): void {
  define({
    tag: spec.tag,
    Class: spec.Class,
    bindable: false,
    toValue: spec.toValue as (o: unknown) => unknown,
    fromValue: spec.fromValue,
    shouldBind: undefined,
  });
}

/**
 * Registers a bindable class (e.g. `PortRef`): inside `encodeMessage` each instance becomes a
 * `Binding {tag, slot, value: extract(obj)}` and `rebind(value)` rebuilds it on decode; in plain
 * `encode` it is written inline. `shouldBind(obj) === false` keeps an instance inline (opt-out,
 * e.g. a port that must not be split).
 */
export function registerBindable<T>(spec: {
  tag: string;
  Class: abstract new (...args: never[]) => T;
  extract(obj: T): unknown;
  rebind(value: unknown): T;
  shouldBind?(obj: T): boolean;
}): void {
  define({
    tag: spec.tag,
    Class: spec.Class,
    bindable: true,
    toValue: spec.extract as (o: unknown) => unknown,
    fromValue: spec.rebind,
    shouldBind: spec.shouldBind as ((o: unknown) => boolean) | undefined,
  });
}

/** True if a class tag is registered. */
export function isRegisteredTag(tag: string): boolean {
  return byTag.has(tag);
}

// Built-ins: ids (as their canonical key), names, Rank (bindable).
const refFromText = (v: unknown): Reference => {
  if (typeof v !== 'string') throw new DeserializationError(typeLabel(), 'an id extension must carry a string');
  return parseReference(v);
};
for (const [tag, Class] of [
  ['id.world', WorldId],
  ['id.ranked', RankedProcId],
  ['id.direct', DirectProcId],
  ['id.gang', GangId],
  ['id.actor', ActorId],
  ['id.port', PortId],
] as const) {
  registerCodecClass<Reference>({
    tag,
    Class: Class as abstract new (...args: never[]) => Reference,
    toValue: (r) => r.key,
    fromValue: (v) => {
      const r = refFromText(v);
      if (!(r instanceof Class)) throw new DeserializationError(typeLabel(), `id extension ${tag} carried ${JSON.stringify(v)}`);
      return r;
    },
  });
}
registerCodecClass<Name>({
  tag: 'name',
  Class: Name as unknown as abstract new (...args: never[]) => Name,
  toValue: (n) => n.toString(),
  fromValue: (v) => Name.parse(String(v)),
});
registerCodecClass<ShortUuid>({
  tag: 'shortuuid',
  Class: ShortUuid,
  toValue: (u) => u.value,
  fromValue: (v) => {
    if (typeof v !== 'bigint') throw new DeserializationError(typeLabel(), 'a ShortUuid extension must carry a bigint');
    return new ShortUuid(v);
  },
});
registerBindable<Rank>({
  tag: RANK_TAG,
  Class: Rank,
  extract: (r) => (r.value === undefined ? null : r.value),
  rebind: (v) => {
    if (v === null || v === undefined) return new Rank(undefined);
    if (typeof v !== 'number') throw new DeserializationError(typeLabel(), `a rank binding must be a number or null, got ${typeof v}`);
    return new Rank(v);
  },
});

// ---------------------------------------------------------------------------------------------
// Encode / decode.

function nameOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') {
    const c = (value as { constructor?: { name?: string } }).constructor;
    return c?.name || 'Object';
  }
  return typeof value;
}

function wrapEncodeError(e: unknown, typeName: string): Error {
  if (e instanceof SerializationError) return e;
  const msg = e instanceof RangeError && /call stack/.test(e.message) ? 'the value is cyclic or nested too deeply' : e instanceof Error ? e.message : String(e);
  return new SerializationError(typeName, msg, { cause: e });
}

function wrapDecodeError(e: unknown, typeName: string): Error {
  if (e instanceof DeserializationError) return e;
  return new DeserializationError(typeName, e instanceof Error ? e.message : String(e), { cause: e });
}

/**
 * Serializes `value`. `typeName` (default: the value's class name) is only used in errors.
 * Throws `SerializationError`.
 */
export function encode(value: unknown, typeName?: string): Uint8Array {
  const saved = collecting;
  const savedName = currentTypeName;
  const savedValue = currentValue;
  collecting = null;
  currentTypeName = typeName;
  currentValue = value;
  try {
    return packValue(value);
  } catch (e) {
    throw wrapEncodeError(e, typeLabel());
  } finally {
    collecting = saved;
    currentTypeName = savedName;
    currentValue = savedValue;
  }
}

function checkBytes(bytes: unknown, typeName: string): asserts bytes is Uint8Array {
  // (the constructor compare first: `instanceof` is V8's slow generic path in Node)
  if ((bytes as { constructor?: unknown } | null)?.constructor !== Uint8Array && !(bytes instanceof Uint8Array)) {
    throw new DeserializationError(typeName, `expected a Uint8Array, got ${nameOf(bytes)}`);
  }
  if ((bytes as Uint8Array).length === 0) throw new DeserializationError(typeName, 'empty input (no MessagePack value)');
}

/** Unpacks `bytes` with `bindings` supplied to bindable slots (`null`: none allowed). */
function decodeWith(bytes: Uint8Array, bindings: readonly Binding[] | null, typeName: string): unknown {
  checkBytes(bytes, typeName);
  const saved = supplied;
  const savedName = currentTypeName;
  supplied = bindings;
  currentTypeName = typeName;
  try {
    return unpackValue(bytes);
  } catch (e) {
    throw wrapDecodeError(e, typeName);
  } finally {
    supplied = saved;
    currentTypeName = savedName;
  }
}

/** Deserializes bytes produced by `encode`. Throws `DeserializationError`. */
export function decode(bytes: Uint8Array, typeName = 'value'): unknown {
  return decodeWith(bytes, null, typeName);
}

/** A serialized message with its bindings extracted. */
export interface EncodedMessage {
  data: Uint8Array;
  /** In slot order; empty (and frozen) when the message has no bindable values. */
  bindings: readonly Binding[];
}

const NO_BINDINGS: readonly Binding[] = Object.freeze([]);
const scratchBindings: Binding[] = [];
let scratchFree = true;

/**
 * Serializes a message, extracting every bindable instance (Rank, registered port refs, …) into
 * `bindings` and leaving slot numbers in `data`. Throws `SerializationError`.
 */
export function encodeMessage(value: unknown, typeName?: string): EncodedMessage {
  return collectBindings(value, typeName, value, packValue)!;
}

const packFast = (value: unknown, list: Binding[]): Uint8Array | undefined => tryEncode(value, shapeHooks, list);
const packWithPrefix = (prefix: MessagePrefix, list: Binding[], tail: unknown): Uint8Array | undefined =>
  tryEncodeWithPrefix(prefix.bytes, tail as unknown[], shapeHooks, list);

/**
 * Runs `encode` with bindings collected (the outermost call into a reused list, copied out only
 * if non-empty) and the type name and value set for error messages; undefined when `encode` is.
 */
function collectBindings<A>(
  value: unknown,
  typeName: string | undefined,
  arg: A,
  encode: (arg: A, list: Binding[], value: unknown) => Uint8Array | undefined,
): EncodedMessage | undefined {
  const saved = collecting;
  const savedName = currentTypeName;
  const savedValue = currentValue;
  const outer = scratchFree;
  const list: Binding[] = outer ? scratchBindings : [];
  scratchFree = false;
  collecting = list;
  currentTypeName = typeName;
  currentValue = value;
  try {
    const data = encode(arg, list, value);
    if (data === undefined) return undefined;
    return { data, bindings: list.length === 0 ? NO_BINDINGS : outer ? list.slice() : list };
  } catch (e) {
    throw wrapEncodeError(e, typeLabel());
  } finally {
    if (outer) {
      if (scratchBindings.length !== 0) scratchBindings.length = 0;
      scratchFree = true;
    }
    collecting = saved;
    currentTypeName = savedName;
    currentValue = savedValue;
  }
}

/**
 * The reusable head of messages that share their leading values: see `encodeWithPrefix`. Made
 * from an example object whose last `tailKeys` values are `undefined`; undefined when the object
 * is not a small flat message or its leading values hold bindable instances.
 */
export interface MessagePrefix {
  readonly bytes: Uint8Array;
  readonly tailKeys: number;
}

export function messagePrefix(example: Record<string, unknown>, tailKeys: number): MessagePrefix | undefined {
  const enc = collectBindings(example, undefined, example, packFast);
  if (enc === undefined || enc.bindings.length !== 0) return undefined;
  const data = enc.data;
  if (data.length < tailKeys) return undefined;
  for (let i = data.length - tailKeys; i < data.length; i++) if (data[i] !== 0) return undefined; // (undefined is one 0 byte)
  return { bytes: data.slice(0, data.length - tailKeys), tailKeys };
}

/**
 * Encodes the message made of `prefix`'s leading values and `tail` (in key order): the same
 * bytes and bindings as `encodeMessage` of the whole object, without re-encoding the prefix.
 * Returns undefined when the tail cannot take the fast path (the caller encodes the object).
 */
export function encodeWithPrefix(prefix: MessagePrefix, tail: readonly unknown[], typeName?: string): EncodedMessage | undefined {
  if (tail.length !== prefix.tailKeys) return undefined;
  return collectBindings(tail, typeName, prefix, packWithPrefix);
}

/**
 * Deserializes a message, rebuilding each bindable instance from `bindings[slot]` (possibly
 * rewritten by `rebind`). Throws `DeserializationError` on malformed data or missing bindings.
 */
export function decodeMessage(data: Uint8Array, bindings: readonly Binding[], typeName = 'message'): unknown {
  return decodeWith(data, bindings, typeName);
}

/** Serializes a bindings list (for the wire envelope). */
export function encodeBindings(bindings: readonly Binding[]): Uint8Array {
  const flat: unknown[] = new Array(bindings.length * 2);
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    if (b.slot !== i) throw new SerializationError('Bindings', `binding ${i} has slot ${b.slot}; bindings must be in slot order`);
    flat[2 * i] = b.tag;
    flat[2 * i + 1] = b.value;
  }
  return encode(flat, 'Bindings');
}

/** Inverse of `encodeBindings`. Throws `DeserializationError`. */
export function decodeBindings(bytes: Uint8Array): Binding[] {
  const flat = decode(bytes, 'Bindings');
  if (!Array.isArray(flat) || flat.length % 2 !== 0) throw new DeserializationError('Bindings', 'expected an even-length array of tag, value');
  const out = new Array<Binding>(flat.length / 2);
  for (let i = 0; i < out.length; i++) {
    const tag = flat[2 * i];
    if (typeof tag !== 'string') throw new DeserializationError('Bindings', `binding ${i} has a non-string tag`);
    out[i] = { tag, slot: i, value: flat[2 * i + 1] };
  }
  return out;
}
