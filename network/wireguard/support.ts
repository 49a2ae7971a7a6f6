import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { InfrabaseError } from '../../engine/index.js';
import { type CommandRunner, runCommand } from './command.js';
import type { WireGuardImplementation } from './driver.js';

/** What the machine offers, gathered by {@link probeMeshSupport}. */
export interface MeshSupportProbe {
  readonly platform: NodeJS.Platform;
  /** Effective uid is 0. */
  readonly root: boolean;
  /** CAP_NET_ADMIN (bit 12) in the effective capability set. */
  readonly netAdmin: boolean;
  /** Path of `wg` (wireguard-tools), or null. */
  readonly wg: string | null;
  /** `ip link add … type wireguard` succeeded. */
  readonly kernelWireGuard: boolean;
  /** Path of `wireguard-go`, or null. */
  readonly wireguardGo: string | null;
  /** `/dev/net/tun` exists (wireguard-go needs it). */
  readonly tun: boolean;
}

/** Whether this node runs the mesh, with which implementation, and why — one line for the log. */
export interface MeshSupport {
  readonly enabled: boolean;
  readonly implementation: WireGuardImplementation | null;
  readonly reason: string;
}

/** Config `mesh.mode`: `auto` follows the machine; `on` insists; `off` uses direct addresses. */
export type MeshMode = 'auto' | 'on' | 'off';

/**
 * Decides from a probe (pure). Without privileges, wg or an implementation the mesh is off and the node uses
 * its direct address.
 * @throws InfrabaseError `UNAVAILABLE` when `mode` is `on` and the mesh cannot run (the reason says why).
 */
export function decideMeshSupport(probe: MeshSupportProbe, mode: MeshMode = 'auto'): MeshSupport {
  const off = (reason: string): MeshSupport => {
    if (mode === 'on') throw new InfrabaseError('UNAVAILABLE', `mesh.mode is 'on' but ${reason}`);
    return { enabled: false, implementation: null, reason: `mesh off, using direct addresses: ${reason}` };
  };
  if (mode === 'off') return { enabled: false, implementation: null, reason: "mesh off: mesh.mode is 'off'" };
  if (probe.platform !== 'linux') return off(`platform ${probe.platform} is not linux`);
  if (!probe.root && !probe.netAdmin) return off('the process is not root and lacks CAP_NET_ADMIN');
  if (!probe.wg) return off('wg (wireguard-tools) is not on PATH');
  if (probe.kernelWireGuard) {
    return { enabled: true, implementation: 'kernel', reason: 'mesh on: kernel WireGuard' };
  }
  if (!probe.wireguardGo) return off('the kernel has no WireGuard and wireguard-go is not on PATH');
  if (!probe.tun) return off('the kernel has no WireGuard and /dev/net/tun is missing for wireguard-go');
  return {
    enabled: true,
    implementation: 'userspace',
    reason: `mesh on: wireguard-go (${probe.wireguardGo}), the kernel has no WireGuard`,
  };
}

/** Finds an executable on PATH. */
export function which(program: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

function hasNetAdmin(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? (BigInt(`0x${m[1]}`) & (1n << 12n)) !== 0n : false;
  } catch {
    return false;
  }
}

/**
 * Gathers a {@link MeshSupportProbe}. With privileges it tries to create and delete a throwaway kernel
 * WireGuard link (`ibprobe<pid>`) — the only reliable test, as the module may load on demand.
 */
export async function probeMeshSupport(runner: CommandRunner = runCommand): Promise<MeshSupportProbe> {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const netAdmin = process.platform === 'linux' && hasNetAdmin();
  let kernelWireGuard = false;
  if (process.platform === 'linux' && (root || netAdmin) && which('ip')) {
    const name = `ibprobe${process.pid % 100000}`;
    try {
      await runner('ip', ['link', 'add', 'dev', name, 'type', 'wireguard']);
      kernelWireGuard = true;
      await runner('ip', ['link', 'del', 'dev', name]).catch(() => {});
    } catch {}
  }
  return {
    platform: process.platform,
    root,
    netAdmin,
    wg: which('wg'),
    kernelWireGuard,
    wireguardGo: which('wireguard-go'),
    tun: existsSync('/dev/net/tun'),
  };
}

/**
 * Says whether this node can run the mesh and why; log `reason` once at start (it is one clear line).
 * @throws see {@link decideMeshSupport}.
 */
export async function detectMeshSupport(
  mode: MeshMode = 'auto',
  runner?: CommandRunner,
): Promise<MeshSupport> {
  if (mode === 'off') return decideMeshSupport({} as MeshSupportProbe, 'off');
  return decideMeshSupport(await probeMeshSupport(runner), mode);
}
