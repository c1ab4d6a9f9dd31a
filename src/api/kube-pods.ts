/**
 * Finding the workers of a mesh among pods: rank from a label (`apps.kubernetes.io/pod-index`,
 * else the ordinal suffix of the pod name `<statefulset>-<n>`), address `tcp:<status.podIP>:<port>`,
 * usable only while the pod's `Ready` condition is `True` and it is not being deleted.
 *
 * Invariants:
 * - `awaitRanks` resolves only when every rank `0..replicas-1` of every mesh has a Ready pod at
 *   the same moment: a pod that turns NotReady (or is deleted) gives its rank back, so a
 *   flapping pod is never taken while it is not Ready.
 * - A watch that ends (server timeout, stream closed early) is resumed from the last
 *   `resourceVersion` seen; `410 Gone` lists again. Only the deadline ends the wait, with a
 *   `PodsNotReadyError` naming, per mesh, the ranks still missing and what their pods are doing.
 */
import { JobError } from './job.js';
import { KubeApiError, type KubeClient, type KubeObject, type WatchEvent } from './kube-client.js';
import { POD_INDEX_LABEL } from './kube-manifests.js';

/** What a pod says about its worker. */
export interface PodView {
  readonly name: string;
  /** Undefined when neither the rank label nor the name gives a rank. */
  readonly rank: number | undefined;
  readonly ip: string | undefined;
  readonly ready: boolean;
  /** `Pending`, `Running`, ... (`Terminating` while it is being deleted). */
  readonly phase: string;
}

/** Where one mesh's workers are found. */
export interface MeshQuery {
  readonly mesh: string;
  readonly namespace: string;
  readonly selector: string;
  readonly replicas: number;
  readonly port: number;
  readonly rankLabel: string;
}

/** A found worker: its pod and address. */
export interface RankedPod {
  readonly pod: string;
  readonly addr: string;
}

/** Progress of a wait for one mesh: reported at each change of its Ready ranks and each watch the API server ends. */
export interface ReadyProgress {
  readonly mesh: string;
  /** Why this report: the set of Ready ranks changed, or the API server ended the watch (it is resumed). */
  readonly event: 'ready-changed' | 'watch-ended';
  readonly ready: readonly number[];
  readonly replicas: number;
  /** The ranks still without a Ready pod, and for each what its pod is doing. */
  readonly missing: readonly number[];
  readonly why: readonly string[];
  /** Since the wait began. */
  readonly elapsedMs: number;
}

/** One line for people: `mesh w: 1/2 pods Ready after 3 s; waiting for ranks [1] (w-1: Pending, not Ready)`. */
export function formatReadyProgress(p: ReadyProgress): string {
  const head = p.event === 'watch-ended' ? `mesh ${p.mesh}: the API server ended the watch, resuming; ` : `mesh ${p.mesh}: `;
  const waiting = p.missing.length > 0 ? `; waiting for ranks [${p.missing.join(', ')}] (${p.why.join('; ')})` : '';
  return `${head}${p.ready.length}/${p.replicas} pods Ready after ${Math.round(p.elapsedMs / 1000)} s${waiting}`;
}

/** Not every rank became Ready before the deadline; `missing` names them per mesh. */
export class PodsNotReadyError extends JobError {
  readonly missing: Readonly<Record<string, readonly number[]>>;
  constructor(timeoutMs: number, details: ReadonlyArray<{ mesh: string; replicas: number; missing: number[]; why: string[] }>) {
    super(
      'StartFailed',
      `Kubernetes pods not Ready within ${timeoutMs} ms:\n${details
        .map(
          (d) =>
            `  - mesh ${d.mesh}: ${d.replicas - d.missing.length}/${d.replicas} ranks Ready; missing ranks [${d.missing.join(', ')}] (${d.why.join('; ')})`,
        )
        .join('\n')}`,
    );
    this.missing = Object.fromEntries(details.map((d) => [d.mesh, d.missing]));
  }
}

interface PodObject extends KubeObject {
  readonly status?: { readonly phase?: string; readonly podIP?: string; readonly conditions?: ReadonlyArray<{ type?: string; status?: string }> };
}

/** A pod as the job sees it. */
export function podView(pod: KubeObject, rankLabel: string = POD_INDEX_LABEL): PodView {
  const p = pod as PodObject;
  const name = p.metadata?.name ?? '';
  const label = p.metadata?.labels?.[rankLabel];
  const fromName = /-(\d+)$/.exec(name)?.[1];
  const r = label !== undefined && /^\d+$/.test(label) ? Number(label) : fromName !== undefined ? Number(fromName) : undefined;
  const deleting = p.metadata?.deletionTimestamp !== undefined;
  const ready = !deleting && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') && p.status?.podIP !== undefined;
  return { name, rank: r, ip: p.status?.podIP, ready, phase: deleting ? 'Terminating' : (p.status?.phase ?? 'Unknown') };
}

/** The worker address of a pod IP and port. */
export function podAddr(ip: string, port: number): string {
  return ip.includes(':') ? `tcp:[${ip}]:${port}` : `tcp:${ip}:${port}`;
}

export function podsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
}

/** Rank → Ready pod of a set of pods, the Ready ranks in order, and the ranks that have none. */
function rankTable(q: MeshQuery, pods: Iterable<PodView>): { found: Map<number, RankedPod>; ready: number[]; missing: number[]; why: string[] } {
  const found = new Map<number, RankedPod>();
  const seen = new Map<number, PodView>();
  for (const p of pods) {
    if (p.rank === undefined || p.rank >= q.replicas) continue;
    if (p.ready && p.ip !== undefined) found.set(p.rank, { pod: p.name, addr: podAddr(p.ip, q.port) });
    else if (!seen.has(p.rank)) seen.set(p.rank, p);
  }
  const missing: number[] = [];
  const why: string[] = [];
  for (let r = 0; r < q.replicas; r++) {
    if (found.has(r)) continue;
    missing.push(r);
    const p = seen.get(r);
    why.push(p === undefined ? `rank ${r}: no pod` : `${p.name}: ${p.phase}, not Ready`);
  }
  return { found, ready: [...found.keys()].sort((a, b) => a - b), missing, why };
}

/** The Ready workers of a mesh right now (one list): rank-ordered, or undefined if a rank is missing. */
export async function readyRanks(client: KubeClient, q: MeshQuery): Promise<RankedPod[] | undefined> {
  const list = await client.list(podsPath(q.namespace), { labelSelector: q.selector });
  const t = rankTable(
    q,
    list.items.map((p) => podView(p, q.rankLabel)),
  );
  return t.missing.length === 0 ? [...Array(q.replicas).keys()].map((r) => t.found.get(r)!) : undefined;
}

/**
 * Waits until every rank of every mesh has a Ready pod (lists, then watches from the list's
 * resourceVersion, resuming watches that end); the Ready workers per mesh, rank-ordered.
 */
export async function awaitRanks(
  client: KubeClient,
  queries: readonly MeshQuery[],
  opts: {
    readonly timeoutMs: number;
    readonly onProgress?: (p: ReadyProgress) => void;
  },
): Promise<Record<string, RankedPod[]>> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), opts.timeoutMs);
  const last = new Map<string, { missing: number[]; why: string[] }>();
  try {
    const results = await Promise.allSettled(queries.map((q) => awaitMesh(client, q, deadline, stop.signal, opts, last, started)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof DeadlineError));
    if (failed !== undefined) throw failed.reason;
    if (results.some((r) => r.status === 'rejected'))
      throw new PodsNotReadyError(
        opts.timeoutMs,
        queries
          .filter((q) => (last.get(q.mesh)?.missing.length ?? 1) > 0)
          .map((q) => ({
            mesh: q.mesh,
            replicas: q.replicas,
            missing: last.get(q.mesh)?.missing ?? [...Array(q.replicas).keys()],
            why: last.get(q.mesh)?.why ?? ['no answer from the API server'],
          })),
      );
    return Object.fromEntries(queries.map((q, i) => [q.mesh, (results[i] as PromiseFulfilledResult<RankedPod[]>).value]));
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

class DeadlineError extends Error {}

async function awaitMesh(
  client: KubeClient,
  q: MeshQuery,
  deadline: number,
  signal: AbortSignal,
  opts: { readonly onProgress?: (p: ReadyProgress) => void },
  last: Map<string, { missing: number[]; why: string[] }>,
  started: number,
): Promise<RankedPod[]> {
  const pods = new Map<string, PodView>();
  let rv: string | undefined;
  let reported = '';
  const report = (event: ReadyProgress['event'], t: ReturnType<typeof rankTable>) =>
    opts.onProgress?.({ mesh: q.mesh, event, ready: t.ready, replicas: q.replicas, missing: t.missing, why: t.why, elapsedMs: Date.now() - started });
  /** The rank-ordered workers once all are Ready; reports progress when the Ready set changed. */
  const check = (): RankedPod[] | undefined => {
    const t = rankTable(q, pods.values());
    last.set(q.mesh, { missing: t.missing, why: t.why });
    const key = t.ready.join(',');
    if (key !== reported) {
      reported = key;
      report('ready-changed', t);
    }
    return t.missing.length === 0 ? t.ready.map((r) => t.found.get(r)!) : undefined;
  };
  const path = podsPath(q.namespace);
  for (;;) {
    if (signal.aborted || Date.now() >= deadline) throw new DeadlineError();
    if (rv === undefined) {
      const list = await client.list(path, { labelSelector: q.selector });
      pods.clear();
      for (const p of list.items) pods.set(p.metadata?.name ?? '', podView(p, q.rankLabel));
      rv = list.metadata.resourceVersion;
    }
    const now = check();
    if (now !== undefined) return now;
    let done: RankedPod[] | undefined;
    const onEvent = (ev: WatchEvent): 'stop' | undefined => {
      const name = ev.object.metadata?.name;
      if (ev.type === 'BOOKMARK' || name === undefined) return undefined;
      if (ev.type === 'DELETED') pods.delete(name);
      else pods.set(name, podView(ev.object, q.rankLabel));
      done = check();
      return done !== undefined ? 'stop' : undefined;
    };
    try {
      const r = await client.watch(
        path,
        { labelSelector: q.selector, resourceVersion: rv, timeoutSeconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)) },
        onEvent,
        signal,
      );
      rv = r.resourceVersion;
      if (done !== undefined) return done;
      if (r.ended === 'aborted') throw new DeadlineError();
      report('watch-ended', rankTable(q, pods.values()));
      await new Promise((r) => setTimeout(r, 50)); // a server that ends watches at once is not hammered
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 410) {
        rv = undefined; // too old: list again
        continue;
      }
      throw e;
    }
  }
}
