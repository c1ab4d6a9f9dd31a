/**
 * Value equality and table interning used by the generic value-mesh code (Rust `PartialEq`).
 *
 * `valueEquals` is structural: primitives by `===`, objects with an `equals` method by it, arrays
 * element-wise, plain objects key-wise. `TableBuilder` interns values into a table: primitives and
 * values exposing a string `key` and an `equals` (e.g. `Status`, whose key is equal exactly when the
 * values are) are found by hash when equality is the default; everything else by linear search
 * (as Rust does). Either way the table is the same.
 */
export type Same<T> = (a: T, b: T) => boolean;

export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ea = (a as { equals?: unknown }).equals;
  if (typeof ea === 'function') return (ea as (o: unknown) => boolean).call(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!valueEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** A hash key for `v` when one is sound under `valueEquals`, else undefined. */
function hashKey(v: unknown): unknown {
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? undefined : v === 0 ? 0 : v; // NaN != NaN, -0 == 0
    case 'string':
      return `s${v}`;
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return v;
    case 'object': {
      if (v === null) return null;
      const k = (v as { key?: unknown }).key;
      const eq = (v as { equals?: unknown }).equals;
      return typeof k === 'string' && typeof eq === 'function' ? `k${(v as object).constructor.name}:${k}` : undefined;
    }
    default:
      return undefined;
  }
}

/** Builds a de-duplicated table of values (first-appearance order). */
export class TableBuilder<T> {
  readonly table: T[] = [];
  private readonly byKey = new Map<unknown, number>();
  private readonly same: Same<T>;
  private readonly hashed: boolean;
  constructor(same: Same<T> = valueEquals) {
    this.same = same;
    this.hashed = same === valueEquals;
  }
  /** The id of `v`, adding it to the table on first sight. */
  intern(v: T): number {
    if (this.hashed) {
      const k = hashKey(v);
      if (k !== undefined) {
        const hit = this.byKey.get(k);
        if (hit !== undefined) return hit;
        const id = this.push(v);
        this.byKey.set(k, id);
        return id;
      }
    }
    const lin = this.linear(v);
    return lin >= 0 ? lin : this.push(v);
  }
  private linear(v: T): number {
    const t = this.table;
    for (let i = 0; i < t.length; i++) if (this.same(t[i]!, v)) return i;
    return -1;
  }
  private push(v: T): number {
    this.table.push(v);
    return this.table.length - 1;
  }
}
