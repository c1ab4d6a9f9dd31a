/**
 * StatusMesh / StatusOverlay: the `ValueMesh<Status>` / `ValueOverlay<Status>` of the spawn/stop
 * status pipeline (Monarch hyperactor_mesh/src/v1.rs `StatusMesh`, `StatusOverlay`), specialised on interned status codes so merges run in
 * the `rle` WASM kernel over u32 `(start, end, code)` triples.
 *
 * Invariants: codes 0..4 are the payload-free statuses (their declaration order); codes >= 5 name
 * `Failed(msg)` / `Timeout(d)` payloads in the owner's `StatusTable`, and equal statuses always get
 * the same code within one table, so code equality is status equality. Overlay runs are sorted,
 * non-empty, non-overlapping and coalesced; mesh runs are in addition gap-free over `0..numRanks`.
 * A mesh caches its NotExist count (exact after every merge), so completion checks are O(1)
 * (docs/architecture.md VM-2).
 */
import { Region, viewIter, rangeView, checkSubset, type Point, type Range, type View } from '../ndslice/index.js';
import { InvalidStatus, OutOfBounds, OverlayEmptyRange, checkRank, type RankRange } from './errors.js';
import { countCodeBelow, decodeCodeRuns, encodeDenseCodes, mergeCodeRuns } from './kernels.js';
import type { ValueRun } from './rle.js';
import { Status, StatusCode, type StatusJson } from './status.js';
import { ValueMesh } from './value-mesh.js';
import { ValueOverlay, normalize } from './value-overlay.js';

const NOT_EXIST = StatusCode.NotExist;
const NO_CODE = 0xffffffff;

/** Side table: status ↔ small integer code (payload-free statuses are their own codes 0..4). */
export class StatusTable {
  private readonly list: Status[] = [Status.NotExist, Status.Initializing, Status.Running, Status.Stopping, Status.Stopped];
  private readonly byKey = new Map<string, number>();

  code(s: Status): number {
    if (s.code < StatusCode.Failed) return s.code;
    const hit = this.byKey.get(s.key);
    if (hit !== undefined) return hit;
    this.list.push(s);
    this.byKey.set(s.key, this.list.length - 1);
    return this.list.length - 1;
  }
  status(code: number): Status {
    return this.list[code]!;
  }
  get size(): number {
    return this.list.length;
  }
  clone(): StatusTable {
    const t = new StatusTable();
    for (let i = StatusCode.Failed; i < this.list.length; i++) t.code(this.list[i]!);
    return t;
  }
  /** Codes of `other` translated into this table (index = other's code). */
  translate(other: StatusTable): Uint32Array {
    const map = new Uint32Array(other.size);
    for (let i = 0; i < other.size; i++) map[i] = i < StatusCode.Failed ? i : this.code(other.status(i));
    return map;
  }
}

function asStatus(v: unknown): Status {
  return v instanceof Status ? v : Status.fromJSON(v);
}

/** A growable buffer of u32 triples. */
class Triples {
  buf: Uint32Array;
  count = 0;
  constructor(cap = 4) {
    this.buf = new Uint32Array(cap * 3);
  }
  push(s: number, e: number, c: number): void {
    if ((this.count + 1) * 3 > this.buf.length) {
      const b = new Uint32Array(this.buf.length * 2 + 3);
      b.set(this.buf);
      this.buf = b;
    }
    const p = this.count * 3;
    this.buf[p] = s;
    this.buf[p + 1] = e;
    this.buf[p + 2] = c;
    this.count++;
  }
  view(): Uint32Array {
    return this.buf.subarray(0, this.count * 3);
  }
}

/**
 * A sparse status patch (ValueOverlay<Status> semantics, value-overlay.ts) over interned codes. Runs are a flat
 * `[start, end, code, …]` array (a single-rank agent reply is one small object plus one array).
 */
export class StatusOverlay {
  private tbl: StatusTable | undefined;
  /** @internal flat `(start, end, code)` triples, sorted, coalesced. */
  flat: number[];

  constructor(table?: StatusTable) {
    this.tbl = table;
    this.flat = [];
  }

  /** @internal the side table of payload codes (created on first payload status). */
  get table(): StatusTable {
    return (this.tbl ??= new StatusTable());
  }
  /** @internal true when some code >= 5 may occur (a side table exists). */
  get hasPayloads(): boolean {
    return this.tbl !== undefined && this.tbl.size > StatusCode.Failed;
  }
  private codeOf(s: Status): number {
    return s.code < StatusCode.Failed ? s.code : this.table.code(s);
  }

  /** The reply of an agent: `[(rank..rank+1, status)]`. */
  static single(rank: number, status: Status): StatusOverlay {
    checkRank('rank', rank);
    checkRank('run end (rank + 1)', rank + 1);
    const o = new StatusOverlay();
    o.flat = [rank, rank + 1, o.codeOf(asStatus(status))];
    return o;
  }

  /** Runs in any order; empty runs (`EmptyRange`) then overlaps (`OverlappingRanges`) are rejected. */
  static tryFromRuns(runs: Iterable<ValueRun<Status> | readonly [number, number, Status]>): StatusOverlay {
    const o = new StatusOverlay();
    const coded: ValueRun<number>[] = [];
    for (const r of runs) {
      const [start, end, value] = Array.isArray(r)
        ? (r as readonly [number, number, Status])
        : [(r as ValueRun<Status>).start, (r as ValueRun<Status>).end, (r as ValueRun<Status>).value];
      checkRank('run start', start);
      checkRank('run end', end);
      coded.push({ start, end, value: o.codeOf(asStatus(value)) });
    }
    for (const r of coded) if (r.end <= r.start) throw new OverlayEmptyRange(r);
    for (const r of normalize(coded, codeEq)) o.flat.push(r.start, r.end, r.value);
    return o;
  }

  static fromValueOverlay(v: ValueOverlay<Status>): StatusOverlay {
    return StatusOverlay.tryFromRuns(v.runsView());
  }

  isEmpty(): boolean {
    return this.flat.length === 0;
  }
  get length(): number {
    return this.flat.length / 3;
  }

  /** Same contract as `ValueOverlay.pushRun` (incl. the overlay emptying on an overlap error). */
  pushRun(range: RankRange, status: Status): void {
    const start = checkRank('run start', range.start);
    const end = checkRank('run end', range.end);
    if (end <= start) throw new OverlayEmptyRange({ start, end });
    const code = this.codeOf(asStatus(status));
    const f = this.flat;
    const p = f.length - 3;
    if (p >= 0 && f[p + 1]! <= start) {
      if (f[p + 1] === start && f[p + 2] === code) f[p + 1] = end;
      else f.push(start, end, code);
      return;
    }
    const all = this.codeRunList();
    this.flat = [];
    all.push({ start, end, value: code });
    const out: number[] = [];
    for (const r of normalize(all, codeEq)) out.push(r.start, r.end, r.value);
    this.flat = out;
  }

  /** The runs with their statuses. */
  runs(): ValueRun<Status>[] {
    return this.codeRunList().map((r) => ({ start: r.start, end: r.end, value: this.table.status(r.value) }));
  }

  toValueOverlay(): ValueOverlay<Status> {
    return ValueOverlay.tryFromRuns(this.runs());
  }

  /** @internal a copy of the triples `(start, end, code)`. */
  codeRuns(): Uint32Array {
    return Uint32Array.from(this.flat);
  }

  private codeRunList(): ValueRun<number>[] {
    const out: ValueRun<number>[] = [];
    const b = this.flat;
    for (let j = 0; j < b.length; j += 3) out.push({ start: b[j]!, end: b[j + 1]!, value: b[j + 2]! });
    return out;
  }

  /** Wire form: `[[start, end, status serde], …]`. */
  toJSON(): [number, number, StatusJson][] {
    return this.runs().map((r) => [r.start, r.end, r.value.toJSON()]);
  }
  /** Inverse of `toJSON`; validated like `tryFromRuns` (typed errors on malformed input). */
  static fromJSON(x: unknown): StatusOverlay {
    if (!Array.isArray(x) || !x.every((r) => Array.isArray(r) && r.length === 3)) {
      throw new InvalidStatus(x, 'a status overlay is an array of [start, end, status] triples');
    }
    return StatusOverlay.tryFromRuns(x.map((r) => [r[0], r[1], Status.fromJSON(r[2])] as const));
  }

  equals(other: StatusOverlay): boolean {
    const a = this.runs();
    const b = other.runs();
    return a.length === b.length && a.every((r, i) => r.start === b[i]!.start && r.end === b[i]!.end && r.value.equals(b[i]!.value));
  }
}

function codeEq(a: number, b: number): boolean {
  return a === b;
}

/** Triples of `o` with codes translated into `table`. */
function translatedRuns(o: StatusOverlay, table: StatusTable): Uint32Array {
  const src = o.codeRuns();
  if (!o.hasPayloads || o.table === table) return src;
  const map = table.translate(o.table);
  const out = new Uint32Array(src.length);
  for (let j = 0; j < src.length; j += 3) {
    out[j] = src[j]!;
    out[j + 1] = src[j + 1]!;
    out[j + 2] = map[src[j + 2]!]!;
  }
  return out;
}

/**
 * CommReducer for status overlays: right-wins merge (one WASM call), result stays sparse. The merged
 * run list is sorted, non-overlapping and coalesced by construction, which is exactly what
 * `tryFromRuns` would re-validate.
 */
export function reduceStatusOverlays(left: StatusOverlay, right: StatusOverlay): StatusOverlay {
  const out = new StatusOverlay(left.hasPayloads ? left.table.clone() : undefined);
  const l = left.codeRuns();
  const r = right.hasPayloads ? translatedRuns(right, out.table) : right.codeRuns();
  const merged = mergeCodeRuns(l, l.length / 3, r, r.length / 3, NO_CODE);
  out.flat = Array.from(merged.runs);
  return out;
}

export const statusOverlayReducer = {
  reduce(left: StatusOverlay, right: StatusOverlay): StatusOverlay {
    return reduceStatusOverlays(left, right);
  },
};

/** Anything waitRankStatus can read a completion state from. */
export interface StatusSnapshot {
  /** Number of NotExist ranks among ranks `0..limit` (all ranks when omitted). */
  countNotExist(limit?: number): number;
  /** The statuses as an immutable StatusMesh. */
  toStatusMesh(): StatusMesh;
}

/**
 * A complete rank → Status map (ValueMesh<Status> semantics), stored as gap-free code runs.
 * Merges leave it coalesced with a table that only holds statuses seen by this mesh.
 */
export class StatusMesh implements View<Status>, StatusSnapshot {
  private reg: Region;
  /** @internal */ runsBuf: Uint32Array;
  /** @internal */ table: StatusTable;
  private notExist: number;

  /** @internal use the static constructors. */
  constructor(region: Region, runs: Uint32Array, table: StatusTable, notExist?: number) {
    this.reg = region;
    this.runsBuf = runs;
    this.table = table;
    this.notExist = notExist ?? countCodeBelow(runs, runs.length / 3, NOT_EXIST, region.numRanks);
  }

  /** Every rank has `status` (the accumulator template is `fromSingle(region, NotExist)`). */
  static fromSingle(region: Region, status: Status = Status.NotExist): StatusMesh {
    const n = region.numRanks;
    const table = new StatusTable();
    const runs = n === 0 ? new Uint32Array(0) : Uint32Array.of(0, n, table.code(asStatus(status)));
    return new StatusMesh(region, runs, table);
  }

  /** One status per rank (`InvalidRankCardinality` on a length mismatch); encoded in WASM. */
  static fromStatuses(region: Region, statuses: readonly Status[]): StatusMesh {
    const vm = ValueMesh.new(region, statuses); // length check
    const table = new StatusTable();
    const codes = new Uint32Array(statuses.length);
    vm.values().forEach((s, i) => (codes[i] = table.code(asStatus(s))));
    const enc = encodeDenseCodes(codes, NOT_EXIST);
    return new StatusMesh(region, enc.runs, table, enc.counted);
  }

  static fromValueMesh(vm: ValueMesh<Status>): StatusMesh {
    const table = new StatusTable();
    const t = new Triples();
    for (const r of vm.materializedRuns()) {
      const c = table.code(asStatus(r.value));
      const p = (t.count - 1) * 3;
      if (t.count > 0 && t.buf[p + 1] === r.start && t.buf[p + 2] === c) t.buf[p + 1] = r.end;
      else t.push(r.start, r.end, c);
    }
    return new StatusMesh(vm.region(), t.view().slice(), table);
  }

  region(): Region {
    return this.reg;
  }
  get numRanks(): number {
    return this.reg.numRanks;
  }
  /** Number of runs. */
  get runCount(): number {
    return this.runsBuf.length / 3;
  }

  get(rank: number): Status | undefined {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.reg.numRanks) return undefined;
    const b = this.runsBuf;
    let lo = 0;
    let hi = b.length / 3 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (rank < b[mid * 3]!) hi = mid - 1;
      else if (rank >= b[mid * 3 + 1]!) lo = mid + 1;
      else return this.table.status(b[mid * 3 + 2]!);
    }
    return undefined;
  }

  values(): Status[] {
    const n = this.reg.numRanks;
    const codes = decodeCodeRuns(this.runsBuf, this.runCount, n, NOT_EXIST);
    const out = new Array<Status>(n);
    for (let i = 0; i < n; i++) out[i] = this.table.status(codes[i]!);
    return out;
  }

  iter(): IterableIterator<[Point, Status]> {
    return viewIter<Status>(this);
  }

  /** `(start, end, status)` per run, coalesced. */
  runs(): ValueRun<Status>[] {
    const b = this.runsBuf;
    const out: ValueRun<Status>[] = [];
    for (let j = 0; j < b.length; j += 3) out.push({ start: b[j]!, end: b[j + 1]!, value: this.table.status(b[j + 2]!) });
    return out;
  }

  countNotExist(limit?: number): number {
    if (limit === undefined || limit >= this.reg.numRanks) return this.notExist;
    return countCodeBelow(this.runsBuf, this.runCount, NOT_EXIST, limit);
  }

  /** True when no rank among `0..numRanks` (default: all) is NotExist. */
  isComplete(numRanks?: number): boolean {
    return this.countNotExist(numRanks) === 0;
  }

  toStatusMesh(): StatusMesh {
    return this;
  }

  /**
   * Right-wins merge of `overlay` (one WASM call): any run ending past `numRanks` →
   * `OutOfBounds{range, region_len}` and nothing changes; the NotExist count stays exact.
   */
  mergeFromOverlay(overlay: StatusOverlay | ValueOverlay<Status>): this {
    const o = overlay instanceof StatusOverlay ? overlay : StatusOverlay.fromValueOverlay(overlay);
    const n = this.reg.numRanks;
    const src = o.codeRuns();
    for (let j = 0; j < src.length; j += 3) if (src[j + 1]! > n) throw new OutOfBounds({ start: src[j]!, end: src[j + 1]! }, n);
    const right = translatedRuns(o, this.table);
    const merged = mergeCodeRuns(this.runsBuf, this.runCount, right, right.length / 3, NOT_EXIST);
    this.runsBuf = merged.runs;
    this.notExist = merged.counted;
    return this;
  }

  /** Dense StatusMesh-equivalent ValueMesh over `sub` (a subset of the region). */
  sliced(sub: Region): ValueMesh<Status> {
    return this.toValueMesh().sliced(sub);
  }
  subset(sub: Region): ValueMesh<Status> {
    checkSubset(this.reg, sub);
    return this.sliced(sub);
  }
  range(dim: string, r: Range | number | readonly [number, (number | null)?, number?]): ValueMesh<Status> {
    return rangeView<Status, ValueMesh<Status>>(this, dim, r);
  }

  /** The generic mesh: Compressed, globally de-duplicated table (as after Rust's merge). */
  toValueMesh(): ValueMesh<Status> {
    const vm = ValueMesh.fromSingle<Status>(this.reg, Status.NotExist);
    if (this.reg.numRanks === 0) return vm;
    return vm.mergeFromOverlay(ValueOverlay.tryFromRuns(this.runs()));
  }

  clone(): StatusMesh {
    return new StatusMesh(this.reg, this.runsBuf.slice(), this.table.clone(), this.notExist);
  }

  /** Same region and the same statuses rank by rank (runs are canonical, so run-wise). */
  equals(other: StatusMesh): boolean {
    if (!(other instanceof StatusMesh) || !this.reg.equals(other.reg) || this.runCount !== other.runCount) return false;
    const a = this.runsBuf;
    const b = other.runsBuf;
    for (let j = 0; j < a.length; j += 3) {
      if (a[j] !== b[j] || a[j + 1] !== b[j + 1]) return false;
      if (!this.table.status(a[j + 2]!).equals(other.table.status(b[j + 2]!))) return false;
    }
    return true;
  }

  toJSON(): ReturnType<ValueMesh<Status>['toJSON']> {
    return this.toValueMesh().toJSON();
  }

  toString(): string {
    return `StatusMesh(${this.reg.toString()}: ${this.runs()
      .map((r) => `${r.start}..${r.end}=${r.value.toString()}`)
      .join(', ')})`;
  }
}
