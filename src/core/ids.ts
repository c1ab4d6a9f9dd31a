/**
 * Identities (Monarch `hyperactor::reference`): WorldId, ProcId (ranked | direct), GangId,
 * ActorId, PortId, and the `Reference` union used by routing tables.
 *
 * Invariants enforced here:
 * - ids are immutable values; `equals` is structural and `key` is the canonical display form
 *   without the typed-port annotation, computed once and cached (cheap hash-map key).
 * - `toString()` is the canonical display form of Monarch's `impl Display for Reference`
 *   (hyperactor/src/reference.rs), and `parseReference(x.toString())`
 *   gives back an id equal to `x` (the `<type>` annotation of typed ports is ignored on parse).
 * - names never contain the delimiters `[ ] . , < >` or whitespace (checked on construction), so
 *   every display form parses back unambiguously.
 * - `compareReferences` is a total order: tuples (world?, rank?, direct(addr, name)?, actor?,
 *   pid?, port?) with absent sorting first, and every ranked/world reference before any direct one.
 */
import { ActormeshError } from '../base/errors.js';
import { typeNameOfPort, TYPED_PORT_BIT } from './typeinfo.js';
import { ADDR_EXPECTED, formatAddr, parseAddrWith } from './addr.js';

/**
 * Variants of `ReferenceParsingError` (Monarch hyperactor/src/reference.rs), with ours: `InvalidId`
 * (an id built from an invalid component).
 */
export type ReferenceParsingErrorVariant = 'Empty' | 'Unexpected' | 'WrongType' | 'Json' | 'ChannelAddr' | 'InvalidId';

/** A reference (actor, proc, port id) could not be parsed or built. */
export class ReferenceParsingError extends ActormeshError<'ReferenceParsingError', ReferenceParsingErrorVariant> {
  constructor(variant: ReferenceParsingErrorVariant, message: string, options?: { cause?: unknown }) {
    super('ReferenceParsingError', variant, message, options);
  }
}

/** A reference string (or JSON form) was malformed. `input` is the offending text. */
export class IdParseError extends ReferenceParsingError {
  readonly input: string;
  readonly expected: string;
  constructor(variant: Exclude<ReferenceParsingErrorVariant, 'InvalidId'>, input: string, expected: string, detail?: string) {
    super(variant, `invalid reference ${JSON.stringify(input)}: ${detail ? detail + '; ' : ''}expected ${expected}`);
    this.input = input;
    this.expected = expected;
  }
}

/** An id was constructed from an invalid component (bad name, negative rank, port out of u64). */
export class InvalidIdError extends ReferenceParsingError {
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, expected: string) {
    super('InvalidId', `invalid ${field} ${describe(value)}: expected ${expected}`);
    this.field = field;
    this.value = value;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return String(v);
  } catch {
    // e.g. an object made with Object.create(ActorId.prototype): its toString needs the brand
    const name = (v as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return `[${typeof name === 'string' ? name : 'object'} without id fields]`;
  }
}

const NAME_RE = /^[^[\].,<>\s]+$/;
const U64_MAX = (1n << 64n) - 1n;

function checkName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new InvalidIdError(field, name, 'a non-empty string without [ ] . , < > or whitespace');
  }
  return name;
}

function checkIndex(field: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidIdError(field, n, 'a non-negative safe integer');
  }
  return n;
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

function checkPort(n: unknown): bigint {
  if (typeof n === 'number') {
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidIdError('port index', n, 'an integer in 0..2^64-1');
    return BigInt(n);
  }
  if (typeof n !== 'bigint' || n < 0n || n > U64_MAX) {
    throw new InvalidIdError('port index', n, 'an integer in 0..2^64-1');
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Channel addresses embedded in direct proc ids.

const addrError = (input: string, why: string): IdParseError => new IdParseError('ChannelAddr', input, `a channel address ${ADDR_EXPECTED}`, why);

/**
 * Canonical text of the address part of a direct proc id, in the one channel-address grammar
 * (core/addr.ts: `tcp:1.2.3.4:5`, `tcp!…`, `tcp://h:p`, `unix:/p`, `unix:@name`, `ipc://`,
 * `local:N`, `inproc://N`). Throws `IdParseError`.
 */
export function parseChannelAddrText(text: string): string {
  return formatAddr(parseAddrWith(text, addrError));
}

// ---------------------------------------------------------------------------------------------
// Id classes.

/**
 * What every id class shares: `toString()` is the cached `key` (PortId overrides it to add the
 * typed-port annotation), `isPrefixOf` and `compare` follow `isPrefixOf` / `compareReferences`.
 */
export abstract class ReferenceBase {
  abstract get key(): string;
  toString(): string {
    return this.key;
  }
  isPrefixOf(other: Reference): boolean {
    return isPrefixOf(this as unknown as Reference, other);
  }
  compare(other: Reference): number {
    return compareReferences(this as unknown as Reference, other);
  }
}

/** A world: the namespace of ranked procs (an alloc's id in practice). Display `w`. */
export class WorldId extends ReferenceBase {
  readonly kind = 'world' as const;
  readonly name: string;
  constructor(name: string) {
    super();
    this.name = checkName('world name', name);
  }
  /** Parses the display form (see `parseReference`); throws `IdParseError`. */
  static parse(text: string): WorldId {
    return parseWorldId(text);
  }
  get key(): string {
    return this.name;
  }
  toJSON(): WorldIdJSON {
    return { kind: 'world', name: this.name };
  }
  equals(other: unknown): boolean {
    return other instanceof WorldId && other.name === this.name;
  }
  /** The ranked proc `w[rank]` of this world. */
  proc(rank: number): RankedProcId {
    return new RankedProcId(this, rank);
  }
}

/** A proc addressed by (world, rank). Display `w[3]`. */
export class RankedProcId extends ReferenceBase {
  readonly kind = 'ranked' as const;
  readonly world: WorldId;
  readonly rank: number;
  #k: string | undefined;
  constructor(world: WorldId, rank: number) {
    super();
    if (!(world instanceof WorldId)) throw new InvalidIdError('world', world, 'a WorldId');
    this.world = world;
    this.rank = checkIndex('rank', rank);
  }
  get key(): string {
    return (this.#k ??= `${this.world.name}[${this.rank}]`);
  }
  /** `x instanceof RankedProcId` without the `instanceof` (see `isActorId`). */
  static is(x: unknown): x is RankedProcId {
    return typeof x === 'object' && x !== null && #k in x;
  }
  toJSON(): RankedProcIdJSON {
    return { kind: 'ranked', world: this.world.name, rank: this.rank };
  }
  equals(other: unknown): boolean {
    return other instanceof RankedProcId && other.rank === this.rank && other.world.name === this.world.name;
  }
  /** Actor `name[pid]` in this proc. */
  actor(name: string, pid = 0): ActorId {
    return new ActorId(this, name, pid);
  }
}

/**
 * A proc addressed by (channel address, proc name): reachable by dialing `addr` (a host's
 * frontend), which multiplexes by name. Display `unix:@abc,myproc`. The constructor takes `addr`
 * as canonical text without re-parsing it (wire decoding); `ProcId.direct` parses it first.
 */
export class DirectProcId extends ReferenceBase {
  readonly kind = 'direct' as const;
  readonly addr: string;
  readonly name: string;
  #k: string | undefined;
  constructor(addr: string, name: string) {
    super();
    if (typeof addr !== 'string' || addr.length === 0 || addr.includes(',')) {
      throw new InvalidIdError('channel address', addr, 'a non-empty channel address without commas');
    }
    this.addr = addr;
    this.name = checkName('proc name', name);
  }
  get key(): string {
    return (this.#k ??= `${this.addr},${this.name}`);
  }
  /** `x instanceof DirectProcId` without the `instanceof` (see `isActorId`). */
  static is(x: unknown): x is DirectProcId {
    return typeof x === 'object' && x !== null && #k in x;
  }
  toJSON(): DirectProcIdJSON {
    return { kind: 'direct', addr: this.addr, name: this.name };
  }
  equals(other: unknown): boolean {
    return other instanceof DirectProcId && other.name === this.name && other.addr === this.addr;
  }
  actor(name: string, pid = 0): ActorId {
    return new ActorId(this, name, pid);
  }
}

/** Either kind of proc id. */
export type ProcId = RankedProcId | DirectProcId;

/** Constructors and parsing for proc ids. */
export const ProcId = {
  ranked(world: WorldId | string, rank: number): RankedProcId {
    return new RankedProcId(typeof world === 'string' ? new WorldId(world) : world, rank);
  },
  /** `addr` is parsed and canonicalized (core/addr.ts); a bad one throws `IdParseError`. */
  direct(addr: string, name: string): DirectProcId {
    return new DirectProcId(parseChannelAddrText(addr), name);
  },
  parse(text: string): ProcId {
    return parseProcId(text);
  },
  isProcId(v: unknown): v is ProcId {
    return v instanceof RankedProcId || v instanceof DirectProcId;
  },
};

/** Legacy (world, actor name) gang reference, display `w.actor`. Kept for parsing and ordering. */
export class GangId extends ReferenceBase {
  readonly kind = 'gang' as const;
  readonly world: WorldId;
  readonly name: string;
  #k: string | undefined;
  constructor(world: WorldId, name: string) {
    super();
    if (!(world instanceof WorldId)) throw new InvalidIdError('world', world, 'a WorldId');
    this.world = world;
    this.name = checkName('actor name', name);
  }
  get key(): string {
    return (this.#k ??= `${this.world.name}.${this.name}`);
  }
  toJSON(): GangIdJSON {
    return { kind: 'gang', world: this.world.name, name: this.name };
  }
  equals(other: unknown): boolean {
    return other instanceof GangId && other.name === this.name && other.world.name === this.world.name;
  }
}

/**
 * An actor: (proc, name, pid). pid 0 is the root actor with that name; children get 1, 2, ….
 * Display: ranked `w[3].trainer[0]`, direct `tcp:1.2.3.4:5,myproc,trainer[0]`.
 */
export class ActorId extends ReferenceBase {
  readonly kind = 'actor' as const;
  readonly proc: ProcId;
  readonly name: string;
  readonly pid: number;
  #k: string | undefined;
  constructor(proc: ProcId, name: string, pid = 0) {
    super();
    if (!(RankedProcId.is(proc) || DirectProcId.is(proc))) throw new InvalidIdError('proc', proc, 'a ProcId');
    this.proc = proc;
    this.name = checkName('actor name', name);
    this.pid = checkIndex('pid', pid);
  }
  /** Parses the display form (see `parseReference`); throws `IdParseError`. */
  static parse(text: string): ActorId {
    return parseActorId(text);
  }
  get key(): string {
    return (this.#k ??= `${this.proc.key}${this.proc.kind === 'ranked' ? '.' : ','}${this.name}[${this.pid}]`);
  }
  /**
   * `x instanceof ActorId`, as a private-field brand check: in Node, `instanceof` takes V8's
   * generic path (a `Symbol.hasInstance` lookup; Node's streams define one, which disables the
   * fast path process-wide) — measured on the ask path of every id construction.
   */
  static isActorId(x: unknown): x is ActorId {
    return typeof x === 'object' && x !== null && #k in x;
  }
  toJSON(): ActorIdJSON {
    return { kind: 'actor', proc: this.proc.toJSON(), name: this.name, pid: this.pid };
  }
  equals(other: unknown): boolean {
    return other instanceof ActorId && other.pid === this.pid && other.name === this.name && this.proc.equals(other.proc);
  }
  /** The port `index` of this actor. */
  port(index: bigint | number): PortId {
    return new PortId(this, index);
  }
  /** The root actor (pid 0) with this actor's name in the same proc. */
  root(): ActorId {
    return this.pid === 0 ? this : new ActorId(this.proc, this.name, 0);
  }
  /** A child id of this actor's root with the given pid (children keep the root's name). */
  child(pid: number): ActorId {
    return new ActorId(this.proc, this.name, pid);
  }
}

/**
 * A port of an actor: (actor, u64 index). Typed handler ports have bit 63 set and display as
 * `[N<type::name>]` when the type is registered in this process (see typeinfo.ts).
 */
export class PortId extends ReferenceBase {
  readonly kind = 'port' as const;
  readonly actor: ActorId;
  readonly index: bigint;
  #k: string | undefined;
  /** `index` as a number when below 2^53, else -1 (port tables key small indices by number). */
  #n: number;
  constructor(actor: ActorId, index: bigint | number) {
    super();
    if (!ActorId.isActorId(actor)) throw new InvalidIdError('actor', actor, 'an ActorId');
    this.actor = actor;
    this.index = checkPort(index);
    this.#n = typeof index === 'number' ? index : index <= MAX_SAFE_BIG ? Number(index) : -1;
  }
  /** The index as a number if it is below 2^53, else -1 (no BigInt conversion on hot paths). */
  get smallIndex(): number {
    return this.#n;
  }
  /** Canonical form without the type annotation. */
  /** Parses the display form (see `parseReference`); throws `IdParseError`. */
  static parse(text: string): PortId {
    return parsePortId(text);
  }
  get key(): string {
    return (this.#k ??= `${this.actor.key}[${this.index}]`);
  }
  override toString(): string {
    if ((this.index & TYPED_PORT_BIT) !== 0n) {
      const t = typeNameOfPort(this.index);
      if (t !== undefined) return `${this.actor.key}[${this.index}<${t}>]`;
    }
    return this.key;
  }
  toJSON(): PortIdJSON {
    return { kind: 'port', actor: this.actor.toJSON(), index: this.index.toString() };
  }
  equals(other: unknown): boolean {
    return other instanceof PortId && other.index === this.index && this.actor.equals(other.actor);
  }
}

/** Anything a routing table can be keyed by. */
export type Reference = WorldId | RankedProcId | DirectProcId | GangId | ActorId | PortId;

// ---------------------------------------------------------------------------------------------
// JSON forms (for codecs): plain objects; port index as a decimal string (u64 exceeds 2^53).

export interface WorldIdJSON {
  kind: 'world';
  name: string;
}
export interface RankedProcIdJSON {
  kind: 'ranked';
  world: string;
  rank: number;
}
export interface DirectProcIdJSON {
  kind: 'direct';
  addr: string;
  name: string;
}
export type ProcIdJSON = RankedProcIdJSON | DirectProcIdJSON;
export interface GangIdJSON {
  kind: 'gang';
  world: string;
  name: string;
}
export interface ActorIdJSON {
  kind: 'actor';
  proc: ProcIdJSON;
  name: string;
  pid: number;
}
export interface PortIdJSON {
  kind: 'port';
  actor: ActorIdJSON;
  index: string;
}
export type ReferenceJSON = WorldIdJSON | ProcIdJSON | GangIdJSON | ActorIdJSON | PortIdJSON;

function jsonError(v: unknown, expected: string, detail?: string): IdParseError {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return new IdParseError('Json', text, expected, detail);
}

/** Rebuilds any reference from its `toJSON()` form. Throws `IdParseError` (variant `Json`). */
export function referenceFromJSON(v: unknown): Reference {
  if (typeof v !== 'object' || v === null) throw jsonError(v, 'a reference JSON object with a kind field');
  const o = v as Record<string, unknown>;
  try {
    switch (o.kind) {
      case 'world':
        return new WorldId(o.name as string);
      case 'ranked':
        return new RankedProcId(new WorldId(o.world as string), o.rank as number);
      case 'direct':
        return new DirectProcId(o.addr as string, o.name as string);
      case 'gang':
        return new GangId(new WorldId(o.world as string), o.name as string);
      case 'actor': {
        const p = referenceFromJSON(o.proc);
        if (!(p instanceof RankedProcId || p instanceof DirectProcId)) throw jsonError(v, 'an actor JSON with a proc');
        return new ActorId(p, o.name as string, o.pid as number);
      }
      case 'port': {
        const a = referenceFromJSON(o.actor);
        if (!(a instanceof ActorId)) throw jsonError(v, 'a port JSON with an actor');
        if (typeof o.index !== 'string' || !/^\d+$/.test(o.index)) throw jsonError(v, 'a port index as a decimal string');
        return new PortId(a, BigInt(o.index));
      }
      default:
        throw jsonError(v, 'kind world, ranked, direct, gang, actor or port');
    }
  } catch (e) {
    if (e instanceof InvalidIdError) throw jsonError(v, 'valid id fields', e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing (Monarch hyperactor/src/reference.rs `impl FromStr for Reference`).

const EXPECTED_ANY = 'w, w[rank], w.actor, w[rank].actor[pid], w[rank].actor[pid][port] or addr,proc[,actor[pid][port]]';

class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly start: number,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.pos];
  }
  fail(expected: string, detail?: string): IdParseError {
    const at = detail ?? (this.done ? 'unexpected end' : `unexpected ${JSON.stringify(this.text[this.pos])} at offset ${this.pos}`);
    return new IdParseError('Unexpected', this.text, expected, at);
  }
  elem(what: string): string {
    const s = this.pos;
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      // [ ] . , < > and whitespace end an element
      if (c === 91 || c === 93 || c === 46 || c === 44 || c === 60 || c === 62 || c <= 32) break;
      this.pos++;
    }
    if (this.pos === s) throw this.fail(what);
    return t.slice(s, this.pos);
  }
  uint(what: string): string {
    const s = this.pos;
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c < 48 || c > 57) break;
      this.pos++;
    }
    if (this.pos === s) throw this.fail(what);
    return t.slice(s, this.pos);
  }
  expect(ch: string, what: string): void {
    if (this.text[this.pos] !== ch) throw this.fail(what);
    this.pos++;
  }
}

function toIndex(c: Cursor, digits: string, what: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw c.fail(what, `${what} ${digits} is too large`);
  return n;
}

/** Parses `[pid]` and optional `[port<type>]` after an actor name. */
function parseActorTail(c: Cursor, proc: ProcId, name: string): ActorId | PortId {
  if (c.done) return new ActorId(proc, name, 0);
  c.expect('[', "'[' before the pid");
  const pid = toIndex(c, c.uint('a pid (unsigned integer)'), 'pid');
  c.expect(']', "']' after the pid");
  const actor = new ActorId(proc, name, pid);
  if (c.done) return actor;
  c.expect('[', "'[' before the port index or end of input");
  const digits = c.uint('a port index (unsigned integer)');
  const index = BigInt(digits);
  if (index > U64_MAX) throw c.fail('a port index in 0..2^64-1', `port index ${digits} exceeds u64`);
  if (c.peek() === '<') {
    // Ignored type annotation: everything up to the final '>]'.
    const t = c.text;
    if (!t.endsWith('>]') || t.length - 2 <= c.pos + 1) throw c.fail("a type annotation '<type>]' closing the port");
    c.pos = t.length;
  } else {
    c.expect(']', "']' after the port index");
  }
  if (!c.done) throw c.fail('end of input after the port');
  return new PortId(actor, index);
}

function parseOld(text: string): Reference {
  const c = new Cursor(text, 0);
  const world = new WorldId(c.elem(`a world name (${EXPECTED_ANY})`));
  if (c.done) return world;
  if (c.peek() === '.') {
    c.pos++;
    const name = c.elem('an actor name after the dot');
    if (!c.done) throw c.fail('end of input after a gang reference w.actor (use w[rank].actor for an actor)');
    return new GangId(world, name);
  }
  c.expect('[', "'[' before a rank or '.' before an actor name");
  const rank = toIndex(c, c.uint('a rank (unsigned integer)'), 'rank');
  c.expect(']', "']' after the rank");
  const proc = new RankedProcId(world, rank);
  if (c.done) return proc;
  c.expect('.', "'.' before an actor name");
  const name = c.elem('an actor name');
  return parseActorTail(c, proc, name);
}

function parseNew(text: string, comma: number): Reference {
  const addr = formatAddr(
    parseAddrWith(
      text.slice(0, comma),
      (head, why) => new IdParseError('ChannelAddr', text, `a channel address before the first comma (${ADDR_EXPECTED})`, `${JSON.stringify(head)}: ${why}`),
    ),
  );
  const c = new Cursor(text, comma + 1);
  const procName = c.elem('a proc name after the channel address');
  const proc = new DirectProcId(addr, procName);
  if (c.done) return proc;
  c.expect(',', "',' before an actor name");
  const name = c.elem('an actor name');
  return parseActorTail(c, proc, name);
}

/** Parses any reference display form (see the module comment). Throws `IdParseError` on malformed text. */
export function parseReference(text: string): Reference {
  if (typeof text !== 'string') throw new IdParseError('Empty', String(text), `a reference string (${EXPECTED_ANY})`, `got ${typeof text}`);
  if (text.length === 0) throw new IdParseError('Empty', text, `a reference string (${EXPECTED_ANY})`, 'empty string');
  const comma = text.indexOf(',');
  return comma >= 0 ? parseNew(text, comma) : parseOld(text);
}

function wrongType(text: string, expected: string, got: Reference): IdParseError {
  return new IdParseError('WrongType', text, expected, `got a ${got.kind} reference`);
}

export function parseWorldId(text: string): WorldId {
  const r = parseReference(text);
  if (r instanceof WorldId) return r;
  throw wrongType(text, 'a world id `w`', r);
}

export function parseProcId(text: string): ProcId {
  const r = parseReference(text);
  if (r instanceof RankedProcId || r instanceof DirectProcId) return r;
  throw wrongType(text, 'a proc id `w[rank]` or `addr,name`', r);
}

export function parseActorId(text: string): ActorId {
  const r = parseReference(text);
  if (r instanceof ActorId) return r;
  throw wrongType(text, 'an actor id `w[rank].actor[pid]` or `addr,proc,actor[pid]`', r);
}

export function parsePortId(text: string): PortId {
  const r = parseReference(text);
  if (r instanceof PortId) return r;
  throw wrongType(text, 'a port id `w[rank].actor[pid][port]` or `addr,proc,actor[pid][port]`', r);
}

// ---------------------------------------------------------------------------------------------
// Order and prefixes.

function worldOf(r: Reference): WorldId | undefined {
  switch (r.kind) {
    case 'world':
      return r;
    case 'ranked':
    case 'gang':
      return r.world;
    case 'direct':
      return undefined;
    case 'actor':
      return r.proc.kind === 'ranked' ? r.proc.world : undefined;
    case 'port':
      return r.actor.proc.kind === 'ranked' ? r.actor.proc.world : undefined;
  }
}

function procOf(r: Reference): ProcId | undefined {
  switch (r.kind) {
    case 'ranked':
    case 'direct':
      return r;
    case 'actor':
      return r.proc;
    case 'port':
      return r.actor.proc;
    default:
      return undefined;
  }
}

function actorNameOf(r: Reference): string | undefined {
  switch (r.kind) {
    case 'gang':
    case 'actor':
      return r.name;
    case 'port':
      return r.actor.name;
    default:
      return undefined;
  }
}

function pidOf(r: Reference): number | undefined {
  return r.kind === 'actor' ? r.pid : r.kind === 'port' ? r.actor.pid : undefined;
}

function cmpStr(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

function cmpNum<T extends number | bigint>(a: T | undefined, b: T | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/**
 * Total order over references (Monarch's `Ord for Reference`, with the intended "ranked before
 * direct"): `w` < `w.actor` < `w[1]` < `w[1].a` < `w[2]` < … < any direct reference. (Monarch's
 * hyperactor/src/reference.rs `impl Ord for Reference` compares a tuple whose first element,
 * `world_id()`, is None for direct procs, so it sorts direct procs before ranked ones although
 * its comment says "Ranked procs precede direct procs"; we do what the comment says.)
 */
export function compareReferences(a: Reference, b: Reference): number {
  const pa = procOf(a);
  const pb = procOf(b);
  const da = pa?.kind === 'direct' ? pa : undefined;
  const db = pb?.kind === 'direct' ? pb : undefined;
  if ((da === undefined) !== (db === undefined)) return da === undefined ? -1 : 1;
  let c = cmpStr(worldOf(a)?.name, worldOf(b)?.name);
  if (c) return c;
  c = cmpNum(pa?.kind === 'ranked' ? pa.rank : undefined, pb?.kind === 'ranked' ? pb.rank : undefined);
  if (c) return c;
  if (da && db) {
    c = cmpStr(da.addr, db.addr);
    if (c) return c;
    c = cmpStr(da.name, db.name);
    if (c) return c;
  }
  c = cmpStr(actorNameOf(a), actorNameOf(b));
  if (c) return c;
  c = cmpNum(pidOf(a), pidOf(b));
  if (c) return c;
  return cmpNum(a.kind === 'port' ? a.index : undefined, b.kind === 'port' ? b.index : undefined);
}

/** Structural equality of two references of any kind. */
export function referencesEqual(a: Reference, b: Reference): boolean {
  return a.equals(b);
}

/**
 * Prefix test for routing: a world prefixes everything in it, a gang everything with its world
 * and actor name, a proc everything in it; actor and port references only match themselves.
 */
export function isPrefixOf(prefix: Reference, other: Reference): boolean {
  switch (prefix.kind) {
    case 'world':
      return worldOf(other)?.name === prefix.name;
    case 'gang':
      return worldOf(other)?.name === prefix.world.name && actorNameOf(other) === prefix.name;
    case 'ranked':
    case 'direct': {
      const p = procOf(other);
      return p !== undefined && prefix.equals(p);
    }
    case 'actor':
    case 'port':
      return prefix.equals(other);
  }
}
