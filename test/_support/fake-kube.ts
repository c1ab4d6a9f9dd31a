// A fake Kubernetes API server (node:http) for the KubernetesJob tests, since no cluster can run
// here. It serves pods (list, get, watch with ADDED/MODIFIED/DELETED events from a
// resourceVersion), and StatefulSets, Services and Secrets (create, get, delete). Its "pods" are
// real `actormesh worker` processes: creating a StatefulSet starts one worker per replica,
// running the container's own command line (after `worker`, with `$(VAR)` expanded from the
// container env and Secret references resolved), and reports it Pending → Running → Ready once its
// ready line appears. Deleting the StatefulSet stops those workers and reports the pods DELETED.
//
// Pod network: with the `netns` option, where this machine allows it (root, `ip netns`: see
// netns.ts), each pod gets its own network namespace on a bridge, its IP on the bridge's subnet
// as `status.podIP`, and its worker runs inside (`ip netns exec`), listening as the container
// says; deleting the pod removes the namespace and its veth pair, and `close()` the bridge.
// Otherwise (and without the option) each pod gets its own loopback IP (127.0.0.N) and its
// worker's `0.0.0.0` is bound to it.
//
// Test controls: pods that already exist (attach-only), holding a pod back from Ready, flipping
// readiness, ending watch streams early, failing the next matching request with a Status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, type Worker } from '../host/_workers.js';
import { NetnsBridge, netnsSkip, type NetnsBridgeOptions, type Netns } from './netns.js';

type Obj = Record<string, any>;

interface Pod {
  obj: Obj;
  worker: Worker | undefined;
  owner: string | undefined;
  /** The pod's network namespace (netns pod network). */
  netns: Netns | undefined;
}

interface Watcher {
  ns: string;
  selector: Record<string, string>;
  res: ServerResponse;
}

export interface FakeKubeOptions {
  /** Bearer token every request must carry (default `test-token`). */
  readonly token?: string;
  /** First loopback host octet for pod IPs (127.0.0.<first>..). */
  readonly firstIp?: number;
  /**
   * Pods in their own network namespaces on this bridge and subnet (namespace n, from 1, has
   * `<subnet>.<10 + n>`), where this machine allows it; loopback IPs otherwise.
   */
  readonly netns?: NetnsBridgeOptions;
}

const kinds: Record<string, { group: string; kind: string }> = {
  pods: { group: '/api/v1', kind: 'Pod' },
  services: { group: '/api/v1', kind: 'Service' },
  secrets: { group: '/api/v1', kind: 'Secret' },
  statefulsets: { group: '/apis/apps/v1', kind: 'StatefulSet' },
};

export class FakeKube {
  readonly server: Server;
  readonly token: string;
  url = '';
  private rv = 100;
  private nextIp: number;
  private nextNs = 1;
  /** The pods' bridge, when they get network namespaces. */
  readonly bridge: NetnsBridge | undefined;
  /** Objects by `<resource>/<ns>/<name>` (pods too, with their workers). */
  private readonly objects = new Map<string, Obj>();
  readonly pods = new Map<string, Pod>();
  private readonly history: Array<{ rv: number; type: string; obj: Obj }> = [];
  private readonly watchers = new Set<Watcher>();
  private failures: Array<{ method: string; path: RegExp; status: number; reason: string; message: string }> = [];
  /** Every request: method, path with query. */
  readonly requests: string[] = [];
  /** Watches end after this many events sent (then the stream is closed), when set. */
  endWatchesAfter: number | undefined;
  /** Pods whose readiness the test controls (StatefulSet pods stay Running, not Ready). */
  holdReady = false;
  private readonly watchWaiters: Array<() => void> = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));

  constructor(opts: FakeKubeOptions = {}) {
    this.token = opts.token ?? 'test-token';
    this.nextIp = opts.firstIp ?? 40;
    this.bridge = opts.netns !== undefined && netnsSkip() === false ? new NetnsBridge(opts.netns) : undefined;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Where pods live: their own network namespaces, or loopback IPs. */
  get podNetwork(): 'netns' | 'loopback' {
    return this.bridge !== undefined ? 'netns' : 'loopback';
  }

  async start(): Promise<this> {
    this.bridge?.up();
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A kubeconfig (YAML, as kubectl writes it) for this server; returns its path. */
  kubeconfig(namespace = 'default'): string {
    const p = join(this.dir, `kubeconfig-${namespace}`);
    writeFileSync(
      p,
      `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: ${this.url}
  name: fake
contexts:
- context:
    cluster: fake
    namespace: ${namespace}
    user: tester
  name: fake
current-context: fake
users:
- name: tester
  user:
    token: ${this.token}
`,
    );
    return p;
  }

  /** The next request matching `method` and `path` answers `status` with a Status object. */
  failNext(method: string, path: RegExp, status: number, reason: string, message: string): void {
    this.failures.push({ method, path, status, reason, message });
  }

  /** Resolves when a watch request is being served (now or later). */
  watchOpened(): Promise<void> {
    if (this.watchers.size > 0) return Promise.resolve();
    return new Promise((r) => this.watchWaiters.push(r));
  }

  /** Names of objects of a resource in a namespace. */
  names(resource: string, ns: string): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(`${resource}/${ns}/`)).map((k) => k.split('/')[2]!);
  }

  /** A pod (attach-only tests): labels, an IP, a worker behind it if any; Ready as given. */
  addPod(ns: string, name: string, labels: Record<string, string>, ip: string | undefined, ready: boolean, worker?: Worker): void {
    const obj: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels, uid: `uid-${name}-${this.rv}` },
      spec: {},
      status: podStatus(ip, ready),
    };
    this.pods.set(`${ns}/${name}`, { obj, worker, owner: undefined, netns: undefined });
    this.put('pods', obj, 'ADDED');
  }

  /** Changes a pod's readiness (and optionally its IP), emitting MODIFIED. */
  setReady(ns: string, name: string, ready: boolean, ip?: string): void {
    const p = this.pods.get(`${ns}/${name}`)!;
    p.obj = { ...p.obj, status: podStatus(ip ?? p.obj['status'].podIP, ready) };
    this.put('pods', p.obj, 'MODIFIED');
  }

  /** Removes a pod (DELETED), stopping its worker if the fake started it and removing its network namespace. */
  async deletePod(ns: string, name: string): Promise<void> {
    const p = this.pods.get(`${ns}/${name}`);
    if (p === undefined) return;
    this.pods.delete(`${ns}/${name}`);
    if (p.owner !== undefined) await stopWorker(p.worker);
    if (p.netns !== undefined) this.bridge!.remove(p.netns.name);
    this.objects.delete(`pods/${ns}/${name}`);
    this.bump('DELETED', p.obj);
  }

  private closed = false;

  /** Stops every worker it started and the server; removes the pods' namespaces and bridge. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.res.end();
    try {
      await Promise.all([...this.pods.values()].filter((p) => p.owner !== undefined).map((p) => stopWorker(p.worker)));
      this.server.closeAllConnections();
      if (this.server.listening) await new Promise((r) => this.server.close(r));
    } finally {
      this.bridge?.down();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Pids of the workers behind the fake's own pods. */
  workerPids(): number[] {
    return [...this.pods.values()].filter((p) => p.owner !== undefined && p.worker !== undefined).map((p) => p.worker!.pid);
  }

  // --- the API ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers['authorization'] !== `Bearer ${this.token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const fi = this.failures.findIndex((f) => f.method === req.method && f.path.test(url.pathname));
    if (fi >= 0) {
      const f = this.failures.splice(fi, 1)[0]!;
      return status(res, f.status, f.reason, f.message);
    }
    const m = /^(\/api\/v1|\/apis\/apps\/v1)\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const kind = m !== null ? kinds[m[3]!] : undefined;
    if (m === null || kind === undefined || kind.group !== m[1])
      return status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    const [, , ns, resource, name] = m as unknown as [string, string, string, string, string | undefined];
    const body: Obj = (await readBody(req)) ?? {};
    if (req.method === 'GET' && name === undefined) {
      const selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
      if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true')
        return this.watch(res, ns, selector, Number(url.searchParams.get('resourceVersion') ?? this.rv));
      const items = this.list(resource, ns, selector);
      return json(res, 200, { kind: `${kind.kind}List`, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    const key = `${resource}/${ns}/${name ?? body?.metadata?.name}`;
    if (req.method === 'GET') {
      const o = this.objects.get(key);
      return o !== undefined ? json(res, 200, o) : status(res, 404, 'NotFound', `${resource} "${name}" not found`);
    }
    if (req.method === 'POST' && name === undefined) {
      if (this.objects.has(key)) return status(res, 409, 'AlreadyExists', `${resource} "${body.metadata.name}" already exists`);
      const obj: Obj = { ...body, metadata: { ...body.metadata, namespace: ns, uid: `uid-${this.rv}` } };
      if (resource === 'secrets' && obj['stringData'] !== undefined) {
        // As the API server does: stringData is written into data (base64) and not kept.
        const data: Record<string, string> = { ...obj['data'] };
        for (const [k, v] of Object.entries(obj['stringData'] as Record<string, string>)) data[k] = Buffer.from(v).toString('base64');
        delete obj['stringData'];
        obj['data'] = data;
      }
      this.put(resource, obj, 'ADDED');
      if (resource === 'statefulsets') void this.runStatefulSet(ns, obj).catch(() => undefined); // a worker that never started: its pod stays not Ready
      return json(res, 201, obj);
    }
    if (req.method === 'DELETE' && name !== undefined) {
      const o = this.objects.get(key);
      if (o === undefined) return status(res, 404, 'NotFound', `${resource} "${name}" not found`);
      if (resource === 'statefulsets')
        await Promise.all([...this.pods.entries()].filter(([, p]) => p.owner === key).map(([k]) => this.deletePod(ns, k.split('/')[1]!)));
      this.objects.delete(key);
      return json(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    }
    return status(res, 405, 'MethodNotAllowed', `${req.method} ${url.pathname} is not supported by this fake`);
  }

  private list(resource: string, ns: string, selector: Record<string, string>): Obj[] {
    return [...this.objects.entries()].filter(([k, o]) => k.startsWith(`${resource}/${ns}/`) && matches(o, selector)).map(([, o]) => o);
  }

  private watch(res: ServerResponse, ns: string, selector: Record<string, string>, from: number): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: Watcher = { ns, selector, res };
    let sent = 0;
    const send = (type: string, obj: Obj): boolean => {
      if (obj['kind'] !== 'Pod' || obj['metadata'].namespace !== ns || !matches(obj, selector)) return true;
      res.write(`${JSON.stringify({ type, object: obj })}\n`);
      sent++;
      if (this.endWatchesAfter !== undefined && sent >= this.endWatchesAfter) {
        this.watchers.delete(w);
        res.end();
        return false;
      }
      return true;
    };
    for (const h of this.history) if (h.rv > from && !send(h.type, h.obj)) return;
    (w as Watcher & { send: typeof send }).send = send;
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
    for (const r of this.watchWaiters.splice(0)) r();
  }

  private put(resource: string, obj: Obj, type: string): void {
    this.objects.set(`${resource}/${obj['metadata'].namespace}/${obj['metadata'].name}`, obj);
    this.bump(type, obj);
  }

  /** A new resourceVersion for `obj` and its event to every matching watch. */
  private bump(type: string, obj: Obj): void {
    this.rv++;
    const o = { ...obj, metadata: { ...obj['metadata'], resourceVersion: String(this.rv) } };
    if (type !== 'DELETED') this.objects.set(`${kindResource(o)}/${o['metadata'].namespace}/${o['metadata'].name}`, o);
    const p = this.pods.get(`${o['metadata'].namespace}/${o['metadata'].name}`);
    if (p !== undefined && type !== 'DELETED') p.obj = o;
    this.history.push({ rv: this.rv, type, obj: o });
    for (const w of [...this.watchers]) (w as Watcher & { send: (t: string, o: Obj) => boolean }).send(type, o);
  }

  // --- StatefulSet controller ---------------------------------------------------------------------

  private async runStatefulSet(ns: string, sts: Obj): Promise<void> {
    const key = `statefulsets/${ns}/${sts['metadata'].name}`;
    const n = sts['spec'].replicas as number;
    const tpl = sts['spec'].template;
    await Promise.all(
      [...Array(n).keys()].map(async (i) => {
        const name = `${sts['metadata'].name}-${i}`;
        const labels = { ...tpl.metadata.labels, 'apps.kubernetes.io/pod-index': String(i), 'statefulset.kubernetes.io/pod-name': name };
        const obj: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: tpl.spec, status: { phase: 'Pending' } };
        const pod: Pod = { obj, worker: undefined, owner: key, netns: undefined };
        this.pods.set(`${ns}/${name}`, pod);
        this.put('pods', obj, 'ADDED');
        // The pod's network, as a CNI plugin makes it before the pod has an IP.
        if (this.bridge !== undefined) pod.netns = this.bridge.add(this.nextNs++);
        const ip = pod.netns?.ip ?? `127.0.0.${this.nextIp++}`;
        this.setReady(ns, name, false, ip);
        const c = (tpl.spec.containers as Obj[]).find((x) => x['name'] === 'worker')!;
        const env = this.containerEnv(ns, c, ip);
        const cmd = [...(c['command'] ?? []), ...(c['args'] ?? [])].map((a: string) => a.replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => env[v] ?? ''));
        // In its own namespace the worker listens as the container says; on loopback, on its pod IP.
        const rest = cmd.slice(cmd.indexOf('worker') + 1);
        const args = pod.netns !== undefined ? rest : rest.map((a) => a.replace('tcp:0.0.0.0:', `tcp:${ip}:`));
        const w = await startWorker(args, env, pod.netns?.exec ?? []);
        const p = this.pods.get(`${ns}/${name}`);
        if (this.closed || p === undefined || p.owner !== key) return void (await stopWorker(w)); // deleted meanwhile
        p.worker = w;
        if (!this.holdReady) this.setReady(ns, name, true);
      }),
    );
  }

  private containerEnv(ns: string, c: Obj, ip: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of (c['env'] ?? []) as Obj[]) {
      if (e['value'] !== undefined) env[e['name']] = String(e['value']);
      else if (e['valueFrom']?.fieldRef?.fieldPath === 'status.podIP') env[e['name']] = ip;
      else if (e['valueFrom']?.secretKeyRef !== undefined) {
        const ref = e['valueFrom'].secretKeyRef;
        const s = this.objects.get(`secrets/${ns}/${ref.name}`);
        const v = s?.['data']?.[ref.key] ?? (s?.['stringData']?.[ref.key] !== undefined ? Buffer.from(s['stringData'][ref.key]).toString('base64') : undefined);
        if (v === undefined) throw new Error(`fake kubelet: secret ${ns}/${ref.name} key ${ref.key} not found (CreateContainerConfigError)`);
        env[e['name']] = Buffer.from(v, 'base64').toString('utf8');
      }
    }
    return env;
  }
}

function kindResource(o: Obj): string {
  return Object.entries(kinds).find(([, k]) => k.kind === o['kind'])?.[0] ?? 'unknown';
}

function podStatus(ip: string | undefined, ready: boolean): Obj {
  return {
    phase: ip === undefined ? 'Pending' : 'Running',
    ...(ip !== undefined ? { podIP: ip } : {}),
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  };
}

function parseSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').filter((p) => p !== '')) {
    const [k, v] = part.split('=');
    out[k!] = v ?? '';
  }
  return out;
}

function matches(o: Obj, selector: Record<string, string>): boolean {
  const labels = (o['metadata']?.labels ?? {}) as Record<string, string>;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
}

async function readBody(req: IncomingMessage): Promise<Obj | undefined> {
  let s = '';
  for await (const chunk of req) s += String(chunk);
  return s === '' ? undefined : (JSON.parse(s) as Obj);
}

/** SIGTERM a worker's process group (as the kubelet would), SIGKILL if it lingers. */
async function stopWorker(w: Worker | undefined): Promise<void> {
  if (w === undefined || w.child.exitCode !== null || w.child.signalCode !== null) return;
  try {
    process.kill(-w.child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-w.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 5000);
  await w.exited;
  clearTimeout(t);
}
