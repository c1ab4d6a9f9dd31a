/**
 * Bindings (Monarch hyperactor/src/message.rs `Bindings`, `Bind`, `Unbind`): values inside a message that casting rewrites per destination without
 * decoding the message, such as `Rank` (the receiver's rank) and splittable port references.
 *
 * `encodeMessage` (codec.ts) replaces every instance of a bindable class by a slot number in the
 * serialized data and lists the extracted values, in slot order, as `Binding`s; intermediate
 * hops rewrite the list with `rebind`; `decodeMessage` rebuilds each instance from its (possibly
 * rewritten) binding.
 *
 * Invariant: `bindings[i].slot === i`; a rewrite replaces values and never reorders, adds or drops
 * entries, so the slots in `data` stay valid (docs/architecture.md CORE-2).
 */
import { BindingError } from './codec-errors.js';

/** One extracted value: `tag` names its bindable class, `value` is its serializable form. */
export interface Binding {
  readonly tag: string;
  readonly slot: number;
  readonly value: unknown;
}

/**
 * A rank inside a message (Monarch `resource::Rank(Option<usize>)`): a cast rewrites it to the
 * receiving member's rank. `undefined` = no rank assigned yet.
 */
export class Rank {
  readonly value: number | undefined;
  constructor(value?: number) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new BindingError('InvalidRank', `Rank must be a non-negative safe integer or undefined, got ${String(value)}`);
    }
    this.value = value;
  }
  toString(): string {
    return this.value === undefined ? 'Rank(None)' : `Rank(${this.value})`;
  }
  equals(other: unknown): boolean {
    return other instanceof Rank && other.value === this.value;
  }
}

/** The binding tag of `Rank`. */
export const RANK_TAG = 'rank';

/**
 * Returns a new bindings list where each entry's value is `fn(binding)` (return `b.value` to keep
 * it). Tags and slots are preserved; `data` needs no change.
 */
export function rebind(bindings: readonly Binding[], fn: (b: Binding) => unknown): Binding[] {
  const out = new Array<Binding>(bindings.length);
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    const v = fn(b);
    out[i] = v === b.value ? b : { tag: b.tag, slot: b.slot, value: v };
  }
  return out;
}

/** Rewrites only the bindings with `tag`. */
export function rebindTag(bindings: readonly Binding[], tag: string, fn: (value: unknown, b: Binding) => unknown): Binding[] {
  return rebind(bindings, (b) => (b.tag === tag ? fn(b.value, b) : b.value));
}

/** Sets every `Rank` in the message to `rank` (what a comm actor does for each receiver). */
export function rebindRanks(bindings: readonly Binding[], rank: number): Binding[] {
  if (!Number.isSafeInteger(rank) || rank < 0) throw new BindingError('InvalidRank', `rank must be a non-negative safe integer, got ${String(rank)}`);
  return rebindTag(bindings, RANK_TAG, () => rank);
}

/** True if any binding has `tag`. */
export function hasBinding(bindings: readonly Binding[], tag: string): boolean {
  for (const b of bindings) if (b.tag === tag) return true;
  return false;
}
