/**
 * Optional (mutual) TLS for network channels. Addresses stay `tcp:IP:PORT`: TLS is a property of
 * the serve options (`ServeOptions.tls`: uWS `SSLApp`) and of the dial options (`DialOptions.tls`:
 * the NetTx dials `wss://`, `ws` hands the options to `tls.connect`). All paths name PEM files.
 *
 * What uWS enforces with `ca_file_name` (uSockets sets SSL_VERIFY_PEER, without
 * FAIL_IF_NO_PEER_CERT): a client certificate, when one is presented, must verify against `ca` or
 * the handshake fails; a client presenting none completes the handshake, and uWS shows no peer
 * certificate to JavaScript. So a server with `ca` also requires, in the upgrade request, proof
 * that the client holds a certificate issued by `ca`: header `CLIENT_CERT_HEADER` carries the
 * client's leaf certificate (DER, base64) and `CLIENT_PROOF_HEADER` `<ms>.<nonce>.<signature>`,
 * a signature of `PROOF_CONTEXT + "<ms>.<nonce>"` by the certificate's private key.
 *
 * Invariants (server with `ca`):
 * - An upgrade is accepted only with a proof whose certificate is within its validity period and
 *   is signed by (issued directly by) a CA certificate of the `ca` file, whose signature verifies
 *   with that certificate's public key, whose timestamp is within `AUTH_WINDOW_MS` and whose nonce
 *   was not seen in that window; otherwise it is refused with `CERT_REQUIRED_STATUS` (496) before
 *   any frame is read. A NetTx given a 496 is Closed for good with `TlsError`.
 * - The proof is not bound to the TLS session: a mesh member that received a proof could replay
 *   it to another server of the same CA within the window, as it could use a mesh secret.
 */
import { X509Certificate, createPrivateKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AUTH_WINDOW_MS } from './auth.js';
import { ChannelError } from './errors.js';

/** Serve with TLS (uWS SSLApp). With `ca`, clients must hold a certificate issued by it. */
export interface ServeTlsOptions {
  /** PEM file of the server certificate (with its chain, if any). */
  cert: string;
  /** PEM file of the server certificate's private key. */
  key: string;
  /** PEM file of the CA certificate(s) client certificates must be issued by (mutual TLS). */
  ca?: string;
}

/** Dial `wss://`: the server's certificate must verify against `ca`. */
export interface DialTlsOptions {
  /** PEM file of the CA certificate(s) the server's certificate must verify against. */
  ca: string;
  /** PEM file of this client's certificate (mutual TLS); goes with `key`. */
  cert?: string;
  /** PEM file of this client's private key. */
  key?: string;
  /** The name the server's certificate must carry (and SNI); default: the address's IP. */
  servername?: string;
}

/** Upgrade-request header: the client's leaf certificate, DER in base64. */
export const CLIENT_CERT_HEADER = 'x-actormesh-client-cert';
/** Upgrade-request header: `<ms>.<nonce>.<signature base64url>` by the client certificate's key. */
export const CLIENT_PROOF_HEADER = 'x-actormesh-client-proof';
/** Response header of a refused upgrade: why the client certificate was not accepted. */
export const REFUSED_HEADER = 'x-actormesh-refused';
/** Status of an upgrade refused for want of a valid client certificate proof (as nginx's). */
export const CERT_REQUIRED_STATUS = 496;
const PROOF_CONTEXT = 'actormesh client certificate proof ';

/** Reads a PEM file, or throws ChannelError `TlsError` naming it. */
export function readPem(path: string, what: string, addr: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ChannelError('TlsError', `cannot read the TLS ${what} file ${path} for ${addr}: ${(e as Error).message}`, addr, { cause: e });
  }
}

function digestFor(key: KeyObject): string | null {
  const t = key.asymmetricKeyType;
  return t === 'ed25519' || t === 'ed448' ? null : 'sha256';
}

/** Client side: makes the proof headers for one upgrade request. */
export class ClientCertProver {
  private readonly certB64: string;
  private readonly key: KeyObject;
  constructor(certPem: Buffer, keyPem: Buffer, addr: string) {
    let bad: string | undefined;
    try {
      const leaf = new X509Certificate(certPem);
      this.key = createPrivateKey(keyPem);
      this.certB64 = leaf.raw.toString('base64');
      if (!leaf.checkPrivateKey(this.key)) bad = 'the private key does not match the certificate';
    } catch (e) {
      throw new ChannelError('TlsError', `invalid TLS client certificate or key for ${addr}: ${(e as Error).message}`, addr, { cause: e });
    }
    if (bad !== undefined) throw new ChannelError('TlsError', `invalid TLS client certificate or key for ${addr}: ${bad}`, addr);
  }
  headers(now = Date.now()): Record<string, string> {
    const msg = `${now}.${randomBytes(12).toString('base64url')}`;
    const sig = sign(digestFor(this.key), Buffer.from(PROOF_CONTEXT + msg), this.key);
    return { [CLIENT_CERT_HEADER]: this.certB64, [CLIENT_PROOF_HEADER]: `${msg}.${sig.toString('base64url')}` };
  }
}

/** Server side: checks client certificate proofs against the CA file; remembers nonces. */
export class ClientCertChecker {
  private readonly cas: X509Certificate[];
  private readonly seen = new Map<string, number>();
  constructor(caPem: Buffer, addr: string) {
    const blocks = caPem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    try {
      this.cas = blocks.map((b) => new X509Certificate(b));
    } catch (e) {
      throw new ChannelError('TlsError', `invalid CA certificate for ${addr}: ${(e as Error).message}`, addr, { cause: e });
    }
    if (this.cas.length === 0) throw new ChannelError('TlsError', `the TLS ca file for ${addr} holds no PEM certificate`, addr);
  }

  /** Undefined when valid, else why not. */
  check(certHeader: string, proof: string, now = Date.now()): string | undefined {
    if (!certHeader || !proof) return `no client certificate (mutual TLS: missing ${CLIENT_CERT_HEADER}/${CLIENT_PROOF_HEADER} headers)`;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(certHeader, 'base64'));
    } catch {
      return `malformed ${CLIENT_CERT_HEADER} header`;
    }
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (!(from <= now && now <= to)) return `client certificate ${cert.subject.replace(/\n/g, ', ')} is not valid now (${cert.validFrom} to ${cert.validTo})`;
    if (!this.cas.some((ca) => ca.ca && cert.checkIssued(ca) && cert.verify(ca.publicKey)))
      return `client certificate ${cert.subject.replace(/\n/g, ', ')} is not issued by a trusted CA`;
    const parts = proof.split('.');
    if (parts.length !== 3) return `malformed ${CLIENT_PROOF_HEADER} header`;
    const [ts, nonce, sig] = parts as [string, string, string];
    const t = Number(ts);
    if (!Number.isFinite(t) || Math.abs(now - t) > AUTH_WINDOW_MS) return 'stale or future timestamp in client certificate proof';
    let ok = false;
    try {
      ok = verify(digestFor(cert.publicKey), Buffer.from(`${PROOF_CONTEXT}${ts}.${nonce}`), cert.publicKey, Buffer.from(sig, 'base64url'));
    } catch {
      ok = false;
    }
    if (!ok) return 'client certificate proof does not verify (not signed by the certificate key)';
    const key = `${ts}.${nonce}`;
    if (this.seen.has(key)) return 'replayed client certificate proof';
    this.seen.set(key, t);
    if (this.seen.size > 1024) for (const [k, at] of this.seen) if (now - at > AUTH_WINDOW_MS) this.seen.delete(k);
    return undefined;
  }
}

/** OpenSSL's reason of a TLS error (`reason`, else the text after "SSL routines:<func>:"), else its message. */
export function tlsReason(e: Error & { reason?: unknown }): string {
  if (typeof e.reason === 'string' && e.reason) return e.reason;
  const m = /SSL routines:[^:]*:([^:]+)/.exec(e.message);
  return m ? m[1]! : e.message;
}

/** Certificate checks that failed at this end (node's X509 verify codes and the host name check). */
const LOCAL_VERIFY =
  /^(UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|INVALID_CA$|PATH_LENGTH_EXCEEDED$|INVALID_PURPOSE$|HOSTNAME_MISMATCH$|ERR_TLS_CERT_ALTNAME_INVALID$)/;
/** TLS alerts by which the peer refused this end's certificate (or its absence). */
const PEER_REFUSED =
  /alert (unknown ca|bad certificate|certificate required|certificate unknown|certificate expired|certificate revoked|unsupported certificate)/i;

/**
 * Whether a connection error is a certificate verification failure (retrying cannot help):
 * `local` when this end refused the server's certificate, `peer` when the server refused ours.
 */
export function certFailure(e: Error & { code?: unknown }): 'local' | 'peer' | undefined {
  const code = typeof e.code === 'string' ? e.code : '';
  if (LOCAL_VERIFY.test(code)) return 'local';
  if (PEER_REFUSED.test(e.message) || /^ERR_SSL_(TLSV1[0-9]?|SSLV3)_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_|UNSUPPORTED_CERTIFICATE)/.test(code))
    return 'peer';
  return undefined;
}
