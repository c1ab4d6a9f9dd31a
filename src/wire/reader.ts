/**
 * A bounds-checked FlatBuffers table reader (the JS runtime has no verifier).
 *
 * Invariant: no offset read from the buffer is followed before it is checked against the buffer
 * length, so malformed input always ends in a `FrameError` naming what was wrong
 * (docs/architecture.md WIRE-1).
 */
import { FrameError } from './errors.js';

const TWO32 = 4294967296;
const utf8 = new TextDecoder('utf-8', { fatal: false });

export class TableReader {
  readonly len: number;
  private readonly vt: number;
  private readonly vtSize: number;
  private readonly tblSize: number;

  /** The table at `pos` of `buf` (`dv` views the same bytes). */
  constructor(
    readonly buf: Uint8Array,
    readonly dv: DataView,
    readonly pos: number,
    what: string,
  ) {
    this.len = buf.length;
    if (pos < 0 || pos + 4 > this.len) throw new FrameError(`${what} table offset ${pos} is outside the ${this.len}-byte buffer`);
    const vt = pos - dv.getInt32(pos, true);
    if (vt < 0 || vt + 4 > this.len) throw new FrameError(`${what} vtable offset ${vt} is outside the buffer`);
    this.vt = vt;
    this.vtSize = dv.getUint16(vt, true);
    this.tblSize = dv.getUint16(vt + 2, true);
    if (this.vtSize < 4 || this.vtSize & 1 || vt + this.vtSize > this.len) throw new FrameError(`${what} has a bad vtable size ${this.vtSize}`);
    if (this.tblSize < 4 || pos + this.tblSize > this.len) throw new FrameError(`${what} has a bad table size ${this.tblSize}`);
  }

  /** The root table of a finished buffer. */
  static root(buf: Uint8Array, what: string): TableReader {
    if (buf.length < 8) throw new FrameError(`${what} of ${buf.length} bytes is shorter than the 8-byte minimum`);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    return new TableReader(buf, dv, dv.getUint32(0, true), what);
  }

  /** Absolute position of field `i` (of `size` bytes), or 0 when absent. */
  field(i: number, size: number): number {
    const o = 4 + 2 * i;
    if (o + 2 > this.vtSize) return 0;
    const off = this.dv.getUint16(this.vt + o, true);
    if (off === 0) return 0;
    if (off + size > this.tblSize) throw new FrameError(`field ${i} lies outside its table`);
    return this.pos + off;
  }
  u8(i: number, dflt: number): number {
    const p = this.field(i, 1);
    return p ? this.dv.getUint8(p) : dflt;
  }
  u64(i: number): bigint {
    const p = this.field(i, 8);
    return p ? this.dv.getBigUint64(p, true) : 0n;
  }
  /** A uint64 field that must be a safe integer (sequence numbers). */
  safeU64(i: number, what: string): number {
    const p = this.field(i, 8);
    if (!p) return 0;
    const lo = this.dv.getUint32(p, true);
    const hi = this.dv.getUint32(p + 4, true);
    if (hi >= 0x200000) throw new FrameError(`${what} ${hi * TWO32 + lo} exceeds 2^53`);
    return hi * TWO32 + lo;
  }
  /** [start, count] of a vector field with elements of `elem` bytes, or undefined when absent. */
  vector(i: number, elem: number): [number, number] | undefined {
    const p = this.field(i, 4);
    if (!p) return undefined;
    const v = p + this.dv.getUint32(p, true);
    if (v + 4 > this.len) throw new FrameError(`vector ${i} offset is outside the buffer`);
    const n = this.dv.getUint32(v, true);
    if (v + 4 + n * elem > this.len) throw new FrameError(`vector ${i} of ${n} elements overruns the ${this.len}-byte buffer`);
    return [v + 4, n];
  }
  /** A [ubyte] field as a view into the buffer (no copy), or undefined when absent. */
  bytes(i: number): Uint8Array | undefined {
    const v = this.vector(i, 1);
    return v ? this.buf.subarray(v[0], v[0] + v[1]) : undefined;
  }
  string(i: number): string | undefined {
    const v = this.vector(i, 1);
    return v ? utf8.decode(this.buf.subarray(v[0], v[0] + v[1])) : undefined;
  }
  /** Element `k` of a vector of tables starting at `start`. */
  tableAt(start: number, k: number, what: string): TableReader {
    const p = start + 4 * k;
    return new TableReader(this.buf, this.dv, p + this.dv.getUint32(p, true), what);
  }
}
