/**
 * Network-namespace labs for tests and benchmarks: N namespaces joined by veth pairs to a bridge in a switch
 * namespace, each with an underlay address, plus helpers to run commands and processes inside them. Every
 * name carries a per-run prefix (interface names stay unique across namespaces, as wireguard-go's control
 * sockets in /var/run/wireguard are shared), and `destroy` removes every namespace, interface, socket and
 * process the lab created; call it in `afterAll` and in `finally`.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandOptions, type CommandResult, runCommand, which } from '../../network/index.js';

export interface NetnsLab {
  /** Unique per run, 6 characters, e.g. `ib4f2a`; every namespace and interface name starts with it. */
  readonly prefix: string;
  /** The member namespaces, index 0 … count-1. */
  readonly namespaces: readonly string[];
  /** Underlay address of member `i` (on its `eth0`, in a /24 private to the lab). */
  underlayIp(i: number): string;
  /** A WireGuard interface name for member `i`, unique on the machine (≤ 15 characters). */
  ifname(i: number, tag?: string): string;
  /** Runs a program inside member `i`'s namespace. */
  exec(i: number, file: string, args: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** Starts a long-running process inside member `i`'s namespace; killed by `destroy`. */
  spawn(i: number, file: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** One ICMP echo from member `i` to `address`, 1 s deadline; resolves true on a reply. */
  ping(i: number, address: string): Promise<boolean>;
  /** Removes every namespace, interface, wireguard-go socket and process of the lab. Idempotent. */
  destroy(): Promise<void>;
}

/** Why namespace tests cannot run here, or null when they can. */
export function netnsSkipReason(): string | null {
  if (process.platform !== 'linux') return `network namespaces need linux, this is ${process.platform}`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'wg', 'wireguard-go', 'ping']) {
    if (!which(tool))
      return `${tool} is not on PATH (install iproute2, wireguard-tools, wireguard-go, iputils-ping)`;
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (wireguard-go needs it)';
  return null;
}

let labCounter = 0;

/**
 * Creates a lab of `count` member namespaces (up to 200) joined through a bridge.
 * @param subnet the third octet of the lab's underlay /24 `10.231.<subnet>.0/24`; default derived from the pid.
 */
export async function createNetnsLab(count: number, subnet?: number): Promise<NetnsLab> {
  if (count < 1 || count > 200) throw new Error(`lab size ${count} out of range 1-200`);
  const prefix = `ib${((process.pid * 31 + labCounter++ * 7 + Date.now()) % 36 ** 4).toString(36).padStart(4, '0')}`;
  const octet = subnet ?? (process.pid + labCounter) % 250;
  const sw = `${prefix}-sw`;
  const namespaces = Array.from({ length: count }, (_, i) => `${prefix}-n${i}`);
  const children = new Set<ChildProcess>();
  const sockets = new Set<string>();
  const ip = (args: string[]) => runCommand('ip', args);

  const lab: NetnsLab = {
    prefix,
    namespaces,
    underlayIp: (i) => `10.231.${octet}.${i + 1}`,
    ifname: (i, tag = 'w') => {
      const name = `${prefix}${tag}${i}`;
      sockets.add(name);
      return name;
    },
    exec: (i, file, args, options) =>
      runCommand('ip', ['netns', 'exec', namespaces[i], file, ...args], options),
    spawn: (i, file, args, options = {}) => {
      const child = spawn('ip', ['netns', 'exec', namespaces[i], file, ...args], {
        stdio: 'ignore',
        ...options,
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    ping: (i, address) =>
      runCommand('ip', [
        'netns',
        'exec',
        namespaces[i],
        'ping',
        '-n',
        '-q',
        '-c',
        '1',
        '-W',
        '1',
        address,
      ]).then(
        () => true,
        () => false,
      ),
    destroy: async () => {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
      }
      children.clear();
      for (const ns of [...namespaces, sw]) await ip(['netns', 'delete', ns]).catch(() => {});
      const dir = '/var/run/wireguard';
      if (existsSync(dir)) {
        for (const f of readdirSync(dir)) if (f.startsWith(prefix)) rmSync(join(dir, f), { force: true });
      }
    },
  };

  try {
    await ip(['netns', 'add', sw]);
    await ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    for (let i = 0; i < count; i++) {
      const ns = namespaces[i];
      await ip(['netns', 'add', ns]);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', sw, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['-n', sw, 'link', 'set', `v${i}`, 'master', 'br0', 'up']);
      await ip(['-n', ns, 'address', 'add', `${lab.underlayIp(i)}/24`, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}
