/**
 * Reading SLURM's answers (for `SlurmJob`). The stable sources are `squeue -h -j <id> -o
 * '%T|%N|%r'` (state, node list, reason), `scontrol show hostnames <list>` and `scontrol show node
 * -o <name>` (`NodeAddr=`); `squeue --json` is only a fallback: its layout differs across versions
 * (Monarch issues #2330, #2331) and Slurm 22.05's ignores `--job` (it lists every job), so it is
 * always filtered by job id and both node layouts are accepted.
 *
 * Invariant: every parser returns `undefined` (or throws `JobError('BadCache')` naming what it got)
 * for output it does not understand; nothing here guesses.
 */
import { JobError } from './job.js';

/** States after which a job never runs again. */
export const TERMINAL_STATES = new Set(['BOOT_FAIL', 'CANCELLED', 'COMPLETED', 'DEADLINE', 'FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'TIMEOUT']);

export interface QueueEntry {
  readonly state: string;
  /** The compressed node list (`node[1-2]`), empty while pending. */
  readonly nodes: string;
  readonly reason: string;
}

/** One line of `squeue -h -j <id> -o '%T|%N|%r'`; undefined for an empty answer (the job left the queue). */
export function parseSqueueLine(text: string): QueueEntry | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) return undefined;
  const parts = line.trim().split('|');
  if (parts.length !== 3 || !/^[A-Z_]+$/.test(parts[0]!))
    throw new JobError('BadCache', `unexpected squeue output ${JSON.stringify(line)}; expected STATE|NODELIST|REASON`);
  return { state: parts[0]!, nodes: parts[1]!, reason: parts[2]! };
}

/** `NodeAddr` of one line of `scontrol show node -o <name>`. */
export function parseNodeAddr(text: string): string | undefined {
  return /(?:^|\s)NodeAddr=(\S+)/.exec(text)?.[1];
}

/** The host names of `scontrol show hostnames <list>` (one per line). */
export function parseHostnames(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/**
 * The entry for job `id` in `squeue --json` output of any version: `jobs` filtered by `job_id`
 * (22.05 lists every job whatever `--job` says), state from `job_state` (a string, or a list of
 * flags in 23.x+), nodes from `nodes` (a string up to 23.x) or `job_resources.nodes.allocation[].name` (24.11).
 */
export function parseSqueueJson(text: string, id: string): QueueEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new JobError('BadCache', `squeue --json output is not JSON: ${(e as Error).message}`);
  }
  const jobs = (v as { jobs?: unknown }).jobs;
  if (!Array.isArray(jobs)) throw new JobError('BadCache', 'squeue --json output has no jobs array');
  const job = jobs.find((j) => String((j as { job_id?: unknown }).job_id) === id) as Record<string, unknown> | undefined;
  if (job === undefined) return undefined;
  const st = job['job_state'];
  const state = Array.isArray(st) ? String(st[0] ?? '') : String(st ?? '');
  let nodes = '';
  if (typeof job['nodes'] === 'string') nodes = job['nodes'];
  else {
    const alloc = (job['job_resources'] as { nodes?: { allocation?: Array<{ name?: unknown }> } } | undefined)?.nodes?.allocation;
    if (Array.isArray(alloc)) nodes = alloc.map((a) => String(a.name)).join(',');
  }
  return { state, nodes, reason: String(job['state_reason'] ?? '') };
}
