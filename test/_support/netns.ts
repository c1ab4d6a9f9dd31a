// Network namespaces for the tests that need hosts with their own IPs (Linux, root, iproute2): a
// bridge in the root namespace holding `<subnet>.1/24`, and namespaces `<prefix><n>`, each joined
// to it by a veth pair (`<prefix><n>a` on the bridge, `<prefix><n>b` inside, holding
// `<subnet>.<10 + n>/24`, default route via the bridge). The test process stays in the root
// namespace and reaches them through the bridge; programs run inside with `exec(name)` as a
// command prefix (`ip netns exec <name>`). Tests running at the same time use distinct bridges,
// prefixes and subnets. `down()` removes every namespace and link with the prefix and the bridge,
// also ones left by an earlier run that was killed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';

/** Runs `ip <args>`; throws with its stderr if it fails. */
export function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr ?? r.error?.message ?? '').trim()}`);
}

let skipReason: false | string | undefined;

/**
 * `false` when network namespaces can be made here (root on Linux, `ip netns add` works), else why
 * not and how to enable it: a test's `skip` option.
 */
export function netnsSkip(): false | string {
  if (skipReason !== undefined) return skipReason;
  const how = 'needs root on Linux and iproute2 (`ip netns`): run `sudo npm test`, or `bash .ci/run`, which runs as root';
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || spawnSync('ip', ['netns', 'list']).status !== 0) return (skipReason = how);
  const probe = `amprobe${process.pid % 10_000_000}`;
  const made = spawnSync('ip', ['netns', 'add', probe]).status === 0;
  spawnSync('ip', ['netns', 'del', probe]);
  return (skipReason = made ? false : `${how} (\`ip netns add\` failed here)`);
}

export interface NetnsBridgeOptions {
  /** The bridge's name (at most 15 characters). */
  readonly bridge: string;
  /** Namespace names are `<prefix><n>`; with the veth suffix, at most 15 characters. */
  readonly prefix: string;
  /** The /24 of the bridge and the namespaces, as three octets (e.g. `10.77.2`). */
  readonly subnet: string;
}

/** A namespace on the bridge. */
export interface Netns {
  readonly name: string;
  readonly ip: string;
  /** The veth end on the bridge (setting it down cuts the namespace off). */
  readonly veth: string;
  /** Command prefix that runs a program inside the namespace. */
  readonly exec: readonly string[];
}

export class NetnsBridge {
  readonly gateway: string;

  constructor(readonly opts: NetnsBridgeOptions) {
    this.gateway = `${opts.subnet}.1`;
  }

  /** The IP namespace `n` gets. */
  ipOf(n: number): string {
    return `${this.opts.subnet}.${10 + n}`;
  }

  /** Removes leftovers of an earlier run, then creates the bridge. */
  up(): void {
    this.down();
    const { bridge } = this.opts;
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.gateway}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
  }

  /**
   * Creates namespace `<prefix><n>` on the bridge; `hosts` becomes its /etc/hosts (through
   * /etc/netns/<name>/hosts, which `ip netns exec` mounts over it).
   */
  add(n: number, opts: { hosts?: string } = {}): Netns {
    const name = `${this.opts.prefix}${n}`;
    const ns: Netns = { name, ip: this.ipOf(n), veth: `${name}a`, exec: ['ip', 'netns', 'exec', name] };
    try {
      ip('netns', 'add', name);
      ip('link', 'add', `${name}a`, 'type', 'veth', 'peer', 'name', `${name}b`);
      ip('link', 'set', `${name}b`, 'netns', name);
      ip('link', 'set', `${name}a`, 'master', this.opts.bridge);
      ip('link', 'set', `${name}a`, 'up');
      ip('-n', name, 'addr', 'add', `${ns.ip}/24`, 'dev', `${name}b`);
      ip('-n', name, 'link', 'set', `${name}b`, 'up');
      ip('-n', name, 'link', 'set', 'lo', 'up');
      ip('-n', name, 'route', 'add', 'default', 'via', this.gateway);
      if (opts.hosts !== undefined) {
        mkdirSync(`/etc/netns/${name}`, { recursive: true });
        writeFileSync(`/etc/netns/${name}/hosts`, opts.hosts);
      }
    } catch (e) {
      this.remove(name);
      throw e;
    }
    return ns;
  }

  /** Removes a namespace, its veth pair and its /etc/netns directory (whatever of them exists). */
  remove(name: string): void {
    spawnSync('ip', ['link', 'del', `${name}a`]);
    spawnSync('ip', ['netns', 'del', name]);
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }

  /** The inode of namespace `name` (as in `/proc/<pid>/ns/net` → `net:[<inode>]`). */
  inode(name: string): number {
    return statSync(`/run/netns/${name}`).ino;
  }

  /** Every namespace with the prefix, and the bridge. */
  down(): void {
    for (const name of this.namespaces()) this.remove(name);
    for (const link of this.links()) if (link !== this.opts.bridge) spawnSync('ip', ['link', 'del', link]);
    spawnSync('ip', ['link', 'del', this.opts.bridge]);
  }

  /** Namespaces with the prefix that exist now. */
  namespaces(): string[] {
    const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    return out
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => this.mine(n, false));
  }

  /** Links in the root namespace with the prefix (veth ends) or the bridge's name. */
  links(): string[] {
    const out = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
    return out
      .split('\n')
      .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined && (n === this.opts.bridge || this.mine(n, true)));
  }

  private mine(name: string, veth: boolean): boolean {
    const p = this.opts.prefix;
    return name.startsWith(p) && (veth ? /^\d+[ab]$/ : /^\d+$/).test(name.slice(p.length));
  }
}
