/**
 * Message type registry: maps message type names to their fixed handler port indices.
 *
 * Invariant: `portIndexOf(name)` is a pure function of the name (FNV-1a 64 over its UTF-8 bytes,
 * with bit 63 set), so every process computes the same index for the same type without
 * coordination. Ephemeral (non-typed) ports are allocated from `USER_PORT_OFFSET` upward and never
 * have bit 63 set in practice. (Monarch hashes with cityhash64, so these indices differ from a
 * Rust process's; actormesh processes only talk to each other.)
 */

/** First index handed out for ephemeral ports by a mailbox (Monarch's `USER_PORT_OFFSET`). */
export const USER_PORT_OFFSET = 1024n;

/** Bit 63: set on every typed (handler) port index. */
export const TYPED_PORT_BIT = 1n << 63n;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

const utf8 = new TextEncoder();

/** FNV-1a 64-bit hash of the UTF-8 bytes of `text`, as an unsigned bigint. */
export function fnv1a64(text: string): bigint {
  // Four 16-bit limbs in plain numbers instead of bigint arithmetic per byte.
  let h0 = 0x2325,
    h1 = 0x8422,
    h2 = 0x9ce4,
    h3 = 0xcbf2; // offset basis as 16-bit limbs, low first
  const bytes = utf8.encode(text);
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i]!;
    // h * (2^40 + 0x1b3) mod 2^64; h << 40 puts limb0 at bit 8 of limb 2 and limb1 at bit 8 of limb 3.
    const c0 = h0 * 0x1b3;
    const c1 = h1 * 0x1b3 + (c0 >>> 16);
    const c2 = h2 * 0x1b3 + (h0 << 8) + (c1 >>> 16);
    const c3 = h3 * 0x1b3 + (h1 << 8) + (c2 >>> 16);
    h0 = c0 & 0xffff;
    h1 = c1 & 0xffff;
    h2 = c2 & 0xffff;
    h3 = c3 & 0xffff;
  }
  return (BigInt(h3) << 48n) | (BigInt(h2) << 32n) | (BigInt(h1) << 16n) | BigInt(h0);
}

/** Reference implementation with bigint arithmetic (used by tests to pin `fnv1a64`). */
export function fnv1a64Reference(text: string): bigint {
  let h = FNV_OFFSET;
  for (const b of utf8.encode(text)) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

const byName = new Map<string, bigint>();
const byIndex = new Map<bigint, string>();

/**
 * The fixed port index of handler port for message type `typeName`: FNV-1a 64 of the name with
 * bit 63 set. Deterministic across processes. Also records the name so that typed port ids
 * display as `[N<typeName>]`.
 */
export function portIndexOf(typeName: string): bigint {
  let idx = byName.get(typeName);
  if (idx === undefined) {
    idx = fnv1a64(typeName) | TYPED_PORT_BIT;
    byName.set(typeName, idx);
    if (!byIndex.has(idx)) byIndex.set(idx, typeName);
  }
  return idx;
}

/** Registers a message type name (same as `portIndexOf`, named for intent). */
export function registerMessageType(typeName: string): bigint {
  return portIndexOf(typeName);
}

/** The type name registered for a typed port index in this process, if any. */
export function typeNameOfPort(index: bigint): string | undefined {
  return byIndex.get(index);
}

/** True when `index` is a typed (handler) port, i.e. bit 63 is set. */
export function isTypedPort(index: bigint): boolean {
  return (index & TYPED_PORT_BIT) !== 0n;
}
