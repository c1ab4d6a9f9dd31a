/**
 * The ProcessAlloc bootstrap protocol (Monarch hyperactor_mesh/src/alloc/process.rs, hyperactor_mesh/src/bootstrap.rs `Allocator2Process`, `Process2AllocatorMessage`), encoded with the core codec over
 * channels: children send `Process2Allocator` frames to the allocator's unix bootstrap channel,
 * the allocator sends `Allocator2Process` messages to each child's listen channel.
 *
 * Invariant: `decode*` never returns a value of the wrong shape: anything else throws
 * `BootstrapProtocolError` naming what was wrong (a malformed frame is dropped by the receiver,
 * never crashes it).
 */
import { decode, encode } from '../../core/codec.js';
import { ActorId, DirectProcId, RankedProcId, WorldId, type ProcId } from '../../core/ids.js';
import type { Transport } from '../../channel/addr.js';
import { ActormeshError } from '../../base/errors.js';

/** Env: the allocator's bootstrap channel address. */
export const BOOTSTRAP_ADDR_ENV = 'HYPERACTOR_MESH_BOOTSTRAP_ADDR';
/** Env: the child's index in the alloc (= its rank). */
export const BOOTSTRAP_INDEX_ENV = 'HYPERACTOR_MESH_INDEX';
/** Env: the client's config snapshot, base64 of a JSON object `{KEY_NAME: text}`. */
export const CONFIG_SNAPSHOT_ENV = 'HYPERACTOR_MESH_CONFIG_SNAPSHOT';
/** Env: the mesh secret a proc proves when it dials another machine (set by `actormesh worker`). */
export const MESH_SECRET_ENV = 'ACTORMESH_SECRET';
/** Env: PEM files of mutual TLS for a proc's links to other machines (set by `actormesh worker --tls-*`). */
export const MESH_TLS_CERT_ENV = 'ACTORMESH_TLS_CERT';
export const MESH_TLS_KEY_ENV = 'ACTORMESH_TLS_KEY';
export const MESH_TLS_CA_ENV = 'ACTORMESH_TLS_CA';

export type ChildMessage =
  | { readonly type: 'Hello'; readonly addr: string }
  | { readonly type: 'StartedProc'; readonly procId: ProcId; readonly agent: ActorId; readonly addr: string }
  | { readonly type: 'Heartbeat' };

/** Child → allocator. */
export interface Process2Allocator {
  readonly index: number;
  readonly msg: ChildMessage;
}

/** Allocator → child. */
export type Allocator2Process =
  | {
      readonly type: 'StartProc';
      readonly world: WorldId;
      readonly rank: number;
      readonly procName: string | null;
      readonly transport: Transport;
      readonly agentType: string;
      readonly agentName: string;
      readonly agentParams: Uint8Array;
      /** Module URLs/specifiers the child imports before spawning the agent. */
      readonly modules: readonly string[];
    }
  | { readonly type: 'StopAndExit'; readonly code: number; readonly timeoutMs: number }
  | { readonly type: 'Exit'; readonly code: number };

/** A bootstrap message between an allocator and its child process was malformed (the kind has one variant, `Protocol`). */
export class BootstrapError extends ActormeshError<'BootstrapError', 'Protocol'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BootstrapError', 'Protocol', message, options);
  }
}

export class BootstrapProtocolError extends BootstrapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function encodeToAllocator(m: Process2Allocator): Uint8Array {
  return encode(m, 'Process2Allocator');
}
export function encodeToProcess(m: Allocator2Process): Uint8Array {
  return encode(m, 'Allocator2Process');
}

function decodeObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = decode(bytes, what);
  } catch (e) {
    throw new BootstrapProtocolError(`undecodable ${what} frame of ${bytes.length} bytes: ${(e as Error).message}`, { cause: e });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BootstrapProtocolError(`${what} frame is not an object; expected {type, ...}`);
  return v as Record<string, unknown>;
}

const isCode = (c: unknown): c is number => Number.isInteger(c) && (c as number) >= 0 && (c as number) <= 255;
const isProcId = (p: unknown): p is ProcId => p instanceof RankedProcId || p instanceof DirectProcId;

export function decodeToAllocator(bytes: Uint8Array): Process2Allocator {
  const o = decodeObject(bytes, 'Process2Allocator');
  const index = o['index'];
  const msg = o['msg'] as Record<string, unknown> | undefined;
  if (!Number.isInteger(index) || (index as number) < 0)
    throw new BootstrapProtocolError(`Process2Allocator index ${String(index)}; expected a non-negative integer`);
  if (typeof msg !== 'object' || msg === null) throw new BootstrapProtocolError('Process2Allocator without msg; expected {index, msg: {type, ...}}');
  switch (msg['type']) {
    case 'Hello':
      if (typeof msg['addr'] !== 'string') break;
      return { index: index as number, msg: { type: 'Hello', addr: msg['addr'] } };
    case 'StartedProc':
      if (!isProcId(msg['procId']) || !(msg['agent'] instanceof ActorId) || typeof msg['addr'] !== 'string') break;
      return { index: index as number, msg: { type: 'StartedProc', procId: msg['procId'], agent: msg['agent'], addr: msg['addr'] } };
    case 'Heartbeat':
      return { index: index as number, msg: { type: 'Heartbeat' } };
  }
  throw new BootstrapProtocolError(
    `malformed child message ${JSON.stringify(String(msg['type']))}; expected Hello{addr}, StartedProc{procId, agent, addr} or Heartbeat`,
  );
}

export function decodeToProcess(bytes: Uint8Array): Allocator2Process {
  const o = decodeObject(bytes, 'Allocator2Process');
  switch (o['type']) {
    case 'StartProc': {
      const ok =
        o['world'] instanceof WorldId &&
        Number.isInteger(o['rank']) &&
        (o['procName'] === null || typeof o['procName'] === 'string') &&
        (o['transport'] === 'unix' || o['transport'] === 'tcp' || o['transport'] === 'local') &&
        typeof o['agentType'] === 'string' &&
        typeof o['agentName'] === 'string' &&
        o['agentParams'] instanceof Uint8Array &&
        Array.isArray(o['modules']) &&
        (o['modules'] as unknown[]).every((m) => typeof m === 'string');
      if (ok) return o as unknown as Allocator2Process;
      break;
    }
    case 'StopAndExit':
      if (isCode(o['code']) && typeof o['timeoutMs'] === 'number') return { type: 'StopAndExit', code: o['code'], timeoutMs: o['timeoutMs'] };
      break;
    case 'Exit':
      if (isCode(o['code'])) return { type: 'Exit', code: o['code'] };
      break;
  }
  throw new BootstrapProtocolError(
    `malformed allocator message ${JSON.stringify(String(o['type']))}; expected StartProc{world, rank, procName, transport, agentType, agentName, agentParams, modules}, StopAndExit{code, timeoutMs} or Exit{code}`,
  );
}
