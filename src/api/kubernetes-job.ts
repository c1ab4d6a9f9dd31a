/**
 * `KubernetesJob` (Monarch's `KubernetesJob`): the workers of each mesh are pods. A mesh is
 * either **attach-only** (pods someone else runs, found by label selector) or **provisioned**
 * (given an `image` or a `podTemplate`): the job creates a StatefulSet, a headless Service and a
 * Secret itself (kube-manifests.ts, no operator) and deletes them on `kill()`. Either way a
 * worker's rank is its pod's `apps.kubernetes.io/pod-index` (or the ordinal of its name), its
 * address `tcp:<status.podIP>:<port>`, and it is used only while its pod is Ready (kube-pods.ts).
 *
 * Invariants:
 * - `apply()` either leaves every rank of every mesh Ready and the cache written, or deletes
 *   every object it created and writes nothing (no partial job).
 * - The cache holds the spec (namespace, kubeconfig path, meshes), the worker addresses and the
 *   path of the local secret file; never credentials or the secret itself.
 * - A cached job is reused while its spec matches and every rank has a Ready pod (one list, no
 *   waiting); the addresses come from the pods at that moment (a rescheduled pod's new IP).
 * - Attach-only pods are never deleted: `kill()` only forgets them.
 * - Out of cluster (`portForward`), the client reaches each worker through its own `kubectl
 *   port-forward`; see kube-port-forward.ts and `AttachOptions.dialVia` for what that carries.
 */
import { writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HostMesh, type AttachOptions } from './host-mesh.js';
import { CachedJob, checkMeshes, checkPort } from './cached-job.js';
import { JobError, newSecretFile, readSecret, sameSpec, writeJobCache, type JobCache, type JobState } from './job.js';
import { KubeApiError, KubeClient, defaultConnection, type KubeObject } from './kube-client.js';
import {
  DEFAULT_PORT,
  POD_INDEX_LABEL,
  SECRET_KEY,
  defaultSelector,
  dnsLabelProblem,
  headlessService,
  labelSelector,
  meshSecret,
  secretName as jobSecretName,
  selectorLabels,
  statefulSet,
  workloadName,
  type MeshManifestInput,
  type PodTemplate,
} from './kube-manifests.js';
import { awaitRanks, formatReadyProgress, readyRanks, type MeshQuery, type RankedPod, type ReadyProgress } from './kube-pods.js';
import { startPortForwards, type PortForwards } from './kube-port-forward.js';

/** One mesh of a `KubernetesJob`. */
export interface KubernetesMeshSpec {
  /** Workers (pods) in the mesh; ranks `0..replicas-1`. */
  readonly replicas: number;
  /** Provisioning: the container image (node, actormesh and the procs' modules in it). */
  readonly image?: string;
  /** Provisioning: a pod template whose `worker` container the job completes (or adds). */
  readonly podTemplate?: PodTemplate;
  /** The workers' port (default 26600). */
  readonly port?: number;
  /** Provisioning: more labels on the pods. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Attach-only: which pods (default `app.kubernetes.io/name=actormesh-worker,actormesh.dev/mesh=<name>`). */
  readonly labelSelector?: string;
  /** The label holding a pod's rank (default `apps.kubernetes.io/pod-index`). */
  readonly podRankLabel?: string;
  /** Provisioning: the command that runs `actormesh` in the image (default `['npx', 'actormesh']`). */
  readonly workerCommand?: readonly string[];
  /** Provisioning: modules every proc imports (`actormesh worker --modules`). */
  readonly modules?: readonly string[];
}

export interface KubernetesJobSpec {
  readonly namespace: string;
  /** Path of a kubeconfig (default: the service account inside a pod, else `$KUBECONFIG` or `~/.kube/config`). */
  readonly kubeconfig?: string;
  /** The kubeconfig context (default its `current-context`). */
  readonly context?: string;
  /** Names the provisioned objects `<name>-<mesh>`, `<name>-secret` (default `actormesh`). */
  readonly name?: string;
  /**
   * A Secret (key `secret`) holding the mesh secret: read by the client, and referenced by
   * provisioned pods instead of a Secret the job makes. Without it, attach-only meshes take the
   * secret from `ACTORMESH_SECRET`/`ACTORMESH_SECRET_FILE`.
   */
  readonly secretName?: string;
  readonly meshes?: Readonly<Record<string, KubernetesMeshSpec>>;
}

export interface KubernetesJobOptions {
  /** Directory of the cache and the local copy of the secret (default `.actormesh`). */
  readonly dir?: string;
  /** How long every rank may take to be Ready (default 10 min). */
  readonly startTimeoutMs?: number;
  /** Passed to `HostMesh.attach` (e.g. `logs`; out of cluster: `listen`/`advertise`, reachable from the pods). */
  readonly attach?: Omit<AttachOptions, 'secret' | 'name' | 'dialVia'>;
  /** Out of cluster: reach each worker through `kubectl port-forward` (`true`, or the kubectl program to run). */
  readonly portForward?: boolean | { readonly kubectl?: string };
  /** Called whenever the Ready ranks of a mesh change while waiting (default: a line on stderr every second). */
  readonly onProgress?: (p: ReadyProgress) => void;
}

const KIND = 'KubernetesJob';
const DEFAULT_NAME = 'actormesh';

/** Whether a mesh is provisioned by the job (an image or a pod template) rather than attached to. */
export function isProvisioned(m: KubernetesMeshSpec): boolean {
  return m.image !== undefined || m.podTemplate !== undefined;
}

export class KubernetesJob extends CachedJob {
  readonly kind = KIND;
  private readonly base: Omit<KubernetesJobSpec, 'meshes'>;
  private readonly meshes: Record<string, KubernetesMeshSpec> = {};
  /** The Ready workers the last check or start found (rank-ordered, per mesh). */
  private seen: Record<string, RankedPod[]> | undefined;
  private forwards: PortForwards | undefined;
  private clientCache: KubeClient | undefined;

  constructor(
    spec: KubernetesJobSpec,
    private readonly opts: KubernetesJobOptions = {},
  ) {
    super(opts.dir, opts.attach);
    const ns = spec?.namespace;
    const bad = dnsLabelProblem(ns);
    if (bad !== undefined) throw new JobError('BadSpec', `KubernetesJob namespace ${JSON.stringify(ns)}: ${bad}`);
    const name = spec.name ?? DEFAULT_NAME;
    const badName = dnsLabelProblem(name, 40);
    if (badName !== undefined) throw new JobError('BadSpec', `KubernetesJob name ${JSON.stringify(name)}: ${badName}`);
    this.base = {
      namespace: ns,
      ...(spec.kubeconfig !== undefined ? { kubeconfig: spec.kubeconfig } : {}),
      ...(spec.context !== undefined ? { context: spec.context } : {}),
      name,
      ...(spec.secretName !== undefined ? { secretName: spec.secretName } : {}),
    };
    for (const [mesh, m] of Object.entries(spec.meshes ?? {})) this.addMesh(mesh, m);
  }

  /** Adds a mesh (attach-only, or provisioned when `image` or `podTemplate` is given); returns this job. */
  addMesh(name: string, mesh: KubernetesMeshSpec): this {
    if (this.cache !== undefined) throw new JobError('BadSpec', `addMesh(${JSON.stringify(name)}) after the job was applied; add every mesh first`);
    if (this.meshes[name] !== undefined) throw new JobError('BadSpec', `mesh ${name} was added twice`);
    const bad = dnsLabelProblem(name, 63 - this.base.name!.length - 1 - 11);
    if (bad !== undefined) throw new JobError('BadSpec', `mesh name ${JSON.stringify(name)}: ${bad} (it names Kubernetes objects ${this.base.name}-${name})`);
    const problem = meshProblem(mesh);
    if (problem !== undefined) throw new JobError('BadSpec', `mesh ${name}: ${problem}`);
    this.meshes[name] = { ...mesh, port: checkPort(mesh.port, DEFAULT_PORT) };
    return this;
  }

  get spec(): KubernetesJobSpec {
    return { ...this.base, meshes: { ...this.meshes } };
  }

  private get client(): KubeClient {
    return (this.clientCache ??= new KubeClient(defaultConnection(this.base.kubeconfig, this.base.context)));
  }

  private queries(spec: KubernetesJobSpec = this.spec): MeshQuery[] {
    return Object.entries(spec.meshes ?? {}).map(([mesh, m]) => ({
      mesh,
      namespace: spec.namespace,
      selector: isProvisioned(m) ? labelSelector(selectorLabels(spec.name ?? DEFAULT_NAME, mesh)) : (m.labelSelector ?? defaultSelector(mesh)),
      replicas: m.replicas,
      port: m.port ?? DEFAULT_PORT,
      rankLabel: m.podRankLabel ?? POD_INDEX_LABEL,
    }));
  }

  override async canRun(cache: JobCache): Promise<boolean> {
    if (cache.kind !== KIND || !sameSpec(cache.spec, this.spec)) return false;
    const found: Record<string, RankedPod[]> = {};
    for (const q of this.queries()) {
      const r = await readyRanks(this.client, q);
      if (r === undefined) return false;
      found[q.mesh] = r;
    }
    this.seen = found;
    return true;
  }

  /** As every job's, and a reused job's addresses are those of its pods now. */
  override async apply(): Promise<void> {
    checkMeshes(KIND, this.spec, "meshes: job.addMesh('trainers', {replicas: 2, image}) first", () => undefined);
    this.seen = undefined;
    await super.apply();
    const cache = this.cache!;
    if (this.seen !== undefined) {
      const workers = addrsOf(this.seen);
      if (!sameSpec(workers, cache.workers)) {
        this.cache = { ...cache, workers };
        writeJobCache(this.dir, this.cache);
      }
    }
  }

  override async state(): Promise<JobState> {
    await this.apply();
    const cache = this.cache!;
    const secret = readSecret(cache.secretFile);
    let dialVia: Readonly<Record<string, string>> | undefined;
    if (this.opts.portForward !== undefined && this.opts.portForward !== false) {
      this.forwards?.close();
      const targets = Object.entries(this.seen ?? {}).flatMap(([mesh, pods]) =>
        pods.map((p) => ({ pod: p.pod, addr: p.addr, port: this.meshes[mesh]!.port! })),
      );
      this.forwards = await startPortForwards(
        {
          ...(typeof this.opts.portForward === 'object' && this.opts.portForward.kubectl !== undefined ? { kubectl: this.opts.portForward.kubectl } : {}),
          ...(this.base.kubeconfig !== undefined ? { kubeconfig: this.base.kubeconfig } : {}),
          ...(this.base.context !== undefined ? { context: this.base.context } : {}),
          namespace: this.base.namespace,
        },
        targets,
      );
      dialVia = this.forwards.dialVia;
    }
    const out: Record<string, HostMesh> = {};
    try {
      for (const [mesh, addrs] of Object.entries(cache.workers))
        out[mesh] = await HostMesh.attach(addrs, { ...this.opts.attach, name: mesh, secret, ...(dialVia !== undefined ? { dialVia } : {}) });
    } catch (e) {
      await Promise.all(Object.values(out).map((h) => h.stop().catch(() => undefined)));
      throw e;
    }
    return out;
  }

  /** Deletes what the job provisioned, forgets the cache, ends this client's port-forwards. */
  override async kill(): Promise<void> {
    this.forwards?.close();
    this.forwards = undefined;
    await super.kill();
  }

  protected override async discard(cache: JobCache): Promise<void> {
    await this.deleteProvisioned(cache.spec as KubernetesJobSpec);
  }

  protected async start(): Promise<JobCache> {
    const spec = this.spec;
    const name = spec.name ?? DEFAULT_NAME;
    const provisioned = Object.entries(spec.meshes ?? {}).filter(([, m]) => isProvisioned(m));
    const created: string[] = [];
    const secretFile = await this.secretFile(spec, provisioned.length > 0, created);
    try {
      for (const [mesh, m] of provisioned) {
        const input = this.manifestInput(spec, mesh, m);
        await this.create(`/api/v1/namespaces/${spec.namespace}/services`, headlessService(input), created);
        await this.create(`/apis/apps/v1/namespaces/${spec.namespace}/statefulsets`, statefulSet(input), created);
      }
      let lastLine = 0;
      const progress =
        this.opts.onProgress ??
        ((p: ReadyProgress) => {
          if (Date.now() - lastLine < 1000 && p.ready.length < p.replicas && p.event === 'ready-changed') return;
          lastLine = Date.now();
          process.stderr.write(`actormesh job: ${formatReadyProgress(p)}\n`);
        });
      this.seen = await awaitRanks(this.client, this.queries(spec), { timeoutMs: this.opts.startTimeoutMs ?? 600_000, onProgress: progress });
    } catch (e) {
      await this.deletePaths(created.reverse());
      throw e;
    }
    return {
      kind: KIND,
      spec,
      workers: addrsOf(this.seen),
      pids: [],
      secretFile,
      createdAt: new Date().toISOString(),
      schedulerJobId: `${spec.namespace}/${name}`,
    };
  }

  /** The local copy of the mesh secret: read from `secretName`, made (and stored in a new Secret) for provisioning, or from the environment. */
  private async secretFile(spec: KubernetesJobSpec, provisioning: boolean, created: string[]): Promise<string> {
    if (spec.secretName !== undefined) {
      const s = await this.client.get<KubeObject & { data?: Record<string, string> }>(`/api/v1/namespaces/${spec.namespace}/secrets/${spec.secretName}`);
      const v = s.data?.[SECRET_KEY];
      if (v === undefined)
        throw new JobError(
          'BadSpec',
          `Secret ${spec.namespace}/${spec.secretName} has no key ${SECRET_KEY}; expected the mesh secret under data.${SECRET_KEY}`,
        );
      return this.writeSecret(Buffer.from(v, 'base64').toString('utf8').trim());
    }
    if (provisioning) {
      const file = newSecretFile(this.dir);
      const name = spec.name ?? DEFAULT_NAME;
      await this.create(`/api/v1/namespaces/${spec.namespace}/secrets`, meshSecret(name, spec.namespace, jobSecretName(name), readSecret(file)), created);
      return file;
    }
    const env = process.env['ACTORMESH_SECRET'];
    if (env !== undefined && env !== '') return this.writeSecret(env);
    if (process.env['ACTORMESH_SECRET_FILE'] !== undefined) return this.writeSecret(readSecret(process.env['ACTORMESH_SECRET_FILE']));
    throw new JobError(
      'BadSpec',
      'KubernetesJob with attach-only meshes needs the mesh secret: secretName (a Secret with key secret) or ACTORMESH_SECRET / ACTORMESH_SECRET_FILE',
    );
  }

  private writeSecret(secret: string): string {
    mkdirSync(this.dir, { recursive: true });
    const p = join(this.dir, 'secret');
    writeFileSync(p, `${secret}\n`, { mode: 0o600 });
    chmodSync(p, 0o600);
    return p;
  }

  private manifestInput(spec: KubernetesJobSpec, mesh: string, m: KubernetesMeshSpec): MeshManifestInput {
    const name = spec.name ?? DEFAULT_NAME;
    return {
      job: name,
      mesh,
      namespace: spec.namespace,
      replicas: m.replicas,
      ...(m.image !== undefined ? { image: m.image } : {}),
      port: m.port ?? DEFAULT_PORT,
      ...(m.podTemplate !== undefined ? { podTemplate: m.podTemplate } : {}),
      ...(m.labels !== undefined ? { labels: m.labels } : {}),
      ...(m.workerCommand !== undefined ? { workerCommand: m.workerCommand } : {}),
      ...(m.modules !== undefined ? { modules: m.modules } : {}),
      secretName: spec.secretName ?? jobSecretName(name),
    };
  }

  private async create(collection: string, obj: KubeObject, created: string[]): Promise<void> {
    await this.client.create(collection, obj);
    created.push(`${collection}/${obj.metadata!.name!}`);
  }

  /** Deletes the StatefulSets, Services and (own) Secret of `spec`'s provisioned meshes, then waits until they are gone. */
  private async deleteProvisioned(spec: KubernetesJobSpec): Promise<void> {
    const name = spec.name ?? DEFAULT_NAME;
    const paths: string[] = [];
    const prov = Object.entries(spec.meshes ?? {}).filter(([, m]) => isProvisioned(m));
    for (const [mesh] of prov) {
      paths.push(`/apis/apps/v1/namespaces/${spec.namespace}/statefulsets/${workloadName(name, mesh)}`);
      paths.push(`/api/v1/namespaces/${spec.namespace}/services/${workloadName(name, mesh)}`);
    }
    if (prov.length > 0 && spec.secretName === undefined) paths.push(`/api/v1/namespaces/${spec.namespace}/secrets/${jobSecretName(name)}`);
    await this.deletePaths(paths);
  }

  /** Deletes each object (already gone is fine) and waits (up to 2 min) until the API no longer has it. */
  private async deletePaths(paths: readonly string[]): Promise<void> {
    for (const p of paths) {
      try {
        await this.client.delete(p);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.status === 404)) throw e;
      }
    }
    const end = Date.now() + 120_000;
    for (const p of paths) {
      for (;;) {
        try {
          await this.client.get(p);
        } catch (e) {
          if (e instanceof KubeApiError && e.status === 404) break;
          throw e;
        }
        if (Date.now() > end) throw new JobError('StartFailed', `${p} was deleted but still exists after 120 s (pods still terminating?)`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

function meshProblem(m: KubernetesMeshSpec): string | undefined {
  if (typeof m !== 'object' || m === null) return `expected {replicas, image?, port?, ...}, got ${JSON.stringify(m)}`;
  if (!Number.isSafeInteger(m.replicas) || m.replicas < 1) return `replicas ${String(m.replicas)}; expected a positive integer`;
  if (m.image !== undefined && (typeof m.image !== 'string' || m.image === '')) return `image ${JSON.stringify(m.image)}; expected an image reference`;
  if (isProvisioned(m) && m.labelSelector !== undefined)
    return 'labelSelector is for attach-only meshes; a provisioned mesh is selected by the labels the job puts on its pods';
  if (m.podTemplate !== undefined && m.image === undefined && !(m.podTemplate.spec?.containers ?? []).some((c) => c.name === 'worker' && c.image !== undefined))
    return 'a pod template without image needs a container named worker with an image';
  return undefined;
}

function addrsOf(found: Record<string, RankedPod[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(found).map(([m, pods]) => [m, pods.map((p) => p.addr)]));
}
