/**
 * A small Kubernetes REST client (for `KubernetesJob`): list, get, create, delete and watch over
 * `node:http`/`node:https`, authenticated with a kubeconfig (bearer token or client certificate,
 * the cluster's CA, `current-context` or a named context) or, inside a pod, with the service
 * account (`/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}` and
 * `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`).
 *
 * Invariants:
 * - Every answer outside 2xx becomes a `KubeApiError` carrying the HTTP status, the API's
 *   `reason` and its `message` (a `Status` object), never a bare HTTP failure.
 * - A watch delivers events in the order the server sent them and resolves when the stream ends
 *   (server timeout or closed early), with the last `resourceVersion` seen, so the caller resumes
 *   from there; an `ERROR` event becomes a `KubeApiError` (410 `Gone`: list again).
 * - Credentials never appear in errors or logs.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { KubeConfigError, KubernetesError, parseYaml, type KubernetesErrorVariant } from './kube-yaml.js';

export { KubeConfigError } from './kube-yaml.js';

/** Where the service account of a pod is mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How to reach one API server. */
export interface KubeConnection {
  /** `https://host:port` (or `http://` for a plain test server). */
  readonly server: string;
  readonly token?: string;
  /** PEM contents. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** The context's (or service account's) namespace, if it names one. */
  readonly namespace?: string;
}

/** The API server answered outside 2xx (or the connection failed: `status` 0). */
export class KubeApiError extends KubernetesError {
  readonly status: number;
  readonly reason: string;
  /** The API's own message (its `Status.message`), or what went wrong on the connection. */
  readonly apiMessage: string;
  readonly method: string;
  readonly path: string;
  constructor(method: string, path: string, status: number, reason: string, apiMessage: string, options?: { cause?: unknown }) {
    super(variantOf(status, reason), `Kubernetes API ${method} ${path}: ${describe(status, reason)}: ${apiMessage}${hint(status)}`, options);
    this.status = status;
    this.reason = reason;
    this.apiMessage = apiMessage;
    this.method = method;
    this.path = path;
  }
}

function variantOf(status: number, reason: string): KubernetesErrorVariant {
  const v: Record<number, KubernetesErrorVariant> = {
    0: 'Unreachable',
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
    410: 'Gone',
    422: 'Invalid',
  };
  return v[status] ?? (reason === 'BadResponse' || reason === 'BadEvent' ? reason : 'ApiError');
}

function describe(status: number, reason: string): string {
  return status === 0 ? 'unreachable' : `${status}${reason !== '' ? ` ${reason}` : ''}`;
}

function hint(status: number): string {
  if (status === 401) return ' (the token or client certificate was not accepted; expected valid credentials in the kubeconfig or service account)';
  if (status === 403)
    return ' (expected RBAC for the user or service account: get/list/watch pods, and create/delete/get statefulsets, services and secrets when provisioning)';
  return '';
}

/** One event of a watch. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject;
}

/** What every Kubernetes object has (the rest is read by its users). */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly resourceVersion?: string;
    readonly deletionTimestamp?: string;
  };
  readonly [k: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  readonly items: T[];
  readonly metadata: { readonly resourceVersion?: string };
}

/**
 * The connection a kubeconfig describes: `path`, else `$KUBECONFIG` (its first entry), else
 * `~/.kube/config`; its `current-context` unless `context` names another. Exec and
 * auth-provider plugins are refused (`KubeConfigError`): give the user a token or a client
 * certificate instead.
 */
export function kubeconfigConnection(path?: string, context?: string): KubeConnection {
  const file = path ?? process.env['KUBECONFIG']?.split(':').find((p) => p !== '') ?? join(homedir(), '.kube', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KubeConfigError(`cannot read the kubeconfig ${file}: ${(e as Error).message}`, { cause: e });
  }
  const cfg = parseYaml(text, `kubeconfig ${file}`) as Record<string, unknown> | null;
  const named = (list: unknown, name: string, what: string): Record<string, unknown> => {
    const hit = Array.isArray(list) ? (list as Array<Record<string, unknown>>).find((x) => x?.['name'] === name) : undefined;
    const body = hit?.[what] as Record<string, unknown> | undefined;
    if (body === undefined || body === null) throw new KubeConfigError(`kubeconfig ${file} has no ${what} named ${JSON.stringify(name)}`);
    return body;
  };
  const ctxName = context ?? (cfg?.['current-context'] as string | undefined);
  if (typeof ctxName !== 'string' || ctxName === '') throw new KubeConfigError(`kubeconfig ${file} has no current-context; name one (context option)`);
  const ctx = named(cfg?.['contexts'], ctxName, 'context');
  const cluster = named(cfg?.['clusters'], String(ctx['cluster']), 'cluster');
  const user = ctx['user'] !== undefined ? named(cfg?.['users'], String(ctx['user']), 'user') : {};
  if (user['exec'] !== undefined || user['auth-provider'] !== undefined)
    throw new KubeConfigError(
      `kubeconfig ${file}: user ${String(ctx['user'])} authenticates through an exec or auth-provider plugin, which this client does not run; expected a token (e.g. from \`kubectl create token\`) or a client certificate`,
    );
  const base = dirname(file);
  /** Relative paths in a kubeconfig are relative to the file. */
  const at = (ref: string) => (isAbsolute(ref) ? ref : join(base, ref));
  const pem = (data: unknown, ref: unknown): string | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    if (typeof ref === 'string') return readFileSync(at(ref), 'utf8');
    return undefined;
  };
  const server = cluster['server'];
  if (typeof server !== 'string' || !/^https?:\/\//.test(server))
    throw new KubeConfigError(`kubeconfig ${file}: cluster ${String(ctx['cluster'])} has no https:// server`);
  const token =
    typeof user['token'] === 'string' ? user['token'] : typeof user['tokenFile'] === 'string' ? readFileSync(at(user['tokenFile']), 'utf8').trim() : undefined;
  return clean({
    server,
    token,
    ca: pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: pem(user['client-certificate-data'], user['client-certificate']),
    key: pem(user['client-key-data'], user['client-key']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true ? true : undefined,
    namespace: typeof ctx['namespace'] === 'string' ? ctx['namespace'] : undefined,
  });
}

/** Inside a pod: the service account and `KUBERNETES_SERVICE_HOST`/`_PORT`. */
export function inClusterConnection(dir: string = SERVICE_ACCOUNT_DIR, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (host === undefined || host === '') throw new KubeConfigError('not inside a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set; expected a kubeconfig');
  const read = (f: string, required: boolean): string | undefined => {
    try {
      return readFileSync(join(dir, f), 'utf8').trim();
    } catch (e) {
      if (required) throw new KubeConfigError(`cannot read the service account's ${f} in ${dir}: ${(e as Error).message}`, { cause: e });
      return undefined;
    }
  };
  return clean({
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: read('token', true),
    ca: read('ca.crt', false),
    namespace: read('namespace', false),
  });
}

/** A kubeconfig when one is named or there is no pod around us, else the service account. */
export function defaultConnection(kubeconfig?: string, context?: string): KubeConnection {
  if (kubeconfig === undefined && context === undefined && (process.env['KUBERNETES_SERVICE_HOST'] ?? '') !== '' && process.env['KUBECONFIG'] === undefined)
    return inClusterConnection();
  return kubeconfigConnection(kubeconfig, context);
}

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** How long a request other than a watch may go without an answer. */
const REQUEST_TIMEOUT_MS = 30_000;

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export class KubeClient {
  constructor(readonly conn: KubeConnection) {}

  get<T extends KubeObject = KubeObject>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  list<T extends KubeObject = KubeObject>(path: string, query: Query = {}): Promise<KubeList<T>> {
    return this.json<KubeList<T>>('GET', withQuery(path, query));
  }

  create<T extends KubeObject = KubeObject>(path: string, body: KubeObject): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  /** Deletes `path` (`propagationPolicy` Foreground: the object goes once its dependents are gone). */
  delete(path: string): Promise<KubeObject> {
    return this.json('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
  }

  /**
   * Watches `path` (`watch=1` with `query`, e.g. `labelSelector` and `resourceVersion`): calls
   * `onEvent` for each event until the server ends the stream, `signal` aborts, or `onEvent`
   * returns `'stop'`. Resolves with the last resourceVersion seen (or the one it started from).
   */
  watch(
    path: string,
    query: Query,
    onEvent: (ev: WatchEvent) => void | 'stop',
    signal?: AbortSignal,
  ): Promise<{ resourceVersion: string | undefined; ended: 'server' | 'stopped' | 'aborted' }> {
    const full = withQuery(path, { ...query, watch: 1, allowWatchBookmarks: true });
    let rv = query['resourceVersion'] !== undefined ? String(query['resourceVersion']) : undefined;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (ended: 'server' | 'stopped' | 'aborted', err?: Error) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        if (err !== undefined) reject(err);
        else resolve({ resourceVersion: rv, ended });
      };
      const onAbort = () => finish('aborted');
      const req = this.send('GET', full, undefined, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          void readAll(res).then((body) => finish('server', apiError('GET', full, res.statusCode ?? 0, body)));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let nl = buf.indexOf('\n'); nl >= 0 && !done; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === '') continue;
            let ev: WatchEvent;
            try {
              ev = JSON.parse(line) as WatchEvent;
            } catch (e) {
              finish('server', new KubeApiError('GET', full, 200, 'BadEvent', `a watch event is not JSON: ${(e as Error).message}`));
              return;
            }
            if (ev.type === 'ERROR') {
              const st = ev.object as { code?: number; reason?: string; message?: string };
              finish('server', new KubeApiError('GET', full, st.code ?? 500, st.reason ?? '', st.message ?? 'watch error'));
              return;
            }
            rv = ev.object?.metadata?.resourceVersion ?? rv;
            if (onEvent(ev) === 'stop') finish('stopped');
          }
        });
        res.on('end', () => finish('server'));
        res.on('error', () => finish('server'));
        res.on('close', () => finish('server'));
      });
      req.on('error', (e) => finish('server', new KubeApiError('GET', full, 0, '', e.message, { cause: e })));
      req.end();
      if (signal?.aborted === true) finish('aborted');
      else signal?.addEventListener('abort', onAbort);
    });
  }

  private json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = this.send(method, path, body, (res) => {
        void readAll(res).then((text) => {
          const status = res.statusCode ?? 0;
          if (status >= 300) reject(apiError(method, path, status, text));
          else {
            try {
              resolve(JSON.parse(text) as T);
            } catch (e) {
              reject(new KubeApiError(method, path, status, 'BadResponse', `the answer is not JSON: ${(e as Error).message}`));
            }
          }
        });
      });
      req.on('error', (e) => reject(new KubeApiError(method, path, 0, '', `${e.message} (server ${this.conn.server})`, { cause: e })));
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.end(body !== undefined ? JSON.stringify(body) : undefined);
    });
  }

  private send(method: string, path: string, body: unknown, onResponse: (res: IncomingMessage) => void) {
    const url = new URL(path, this.conn.server.endsWith('/') ? this.conn.server : `${this.conn.server}/`);
    const headers: Record<string, string> = { accept: 'application/json' };
    const text = body !== undefined ? JSON.stringify(body) : undefined;
    if (text !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(text));
    }
    if (this.conn.token !== undefined) headers['authorization'] = `Bearer ${this.conn.token}`;
    const base = { method, headers, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: `${url.pathname}${url.search}` };
    if (url.protocol === 'http:') return httpRequest(base, onResponse);
    return httpsRequest(
      {
        ...base,
        ...(this.conn.ca !== undefined ? { ca: this.conn.ca } : {}),
        ...(this.conn.cert !== undefined ? { cert: this.conn.cert } : {}),
        ...(this.conn.key !== undefined ? { key: this.conn.key } : {}),
        rejectUnauthorized: this.conn.insecureSkipTlsVerify !== true,
      },
      onResponse,
    );
  }
}

function withQuery(path: string, query: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${s}`;
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (s += d));
    res.on('end', () => resolve(s));
    res.on('error', () => resolve(s));
  });
}

/** A `Status` answer (or any body) as a `KubeApiError`. */
function apiError(method: string, path: string, status: number, body: string): KubeApiError {
  let reason = '';
  let message = body.trim().slice(0, 500) || '(empty answer)';
  try {
    const st = JSON.parse(body) as { reason?: string; message?: string };
    reason = st.reason ?? '';
    message = st.message ?? message;
  } catch {
    /* not a Status object: the body as text */
  }
  return new KubeApiError(method, path, status, reason, message);
}
