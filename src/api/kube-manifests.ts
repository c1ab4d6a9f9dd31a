/**
 * The Kubernetes objects a provisioning `KubernetesJob` creates for one mesh, as pure functions
 * (no operator, no custom resource): a `StatefulSet` of workers (`podManagementPolicy: Parallel`:
 * every pod starts at once), a headless `Service` (stable pod DNS names), and one `Secret` per job
 * holding the mesh secret.
 *
 * Invariants:
 * - Each pod runs `<workerCommand> worker --listen tcp:0.0.0.0:<port> --advertise
 *   tcp:$(POD_IP):<port>`: the worker advertises its pod IP, which is the address the job reads
 *   from `status.podIP`, so the client attaches with exactly the address the worker serves under.
 * - The mesh secret reaches the container as `ACTORMESH_SECRET` from the Secret
 *   (`valueFrom.secretKeyRef`), never in the pod spec or on a command line.
 * - Pods are Ready when their port accepts connections (`tcpSocket` readiness probe), i.e. once
 *   the worker serves.
 * - Output is deterministic for the same input (key order included): golden tests compare it
 *   byte for byte.
 */
import type { KubeObject } from './kube-client.js';

export const LABEL_APP = 'app.kubernetes.io/name';
export const APP_NAME = 'actormesh-worker';
export const LABEL_JOB = 'actormesh.dev/job';
export const LABEL_MESH = 'actormesh.dev/mesh';
/** The label StatefulSets put on each pod (Kubernetes 1.28+): its ordinal, the worker's rank. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The key of the mesh secret in its Kubernetes Secret. */
export const SECRET_KEY = 'secret';
export const DEFAULT_PORT = 26600;
export const CONTAINER_NAME = 'worker';

/** A pod template (`V1PodTemplateSpec` as JSON): the job fills in the `worker` container. */
export interface PodTemplate {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: { readonly containers?: readonly Container[]; readonly [k: string]: unknown };
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly ports?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly readinessProbe?: unknown;
  readonly [k: string]: unknown;
}

/** What one provisioned mesh is made of. */
export interface MeshManifestInput {
  /** The job's name (resource names and the `actormesh.dev/job` label). */
  readonly job: string;
  readonly mesh: string;
  readonly namespace: string;
  readonly replicas: number;
  /** The container image (needs node and actormesh, and the modules the procs import). */
  readonly image?: string;
  readonly port: number;
  readonly podTemplate?: PodTemplate;
  /** More labels on the pods (and the StatefulSet). */
  readonly labels?: Readonly<Record<string, string>>;
  /** The command that runs `actormesh` in the image (default `['npx', 'actormesh']`). */
  readonly workerCommand?: readonly string[];
  readonly modules?: readonly string[];
  /** The Secret holding the mesh secret under key `secret`. */
  readonly secretName: string;
}

/** The StatefulSet (and its headless Service) of a mesh: `<job>-<mesh>`. */
export function workloadName(job: string, mesh: string): string {
  return `${job}-${mesh}`;
}

/** The job's Secret when it makes one: `<job>-secret`. */
export function secretName(job: string): string {
  return `${job}-secret`;
}

/** The labels that select a provisioned mesh's pods. */
export function selectorLabels(job: string, mesh: string): Record<string, string> {
  return { [LABEL_JOB]: job, [LABEL_MESH]: mesh };
}

/** Labels as a `labelSelector` query (`k=v,k=v`). */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The selector of an attach-only mesh when none is given: `app.kubernetes.io/name=actormesh-worker,actormesh.dev/mesh=<mesh>`. */
export function defaultSelector(mesh: string): string {
  return labelSelector({ [LABEL_APP]: APP_NAME, [LABEL_MESH]: mesh });
}

/** RFC 1123 label (lowercase letters, digits, `-`; starts with a letter, ends alphanumeric), at most `max` characters. */
export function dnsLabelProblem(name: string, max = 63): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'expected a non-empty name';
  if (name.length > max) return `${name.length} characters; expected at most ${max}`;
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name))
    return 'expected lowercase letters, digits and -, starting with a letter and ending with a letter or digit (RFC 1123)';
  return undefined;
}

/** The worker container's command line (`$(POD_IP)` is expanded by Kubernetes from the env). */
export function workerArgs(m: Pick<MeshManifestInput, 'port' | 'workerCommand' | 'modules'>): string[] {
  return [
    ...(m.workerCommand ?? ['npx', 'actormesh']),
    'worker',
    '--listen',
    `tcp:0.0.0.0:${m.port}`,
    '--advertise',
    `tcp:$(POD_IP):${m.port}`,
    ...(m.modules !== undefined && m.modules.length > 0 ? ['--modules', m.modules.join(',')] : []),
  ];
}

function workerContainer(m: MeshManifestInput, given: Container | undefined): Container {
  const env = [
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'ACTORMESH_SECRET', valueFrom: { secretKeyRef: { name: m.secretName, key: SECRET_KEY } } },
    { name: 'ACTORMESH_PORT', value: String(m.port) },
  ];
  const own = new Set(env.map((e) => e.name));
  const image = m.image ?? given?.image;
  return {
    ...given,
    name: CONTAINER_NAME,
    ...(image !== undefined ? { image } : {}),
    command: workerArgs(m),
    ...(given?.args !== undefined ? { args: [] } : {}),
    env: [...env, ...(given?.env ?? []).filter((e) => !own.has(String(e['name'])))],
    ports: [{ name: 'actormesh', containerPort: m.port, protocol: 'TCP' }, ...(given?.ports ?? []).filter((p) => p['containerPort'] !== m.port)],
    readinessProbe: given?.readinessProbe ?? { tcpSocket: { port: m.port }, periodSeconds: 2, failureThreshold: 2 },
  };
}

/** The StatefulSet of a mesh: `replicas` pods `<job>-<mesh>-<i>`, rank `i` (label `apps.kubernetes.io/pod-index`). */
export function statefulSet(m: MeshManifestInput): KubeObject {
  const name = workloadName(m.job, m.mesh);
  const labels = { [LABEL_APP]: APP_NAME, ...selectorLabels(m.job, m.mesh), ...m.labels };
  const tpl = m.podTemplate;
  const containers = tpl?.spec?.containers ?? [];
  const given = containers.find((c) => c.name === CONTAINER_NAME);
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: m.namespace, labels },
    spec: {
      serviceName: name,
      replicas: m.replicas,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorLabels(m.job, m.mesh) },
      template: {
        metadata: { ...tpl?.metadata, labels: { ...tpl?.metadata?.labels, ...labels } },
        spec: {
          // Service links would put `<SERVICE>_PORT`-style variables in the environment of
          // every worker; none is needed (peers are found by the job).
          enableServiceLinks: false,
          ...tpl?.spec,
          containers: [workerContainer(m, given), ...containers.filter((c) => c.name !== CONTAINER_NAME)],
        },
      },
    },
  };
}

/**
 * The headless Service of a mesh (stable names `<pod>.<job>-<mesh>.<namespace>.svc`); it
 * publishes pods before they are Ready so workers can resolve each other while starting.
 */
export function headlessService(m: MeshManifestInput): KubeObject {
  const name = workloadName(m.job, m.mesh);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: m.namespace, labels: { [LABEL_APP]: APP_NAME, ...selectorLabels(m.job, m.mesh) } },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(m.job, m.mesh),
      ports: [{ name: 'actormesh', port: m.port, targetPort: m.port, protocol: 'TCP' }],
    },
  };
}

/** The job's Secret: the mesh secret under key `secret` (base64 in `data`, as the API stores it). */
export function meshSecret(job: string, namespace: string, name: string, secret: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { [LABEL_APP]: APP_NAME, [LABEL_JOB]: job } },
    type: 'Opaque',
    data: { [SECRET_KEY]: Buffer.from(secret, 'utf8').toString('base64') },
  };
}
