/**
 * The API layer (Monarch's Python API, python/monarch/_src/actor/v1/host_mesh.py `this_host`): procs on this machine (`thisHost`), host meshes of workers on
 * other machines (`HostMesh`), jobs that start those workers, and the `actormesh` command. The
 * package root re-exports what a program uses; this barrel also holds the command line and the
 * job cache.
 */
export { thisHost, Host, ProcMesh, isWorker, ApiUsageError, type SpawnOptions, type SpawnProcsOptions, type ActorMeshOf } from './host.js';
export { HostMesh, HostMeshRef, type AttachOptions, type HostSpawnProcsOptions, type ShutdownResult } from './host-mesh.js';
export { runCli } from './cli.js';
export { thisProc } from './this-proc.js';
export { JobError, JOB_DIR, readJobCache, type Job, type JobState, type JobCache } from './job.js';
export { ProcessJob, loadJob, type ProcessJobSpec, type ProcessJobOptions } from './process-job.js';
export { SSHJob, type SSHJobSpec, type SSHJobOptions } from './ssh-job.js';
export { SlurmJob, type SlurmJobSpec, type SlurmJobOptions } from './slurm-job.js';
export { KubernetesJob, type KubernetesJobSpec, type KubernetesJobOptions, type KubernetesMeshSpec } from './kubernetes-job.js';
export { KubeApiError } from './kube-client.js';
export { KubeConfigError, KubernetesError, type KubernetesErrorVariant } from './kube-yaml.js';
export { PodsNotReadyError, formatReadyProgress, type ReadyProgress } from './kube-pods.js';
