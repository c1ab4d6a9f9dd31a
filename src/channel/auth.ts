/**
 * Connection authentication: each mesh has a secret, and a client proves it in the WebSocket
 * upgrade request with header `x-actormesh-auth: <ms>.<nonce>.<hmac>` where
 * hmac = HMAC-SHA256(secret, "<ms>.<nonce>") in base64url. The secret never crosses the wire.
 *
 * Invariant (server): a proof is accepted only if its HMAC matches (constant-time compare), its
 * timestamp is within `AUTH_WINDOW_MS` of the server clock, and its nonce was not seen in that
 * window (no replay). Anything else refuses the upgrade with 401 before any frame is read
 * (docs/architecture.md CH-5).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTH_HEADER = 'x-actormesh-auth';
export const AUTH_WINDOW_MS = 60_000;

export type Secret = string | Uint8Array;

function mac(secret: Secret, msg: string): Buffer {
  return createHmac('sha256', secret).update(msg).digest();
}

/** A fresh proof of `secret` for one upgrade request. */
export function makeProof(secret: Secret, now = Date.now()): string {
  const msg = `${now}.${randomBytes(12).toString('base64url')}`;
  return `${msg}.${mac(secret, msg).toString('base64url')}`;
}

/** Checks proofs for one server; remembers nonces for the replay window. */
export class ProofChecker {
  private seen = new Map<string, number>();
  constructor(private readonly secret: Secret) {}

  /** Undefined when valid, else why not. */
  check(proof: string, now = Date.now()): string | undefined {
    if (!proof) return `missing ${AUTH_HEADER} header`;
    const parts = proof.split('.');
    if (parts.length !== 3) return `malformed ${AUTH_HEADER} header`;
    const [ts, nonce, sig] = parts as [string, string, string];
    const t = Number(ts);
    if (!Number.isFinite(t) || Math.abs(now - t) > AUTH_WINDOW_MS) return 'stale or future timestamp in proof';
    const want = mac(this.secret, `${ts}.${nonce}`);
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'wrong secret';
    const key = `${ts}.${nonce}`;
    if (this.seen.has(key)) return 'replayed proof';
    this.seen.set(key, t);
    if (this.seen.size > 1024) for (const [k, at] of this.seen) if (now - at > AUTH_WINDOW_MS) this.seen.delete(k);
    return undefined;
  }
}

let processSecret: Secret | undefined;

/**
 * The mesh secret this process proves when a dial does not name one (`dial(addr)` without
 * `secret`): set by a worker for itself and, through `ACTORMESH_SECRET`, in every proc it starts,
 * so their links to other machines authenticate without each caller passing it.
 */
export function setDefaultSecret(secret: Secret | undefined): void {
  processSecret = secret;
}
export function defaultSecret(): Secret | undefined {
  return processSecret;
}
