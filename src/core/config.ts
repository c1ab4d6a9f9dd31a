/**
 * Layered runtime configuration (Monarch `hyperactor::config::global`) and its keys
 * (hyperactor/src/config.rs, hyperactor_mesh/src/config.rs).
 *
 * Invariants:
 * - `get(key)` returns the value of the highest layer that has one, in the order
 *   TestOverride > Runtime > Env > File > ClientOverride > Default.
 * - the Env layer holds only keys with an env var, read lazily from the env source on first use
 *   of the key (so keys declared later still see the environment); a malformed env value throws
 *   `ConfigError` naming the variable, the value and what was expected, on every use until fixed.
 * - snapshots are plain `{ KEY_NAME: text }` objects (JSON- and env-safe); `install(layer, s)`
 *   parses them with the same parsers as env vars, so a child sees exactly its parent's values.
 */
import { readFileSync } from 'node:fs';
import {
  AttrValueError,
  ConfigError,
  boolType,
  declareKey,
  durationType,
  enumType,
  floatType,
  optionalPortRangeType,
  optionalStringType,
  uintOrUnlimitedType,
  uintType,
  type ConfigKey,
  type KeyType,
} from './attrs.js';

export { ConfigError, type ConfigKey } from './attrs.js';

// ---------------------------------------------------------------------------------------------
// Key registry.

const registry = new Map<string, ConfigKey<unknown>>();
const byEnvVar = new Map<string, ConfigKey<unknown>>();

/** Declares and registers a key (registration makes it visible to snapshots and name lookup). */
export function defineConfigKey<T>(name: string, envVar: string | undefined, type: KeyType<T>, defaultValue: T, doc: string): ConfigKey<T> {
  if (registry.has(name)) throw new ConfigError('DuplicateKey', { key: name, expected: 'a key name declared only once' });
  const key = declareKey(name, envVar, type, defaultValue, doc);
  registry.set(name, key as ConfigKey<unknown>);
  if (envVar) byEnvVar.set(envVar, key as ConfigKey<unknown>);
  return key;
}

/** Every registered key, in declaration order. */
export function configKeys(): ConfigKey<unknown>[] {
  return [...registry.values()];
}

/** The registered key with this name (`MESSAGE_TTL_DEFAULT`) or env var, if any. */
export function configKeyByName(name: string): ConfigKey<unknown> | undefined {
  return registry.get(name) ?? byEnvVar.get(name);
}

// ---------------------------------------------------------------------------------------------
// Key table (Monarch names, env vars and defaults: hyperactor/src/config.rs `declare_attrs!`). Durations are milliseconds.

const GiB = 1024 ** 3;

export const CODEC_MAX_FRAME_LENGTH = defineConfigKey(
  'CODEC_MAX_FRAME_LENGTH',
  'HYPERACTOR_CODEC_MAX_FRAME_LENGTH',
  uintType(1),
  10 * GiB,
  'Largest channel frame in bytes; larger frames are rejected.',
);
export const MESSAGE_DELIVERY_TIMEOUT = defineConfigKey(
  'MESSAGE_DELIVERY_TIMEOUT',
  'HYPERACTOR_MESSAGE_DELIVERY_TIMEOUT',
  durationType,
  30_000,
  'A NetTx whose oldest unacked message is older than this is declared dead.',
);
export const MESSAGE_ACK_TIME_INTERVAL = defineConfigKey(
  'MESSAGE_ACK_TIME_INTERVAL',
  'HYPERACTOR_MESSAGE_ACK_TIME_INTERVAL',
  durationType,
  500,
  'Server acks at least this often while messages arrive.',
);
export const MESSAGE_ACK_EVERY_N_MESSAGES = defineConfigKey(
  'MESSAGE_ACK_EVERY_N_MESSAGES',
  'HYPERACTOR_MESSAGE_ACK_EVERY_N_MESSAGES',
  uintType(1),
  1000,
  'Server acks after this many messages.',
);
export const MESSAGE_TTL_DEFAULT = defineConfigKey(
  'MESSAGE_TTL_DEFAULT',
  'HYPERACTOR_MESSAGE_TTL_DEFAULT',
  uintType(0, 255),
  64,
  'Initial envelope TTL (hops) — u8.',
);
export const SPLIT_MAX_BUFFER_SIZE = defineConfigKey(
  'SPLIT_MAX_BUFFER_SIZE',
  'HYPERACTOR_SPLIT_MAX_BUFFER_SIZE',
  uintType(1),
  5,
  'A reducing split port flushes when this many updates are buffered.',
);
export const SPLIT_MAX_BUFFER_AGE = defineConfigKey(
  'SPLIT_MAX_BUFFER_AGE',
  'HYPERACTOR_SPLIT_MAX_BUFFER_AGE',
  durationType,
  50,
  'A reducing split port flushes buffered updates after this long.',
);
export const PROCESS_EXIT_TIMEOUT = defineConfigKey(
  'PROCESS_EXIT_TIMEOUT',
  'HYPERACTOR_PROCESS_EXIT_TIMEOUT',
  durationType,
  10_000,
  'Alloc watchdog / host Stop grace before killing a process.',
);
export const STOP_ACTOR_TIMEOUT = defineConfigKey(
  'STOP_ACTOR_TIMEOUT',
  'HYPERACTOR_STOP_ACTOR_TIMEOUT',
  durationType,
  10_000,
  'Agent Stop/StopAll wait per actor.',
);
export const CLEANUP_TIMEOUT = defineConfigKey('CLEANUP_TIMEOUT', 'HYPERACTOR_CLEANUP_TIMEOUT', durationType, 3_000, 'Time allowed for an actor cleanup.');
export const HOST_SPAWN_READY_TIMEOUT = defineConfigKey(
  'HOST_SPAWN_READY_TIMEOUT',
  'HYPERACTOR_HOST_SPAWN_READY_TIMEOUT',
  durationType,
  30_000,
  'Host::spawn waits this long for a proc to be ready (0 = forever).',
);
export const REMOTE_ALLOCATOR_HEARTBEAT_INTERVAL = defineConfigKey(
  'REMOTE_ALLOCATOR_HEARTBEAT_INTERVAL',
  'HYPERACTOR_REMOTE_ALLOCATOR_HEARTBEAT_INTERVAL',
  durationType,
  300_000,
  'Remote allocator heartbeat period.',
);
export const CHANNEL_NET_RX_BUFFER_FULL_CHECK_INTERVAL = defineConfigKey(
  'CHANNEL_NET_RX_BUFFER_FULL_CHECK_INTERVAL',
  'HYPERACTOR_CHANNEL_NET_RX_BUFFER_FULL_CHECK_INTERVAL',
  durationType,
  5_000,
  'Diagnostics: how often a full receive buffer is reported.',
);
export const MESSAGE_LATENCY_SAMPLING_RATE = defineConfigKey(
  'MESSAGE_LATENCY_SAMPLING_RATE',
  'HYPERACTOR_MESSAGE_LATENCY_SAMPLING_RATE',
  floatType(0, 1),
  0.01,
  'Fraction of messages whose latency is sampled (telemetry).',
);
export const ACTOR_SPAWN_MAX_IDLE = defineConfigKey(
  'ACTOR_SPAWN_MAX_IDLE',
  'HYPERACTOR_MESH_ACTOR_SPAWN_MAX_IDLE',
  durationType,
  30_000,
  'Actor spawn/stop waits give up after this long without progress.',
);
export const GET_ACTOR_STATE_MAX_IDLE = defineConfigKey(
  'GET_ACTOR_STATE_MAX_IDLE',
  'HYPERACTOR_MESH_GET_ACTOR_STATE_MAX_IDLE',
  durationType,
  60_000,
  'actor_states waits give up after this long without progress.',
);
export const PROC_SPAWN_MAX_IDLE = defineConfigKey(
  'PROC_SPAWN_MAX_IDLE',
  'HYPERACTOR_MESH_PROC_SPAWN_MAX_IDLE',
  durationType,
  30_000,
  'Host proc spawn waits give up after this long without progress.',
);
export const PROC_STOP_MAX_IDLE = defineConfigKey(
  'PROC_STOP_MAX_IDLE',
  'HYPERACTOR_MESH_PROC_STOP_MAX_IDLE',
  durationType,
  30_000,
  'stop_proc_mesh waits give up after this long without progress.',
);
export const GET_PROC_STATE_MAX_IDLE = defineConfigKey(
  'GET_PROC_STATE_MAX_IDLE',
  'HYPERACTOR_MESH_GET_PROC_STATE_MAX_IDLE',
  durationType,
  60_000,
  'proc_states waits give up after this long without progress.',
);
export const DEFAULT_TRANSPORT = defineConfigKey(
  'DEFAULT_TRANSPORT',
  'HYPERACTOR_MESH_DEFAULT_TRANSPORT',
  enumType(['unix', 'tcp', 'local'] as const),
  'unix',
  'Transport used by hosts and meshes when none is given.',
);
export const CAST_POINT_TO_POINT_THRESHOLD = defineConfigKey(
  'CAST_POINT_TO_POINT_THRESHOLD',
  'HYPERACTOR_MESH_V1_CAST_POINT_TO_POINT_THRESHOLD',
  uintType(0),
  256,
  'Actor meshes with at most this many members are cast to point to point (one envelope per member, no comm tree); larger meshes cast through the comm tree. A property of the mesh, so one stream never mixes the two.',
);
export const MAX_CAST_DIMENSION_SIZE = defineConfigKey(
  'MAX_CAST_DIMENSION_SIZE',
  'HYPERACTOR_MESH_MAX_CAST_DIMENSION_SIZE',
  uintOrUnlimitedType,
  Infinity,
  'Casts reshape dimensions larger than this (unlimited by default).',
);
export const MESH_TERMINATE_TIMEOUT = defineConfigKey(
  'MESH_TERMINATE_TIMEOUT',
  'HYPERACTOR_MESH_TERMINATE_TIMEOUT',
  durationType,
  10_000,
  'ShutdownHost grace period per proc.',
);
export const MESH_TERMINATE_CONCURRENCY = defineConfigKey(
  'MESH_TERMINATE_CONCURRENCY',
  'HYPERACTOR_MESH_TERMINATE_CONCURRENCY',
  uintType(1),
  16,
  'ShutdownHost: procs terminated concurrently.',
);
export const MESH_BOOTSTRAP_ENABLE_PDEATHSIG = defineConfigKey(
  'MESH_BOOTSTRAP_ENABLE_PDEATHSIG',
  'HYPERACTOR_MESH_BOOTSTRAP_ENABLE_PDEATHSIG',
  boolType,
  true,
  'Children exit when their parent dies.',
);
export const MESH_TAIL_LOG_LINES = defineConfigKey(
  'MESH_TAIL_LOG_LINES',
  'HYPERACTOR_MESH_TAIL_LOG_LINES',
  uintType(0),
  0,
  'Lines of child stderr kept for exit reasons.',
);
export const MESH_ENABLE_LOG_FORWARDING = defineConfigKey(
  'MESH_ENABLE_LOG_FORWARDING',
  'HYPERACTOR_MESH_ENABLE_LOG_FORWARDING',
  boolType,
  false,
  'Forward child logs to the client.',
);
export const MESH_ENABLE_FILE_CAPTURE = defineConfigKey(
  'MESH_ENABLE_FILE_CAPTURE',
  'HYPERACTOR_MESH_ENABLE_FILE_CAPTURE',
  boolType,
  false,
  'Capture child stdout/stderr to files.',
);
export const REMOTE_ALLOC_BIND_TO_INADDR_ANY = defineConfigKey(
  'REMOTE_ALLOC_BIND_TO_INADDR_ANY',
  'HYPERACTOR_REMOTE_ALLOC_BIND_TO_INADDR_ANY',
  boolType,
  false,
  'Remote alloc servers bind 0.0.0.0.',
);
export const REMOTE_ALLOC_BOOTSTRAP_ADDR = defineConfigKey(
  'REMOTE_ALLOC_BOOTSTRAP_ADDR',
  'HYPERACTOR_REMOTE_ALLOC_BOOTSTRAP_ADDR',
  optionalStringType,
  undefined,
  'Channel address remote allocs bootstrap from (unset by default).',
);
export const REMOTE_ALLOC_ALLOWED_PORT_RANGE = defineConfigKey(
  'REMOTE_ALLOC_ALLOWED_PORT_RANGE',
  'HYPERACTOR_REMOTE_ALLOC_ALLOWED_PORT_RANGE',
  optionalPortRangeType,
  undefined,
  'Ports remote allocs may serve on, `a..b` (unset = any).',
);
export const MESH_ATTACH_CONFIG_TIMEOUT = defineConfigKey(
  'MESH_ATTACH_CONFIG_TIMEOUT',
  'HYPERACTOR_MESH_ATTACH_CONFIG_TIMEOUT',
  durationType,
  60_000,
  'HostMesh.attach: how long a reachable worker may take to install the client config.',
);
export const MESH_ATTACH_CONNECT_TIMEOUT = defineConfigKey(
  'MESH_ATTACH_CONNECT_TIMEOUT',
  'HYPERACTOR_MESH_ATTACH_CONNECT_TIMEOUT',
  durationType,
  10_000,
  'HostMesh.attach: a worker whose port cannot be connected to for this long is Unreachable.',
);
export const MESH_ORPHAN_TIMEOUT = defineConfigKey(
  'MESH_ORPHAN_TIMEOUT',
  'HYPERACTOR_MESH_ORPHAN_TIMEOUT',
  durationType,
  60_000,
  'A worker stops the procs of a client that sent no keepalive for this long (the worker stays up).',
);
export const MESH_HOST_LINK_TIMEOUT = defineConfigKey(
  'MESH_HOST_LINK_TIMEOUT',
  'HYPERACTOR_MESH_HOST_LINK_TIMEOUT',
  durationType,
  10_000,
  'A host whose link stays disconnected (no TCP connection) for this long is failed: its ranks become supervision failures.',
);
export const MESH_HOST_UNRESPONSIVE_TIMEOUT = defineConfigKey(
  'MESH_HOST_UNRESPONSIVE_TIMEOUT',
  'HYPERACTOR_MESH_HOST_UNRESPONSIVE_TIMEOUT',
  durationType,
  30_000,
  'A worker that answers no keepalive for this long, although its connection looks open (a cut network), is failed like a lost host. Workers run no user code, so a busy proc never delays their answers.',
);
export const MESH_KEEPALIVE_INTERVAL = defineConfigKey(
  'MESH_KEEPALIVE_INTERVAL',
  'HYPERACTOR_MESH_KEEPALIVE_INTERVAL',
  durationType,
  1_000,
  'How often a client tells the workers it attached to that it is alive.',
);

// ---------------------------------------------------------------------------------------------
// Layered store.

export type ConfigLayer = 'TestOverride' | 'Runtime' | 'Env' | 'File' | 'ClientOverride' | 'Default';
type StoredLayer = Exclude<ConfigLayer, 'Default'>;
/** Layers from highest to lowest precedence (Default is implicit below them). */
export const CONFIG_LAYERS: readonly ConfigLayer[] = ['TestOverride', 'Runtime', 'Env', 'File', 'ClientOverride', 'Default'];
const STORED: readonly StoredLayer[] = ['TestOverride', 'Runtime', 'Env', 'File', 'ClientOverride'];

/** A serializable config: key name → value text (parsed with the key's own parser). */
export type ConfigSnapshot = Record<string, string>;

/** Undoes one override; `restore()` is idempotent. */
export interface ConfigOverride {
  restore(): void;
}

type EnvSource = Record<string, string | undefined>;

const ABSENT = Symbol('absent');

export class Config {
  private readonly layers: Record<StoredLayer, Map<string, unknown>> = {
    TestOverride: new Map(),
    Runtime: new Map(),
    Env: new Map(),
    File: new Map(),
    ClientOverride: new Map(),
  };
  /** Resolved values; cleared on every mutation (`invalidate`). */
  private readonly cache = new Map<string, unknown>();
  private changes = 0;
  /** Keys whose env var has been read (successfully) into the Env layer. */
  private readonly envRead = new Set<string>();
  private env: EnvSource;

  /** `env` defaults to `process.env`, read lazily per key. */
  constructor(opts: { env?: EnvSource } = {}) {
    this.env = opts.env ?? process.env;
  }

  /**
   * Changes whenever any effective value may have changed (every mutation bumps it): a hot path
   * may keep a resolved value and re-read it only when `version` differs.
   */
  get version(): number {
    return this.changes;
  }

  private invalidate(): void {
    this.cache.clear();
    this.changes++;
  }

  /** The effective value of `key`. Throws `ConfigError` if its env var is malformed. */
  get<T>(key: ConfigKey<T>): T {
    const c = this.cache.get(key.name);
    if (c !== undefined || this.cache.has(key.name)) return c as T;
    const v = this.resolve(key);
    this.cache.set(key.name, v);
    return v;
  }

  /** The layer that currently provides `key`'s value. */
  layerOf(key: ConfigKey<unknown>): ConfigLayer {
    this.readEnv(key);
    for (const l of STORED) if (this.layers[l].has(key.name)) return l;
    return 'Default';
  }

  /** Sets `key` in `layer` (not Default). */
  set<T>(layer: ConfigLayer, key: ConfigKey<T>, value: T): void {
    this.layers[storedLayer(layer)].set(key.name, value);
    this.invalidate();
  }

  /** Removes `key` from `layer`. */
  unset(layer: ConfigLayer, key: ConfigKey<unknown>): void {
    const l = storedLayer(layer);
    if (l === 'Env') this.envRead.add(key.name); // do not re-read it from the environment
    this.layers[l].delete(key.name);
    this.invalidate();
  }

  /** Empties a layer. Clearing Env also forgets what was read, so the next use re-reads it. */
  clearLayer(layer: ConfigLayer): void {
    const l = storedLayer(layer);
    this.layers[l].clear();
    if (l === 'Env') this.envRead.clear();
    this.invalidate();
  }

  /** Re-reads the environment (from `env`, or the current source) on next use of each key. */
  reloadEnv(env?: EnvSource): void {
    if (env) this.env = env;
    this.clearLayer('Env');
  }

  /** Sets a TestOverride for `key` until the handle is restored (restores the previous override). */
  override<T>(key: ConfigKey<T>, value: T): ConfigOverride {
    const layer = this.layers.TestOverride;
    const prev = layer.has(key.name) ? layer.get(key.name) : ABSENT;
    layer.set(key.name, value);
    this.invalidate();
    let done = false;
    return {
      restore: () => {
        if (done) return;
        done = true;
        if (prev === ABSENT) layer.delete(key.name);
        else layer.set(key.name, prev);
        this.invalidate();
      },
    };
  }

  /**
   * Runs `fn` with `key` overridden; restores when `fn` returns, throws, or (if it returns a
   * promise) when the promise settles.
   */
  withTestOverride<T, R>(key: ConfigKey<T>, value: T, fn: () => R): R {
    const h = this.override(key, value);
    let r: R;
    try {
      r = fn();
    } catch (e) {
      h.restore();
      throw e;
    }
    if (r instanceof Promise) {
      return r.finally(() => h.restore()) as R;
    }
    h.restore();
    return r;
  }

  /**
   * Serializable merged view of every registered key (defaults materialized unless
   * `includeDefaults` is false, in which case only keys set in some layer appear).
   */
  snapshot(opts: { includeDefaults?: boolean } = {}): ConfigSnapshot {
    const out: ConfigSnapshot = {};
    const withDefaults = opts.includeDefaults ?? true;
    for (const key of registry.values()) {
      if (!withDefaults && this.layerOf(key) === 'Default') continue;
      out[key.name] = key.format(this.get(key));
    }
    return out;
  }

  /** Installs a snapshot into `layer`. Unknown names or bad values throw `ConfigError`. */
  install(layer: ConfigLayer, snapshot: ConfigSnapshot): void {
    const l = storedLayer(layer);
    if (typeof snapshot !== 'object' || snapshot === null) {
      throw new ConfigError('InvalidSnapshot', { expected: 'an object of KEY_NAME: text entries', value: String(snapshot) });
    }
    const parsed: Array<[string, unknown]> = [];
    for (const [name, text] of Object.entries(snapshot)) {
      const key = configKeyByName(name);
      if (!key) throw new ConfigError('UnknownKey', { key: name, expected: `a registered key name (${[...registry.keys()].slice(0, 4).join(', ')}, …)` });
      if (typeof text !== 'string') throw new ConfigError('InvalidValue', { key: key.name, value: String(text), expected: `text: ${key.expected}` });
      parsed.push([key.name, parseWith(key, text, {})]);
    }
    for (const [name, v] of parsed) this.layers[l].set(name, v);
    if (l === 'Env') for (const [name] of parsed) this.envRead.add(name);
    this.invalidate();
  }

  /**
   * Loads a JSON file `{ "KEY_NAME" | "ENV_VAR": "text" }` into the File layer (replacing it).
   */
  loadFile(path: string): void {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ConfigError('InvalidFile', { expected: `a readable JSON object in ${path}`, detail: e instanceof Error ? e.message : String(e) });
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new ConfigError('InvalidFile', { expected: `a JSON object of key: text in ${path}` });
    }
    this.layers.File.clear();
    this.install('File', data as ConfigSnapshot);
  }

  private resolve<T>(key: ConfigKey<T>): T {
    this.readEnv(key);
    for (const l of STORED) {
      const m = this.layers[l];
      if (m.has(key.name)) return m.get(key.name) as T;
    }
    return key.default;
  }

  private readEnv(key: ConfigKey<unknown>): void {
    if (!key.envVar || this.envRead.has(key.name)) return;
    const text = this.env[key.envVar];
    if (text !== undefined) {
      this.layers.Env.set(key.name, parseWith(key, text, { envVar: key.envVar }));
    }
    this.envRead.add(key.name);
  }
}

function storedLayer(layer: ConfigLayer): StoredLayer {
  if (!STORED.includes(layer as StoredLayer)) {
    throw new ConfigError('InvalidLayer', { value: String(layer), expected: 'one of TestOverride, Runtime, Env, File, ClientOverride' });
  }
  return layer as StoredLayer;
}

function parseWith<T>(key: ConfigKey<T>, text: string, where: { envVar?: string }): T {
  try {
    return key.parse(text);
  } catch (e) {
    const detail = e instanceof AttrValueError ? e.detail : e instanceof Error ? e.message : undefined;
    throw new ConfigError('InvalidValue', {
      key: key.name,
      ...(where.envVar ? { envVar: where.envVar } : {}),
      value: text,
      expected: key.expected,
      ...(detail ? { detail } : {}),
    });
  }
}

/**
 * Environment variables carrying a snapshot (`HYPERACTOR_…` name → text) for a child process;
 * keys without an env var are left out (ship those with `install` instead).
 */
export function snapshotToEnv(snapshot: ConfigSnapshot): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, text] of Object.entries(snapshot)) {
    const key = configKeyByName(name);
    if (key?.envVar) env[key.envVar] = text;
  }
  return env;
}

/** The process-wide configuration (env read lazily from `process.env`). */
export const config = new Config();
