import { InfrabaseError } from '../../engine/index.js';
import { parseCidr } from '../ipam/index.js';
import { isWireGuardKey, type NodeKeyState, peerEntriesFor } from '../keys/index.js';

/** One `[Peer]` section: WireGuard's own terms. */
export interface WireGuardPeer {
  /** Base64 public key (44 characters). */
  readonly publicKey: string;
  /** `host:port` or `[v6]:port` where the peer listens; absent for peers that only dial in. */
  readonly endpoint?: string;
  /** CIDRs routed to this peer and accepted from it; may be empty (a staged key during rotation). */
  readonly allowedIps: readonly string[];
  /** Keepalive interval in seconds (1–65535); absent for off. */
  readonly persistentKeepalive?: number;
}

/** How nodes connect: `hub` — every node peers only with the control plane; `full` — every pair peers. */
export type MeshTopology = 'hub' | 'full';

/** A member of the mesh as the control plane knows it (a `sys_nodes` row, or the control plane itself). */
export interface MeshMember extends NodeKeyState {
  readonly id: string;
  /** Mesh address (dotted quad, no prefix). */
  readonly meshIp: string;
  /** Where its WireGuard listens (`sys_nodes.endpoint`), `host:port`. */
  readonly endpoint?: string | null;
}

export interface PeerPlanInput {
  readonly topology: MeshTopology;
  /** The mesh CIDR, e.g. `10.88.0.0/16`: the hub's allowed IPs in the hub topology. */
  readonly cidr: string;
  /** The control plane's member entry; its address is the first host address of the CIDR. */
  readonly hub: MeshMember;
  /** Every node that should be in the mesh (ready, not terminated), in any order. */
  readonly members: readonly MeshMember[];
  /** The member whose peer list is wanted (`hub.id` for the control plane's own). */
  readonly self: string;
  /** ms since the epoch; decides which key of a rotating member carries traffic. */
  readonly now: number;
  /** Keepalive in seconds on every peer (useful behind NAT); default none. */
  readonly persistentKeepalive?: number;
}

/**
 * The peer list of member `self`, sorted by public key so equal inputs render byte-identical configs.
 * Hub topology: a node peers only with the hub, whose allowed IPs are the whole CIDR (the hub forwards
 * between nodes); the hub peers with every node with allowed IPs = that node's /32. Full mesh: every member
 * peers with every other, allowed IPs = the peer's /32. Members with a key rotation under way appear with two
 * entries (the staged key without allowed IPs), see {@link peerEntriesFor}. Members without a valid public
 * key are left out (they have not joined yet).
 * @throws InfrabaseError `INVALID_ARGUMENT` for an invalid CIDR, `NOT_FOUND` when `self` is not a member.
 */
export function planPeers(input: PeerPlanInput): WireGuardPeer[] {
  const cidr = parseCidr(input.cidr).text;
  const all = [input.hub, ...input.members.filter((m) => m.id !== input.hub.id)];
  if (!all.some((m) => m.id === input.self)) {
    throw new InfrabaseError(
      'NOT_FOUND',
      `'${input.self}' is not a member of the mesh; cannot plan its peers`,
    );
  }
  let targets: { member: MeshMember; allowedIps: string[] }[];
  if (input.topology === 'hub' && input.self !== input.hub.id) {
    targets = [{ member: input.hub, allowedIps: [cidr] }];
  } else {
    targets = all
      .filter((m) => m.id !== input.self)
      .map((m) => ({ member: m, allowedIps: [`${m.meshIp}/32`] }));
  }
  const peers: WireGuardPeer[] = [];
  for (const { member, allowedIps } of targets) {
    if (!isWireGuardKey(member.publicKey)) continue;
    for (const entry of peerEntriesFor(member, input.now)) {
      if (!isWireGuardKey(entry.publicKey)) continue;
      peers.push({
        publicKey: entry.publicKey,
        ...(member.endpoint ? { endpoint: member.endpoint } : {}),
        allowedIps: entry.carriesTraffic ? allowedIps : [],
        ...(input.persistentKeepalive ? { persistentKeepalive: input.persistentKeepalive } : {}),
      });
    }
  }
  return peers.sort((a, b) => (a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0));
}
