import { InfrabaseError } from '../../engine/index.js';
import { isWireGuardKey } from '../keys/index.js';
import type { WireGuardPeer } from './peers.js';

/** The `[Interface]` section for `wg setconf`/`wg syncconf`. */
export interface SetconfInterface {
  /** Only when the node renders its own config locally; omitted, `syncconf` keeps the key already set. */
  readonly privateKey?: string;
  /** UDP port, 1–65535. */
  readonly listenPort?: number;
}

const ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const ALLOWED_IP = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InfrabaseError('INVALID_ARGUMENT', `${what} ${port} is not a UDP port; accepted 1-65535`);
  }
}

function peerLines(peer: WireGuardPeer): string[] {
  if (!isWireGuardKey(peer.publicKey)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `peer public key '${peer.publicKey}' is not base64 of 32 bytes`,
    );
  }
  const lines = ['[Peer]', `PublicKey = ${peer.publicKey}`];
  for (const ip of peer.allowedIps) {
    if (!ALLOWED_IP.test(ip)) {
      throw new InfrabaseError('INVALID_ARGUMENT', `allowed IP '${ip}' is not a CIDR such as 10.88.0.2/32`);
    }
  }
  if (peer.allowedIps.length > 0) lines.push(`AllowedIPs = ${peer.allowedIps.join(', ')}`);
  if (peer.endpoint !== undefined) {
    const m = ENDPOINT.exec(peer.endpoint);
    if (!m) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `endpoint '${peer.endpoint}' is not host:port or [v6]:port, e.g. 203.0.113.5:51820`,
      );
    }
    checkPort(Number(m[2]), `endpoint '${peer.endpoint}' port`);
    lines.push(`Endpoint = ${peer.endpoint}`);
  }
  if (peer.persistentKeepalive !== undefined) {
    checkPort(peer.persistentKeepalive, 'persistent keepalive');
    lines.push(`PersistentKeepalive = ${peer.persistentKeepalive}`);
  }
  return lines;
}

/**
 * Renders a config in the format of `wg setconf` / `wg syncconf` (wg(8), CONFIGURATION FILE FORMAT).
 * A peer without allowed IPs gets no AllowedIPs line: setconf replaces allowed IPs, so it ends with none.
 * @throws InfrabaseError `INVALID_ARGUMENT` for a malformed key, endpoint, allowed IP or port.
 */
export function renderSetconf(iface: SetconfInterface, peers: readonly WireGuardPeer[]): string {
  const lines = ['[Interface]'];
  if (iface.privateKey !== undefined) {
    if (!isWireGuardKey(iface.privateKey)) {
      throw new InfrabaseError('INVALID_ARGUMENT', 'interface private key is not base64 of 32 bytes');
    }
    lines.push(`PrivateKey = ${iface.privateKey}`);
  }
  if (iface.listenPort !== undefined) {
    checkPort(iface.listenPort, 'listen port');
    lines.push(`ListenPort = ${iface.listenPort}`);
  }
  for (const peer of peers) lines.push('', ...peerLines(peer));
  return `${lines.join('\n')}\n`;
}

/** The `[Interface]` section for wg-quick(8), for operators who manage the interface by hand. */
export interface WgQuickInterface {
  /** The node's mesh address with the mesh prefix, e.g. `10.88.0.2/16` (the prefix installs the route). */
  readonly address: string;
  readonly listenPort?: number;
  /** Path of the node's 0600 private key file, loaded by a PostUp hook; without it a placeholder is written. */
  readonly privateKeyFile?: string;
  /** Interface MTU in bytes. */
  readonly mtu?: number;
}

/** The placeholder written when no key file is given; wg-quick refuses to start until it is replaced. */
export const PRIVATE_KEY_PLACEHOLDER = '<this node private key: wg genkey, never sent to the control plane>';

/**
 * Renders a wg-quick(8) config. The private key never leaves the node, so it is either loaded from the node's
 * own key file (`PostUp = wg set %i private-key <file>`) or left as {@link PRIVATE_KEY_PLACEHOLDER}.
 * @throws InfrabaseError `INVALID_ARGUMENT` for a malformed address, key file path or peer.
 */
export function renderWgQuick(iface: WgQuickInterface, peers: readonly WireGuardPeer[]): string {
  if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(iface.address)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `address '${iface.address}' is not an IPv4 CIDR such as 10.88.0.2/16`,
    );
  }
  const lines = ['[Interface]', `Address = ${iface.address}`];
  if (iface.listenPort !== undefined) {
    checkPort(iface.listenPort, 'listen port');
    lines.push(`ListenPort = ${iface.listenPort}`);
  }
  if (iface.mtu !== undefined) lines.push(`MTU = ${iface.mtu}`);
  if (iface.privateKeyFile !== undefined) {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(iface.privateKeyFile)) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `private key file '${iface.privateKeyFile}' must be an absolute path of letters, digits, '.', '_', '-', '/'`,
      );
    }
    lines.push(`PostUp = wg set %i private-key ${iface.privateKeyFile}`);
  } else {
    lines.push(`PrivateKey = ${PRIVATE_KEY_PLACEHOLDER}`);
  }
  for (const peer of peers) lines.push('', ...peerLines(peer));
  return `${lines.join('\n')}\n`;
}
