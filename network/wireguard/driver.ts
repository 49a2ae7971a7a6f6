import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfrabaseError } from '../../engine/index.js';
import { readPrivateKeyFile } from '../keys/index.js';
import { type CommandRunner, runCommand } from './command.js';
import { parseWgDump, type WireGuardDump } from './dump.js';
import type { WireGuardPeer } from './peers.js';
import { renderSetconf } from './render.js';

/** Where wireguard-go puts its UAPI control sockets; shared by every network namespace on the machine. */
export const WIREGUARD_SOCKET_DIR = '/var/run/wireguard';

/** `kernel`: `ip link add type wireguard`; `userspace`: a `wireguard-go` process owning a TUN device. */
export type WireGuardImplementation = 'kernel' | 'userspace';

export interface DriverOptions {
  /** Interface name, 1–15 characters of `[A-Za-z0-9_=+.-]`; unique on the machine for `userspace`. */
  readonly ifname: string;
  readonly implementation: WireGuardImplementation;
  /** Run every command inside this network namespace (`ip netns exec <netns> …`); tests use it. */
  readonly netns?: string;
  readonly runner?: CommandRunner;
  readonly wireguardGo?: string;
  /** How long `up` waits for wireguard-go's control socket, ms; default 5000. */
  readonly startTimeoutMs?: number;
}

export interface InterfaceSpec {
  /** The node's mesh address with the mesh prefix, e.g. `10.88.0.2/16`: the prefix routes the mesh here. */
  readonly address: string;
  readonly listenPort?: number;
  /** The node's 0600 private key file, read by `wg` itself (the key never passes through this process). */
  readonly privateKeyFile: string;
  readonly peers: readonly WireGuardPeer[];
  /** MTU in bytes; default WireGuard's 1420. */
  readonly mtu?: number;
}

const IFNAME = /^[A-Za-z0-9_=+.-]{1,15}$/;

/**
 * Applies WireGuard configs to one interface: `up` creates it (kernel or wireguard-go), sets the key from the
 * node's key file, the peers with `wg setconf`, the address (which installs the mesh route) and brings it up;
 * `apply` changes peers in place with `wg syncconf` (existing sessions survive); `down` removes it and ends
 * wireguard-go. Needs root or CAP_NET_ADMIN; see {@link detectMeshSupport}.
 */
export class WireGuardDriver {
  readonly ifname: string;
  private readonly run: CommandRunner;
  private process: ChildProcess | null = null;
  private privateKeyFile: string | null = null;

  constructor(private readonly options: DriverOptions) {
    if (!IFNAME.test(options.ifname)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `interface name '${options.ifname}' is invalid; accepted 1-15 characters of A-Z a-z 0-9 _ = + . -`,
      );
    }
    this.ifname = options.ifname;
    this.run = options.runner ?? runCommand;
  }

  /** The wireguard-go process id, when userspace and up. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /**
   * Creates and configures the interface.
   * @throws InfrabaseError `ALREADY_EXISTS` when a wireguard-go socket of that name exists (another namespace
   *   or a leftover), `UNAVAILABLE` when a command fails or wireguard-go does not start within the timeout.
   *   On failure the interface is removed again.
   */
  async up(spec: InterfaceSpec): Promise<void> {
    try {
      if (this.options.implementation === 'kernel') {
        await this.exec('ip', ['link', 'add', 'dev', this.ifname, 'type', 'wireguard']);
      } else {
        await this.startWireguardGo();
      }
      this.privateKeyFile = spec.privateKeyFile;
      await this.syncPeers('setconf', spec.peers, spec.listenPort);
      await this.exec('ip', ['address', 'add', spec.address, 'dev', this.ifname]);
      if (spec.mtu !== undefined)
        await this.exec('ip', ['link', 'set', 'mtu', String(spec.mtu), 'dev', this.ifname]);
      await this.exec('ip', ['link', 'set', 'up', 'dev', this.ifname]);
    } catch (err) {
      await this.down().catch(() => {});
      throw err;
    }
  }

  /** Replaces the peer list in place (`wg syncconf`): unchanged peers keep their sessions. */
  async apply(peers: readonly WireGuardPeer[], listenPort?: number): Promise<void> {
    await this.syncPeers('syncconf', peers, listenPort);
  }

  /** Switches the interface to another private key file (key rotation). */
  async setPrivateKey(privateKeyFile: string): Promise<void> {
    readPrivateKeyFile(privateKeyFile);
    await this.exec('wg', ['set', this.ifname, 'private-key', privateKeyFile]);
    this.privateKeyFile = privateKeyFile;
  }

  /** The interface's state (`wg show <if> dump`), private key dropped. */
  async show(): Promise<WireGuardDump> {
    return parseWgDump((await this.exec('wg', ['show', this.ifname, 'dump'])).stdout);
  }

  /** Removes the interface and ends wireguard-go; idempotent. */
  async down(): Promise<void> {
    await this.exec('ip', ['link', 'del', 'dev', this.ifname]).catch(() => {});
    const child = this.process;
    this.process = null;
    this.privateKeyFile = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    if (this.options.implementation === 'userspace') {
      rmSync(join(WIREGUARD_SOCKET_DIR, `${this.ifname}.sock`), { force: true });
    }
  }

  private async syncPeers(
    verb: 'setconf' | 'syncconf',
    peers: readonly WireGuardPeer[],
    listenPort?: number,
  ): Promise<void> {
    if (this.privateKeyFile === null) {
      throw new InfrabaseError('UNAVAILABLE', `interface ${this.ifname} is not up; call up() before apply()`);
    }
    // Both setconf and syncconf clear a private key the config does not name, so the config carries the node's
    // key, read from its own 0600 file. wg fopen()s its config path, which fails on the socket node uses for
    // stdin, so it goes through a 0600 file in a fresh 0700 directory, removed at once.
    const privateKey = readPrivateKeyFile(this.privateKeyFile);
    const dir = mkdtempSync(join(tmpdir(), 'infrabase-wg-'));
    try {
      const file = join(dir, `${this.ifname}.conf`);
      writeFileSync(file, renderSetconf({ privateKey, listenPort }, peers), { mode: 0o600, flag: 'wx' });
      await this.exec('wg', [verb, this.ifname, file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private exec(file: string, args: string[]) {
    const [f, a] = this.options.netns
      ? ['ip', ['netns', 'exec', this.options.netns, file, ...args]]
      : [file, args];
    return this.run(f, a);
  }

  private async startWireguardGo(): Promise<void> {
    const socket = join(WIREGUARD_SOCKET_DIR, `${this.ifname}.sock`);
    if (existsSync(socket)) {
      throw new InfrabaseError(
        'ALREADY_EXISTS',
        `${socket} exists: interface name '${this.ifname}' is taken by another wireguard-go (control sockets are ` +
          'shared by all network namespaces); choose a unique name',
      );
    }
    const bin = this.options.wireguardGo ?? 'wireguard-go';
    const [file, args] = this.options.netns
      ? ['ip', ['netns', 'exec', this.options.netns, bin, '-f', this.ifname]]
      : [bin, ['-f', this.ifname]];
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' },
    });
    this.process = child;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-2000);
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (err) =>
        reject(new InfrabaseError('UNAVAILABLE', `cannot start ${bin}: ${err.message}`, { cause: err })),
      );
      child.once('exit', (code, signal) =>
        reject(
          new InfrabaseError(
            'UNAVAILABLE',
            `${bin} ${this.ifname} exited (${signal ?? `exit ${code}`}) before its socket appeared: ${stderr.trim()}`,
          ),
        ),
      );
    });
    exited.catch(() => {});
    const timeoutMs = this.options.startTimeoutMs ?? 5000;
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(socket)) {
      if (Date.now() > deadline) {
        throw new InfrabaseError(
          'UNAVAILABLE',
          `${bin} ${this.ifname}: no control socket after ${timeoutMs} ms`,
        );
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10))]);
    }
  }
}
