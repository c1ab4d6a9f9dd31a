/**
 * `Slice(offset, sizes, strides)`: a strided hyper-rectangle of base ranks (Monarch ndslice/src/slice.rs `Slice`).
 *
 * Invariants: `sizes` and `strides` have the same length and hold non-negative safe integers.
 * `Slice.new` is the only validating constructor (rectangular, unique, large-enough strides);
 * `unchecked`, `rowMajor`, `singleMultiDimCell` and the results of `view`/`subview` are not
 * validated, exactly as in Rust. Instances are immutable (frozen arrays).
 */
import { checkNat } from './range.js';
import {
  DimensionOutOfRange,
  InvalidInteger,
  IncompatibleView,
  IndexOutOfRange,
  InvalidDims,
  NonrectangularShape,
  NonuniqueStrides,
  SliceEmptyRange,
  SliceInvalidStep,
  StrideTooSmall,
  ValueNotInSlice,
} from './errors.js';
import { sliceKernels } from './kernels.js';

/** The plain shape of a slice, as kernels and JSON see it. */
export interface SliceLike {
  readonly offset: number;
  readonly sizes: readonly number[];
  readonly strides: readonly number[];
}

function natArray(what: string, xs: readonly number[]): number[] {
  if (!Array.isArray(xs)) throw new InvalidInteger(what, xs);
  return xs.map((x, i) => checkNat(`${what}[${i}]`, x));
}

/** Validation of Monarch ndslice/src/slice.rs `Slice::new`: sort (stride, size) and check divisibility, uniqueness, space. */
function validate(sizes: readonly number[], strides: readonly number[]): void {
  if (sizes.length !== strides.length) throw new InvalidDims(sizes.length, strides.length);
  const pairs = strides.map((s, i) => [s, sizes[i]!] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let total = 1;
  let prev: readonly [number, number] | undefined;
  for (const [stride, size] of pairs) {
    // a zero stride sorts first and fails `total > stride` below, so prev[0] >= 1 here
    if (prev) {
      if (stride % prev[0] !== 0) throw new NonrectangularShape();
      if (stride === prev[0] && size !== 1 && prev[1] !== 1) throw new NonuniqueStrides();
    }
    if (total > stride) throw new StrideTooSmall(stride, total);
    total = stride * size;
    prev = [stride, size];
  }
}

export class Slice implements SliceLike {
  readonly offset: number;
  readonly sizes: readonly number[];
  readonly strides: readonly number[];
  private descOrder: number[] | undefined;

  private constructor(offset: number, sizes: number[], strides: number[]) {
    this.offset = offset;
    this.sizes = Object.freeze(sizes);
    this.strides = Object.freeze(strides);
  }

  /** Validating constructor (Monarch `Slice::new`). */
  static new(offset: number, sizes: readonly number[], strides: readonly number[]): Slice {
    checkNat('offset', offset);
    const sz = natArray('sizes', sizes);
    const st = natArray('strides', strides);
    validate(sz, st);
    return new Slice(offset, sz, st);
  }

  /** No rectangularity validation (lengths and integers are still checked). */
  static unchecked(offset: number, sizes: readonly number[], strides: readonly number[]): Slice {
    checkNat('offset', offset);
    const sz = natArray('sizes', sizes);
    const st = natArray('strides', strides);
    if (sz.length !== st.length) throw new InvalidDims(sz.length, st.length);
    return new Slice(offset, sz, st);
  }

  static from(s: SliceLike): Slice {
    return s instanceof Slice ? s : Slice.new(s.offset, s.sizes as number[], s.strides as number[]);
  }

  /** Offset 0, strides = suffix products (`[4,4,4] → [16,4,1]`). */
  static rowMajor(sizes: readonly number[]): Slice {
    const sz = natArray('sizes', sizes);
    const st = new Array<number>(sz.length);
    let acc = 1;
    for (let i = sz.length - 1; i >= 0; i--) {
      st[i] = acc;
      acc *= sz[i]!;
    }
    return new Slice(0, sz, st);
  }

  static singleMultiDimCell(d: number): Slice {
    checkNat('dims', d);
    return new Slice(0, new Array<number>(d).fill(1), new Array<number>(d).fill(1));
  }

  get numDim(): number {
    return this.sizes.length;
  }

  /** Number of base ranks: Π sizes (1 when 0-d). */
  get len(): number {
    let n = 1;
    for (const s of this.sizes) n *= s;
    return n;
  }

  /** `offset + Σ c[i]·strides[i]`; coordinates are not bounds-checked (as in Rust). */
  location(coords: readonly number[]): number {
    if (coords.length !== this.sizes.length) throw new InvalidDims(this.sizes.length, coords.length);
    let loc = this.offset;
    for (let i = 0; i < coords.length; i++) loc += checkNat('coordinate', coords[i]) * this.strides[i]!;
    return loc;
  }

  /** Row-major logical index → base rank. */
  get(index: number): number {
    checkNat('index', index);
    const total = this.len;
    if (index >= total) throw new IndexOutOfRange(index, total);
    let loc = this.offset;
    let rest = index;
    for (let i = this.sizes.length - 1; i >= 0; i--) {
      const size = this.sizes[i]!;
      loc += (rest % size) * this.strides[i]!;
      rest = Math.floor(rest / size);
    }
    return loc;
  }

  /** Dims by descending stride; among equal strides the later dim first (stable sort, reversed). */
  private order(): number[] {
    if (!this.descOrder) {
      const idx = this.strides.map((_, i) => i);
      idx.sort((a, b) => this.strides[a]! - this.strides[b]! || a - b);
      this.descOrder = idx.reverse();
    }
    return this.descOrder;
  }

  /** Coordinates of a base rank, or undefined when it is not a member. */
  tryCoordinates(value: number): number[] | undefined {
    if (!Number.isSafeInteger(value)) return undefined;
    let pos = value - this.offset;
    if (pos < 0) return undefined;
    const coords = new Array<number>(this.sizes.length).fill(0);
    for (const i of this.order()) {
      const size = this.sizes[i]!;
      if (size > 1) {
        const stride = this.strides[i]!;
        const c = Math.floor(pos / stride);
        if (c >= size) return undefined;
        coords[i] = c;
        pos -= c * stride;
      } else if (size === 0) {
        return undefined;
      }
    }
    return pos === 0 ? coords : undefined;
  }

  /** Inverse of `location` for members (Monarch `Slice::coordinates`), else `ValueNotInSlice`. */
  coordinates(value: number): number[] {
    const c = this.tryCoordinates(value);
    if (!c) throw new ValueNotInSlice(value);
    return c;
  }

  /** Row-major logical index of a member base rank (inverse of `get`). */
  index(value: number): number {
    const c = this.coordinates(value);
    let r = 0;
    for (let i = 0; i < c.length; i++) r = r * this.sizes[i]! + c[i]!;
    return r;
  }

  contains(value: number): boolean {
    return this.tryCoordinates(value) !== undefined;
  }

  /** Base ranks in row-major coordinate order (not necessarily ascending). */
  iter(): number[] {
    return Array.from(this.enumerate());
  }

  /** Same as `iter()`, computed by the WASM kernel in one call; a fresh array owned by the caller. */
  enumerate(): Uint32Array {
    return sliceKernels().enumerate(this);
  }

  /**
   * `enumerate()` into `out`, a buffer the caller reuses across calls: returns its first `len`
   * words (`out` itself when the lengths match); `BufferTooSmall` when shorter; fresh without `out`.
   */
  enumerateInto(out?: Uint32Array): Uint32Array {
    return sliceKernels().enumerateInto(this, out);
  }

  /**
   * Zero-copy `enumerate()`: `f` gets a view over WASM linear memory, valid only while `f` runs;
   * it must not escape (copy what you keep). Returns `f`'s result.
   */
  withEnumerate<R>(f: (view: Uint32Array) => R): R {
    return sliceKernels().withEnumerate(this, f);
  }

  /** All coordinate prefixes over `sizes[0..k]`, row-major. */
  dimIter(k: number): number[][] {
    checkNat('dims', k);
    if (k > this.sizes.length) throw new DimensionOutOfRange(k, this.sizes.length);
    const out: number[][] = [];
    const sizes = this.sizes.slice(0, k);
    if (sizes.some((s) => s === 0)) return out;
    const c = new Array<number>(k).fill(0);
    for (;;) {
      out.push(c.slice());
      let i = k - 1;
      while (i >= 0 && ++c[i]! >= sizes[i]!) c[i--] = 0;
      if (i < 0) return out;
    }
  }

  /** Fix coordinate `i` of `dim` and drop the dim (re-validated). */
  at(dim: number, i: number): Slice {
    checkNat('dim', dim);
    checkNat('index', i);
    if (dim >= this.sizes.length) throw new DimensionOutOfRange(dim, this.sizes.length);
    if (i >= this.sizes[dim]!) throw new IndexOutOfRange(i, this.sizes[dim]!);
    const sizes = this.sizes.filter((_, k) => k !== dim);
    const strides = this.strides.filter((_, k) => k !== dim);
    return Slice.new(this.offset + i * this.strides[dim]!, sizes, strides);
  }

  /** Raw select of `begin..end` step `step` on `dim` (end is not clamped; re-validated). */
  select(dim: number, begin: number, end: number, step: number): Slice {
    checkNat('dim', dim);
    checkNat('begin', begin);
    checkNat('end', end);
    if (!Number.isSafeInteger(step) || step < 1) throw new SliceInvalidStep(step);
    if (dim >= this.sizes.length) throw new IndexOutOfRange(dim, this.sizes.length);
    if (begin >= this.sizes[dim]!) throw new IndexOutOfRange(begin, this.sizes[dim]!);
    if (end <= begin) throw new SliceEmptyRange(begin, end, step);
    const sizes = this.sizes.slice();
    const strides = this.strides.slice();
    sizes[dim] = Math.ceil((end - begin) / step);
    strides[dim] = strides[dim]! * step;
    return Slice.new(this.offset + begin * this.strides[dim]!, sizes, strides);
  }

  /** Reshape a dense, offset-0 slice into row-major `sizes` (every location must be a member). */
  view(sizes: readonly number[]): Slice {
    const target = Slice.rowMajor(sizes);
    if (target.len !== this.len) throw new IncompatibleView(`element count mismatch: ${target.len} vs ${this.len}`);
    if (this.offset !== 0) throw new IncompatibleView(`the slice has offset ${this.offset} (expected 0)`);
    const n = target.len;
    for (let loc = 0; loc < n; loc++) {
      if (!this.contains(loc)) throw new IncompatibleView(`location ${loc} is not reachable in the base slice`);
    }
    return target;
  }

  /** Sub-rectangle starting at `starts` with lengths `lens` (strides kept; not re-validated). */
  subview(starts: readonly number[], lens: readonly number[]): Slice {
    const d = this.sizes.length;
    if (starts.length !== d || lens.length !== d) throw new InvalidDims(d, Math.max(starts.length, lens.length));
    for (let i = 0; i < d; i++) {
      const end = checkNat('start', starts[i]) + checkNat('len', lens[i]);
      if (end > this.sizes[i]!) throw new IndexOutOfRange(end, this.sizes[i]!);
    }
    return new Slice(this.location(starts), lens.slice(), this.strides.slice());
  }

  /** Every member of `this` is a member of `other`, else the first failing `ValueNotInSlice`. */
  enforceEmbedding(other: Slice): void {
    const vals = this.enumerate();
    for (let i = 0; i < vals.length; i++) {
      if (!other.contains(vals[i]!)) throw new ValueNotInSlice(vals[i]!);
    }
  }

  /** Strides are row-major for the sizes (offset ignored). */
  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.sizes.length - 1; i >= 0; i--) {
      if (this.strides[i] !== expected) return false;
      expected *= this.sizes[i]!;
    }
    return true;
  }

  /** Largest base rank (offset for an empty or 0-d slice). */
  maxLocation(): number {
    let m = this.offset;
    for (let i = 0; i < this.sizes.length; i++) if (this.sizes[i]! > 0) m += (this.sizes[i]! - 1) * this.strides[i]!;
    return m;
  }

  equals(o: Slice): boolean {
    if (this === o) return true;
    if (this.offset !== o.offset || this.sizes.length !== o.sizes.length) return false;
    for (let i = 0; i < this.sizes.length; i++) {
      if (this.sizes[i] !== o.sizes[i] || this.strides[i] !== o.strides[i]) return false;
    }
    return true;
  }

  toJSON(): { offset: number; sizes: number[]; strides: number[] } {
    return { offset: this.offset, sizes: this.sizes.slice(), strides: this.strides.slice() };
  }

  toString(): string {
    return `Slice(${this.offset}, [${this.sizes.join(', ')}], [${this.strides.join(', ')}])`;
  }
}
