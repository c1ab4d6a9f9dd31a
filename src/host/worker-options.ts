/**
 * The pure part of the `actormesh worker` command line: argument parsing, the choice of the
 * address peers dial, the security refusal, and the ready line a launcher waits for.
 *
 * Invariants:
 * - `parseWorkerArgs` has no side effects besides reading files through `deps.readFile` (the
 *   secret file, and /etc/hosts for the default name lookup); every failure is a
 *   `WorkerUsageError` (exit code 2; `--help` is the variant `Help` with exit code 0 whose message
 *   is `WORKER_USAGE`).
 * - The secret never comes from the command line (it would show in `ps`): `--secret-file`, else
 *   `ACTORMESH_SECRET`, else `ACTORMESH_SECRET_FILE`; secrets are trimmed, never empty, and never
 *   printed in a message (docs/architecture.md HOST-2).
 * - A worker never binds a non-loopback tcp address without a secret or TLS unless `--insecure`
 *   (docs/architecture.md HOST-2).
 * - `advertise` is a canonical address (`formatAddr`) that a peer can dial: never 0.0.0.0 or ::
 *   (a wildcard bind advertises this machine's first non-internal IPv4, loopback only if there is
 *   none), and never a host name that resolves only to loopback while the bind address is not
 *   loopback (Monarch issue #4394: a hostname mapped to 127.0.1.1 in /etc/hosts)
 *   (docs/architecture.md HOST-2). A host name is
 *   advertised only when the user gave it. Its port is 0 exactly when the caller must fill in the
 *   bound port (`withPort`).
 * - `parseReadyLine(formatReadyLine(...))` gives back the fields, in both the text and JSON forms.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { promises as dnsPromises } from 'node:dns';
import { ActormeshError } from '../base/errors.js';
import { formatAddr, parseAddr, type ChannelAddr } from '../channel/addr.js';
import { ChannelError } from '../channel/errors.js';

export type WorkerUsageVariant = 'Usage' | 'Help' | 'Insecure' | 'LoopbackAdvertised' | 'SecretFile';

/** An error of the worker command line (the kind's one class is `WorkerUsageError`). */
export class WorkerError extends ActormeshError<'WorkerError', WorkerUsageVariant> {
  constructor(variant: WorkerUsageVariant, message: string, options?: { cause?: unknown }) {
    super('WorkerError', variant, message, options);
  }
}

/** A bad `actormesh worker` command line (or `--help`): print `message`, exit with `exitCode`. */
export class WorkerUsageError extends WorkerError {
  /** 2 for every mistake; 0 for `Help`. */
  readonly exitCode: number;
  constructor(variant: WorkerUsageVariant, message: string, options?: { cause?: unknown }) {
    super(variant, message, options);
    this.exitCode = variant === 'Help' ? 0 : 2;
  }
}

/** TLS files (paths, not contents); `ca` set means clients must present a certificate it signed. */
export interface WorkerTls {
  cert: string;
  key: string;
  ca: string | undefined;
}

export interface WorkerOptions {
  /** The address to bind. */
  listen: ChannelAddr;
  /** Canonical address peers dial; port 0 when `listen`'s port is 0 (fill it with `withPort`). */
  advertise: string;
  secret: string | undefined;
  tls: WorkerTls | undefined;
  modules: string[];
  readyFile?: string;
  json: boolean;
  insecure: boolean;
  name?: string;
}

export interface WorkerArgsDeps {
  /** Reads a file as UTF-8 (the secret file; /etc/hosts for the default `lookup`). */
  readFile?(p: string): string;
  /** The IPs a host name resolves to, synchronously ([] when unknown). Default: /etc/hosts. */
  lookup?(host: string): string[];
  /** Default: `os.networkInterfaces`. */
  interfaces?(): NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export const WORKER_USAGE = `usage: actormesh worker --listen ADDR [options]

Serves procs to remote clients on ADDR until a client shuts it down or it gets SIGTERM.

Options:
  --listen ADDR        address to bind (required): tcp:IP:PORT, tcp://HOST:PORT,
                       tcp://*:PORT (every interface), unix:/path or ipc:///path;
                       tcp://DIAL:PORT@tcp://BIND:PORT binds BIND and advertises DIAL;
                       port 0 picks a free port
  --advertise ADDR     address peers dial (default: the listen IP; for 0.0.0.0 or ::
                       the first non-internal IPv4 of this machine)
  --secret-file FILE   file holding the mesh secret (surrounding whitespace trimmed; - = stdin)
  --tls-cert FILE      TLS certificate (PEM), with --tls-key
  --tls-key FILE       TLS private key (PEM), with --tls-cert
  --tls-ca FILE        CA (PEM) that must have signed client certificates (mutual TLS)
  --modules A,B        modules to import before serving (comma-separated)
  --ready-file FILE    also write the ready line to FILE
  --json               print the ready line as JSON
  --insecure           serve off loopback without a secret or TLS
  --name LABEL         label of this worker in logs
  -h, --help           print this help

The secret is never given on the command line. Environment:
  ACTORMESH_SECRET       the mesh secret, when --secret-file is not given
  ACTORMESH_SECRET_FILE  file holding the mesh secret, when neither of the above is set

Once listening, the worker prints one ready line on stdout:
  actormesh worker ready tcp:10.0.0.5:26600 pid=4242 version=0.1.0 protocol=1
  {"event":"ready","addr":"tcp:10.0.0.5:26600","pid":4242,"version":"0.1.0","protocol":1}  (--json)

Exit codes: 0 after a shutdown from a client, 2 bad usage, 143 after SIGTERM.
`;

const VALUE_FLAGS = ['listen', 'advertise', 'secret-file', 'modules', 'tls-cert', 'tls-key', 'tls-ca', 'ready-file', 'name'] as const;
const BOOL_FLAGS = ['json', 'insecure', 'help'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
type BoolFlag = (typeof BOOL_FLAGS)[number];
const VALID_FLAGS = [...VALUE_FLAGS, ...BOOL_FLAGS].map((f) => `--${f}`).join(', ');

const LISTEN_FORMS = 'tcp:IP:PORT, tcp://HOST:PORT, tcp://*:PORT, tcp://DIAL:PORT@tcp://BIND:PORT, unix:/path or ipc:///path';
const ADVERTISE_FORMS = 'tcp:IP:PORT, tcp://HOST:PORT, unix:/path or ipc:///path';

function usage(message: string): WorkerUsageError {
  return new WorkerUsageError('Usage', message);
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** The 8 16-bit groups of an IPv6 literal (brackets, zone and embedded IPv4 allowed), or undefined. */
function ipv6Groups(host: string): number[] | undefined {
  const h = host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!isIPv6(h)) return undefined;
  let text = h;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const part = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const hi = part(head);
  if (tail === undefined) return hi;
  const lo = part(tail);
  return [...hi, ...new Array<number>(8 - hi.length - lo.length).fill(0), ...lo];
}

/**
 * True for loopback hosts: 127.0.0.0/8, ::1, IPv4-mapped 127.x (::ffff:127.0.0.1), `localhost`
 * and names under `.localhost`. Other names are not resolved here (false).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[|\]$/g, '');
  if (isIPv4(h)) return h.split('.')[0] === '127';
  const g = ipv6Groups(h);
  if (g) {
    if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true;
    return g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff && g[6]! >> 8 === 127;
  }
  const name = h.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function isUnspecifiedHost(host: string): boolean {
  if (host === '0.0.0.0') return true;
  const g = ipv6Groups(host);
  return g !== undefined && g.every((x) => x === 0);
}

/** `addr` (any accepted form) with its tcp port replaced by `port`, canonically printed; unix addresses are returned unchanged. */
export function withPort(addr: string, port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ChannelError('InvalidAddress', `port ${port} is out of range 0..65535 (giving ${addr} a port)`, addr);
  const a = parseAddr(addr);
  return formatAddr(a.transport === 'tcp' ? { ...a, port } : a);
}

/**
 * The address a server that bound `bound` is reached at: `advertise` (its port 0 filled with the
 * bound port), else the bound address itself.
 */
export function advertisedAddress(advertise: string | undefined, bound: ChannelAddr): string {
  if (advertise === undefined) return formatAddr(bound);
  const a = parseAddr(advertise);
  return a.transport === 'tcp' && a.port === 0 && bound.transport === 'tcp' ? withPort(advertise, bound.port) : formatAddr(a);
}

function whyInvalid(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return /^invalid channel address .*?: (.*); expected /.exec(msg)?.[1] ?? msg;
}

function parseFlagAddr(flag: string, value: string, forms: string): ChannelAddr {
  let a: ChannelAddr;
  try {
    a = parseAddr(value);
  } catch (e) {
    throw new WorkerUsageError('Usage', `invalid ${flag} address ${JSON.stringify(value)} (${whyInvalid(e)}); expected ${forms}`, { cause: e });
  }
  if (a.transport === 'local') {
    throw usage(`invalid ${flag} address ${JSON.stringify(value)}: local addresses are in-process only; expected ${forms}`);
  }
  return a;
}

/** The advertised address must be dialable: never the wildcard. */
function checkDialable(flag: string, a: ChannelAddr, shown: string): void {
  if (a.transport === 'tcp' && isUnspecifiedHost(a.host)) {
    throw usage(`${flag} ${shown} cannot be dialed (${a.host} means every interface); give this machine's IP or name, e.g. tcp:10.0.0.5:${a.port}`);
  }
}

/** `--listen`: a plain address, or the alias `DIAL@BIND` (both tcp). */
function parseListen(value: string): { bind: ChannelAddr; dial: ChannelAddr | undefined } {
  const at = value.indexOf('@');
  if (at >= 0 && value.startsWith('tcp')) {
    const dialPart = value.slice(0, at);
    const bindPart = value.slice(at + 1);
    const dial = parseFlagAddr('--listen', dialPart, LISTEN_FORMS);
    const bind = parseFlagAddr('--listen', bindPart, LISTEN_FORMS);
    if (dial.transport !== 'tcp' || bind.transport !== 'tcp') {
      throw usage(`invalid --listen address ${JSON.stringify(value)}: both sides of DIAL@BIND must be tcp; expected ${LISTEN_FORMS}`);
    }
    checkDialable('--listen', dial, `dial address ${formatAddr(dial)}`);
    return { bind, dial };
  }
  return { bind: parseFlagAddr('--listen', value, LISTEN_FORMS), dial: undefined };
}

function firstExternalIPv4(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string | undefined {
  for (const list of Object.values(ifaces)) {
    for (const i of list ?? []) {
      const family = String(i.family);
      if ((family === 'IPv4' || family === '4') && !i.internal) return i.address;
    }
  }
  return undefined;
}

/** IPs that /etc/hosts (given as text) maps `host` to, in file order. */
function lookupHosts(text: string, host: string): string[] {
  const want = host.toLowerCase().replace(/\.$/, '');
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (fields.length < 2 || !isIP(fields[0]!)) continue;
    if (fields.slice(1).some((n) => n.toLowerCase().replace(/\.$/, '') === want)) out.push(fields[0]!);
  }
  return out;
}

type Resolve = (host: string) => string[];

function safeResolve(lookup: Resolve, host: string): string[] {
  try {
    return lookup(host).filter((ip) => isIP(ip));
  } catch {
    return [];
  }
}

/** Whether a tcp bind host serves only loopback (a name counts when all its IPs are loopback). */
function bindIsLoopback(host: string, resolve: Resolve): boolean {
  if (isLoopbackHost(host)) return true;
  if (isIP(host)) return false;
  const ips = resolve(host);
  return ips.length > 0 && ips.every(isLoopbackHost);
}

/** The LoopbackAdvertised refusal, or undefined when the advertised address is fine. */
function loopbackAdvertised(listen: ChannelAddr, advertise: string, resolve: Resolve): WorkerUsageError | undefined {
  const adv = parseAddr(advertise);
  if (adv.transport !== 'tcp' || listen.transport !== 'tcp' || isIP(adv.host)) return undefined;
  if (bindIsLoopback(listen.host, resolve)) return undefined;
  const ips = resolve(adv.host);
  const allLoopback = ips.length > 0 ? ips.every(isLoopbackHost) : isLoopbackHost(adv.host);
  if (!allLoopback) return undefined;
  const to = ips.length > 0 ? `${ips[0]} (loopback)` : 'loopback';
  return new WorkerUsageError(
    'LoopbackAdvertised',
    `advertised address ${advertise} resolves to ${to} but the worker listens on ${formatAddr(listen)}; pass --advertise tcp:<routable ip or name>:${adv.port}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The command line

interface RawArgs {
  values: Partial<Record<ValueFlag, string>>;
  modules: string[];
  bools: Set<BoolFlag>;
}

function scan(argv: readonly string[]): RawArgs {
  const raw: RawArgs = { values: {}, modules: [], bools: new Set() };
  if (argv.some((a) => a === '--help' || a === '-h')) throw new WorkerUsageError('Help', WORKER_USAGE);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) throw usage(`unexpected argument ${JSON.stringify(arg)}; valid flags: ${VALID_FLAGS}`);
    if (!arg.startsWith('--')) throw usage(`unknown flag ${JSON.stringify(arg)}; valid flags: ${VALID_FLAGS}`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (name === 'secret') {
      // Never echo the value: it is the secret.
      throw usage(
        'the secret is not accepted on the command line (other users can read it); use --secret-file FILE or the ACTORMESH_SECRET environment variable',
      );
    }
    if ((BOOL_FLAGS as readonly string[]).includes(name)) {
      if (inline !== undefined) throw usage(`--${name} takes no value`);
      raw.bools.add(name as BoolFlag);
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(name))
      throw usage(`unknown flag ${JSON.stringify(name ? `--${name}` : arg)}; valid flags: ${VALID_FLAGS}`);
    const flag = name as ValueFlag;
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw usage(`--${flag} needs a value`);
      value = next;
      i++;
    }
    if (flag === 'modules') {
      raw.modules.push(...value.split(',').map((m) => m.trim()));
      continue;
    }
    if (value === '') throw usage(`--${flag} needs a value`);
    if (raw.values[flag] !== undefined) throw usage(`--${flag} given twice`);
    raw.values[flag] = value;
  }
  return raw;
}

function readSecretFile(readFile: (p: string) => string, path: string, source: string): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new WorkerUsageError('SecretFile', `cannot read the secret file ${path} (${source}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const secret = text.trim();
  if (secret === '') throw new WorkerUsageError('SecretFile', `the secret file ${path} (${source}) is empty`);
  return secret;
}

function secretOf(raw: RawArgs, env: NodeJS.ProcessEnv, readFile: (p: string) => string): string | undefined {
  const file = raw.values['secret-file'];
  if (file !== undefined) return readSecretFile(readFile, file, '--secret-file');
  const direct = env['ACTORMESH_SECRET']?.trim();
  if (direct) return direct;
  const envFile = env['ACTORMESH_SECRET_FILE'];
  if (envFile) return readSecretFile(readFile, envFile, 'ACTORMESH_SECRET_FILE');
  return undefined;
}

function tlsOf(raw: RawArgs): WorkerTls | undefined {
  const cert = raw.values['tls-cert'];
  const key = raw.values['tls-key'];
  const ca = raw.values['tls-ca'];
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) throw usage('--tls-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  if (cert === undefined) throw usage('--tls-key needs --tls-cert');
  if (key === undefined) throw usage('--tls-cert needs --tls-key');
  return { cert, key, ca };
}

/**
 * Parses the arguments of `actormesh worker` (`argv` without `worker`), accepting `--flag value`
 * and `--flag=value`. Throws `WorkerUsageError` on any mistake, and variant `Help` for `--help`.
 */
export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv, deps: WorkerArgsDeps = {}): WorkerOptions {
  // `-` is this process's stdin (a launcher such as ssh writes the secret there): read through the
  // descriptor, which works for sockets too (opening /dev/stdin does not).
  const readFile = deps.readFile ?? ((p: string) => (p === '-' ? readFileSync(0, 'utf8') : readFileSync(p, 'utf8')));
  const lookup: Resolve =
    deps.lookup ??
    ((host: string) => {
      try {
        return lookupHosts(readFile('/etc/hosts'), host);
      } catch {
        return [];
      }
    });
  const resolve: Resolve = (host) => safeResolve(lookup, host);
  const interfaces = deps.interfaces ?? networkInterfaces;

  const raw = scan(argv);
  const listenText = raw.values.listen;
  if (listenText === undefined) throw usage(`--listen is required (${LISTEN_FORMS})`);
  const { bind, dial } = parseListen(listenText);

  const advertiseText = raw.values.advertise;
  if (advertiseText !== undefined && dial !== undefined) {
    throw usage(`--advertise ${advertiseText} conflicts with --listen ${listenText}, whose DIAL@BIND form already gives the advertised address; keep one`);
  }
  let explicit: ChannelAddr | undefined = dial;
  if (advertiseText !== undefined) {
    explicit = parseFlagAddr('--advertise', advertiseText, ADVERTISE_FORMS);
    checkDialable('--advertise', explicit, formatAddr(explicit));
    if (explicit.transport !== bind.transport) {
      throw usage(`--advertise ${formatAddr(explicit)} is a ${explicit.transport} address but --listen ${formatAddr(bind)} is ${bind.transport}`);
    }
  }

  const secret = secretOf(raw, env, readFile);
  const tls = tlsOf(raw);
  const insecure = raw.bools.has('insecure');
  if (bind.transport === 'tcp' && secret === undefined && tls === undefined && !insecure && !bindIsLoopback(bind.host, resolve)) {
    throw new WorkerUsageError(
      'Insecure',
      `refusing to serve ${formatAddr(bind)} without --secret-file (or ACTORMESH_SECRET) or --tls-*; pass --insecure to override`,
    );
  }

  let advertise: string;
  if (explicit !== undefined) advertise = formatAddr(explicit);
  else if (bind.transport === 'tcp' && isUnspecifiedHost(bind.host)) {
    advertise = formatAddr({ transport: 'tcp', host: firstExternalIPv4(interfaces()) ?? '127.0.0.1', port: bind.port });
  } else advertise = formatAddr(bind);

  const refusal = loopbackAdvertised(bind, advertise, resolve);
  if (refusal) throw refusal;

  const opts: WorkerOptions = {
    listen: bind,
    advertise,
    secret,
    tls,
    modules: raw.modules.filter((m) => m !== ''),
    json: raw.bools.has('json'),
    insecure,
  };
  if (raw.values['ready-file'] !== undefined) opts.readyFile = raw.values['ready-file'];
  if (raw.values.name !== undefined) opts.name = raw.values.name;
  return opts;
}

/**
 * The LoopbackAdvertised check of `parseWorkerArgs` with real name resolution (default:
 * `dns.promises.lookup(host, { all: true })`; a name that does not resolve passes). Resolves to
 * `opts` unchanged, or rejects with `WorkerUsageError` 'LoopbackAdvertised'.
 */
export async function resolveAdvertised(opts: WorkerOptions, lookupAsync?: (host: string) => Promise<string[]>): Promise<WorkerOptions> {
  const lookup = lookupAsync ?? (async (host: string) => (await dnsPromises.lookup(host, { all: true })).map((a) => a.address));
  const names = new Set<string>();
  const adv = parseAddr(opts.advertise);
  if (adv.transport === 'tcp' && !isIP(adv.host)) names.add(adv.host);
  if (opts.listen.transport === 'tcp' && !isIP(opts.listen.host)) names.add(opts.listen.host);
  const resolved = new Map<string, string[]>();
  await Promise.all(
    [...names].map(async (n) => {
      try {
        resolved.set(
          n,
          (await lookup(n)).filter((ip) => isIP(ip)),
        );
      } catch {
        resolved.set(n, []);
      }
    }),
  );
  const refusal = loopbackAdvertised(opts.listen, opts.advertise, (h) => resolved.get(h) ?? []);
  if (refusal) throw refusal;
  return opts;
}

// ---------------------------------------------------------------------------------------------
// The ready line

export interface ReadyLine {
  addr: string;
  pid: number;
  version: string;
  protocol: number;
}

/** The line a worker prints once it listens (text, or JSON with `json`). */
export function formatReadyLine(addr: string, pid: number, version: string, protocol: number, json: boolean): string {
  if (json) return JSON.stringify({ event: 'ready', addr, pid, version, protocol });
  return `actormesh worker ready ${addr} pid=${pid} version=${version} protocol=${protocol}`;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The fields of a ready line in either form, or undefined for any other line. */
export function parseReadyLine(line: string): ReadyLine | undefined {
  const s = line.trim();
  if (s.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      return undefined;
    }
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (o.event !== 'ready' || typeof o.addr !== 'string' || !isCount(o.pid) || typeof o.version !== 'string' || !isCount(o.protocol)) return undefined;
    return { addr: o.addr, pid: o.pid, version: o.version, protocol: o.protocol };
  }
  const m = /^actormesh worker ready (\S(?:.*\S)?) pid=(\d+) version=(\S+) protocol=(\d+)$/.exec(s);
  if (!m) return undefined;
  const pid = Number(m[2]);
  const protocol = Number(m[4]);
  if (!isCount(pid) || !isCount(protocol)) return undefined;
  return { addr: m[1]!, pid, version: m[3]!, protocol };
}
