import { type Clock, type Database, InfrabaseError } from '../../engine/index.js';
import { cidrContains, ipv4ToInt, type MeshAddressWriter, parseCidr, SqliteMeshIpam } from '../ipam/index.js';
import { completeRotation, isWireGuardKey, nextKeyChangeAt, scheduleActivation } from '../keys/index.js';
import { isLocalOnlyHost } from '../local-host.js';
import {
  type MeshMember,
  type MeshMode,
  type MeshTopology,
  planPeers,
  type WireGuardPeer,
} from '../wireguard/index.js';
import type {
  MeshHeartbeatReply,
  MeshHeartbeatReport,
  MeshJoinReply,
  MeshJoinReport,
} from './mesh-protocol.js';

/** The control plane's id in peer planning. */
export const HUB_ID = 'control-plane';

/**
 * The writes mesh membership makes to `sys_nodes` (address, key and WireGuard endpoint columns), done by the
 * table's owner: autoinfra's `NodeStore` implements this port, the control plane passes it in.
 */
export interface MeshNodeWriter extends MeshAddressWriter {
  /** A mesh join: the node's public key (unless a rotation is staged) and WireGuard endpoint (kept when null). */
  recordMeshJoin(nodeId: string, publicKey: string, wgEndpoint: string | null): void;
  /** Stages the node's next public key; unschedules any earlier switch. */
  stageMeshKey(nodeId: string, nextPublicKey: string): void;
  /** Schedules the node's switch to its staged key at `at`, ms since the epoch. */
  scheduleMeshKeySwitch(nodeId: string, at: number): void;
  /** Completes the node's rotation: `publicKey` becomes its key, nothing staged. */
  completeMeshKeyRotation(nodeId: string, publicKey: string): void;
}

export interface MeshMembershipOptions {
  /** Read for members and peers; written only through `nodes`. */
  readonly db: Database;
  readonly nodes: MeshNodeWriter;
  readonly clock: Clock;
  /** Config `mesh.*`. */
  readonly mode: MeshMode;
  readonly cidr: string;
  readonly topology: MeshTopology;
  /** WireGuard UDP port of every member. */
  readonly listenPort: number;
  /** Lead time of a key switch and grace after it, ms; at least one heartbeat interval each. */
  readonly keyLeadMs: number;
  readonly keyGraceMs: number;
}

/** The hub as the hub service brought it up. */
export interface HubState {
  readonly publicKey: string;
  /** `host:port` nodes dial; undefined when only the node's boot URL knows the host. */
  readonly endpoint?: string;
  /** Port of the control plane's HTTP API (reached over the mesh at the hub address). */
  readonly apiPort: number;
}

interface MeshRow {
  id: string;
  mesh_ip: string;
  wg_public_key: string;
  wg_endpoint: string | null;
  wg_next_public_key: string | null;
  wg_key_activate_at: number | null;
}

/** The node a join or heartbeat is for (a `sys_nodes` row; only its id is read). */
export interface MeshNode {
  readonly id: string;
}

/**
 * Mesh membership following `sys_nodes`: joins allocate a mesh address (IPAM over `mesh.cidr`) and record the
 * node's public key and WireGuard endpoint; every heartbeat is answered with the node's current peer list
 * (members = rows with `desired_state = 'running'`, a mesh address and a key), so a membership change reaches
 * each node within one heartbeat; the hub also keeps deleted nodes until they are terminated (drained over the
 * mesh); {@link tick} releases the addresses of terminated nodes and drives key
 * rotations (stage → schedule → switch → complete, see network/keys/rotation-plan.ts). Synchronous: every
 * method is one short transaction.
 */
export class MeshMembership {
  readonly ipam: SqliteMeshIpam;
  private hub: HubState | null = null;
  private hubReason = 'mesh off: the control plane has not brought up its WireGuard hub';
  /** Latest applied peer keys per member (from heartbeats; the hub's from its own apply). */
  private readonly acks = new Map<string, ReadonlySet<string>>();
  private readonly prefix: number;
  private readonly q;

  constructor(private readonly options: MeshMembershipOptions) {
    this.ipam = new SqliteMeshIpam(options.db, options.cidr, options.nodes);
    this.prefix = parseCidr(options.cidr).prefix;
    const db = options.db;
    this.q = {
      members: db.prepare<[], MeshRow>(
        `SELECT id, mesh_ip, wg_public_key, wg_endpoint, wg_next_public_key, wg_key_activate_at FROM sys_nodes
         WHERE desired_state = 'running' AND mesh_ip IS NOT NULL AND wg_public_key IS NOT NULL
           AND wg_endpoint IS NOT NULL`,
      ),
      // The hub keeps a deleted node as a peer until it is terminated: the reconciler drains it over the mesh.
      hubMembers: db.prepare<[], MeshRow>(
        `SELECT id, mesh_ip, wg_public_key, wg_endpoint, wg_next_public_key, wg_key_activate_at FROM sys_nodes
         WHERE status <> 'terminated' AND mesh_ip IS NOT NULL AND wg_public_key IS NOT NULL
           AND wg_endpoint IS NOT NULL`,
      ),
      terminated: db.prepare<[], { id: string }>(
        `SELECT id FROM sys_nodes WHERE mesh_ip IS NOT NULL AND status = 'terminated'`,
      ),
      rotation: db.prepare<
        [string],
        Pick<MeshRow, 'wg_public_key' | 'wg_next_public_key' | 'wg_key_activate_at'>
      >('SELECT wg_public_key, wg_next_public_key, wg_key_activate_at FROM sys_nodes WHERE id = ?'),
    };
  }

  /** Called by the hub service once its interface is up (or with the reason it is not). */
  setHub(hub: HubState | null, reason?: string): void {
    this.hub = hub;
    if (reason) this.hubReason = reason;
  }

  get hubAddress(): string {
    return this.ipam.hubAddress;
  }

  /** Records the public keys the hub applied (its acknowledgement of staged keys). */
  hubApplied(peers: readonly WireGuardPeer[]): void {
    this.acks.set(HUB_ID, new Set(peers.map((p) => p.publicKey)));
  }

  /**
   * Handles the `mesh` part of a join: allocates (or keeps) the node's mesh address and records its key and
   * WireGuard endpoint (`<remoteAddress>:<listenPort>`, unless the join came over the mesh itself).
   * @param remoteAddress the join request's source address.
   * @throws InfrabaseError `INVALID_ARGUMENT` for a malformed report; `INSUFFICIENT_CAPACITY` when the CIDR is
   *   exhausted.
   */
  join(row: MeshNode, report: unknown, remoteAddress: string): MeshJoinReply {
    const r = parseJoinReport(report);
    const off = (reason: string): MeshJoinReply => ({ mode: 'off', reason });
    if (!this.hub) return off(this.hubReason);
    if (!r.capable) return off('mesh off: the node reported it cannot run WireGuard');
    if (isLocalOnlyHost(remoteAddress)) {
      return off("mesh off: the node shares the control plane's host (joined over loopback)");
    }
    const meshIp = this.ipam.allocate(row.id);
    const overMesh = this.inMesh(remoteAddress);
    const host = remoteAddress.replace(/^::ffff:/, '');
    const wgEndpoint = overMesh
      ? null
      : `${host.includes(':') ? `[${host}]` : host}:${this.options.listenPort}`;
    this.options.nodes.recordMeshJoin(row.id, r.publicKey, wgEndpoint);
    return {
      mode: this.options.mode,
      reason: 'mesh on',
      address: `${meshIp}/${this.prefix}`,
      listenPort: this.options.listenPort,
      topology: this.options.topology,
      hubPublicKey: this.hub.publicKey,
      controlPlaneUrl: `http://${this.ipam.hubAddress}:${this.hub.apiPort}`,
      peers: this.peersFor(row.id),
    };
  }

  /**
   * Handles the `mesh` part of a heartbeat: records the staged key and the applied peer keys, and returns the
   * node's current peer list; null when the mesh is off or the node has no mesh address.
   * @throws InfrabaseError `INVALID_ARGUMENT` for a malformed report.
   */
  heartbeat(row: MeshNode, report: unknown): MeshHeartbeatReply | null {
    if (report === undefined || report === null || !this.hub) return null;
    const r = parseHeartbeatReport(report);
    this.acks.set(row.id, new Set(r.peerKeys ?? []));
    const current = this.q.rotation.get(row.id);
    if (current && r.nextPublicKey && r.nextPublicKey !== current.wg_next_public_key) {
      if (r.nextPublicKey !== current.wg_public_key) this.options.nodes.stageMeshKey(row.id, r.nextPublicKey);
    }
    const now = this.options.clock.now();
    const members = this.members();
    const self = members.find((m) => m.id === row.id);
    if (!self) return null;
    return {
      peers: this.plan(members, row.id, now),
      keyActivateAt: self.nextPublicKey ? (self.activateAt ?? null) : null,
      nextChangeAt: nextKeyChangeAt(members, now),
    };
  }

  /** The peer list of `nodeId` (or {@link HUB_ID}) now; empty when it is not a member. */
  peersFor(nodeId: string): WireGuardPeer[] {
    if (nodeId === HUB_ID) return this.plan(this.hubMembers(), HUB_ID, this.options.clock.now());
    const members = this.members();
    if (!members.some((m) => m.id === nodeId)) return [];
    return this.plan(members, nodeId, this.options.clock.now());
  }

  /**
   * One maintenance step: releases the mesh addresses of terminated nodes, schedules staged key switches
   * every peer acknowledged, completes switched rotations after the grace period.
   * @returns ids whose address was released.
   */
  tick(): string[] {
    const released = this.q.terminated.all().map((r) => r.id);
    for (const id of released) {
      this.ipam.release(id);
      this.acks.delete(id);
    }
    const now = this.options.clock.now();
    const members = this.members();
    for (const m of members) {
      if (!m.nextPublicKey) continue;
      const peerIds =
        this.options.topology === 'full'
          ? [HUB_ID, ...members.filter((o) => o.id !== m.id).map((o) => o.id)]
          : [HUB_ID];
      const acknowledged = new Set(peerIds.filter((id) => this.acks.get(id)?.has(m.nextPublicKey!)));
      const at = scheduleActivation(m, peerIds, acknowledged, now, this.options.keyLeadMs);
      if (at !== null) this.options.nodes.scheduleMeshKeySwitch(m.id, at);
      const done = completeRotation(m, now, this.options.keyGraceMs);
      if (done !== m) this.options.nodes.completeMeshKeyRotation(m.id, done.publicKey);
    }
    return released;
  }

  /** Current members (running rows with address, key and WireGuard endpoint). */
  members(): MeshMember[] {
    return this.q.members.all().map(toMember);
  }

  /**
   * The nodes the hub peers with: the members, and deleted nodes until they are terminated, so the reconciler
   * can still reach a node it drains over the mesh (the other nodes drop it at once).
   */
  hubMembers(): MeshMember[] {
    return this.q.hubMembers.all().map(toMember);
  }

  private plan(members: MeshMember[], self: string, now: number): WireGuardPeer[] {
    const hub = this.hub;
    if (!hub) return [];
    return planPeers({
      topology: this.options.topology,
      cidr: this.options.cidr,
      hub: { id: HUB_ID, meshIp: this.ipam.hubAddress, publicKey: hub.publicKey, endpoint: hub.endpoint },
      members,
      self,
      now,
    });
  }

  private inMesh(address: string): boolean {
    try {
      return cidrContains(this.ipam.pool.cidr, ipv4ToInt(address.replace(/^::ffff:/, '')));
    } catch {
      return false;
    }
  }
}

function parseJoinReport(value: unknown): MeshJoinReport {
  const v = value as Partial<MeshJoinReport> | undefined;
  if (!v || typeof v !== 'object' || typeof v.publicKey !== 'string' || !isWireGuardKey(v.publicKey)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      'join body field mesh must be {"publicKey": "<base64 WireGuard public key, 44 characters>", "capable": true|false}',
    );
  }
  return { publicKey: v.publicKey, capable: v.capable === true };
}

function parseHeartbeatReport(value: unknown): MeshHeartbeatReport {
  const v = value as Partial<MeshHeartbeatReport>;
  const keysOk =
    v.peerKeys === undefined ||
    (Array.isArray(v.peerKeys) &&
      v.peerKeys.length <= 4096 &&
      v.peerKeys.every((k) => typeof k === 'string'));
  const nextOk =
    v.nextPublicKey === undefined ||
    v.nextPublicKey === null ||
    (typeof v.nextPublicKey === 'string' && isWireGuardKey(v.nextPublicKey));
  if (typeof v !== 'object' || !keysOk || !nextOk) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      'heartbeat body field mesh must be {"up": bool, "nextPublicKey"?: "<WireGuard public key>"|null, "peerKeys"?: [keys]}',
    );
  }
  return { up: v.up === true, nextPublicKey: v.nextPublicKey ?? null, peerKeys: v.peerKeys };
}

function toMember(r: MeshRow): MeshMember {
  return {
    id: r.id,
    meshIp: r.mesh_ip,
    endpoint: r.wg_endpoint,
    publicKey: r.wg_public_key,
    nextPublicKey: r.wg_next_public_key,
    activateAt: r.wg_key_activate_at,
  };
}
