// Pins docs/architecture.md HOST-2 (secret and advertised address rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import { ActormeshError } from '../../src/base/errors.js';
import { ChannelError } from '../../src/channel/errors.js';
import {
  WORKER_USAGE,
  WorkerUsageError,
  formatReadyLine,
  isLoopbackHost,
  parseReadyLine,
  parseWorkerArgs,
  resolveAdvertised,
  withPort,
  type WorkerArgsDeps,
  type WorkerOptions,
} from '../../src/host/worker-options.js';

function iface(address: string, family: 'IPv4' | 'IPv6', internal: boolean): NetworkInterfaceInfo {
  return { address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) } as NetworkInterfaceInfo;
}

const MACHINE = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('fe80::1', 'IPv6', false), iface('10.0.0.5', 'IPv4', false)],
  eth1: [iface('10.1.0.5', 'IPv4', false)],
});

const HOSTS: Record<string, string[]> = {
  node7: ['10.0.0.7'],
  'node-a': ['127.0.1.1'],
  dual: ['127.0.1.1', '10.0.0.8'],
};

/** Deterministic deps: this machine has 10.0.0.5; names resolve through HOSTS; no files. */
const deps: WorkerArgsDeps = {
  interfaces: MACHINE,
  lookup: (h) => HOSTS[h] ?? [],
  readFile: (p) => {
    throw new Error(`ENOENT: no such file ${p}`);
  },
};
const SECRET_ENV = { ACTORMESH_SECRET: 's3cret' };

function parse(argv: string[], env: NodeJS.ProcessEnv = SECRET_ENV, d: WorkerArgsDeps = deps): WorkerOptions {
  return parseWorkerArgs(argv, env, d);
}

/** Asserts a WorkerUsageError of `variant` (exit code 2 unless Help) and returns its message. */
function usageError(f: () => unknown, variant: string): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WorkerUsageError, `expected WorkerUsageError, got ${String(caught)}`);
  assert.ok(caught instanceof ActormeshError);
  assert.equal(caught.kind, 'WorkerError');
  assert.equal(caught.variant, variant, caught.message);
  assert.equal(caught.exitCode, variant === 'Help' ? 0 : 2);
  return caught.message;
}

function withTempDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'worker-options-'));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('--listen accepts our forms and the zmq-style ones; a specific listen address is advertised as is', () => {
  const table: Array<[string, string, string]> = [
    ['tcp:10.0.0.7:26600', 'tcp:10.0.0.7:26600', 'tcp:10.0.0.7:26600'],
    ['tcp!10.0.0.7:26600', 'tcp:10.0.0.7:26600', 'tcp:10.0.0.7:26600'],
    ['tcp://10.0.0.7:26600', 'tcp:10.0.0.7:26600', 'tcp:10.0.0.7:26600'],
    ['tcp:[fd00::7]:26600', 'tcp:[fd00::7]:26600', 'tcp:[fd00::7]:26600'],
    ['tcp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
    ['tcp:[::1]:9', 'tcp:[::1]:9', 'tcp:[::1]:9'],
    ['tcp://node7:26600', 'tcp:node7:26600', 'tcp:node7:26600'],
    ['unix:/tmp/w.sock', 'unix:/tmp/w.sock', 'unix:/tmp/w.sock'],
    ['ipc:///tmp/w.sock', 'unix:/tmp/w.sock', 'unix:/tmp/w.sock'],
    ['unix:@worker', 'unix:@worker', 'unix:@worker'],
  ];
  for (const [listen, bind, advertise] of table) {
    const o = parse(['--listen', listen]);
    assert.equal(formatListen(o), bind, listen);
    assert.equal(o.advertise, advertise, listen);
  }
});

function formatListen(o: WorkerOptions): string {
  const a = o.listen;
  if (a.transport === 'tcp') return a.host.includes(':') ? `tcp:[${a.host}]:${a.port}` : `tcp:${a.host}:${a.port}`;
  if (a.transport === 'unix') return a.abstract ? `unix:@${a.path}` : `unix:${a.path}`;
  return `local:${a.index}`;
}

test('--flag value and --flag=value are the same, and the defaults are plain', () => {
  const a = parse(['--listen', 'tcp:10.0.0.7:26600']);
  const b = parse(['--listen=tcp:10.0.0.7:26600']);
  assert.deepEqual(a, b);
  assert.deepEqual(a, {
    listen: { transport: 'tcp', host: '10.0.0.7', port: 26600 },
    advertise: 'tcp:10.0.0.7:26600',
    secret: 's3cret',
    tls: undefined,
    modules: [],
    json: false,
    insecure: false,
  });
});

test('a wildcard bind advertises the first non-internal IPv4 of this machine, with the listen port (0 stays 0)', () => {
  assert.equal(parse(['--listen', 'tcp://*:26600']).advertise, 'tcp:10.0.0.5:26600');
  assert.deepEqual(parse(['--listen', 'tcp://*:26600']).listen, { transport: 'tcp', host: '0.0.0.0', port: 26600 });
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:0']).advertise, 'tcp:10.0.0.5:0');
  assert.equal(parse(['--listen', 'tcp:[::]:26600']).advertise, 'tcp:10.0.0.5:26600');
  const v6only = { ...deps, interfaces: () => ({ lo: [iface('127.0.0.1', 'IPv4', true)], eth0: [iface('fd00::2', 'IPv6', false)] }) };
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600'], SECRET_ENV, v6only).advertise, 'tcp:127.0.0.1:26600', 'loopback only when there is no other IPv4');
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600'], SECRET_ENV, { ...deps, interfaces: () => ({}) }).advertise, 'tcp:127.0.0.1:26600');
});

test('--advertise wins over the listen address and is printed canonically', () => {
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp://node7:26600']).advertise, 'tcp:node7:26600');
  assert.equal(parse(['--listen', 'tcp:10.0.0.5:26600', '--advertise=tcp!192.0.2.9:80']).advertise, 'tcp:192.0.2.9:80');
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:0', '--advertise', 'tcp:node7:0']).advertise, 'tcp:node7:0');
  assert.equal(parse(['--listen', 'unix:/tmp/a.sock', '--advertise', 'ipc:///srv/a.sock']).advertise, 'unix:/srv/a.sock');
});

test('an advertised wildcard or an advertised address of another transport is a usage error', () => {
  for (const adv of ['tcp:0.0.0.0:26600', 'tcp://*:26600', 'tcp:[::]:26600']) {
    const msg = usageError(() => parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', adv]), 'Usage');
    assert.match(msg, /--advertise .* cannot be dialed/);
  }
  assert.match(
    usageError(() => parse(['--listen', 'unix:/tmp/a.sock', '--advertise', 'tcp:10.0.0.5:1']), 'Usage'),
    /tcp address but --listen unix:\/tmp\/a.sock is unix/,
  );
});

test('the alias DIAL@BIND advertises DIAL and binds BIND', () => {
  const a = parse(['--listen', 'tcp://node7:26600@tcp://*:26600']);
  assert.deepEqual(a.listen, { transport: 'tcp', host: '0.0.0.0', port: 26600 });
  assert.equal(a.advertise, 'tcp:node7:26600');
  const b = parse(['--listen=tcp:192.0.2.9:7000@tcp:0.0.0.0:26600']);
  assert.deepEqual(b.listen, { transport: 'tcp', host: '0.0.0.0', port: 26600 });
  assert.equal(b.advertise, 'tcp:192.0.2.9:7000');
  const c = parse(['--listen', 'tcp:[fd00::9]:1@tcp:[::]:2']);
  assert.equal(c.advertise, 'tcp:[fd00::9]:1');
  assert.deepEqual(c.listen, { transport: 'tcp', host: '::', port: 2 });
});

test('the alias conflicts with --advertise, needs tcp on both sides and a dialable DIAL', () => {
  assert.match(
    usageError(() => parse(['--listen', 'tcp://node7:1@tcp://*:1', '--advertise', 'tcp:node7:1']), 'Usage'),
    /--advertise tcp:node7:1 conflicts with --listen tcp:\/\/node7:1@tcp:\/\/\*:1/,
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp:1.2.3.4:1@unix:/tmp/x']), 'Usage'),
    /both sides of DIAL@BIND must be tcp/,
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp://*:1@tcp://*:1']), 'Usage'),
    /cannot be dialed/,
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp://node7:1@tcp://']), 'Usage'),
    /invalid --listen address "tcp:\/\/"/,
  );
});

test('a bad address names the flag, the value and the expected forms', () => {
  for (const bad of ['foo', 'tcp:1.2.3.4', 'tcp:1.2.3.4:99999', 'tcp:1.2.3.4:x', 'udp:1.2.3.4:5', 'tcp:[::1:5', 'local:3', 'inproc://1', 'unix:']) {
    const msg = usageError(() => parse(['--listen', bad]), 'Usage');
    assert.ok(msg.includes('--listen'), msg);
    assert.ok(msg.includes(JSON.stringify(bad)), msg);
    for (const form of ['tcp:IP:PORT', 'tcp://HOST:PORT', 'tcp://*:PORT', 'tcp://DIAL:PORT@tcp://BIND:PORT', 'unix:/path', 'ipc:///path']) {
      assert.ok(msg.includes(form), `${msg} mentions ${form}`);
    }
    assert.ok(!msg.includes('local:N'), msg);
  }
  const msg = usageError(() => parse(['--listen', 'tcp:0.0.0.0:1', '--advertise', 'node7']), 'Usage');
  assert.match(msg, /^invalid --advertise address "node7" \(missing transport prefix\); expected tcp:IP:PORT, /);
});

test('--listen is required', () => {
  assert.match(
    usageError(() => parse([]), 'Usage'),
    /--listen is required/,
  );
  assert.match(
    usageError(() => parse(['--json']), 'Usage'),
    /--listen is required/,
  );
});

test('listening off loopback without a secret or TLS is refused with a message saying how to fix it', () => {
  assert.equal(
    usageError(() => parse(['--listen', 'tcp:0.0.0.0:26600'], {}), 'Insecure'),
    'refusing to serve tcp:0.0.0.0:26600 without --secret-file (or ACTORMESH_SECRET) or --tls-*; pass --insecure to override',
  );
  assert.equal(
    usageError(() => parse(['--listen', 'tcp://*:26600'], {}), 'Insecure'),
    'refusing to serve tcp:0.0.0.0:26600 without --secret-file (or ACTORMESH_SECRET) or --tls-*; pass --insecure to override',
  );
  for (const listen of ['tcp:10.0.0.5:1', 'tcp:[::]:1', 'tcp://node7:1', 'tcp://unknown-name:1', 'tcp://node7:1@tcp://*:1']) {
    assert.match(
      usageError(() => parse(['--listen', listen], {}), 'Insecure'),
      /^refusing to serve tcp:/,
      listen,
    );
  }
});

test('--insecure, a secret, TLS, a loopback bind or a unix socket each lift the refusal', () => {
  const o = parse(['--listen', 'tcp:0.0.0.0:26600', '--insecure'], {});
  assert.equal(o.insecure, true);
  assert.equal(o.secret, undefined);
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600'], { ACTORMESH_SECRET: 'x' }).secret, 'x');
  assert.deepEqual(parse(['--listen', 'tcp:0.0.0.0:26600', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {}).tls, {
    cert: 'c.pem',
    key: 'k.pem',
    ca: undefined,
  });
  for (const listen of ['tcp:127.0.0.1:26600', 'tcp:127.0.0.9:1', 'tcp:[::1]:1', 'tcp:localhost:1', 'tcp://node-a:1', 'unix:/tmp/w.sock', 'unix:@w']) {
    assert.equal(parse(['--listen', listen], {}).secret, undefined, listen);
  }
});

test('the secret comes from --secret-file, else ACTORMESH_SECRET, else ACTORMESH_SECRET_FILE, trimmed', () => {
  withTempDir((dir) => {
    const flagFile = join(dir, 'flag.secret');
    const envFile = join(dir, 'env.secret');
    writeFileSync(flagFile, '  from-flag-file\n');
    writeFileSync(envFile, 'from-env-file\n');
    const real: WorkerArgsDeps = { interfaces: MACHINE, lookup: () => [] };
    const listen = ['--listen', 'tcp:0.0.0.0:26600'];
    const all = { ACTORMESH_SECRET: 'from-env', ACTORMESH_SECRET_FILE: envFile };
    assert.equal(parse([...listen, '--secret-file', flagFile], all, real).secret, 'from-flag-file');
    assert.equal(parse([...listen, `--secret-file=${flagFile}`], all, real).secret, 'from-flag-file');
    assert.equal(parse(listen, all, real).secret, 'from-env');
    assert.equal(parse(listen, { ACTORMESH_SECRET: ' from-env\n' }, real).secret, 'from-env');
    assert.equal(parse(listen, { ACTORMESH_SECRET_FILE: envFile }, real).secret, 'from-env-file');
    assert.equal(parse(listen, { ACTORMESH_SECRET: '', ACTORMESH_SECRET_FILE: envFile }, real).secret, 'from-env-file', 'an empty variable counts as unset');
    assert.equal(parse(['--listen', 'tcp:127.0.0.1:0'], {}, real).secret, undefined);
  });
});

test('an empty or unreadable secret file is a SecretFile error naming the file and where it came from', () => {
  withTempDir((dir) => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, ' \n\n');
    const missing = join(dir, 'missing');
    const real: WorkerArgsDeps = { interfaces: MACHINE, lookup: () => [] };
    const listen = ['--listen', 'tcp:127.0.0.1:0'];
    assert.equal(
      usageError(() => parse([...listen, '--secret-file', empty], {}, real), 'SecretFile'),
      `the secret file ${empty} (--secret-file) is empty`,
    );
    assert.match(
      usageError(() => parse([...listen, '--secret-file', missing], {}, real), 'SecretFile'),
      new RegExp(`^cannot read the secret file ${missing} \\(--secret-file\\)`),
    );
    assert.match(
      usageError(() => parse(listen, { ACTORMESH_SECRET_FILE: empty }, real), 'SecretFile'),
      /\(ACTORMESH_SECRET_FILE\) is empty/,
    );
    assert.match(
      usageError(() => parse(listen, { ACTORMESH_SECRET_FILE: missing }, real), 'SecretFile'),
      /\(ACTORMESH_SECRET_FILE\)/,
    );
    // --secret-file is read even when ACTORMESH_SECRET is set: a bad file is not silently skipped.
    usageError(() => parse([...listen, '--secret-file', missing], { ACTORMESH_SECRET: 'x' }, real), 'SecretFile');
  });
});

test('the secret is never accepted on the command line, and the refusal does not echo it', () => {
  for (const argv of [
    ['--listen', 'tcp:127.0.0.1:0', '--secret', 'hunter2'],
    ['--listen', 'tcp:127.0.0.1:0', '--secret=hunter2'],
  ]) {
    const msg = usageError(() => parse(argv), 'Usage');
    assert.match(msg, /--secret-file/);
    assert.match(msg, /ACTORMESH_SECRET/);
    assert.ok(!msg.includes('hunter2'), msg);
  }
});

test('TLS flags come as a set: cert and key together, ca optional (mutual TLS)', () => {
  const listen = ['--listen', 'tcp:0.0.0.0:26600'];
  assert.deepEqual(parse([...listen, '--tls-cert', 'c.pem', '--tls-key=k.pem', '--tls-ca', 'ca.pem'], {}).tls, { cert: 'c.pem', key: 'k.pem', ca: 'ca.pem' });
  assert.equal(parse(listen).tls, undefined);
  assert.match(
    usageError(() => parse([...listen, '--tls-cert', 'c.pem']), 'Usage'),
    /--tls-cert needs --tls-key/,
  );
  assert.match(
    usageError(() => parse([...listen, '--tls-key', 'k.pem']), 'Usage'),
    /--tls-key needs --tls-cert/,
  );
  assert.match(
    usageError(() => parse([...listen, '--tls-ca', 'ca.pem']), 'Usage'),
    /--tls-ca needs --tls-cert and --tls-key/,
  );
});

test('a host name advertised for a wildcard bind must not resolve only to loopback (Monarch #4394)', () => {
  assert.equal(
    usageError(() => parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:node-a:26600']), 'LoopbackAdvertised'),
    'advertised address tcp:node-a:26600 resolves to 127.0.1.1 (loopback) but the worker listens on tcp:0.0.0.0:26600; pass --advertise tcp:<routable ip or name>:26600',
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp://node-a:7000@tcp://*:26600']), 'LoopbackAdvertised'),
    /^advertised address tcp:node-a:7000 resolves to 127\.0\.1\.1 \(loopback\) but the worker listens on tcp:0\.0\.0\.0:26600; pass --advertise tcp:<routable ip or name>:7000$/,
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp:10.0.0.5:26600', '--advertise', 'tcp:localhost:26600']), 'LoopbackAdvertised'),
    /resolves to loopback but the worker listens on tcp:10\.0\.0\.5:26600/,
  );
  // Fine: the bind is loopback too; the name also resolves to a routable IP; the name is unknown
  // here; the user advertised a loopback IP literally (no name was resolved).
  assert.equal(parse(['--listen', 'tcp:127.0.0.1:26600', '--advertise', 'tcp:node-a:26600']).advertise, 'tcp:node-a:26600');
  assert.equal(parse(['--listen', 'tcp://node-a:26600']).advertise, 'tcp:node-a:26600');
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:dual:26600']).advertise, 'tcp:dual:26600');
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:unknown:26600']).advertise, 'tcp:unknown:26600');
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:127.0.0.1:26600']).advertise, 'tcp:127.0.0.1:26600');
  // A lookup that throws counts as "unknown".
  const throwing = {
    ...deps,
    lookup: (): string[] => {
      throw new Error('boom');
    },
  };
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:node-a:26600'], SECRET_ENV, throwing).advertise, 'tcp:node-a:26600');
});

test('the default lookup reads /etc/hosts through deps.readFile', () => {
  const hosts = '# comment\n127.0.0.1 localhost\n127.0.1.1\tnode-a.example node-a # debian\n10.0.0.7 node7\n';
  const d: WorkerArgsDeps = {
    interfaces: MACHINE,
    readFile: (p) => {
      if (p === '/etc/hosts') return hosts;
      throw new Error(`ENOENT ${p}`);
    },
  };
  assert.match(
    usageError(() => parse(['--listen', 'tcp:0.0.0.0:1', '--advertise', 'tcp:NODE-A:1'], SECRET_ENV, d), 'LoopbackAdvertised'),
    /resolves to 127\.0\.1\.1/,
  );
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:1', '--advertise', 'tcp:node7:1'], SECRET_ENV, d).advertise, 'tcp:node7:1');
  // A bind name that /etc/hosts maps to loopback needs no secret.
  assert.equal(parse(['--listen', 'tcp://node-a.example:1'], {}, d).secret, undefined);
  const noHosts: WorkerArgsDeps = { interfaces: MACHINE, readFile: deps.readFile! };
  assert.equal(parse(['--listen', 'tcp:0.0.0.0:1', '--advertise', 'tcp:node-a:1'], SECRET_ENV, noHosts).advertise, 'tcp:node-a:1');
});

test('resolveAdvertised performs the loopback check with an async lookup', async () => {
  const opts = parse(['--listen', 'tcp:0.0.0.0:26600', '--advertise', 'tcp:node-b:26600']);
  const lookupAsync = async (h: string): Promise<string[]> => (h === 'node-b' ? ['127.0.1.1'] : ['10.0.0.9']);
  await assert.rejects(resolveAdvertised(opts, lookupAsync), (e: unknown) => {
    assert.ok(e instanceof WorkerUsageError);
    assert.equal(e.variant, 'LoopbackAdvertised');
    assert.equal(
      e.message,
      'advertised address tcp:node-b:26600 resolves to 127.0.1.1 (loopback) but the worker listens on tcp:0.0.0.0:26600; pass --advertise tcp:<routable ip or name>:26600',
    );
    return true;
  });
  assert.equal(await resolveAdvertised(opts, async () => ['10.0.0.9']), opts);
  assert.equal(
    await resolveAdvertised(opts, async () => {
      throw new Error('ENOTFOUND');
    }),
    opts,
  );
  const loopbackBind = parse(['--listen', 'tcp://node-b:26600']);
  assert.equal(await resolveAdvertised(loopbackBind, lookupAsync), loopbackBind, 'a bind name resolving to loopback is a loopback bind');
  const ip = parse(['--listen', 'tcp:0.0.0.0:26600']);
  assert.equal(await resolveAdvertised(ip, lookupAsync), ip);
  // The default lookup (dns.promises.lookup) resolves localhost to loopback.
  await assert.rejects(resolveAdvertised({ ...ip, advertise: 'tcp:localhost:26600' }), { variant: 'LoopbackAdvertised' });
});

test('--modules, --ready-file, --json and --name', () => {
  const o = parse(['--listen', 'tcp:127.0.0.1:0', '--modules', 'a.js,b.js', '--ready-file=/tmp/ready', '--json', '--name', 'w7']);
  assert.deepEqual(o.modules, ['a.js', 'b.js']);
  assert.equal(o.readyFile, '/tmp/ready');
  assert.equal(o.json, true);
  assert.equal(o.name, 'w7');
  assert.deepEqual(parse(['--listen', 'tcp:127.0.0.1:0', '--modules=,a.js,, b.js ,']).modules, ['a.js', 'b.js']);
  assert.deepEqual(parse(['--listen', 'tcp:127.0.0.1:0', '--modules', 'a.js', '--modules', 'c.js']).modules, ['a.js', 'c.js']);
  assert.deepEqual(parse(['--listen', 'tcp:127.0.0.1:0', '--modules=']).modules, []);
  const plain = parse(['--listen', 'tcp:127.0.0.1:0']);
  assert.equal('readyFile' in plain, false);
  assert.equal('name' in plain, false);
});

test('--help (or -h) is the Help variant, exit code 0, whose message is the usage text; it wins over other mistakes', () => {
  assert.equal(
    usageError(() => parse(['--help']), 'Help'),
    WORKER_USAGE,
  );
  assert.equal(
    usageError(() => parse(['-h']), 'Help'),
    WORKER_USAGE,
  );
  assert.equal(
    usageError(() => parse(['--bogus', '--listen', 'nope', '--help']), 'Help'),
    WORKER_USAGE,
  );
});

test('the usage text names every flag, the secret variables and the exit codes', () => {
  for (const flag of [
    '--listen',
    '--advertise',
    '--secret-file',
    '--modules',
    '--tls-cert',
    '--tls-key',
    '--tls-ca',
    '--ready-file',
    '--json',
    '--insecure',
    '--name',
    '--help',
  ]) {
    assert.ok(WORKER_USAGE.includes(flag), flag);
  }
  assert.match(WORKER_USAGE, /ACTORMESH_SECRET\b/);
  assert.match(WORKER_USAGE, /ACTORMESH_SECRET_FILE/);
  assert.match(WORKER_USAGE, /0 after a shutdown from a client, 2 bad usage, 143 after SIGTERM/);
  for (const line of WORKER_USAGE.split('\n')) assert.ok(line.length <= 100, line);
});

test('unknown flags, stray arguments and malformed flags are usage errors listing the valid flags', () => {
  const valid = [
    '--listen',
    '--advertise',
    '--secret-file',
    '--modules',
    '--tls-cert',
    '--tls-key',
    '--tls-ca',
    '--ready-file',
    '--name',
    '--json',
    '--insecure',
    '--help',
  ];
  for (const argv of [['--listne', 'tcp:127.0.0.1:0'], ['--listen', 'tcp:127.0.0.1:0', '--port=1'], ['-x'], ['--listen', 'tcp:127.0.0.1:0', 'extra']]) {
    const msg = usageError(() => parse(argv), 'Usage');
    assert.match(msg, /^(unknown flag|unexpected argument) /);
    for (const f of valid) assert.ok(msg.includes(f), `${msg} lists ${f}`);
  }
  assert.match(
    usageError(() => parse(['--listne']), 'Usage'),
    /unknown flag "--listne"/,
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp:127.0.0.1:0', '--json=yes']), 'Usage'),
    /--json takes no value/,
  );
  assert.match(
    usageError(() => parse(['--listen']), 'Usage'),
    /--listen needs a value/,
  );
  assert.match(
    usageError(() => parse(['--listen', '--json']), 'Usage'),
    /--listen needs a value/,
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp:127.0.0.1:0', '--name=']), 'Usage'),
    /--name needs a value/,
  );
  assert.match(
    usageError(() => parse(['--listen', 'tcp:127.0.0.1:0', '--listen', 'tcp:127.0.0.1:1']), 'Usage'),
    /--listen given twice/,
  );
});

test('ready lines round-trip in text and JSON form', () => {
  assert.equal(formatReadyLine('tcp:10.0.0.5:26600', 4242, '0.1.0', 1, false), 'actormesh worker ready tcp:10.0.0.5:26600 pid=4242 version=0.1.0 protocol=1');
  assert.deepEqual(JSON.parse(formatReadyLine('tcp:10.0.0.5:26600', 4242, '0.1.0', 1, true)), {
    event: 'ready',
    addr: 'tcp:10.0.0.5:26600',
    pid: 4242,
    version: '0.1.0',
    protocol: 1,
  });
  assert.equal(
    formatReadyLine('tcp:10.0.0.5:26600', 4242, '0.1.0', 1, true),
    '{"event":"ready","addr":"tcp:10.0.0.5:26600","pid":4242,"version":"0.1.0","protocol":1}',
  );
  for (const addr of ['tcp:10.0.0.5:26600', 'tcp:[fd00::2]:1', 'unix:/tmp/with space.sock', 'unix:@w']) {
    for (const json of [false, true]) {
      const line = formatReadyLine(addr, 7, '1.2.3-rc.1', 3, json);
      assert.deepEqual(parseReadyLine(line), { addr, pid: 7, version: '1.2.3-rc.1', protocol: 3 }, line);
      assert.deepEqual(parseReadyLine(`${line}\r\n`), { addr, pid: 7, version: '1.2.3-rc.1', protocol: 3 });
    }
  }
});

test('parseReadyLine rejects other lines', () => {
  for (const line of [
    '',
    'hello',
    'actormesh worker ready tcp:1.2.3.4:5 pid=x version=1 protocol=1',
    'actormesh worker ready tcp:1.2.3.4:5 pid=1 version=1',
    'actormesh worker ready  pid=1 version=1 protocol=1',
    '{"event":"started","addr":"tcp:1.2.3.4:5","pid":1,"version":"1","protocol":1}',
    '{"event":"ready","addr":"tcp:1.2.3.4:5","pid":"1","version":"1","protocol":1}',
    '{"event":"ready","addr":"tcp:1.2.3.4:5","pid":1.5,"version":"1","protocol":1}',
    '{"event":"ready","addr":"tcp:1.2.3.4:5","pid":1,"version":"1"}',
    '{"event":"ready",',
    'null',
  ]) {
    assert.equal(parseReadyLine(line), undefined, line);
  }
});

test('withPort fills the bound port into an advertised address', () => {
  assert.equal(withPort('tcp:10.0.0.5:0', 26600), 'tcp:10.0.0.5:26600');
  assert.equal(withPort('tcp://node7:0', 1), 'tcp:node7:1');
  assert.equal(withPort('tcp:[fd00::2]:0', 2), 'tcp:[fd00::2]:2');
  assert.equal(withPort('unix:/tmp/w.sock', 3), 'unix:/tmp/w.sock');
  const o = parse(['--listen', 'tcp://*:0']);
  assert.equal(withPort(o.advertise, 40001), 'tcp:10.0.0.5:40001');
  for (const port of [65536, -1, 1.5]) {
    assert.throws(
      () => withPort('tcp:10.0.0.5:0', port),
      (e: unknown) => e instanceof ChannelError && e.variant === 'InvalidAddress',
    );
  }
});

test('isLoopbackHost', () => {
  for (const h of [
    '127.0.0.1',
    '127.0.1.1',
    '127.255.255.254',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    'localhost',
    'LOCALHOST.',
    'x.localhost',
  ]) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (const h of ['0.0.0.0', '::', '10.0.0.5', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'fe80::1', 'node-a', 'localhost.example', '127.0.0.1.nip.io', '']) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});
