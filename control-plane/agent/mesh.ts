import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  decideMeshSupport,
  type MeshSupportProbe,
  NodeKeyStore,
  probeMeshSupport,
  WireGuardDriver,
  type WireGuardPeer,
} from '../../network/index.js';
import type {
  MeshHeartbeatReply,
  MeshHeartbeatReport,
  MeshJoinReply,
  MeshJoinReport,
} from '../nodes/index.js';

/** A node's WireGuard interface name: `ib` + 12 hex of sha256(node id), unique per node on a machine. */
export function nodeInterfaceName(nodeId: string): string {
  return `ib${createHash('sha256').update(nodeId).digest('hex').slice(0, 12)}`;
}

export interface AgentMeshOptions {
  readonly nodeId: string;
  /** The node's data dir: its key files live here (`wireguard.key`, mode 0600). */
  readonly dataDir: string;
  /** The control plane URL from the boot configuration (its host is the hub's underlay address). */
  readonly controlPlaneUrl: string;
  /** One-line log. */
  readonly log: (line: string) => void;
  /** For tests; default {@link probeMeshSupport}. */
  readonly probe?: () => Promise<MeshSupportProbe>;
}

/**
 * The agent's side of the mesh. At start it loads or creates the node's key pair (private key 0600 in the data
 * dir, never sent) and probes the machine; the join carries the public key and whether WireGuard can run. The
 * join reply decides: with `mode: 'off'` (or when `decideMeshSupport(probe, mode)` says no) it logs the reason
 * and the agent keeps its direct address; otherwise it brings up the interface (`WireGuardDriver`, kernel or
 * wireguard-go) with its mesh address and peers, and from then on the agent heartbeats to the control plane's
 * mesh URL and advertises `meshIp:port` as its endpoint. Each heartbeat reply's peer list is applied with
 * `wg syncconf` when it changed; a staged key (`infrabase mesh rotate-key`) is advertised and switched to at
 * the instant the control plane scheduled.
 */
export class AgentMesh {
  readonly keys: NodeKeyStore;
  private probe?: MeshSupportProbe;
  private driver?: WireGuardDriver;
  private meshIp?: string;
  private meshUrl?: string;
  private hubEndpoint?: string;
  private listenPort?: number;
  private applied = '';
  private appliedKeys: string[] = [];

  constructor(private readonly options: AgentMeshOptions) {
    this.keys = new NodeKeyStore(options.dataDir);
  }

  /** Whether the interface is up. */
  get up(): boolean {
    return this.driver !== undefined;
  }

  /** The `mesh` field of the join body. @throws see NodeKeyStore.current (e.g. a key file readable by others). */
  async joinReport(): Promise<MeshJoinReport> {
    const publicKey = this.keys.current().publicKey;
    this.probe ??= await (this.options.probe ?? probeMeshSupport)();
    let capable: boolean;
    try {
      capable = decideMeshSupport(this.probe, 'auto').enabled;
    } catch {
      capable = false;
    }
    return { publicKey, capable };
  }

  /** Applies the join reply: brings the interface up, or logs why the node stays on its direct address. */
  async onJoin(reply: MeshJoinReply | null | undefined): Promise<void> {
    if (!reply || this.driver) return;
    let support: ReturnType<typeof decideMeshSupport>;
    try {
      support =
        reply.mode === 'off'
          ? { enabled: false, implementation: null, reason: reply.reason }
          : decideMeshSupport(this.probe!, reply.mode);
    } catch (err) {
      this.options.log((err as Error).message);
      return;
    }
    if (!support.enabled || !reply.address) {
      this.options.log(support.reason);
      return;
    }
    const hubHost = new URL(this.options.controlPlaneUrl).hostname;
    this.hubEndpoint = `${hubHost}:${reply.listenPort}`;
    const hubKey = reply.hubPublicKey;
    const peers = this.withHubEndpoint(reply.peers ?? [], hubKey);
    const driver = new WireGuardDriver({
      ifname: nodeInterfaceName(this.options.nodeId),
      implementation: support.implementation!,
    });
    await driver.up({
      address: reply.address,
      listenPort: reply.listenPort,
      privateKeyFile: this.keys.currentPath,
      peers,
    });
    this.driver = driver;
    this.listenPort = reply.listenPort;
    this.hubKey = hubKey;
    this.meshIp = reply.address.split('/')[0];
    this.meshUrl = reply.controlPlaneUrl;
    this.record(peers);
    this.options.log(`${support.reason}; ${driver.ifname} ${reply.address}, ${peers.length} peers`);
  }

  private hubKey?: string;

  /** The `mesh` field of a heartbeat body, or undefined when the mesh is off. */
  heartbeatReport(): MeshHeartbeatReport | undefined {
    if (!this.driver) return undefined;
    return { up: true, nextPublicKey: this.keys.stagedPublicKey(), peerKeys: this.appliedKeys };
  }

  /**
   * Applies a heartbeat reply: the peer list when it changed, and the node's own key switch when its
   * scheduled instant has come (promotes the staged key file, sets it on the interface).
   * @returns ms until the peer list changes by itself (heartbeat again then), or null.
   */
  async onHeartbeat(reply: MeshHeartbeatReply | null | undefined, now: number): Promise<number | null> {
    if (!reply || !this.driver) return null;
    if (reply.keyActivateAt !== null && now >= reply.keyActivateAt && existsSync(this.keys.nextPath)) {
      this.keys.promoteNext();
      await this.driver.setPrivateKey(this.keys.currentPath);
      this.options.log(`switched to the staged WireGuard key ${this.keys.current().publicKey}`);
    }
    const peers = this.withHubEndpoint(reply.peers, this.hubKey);
    if (JSON.stringify(peers) !== this.applied) {
      await this.driver.apply(peers, this.listenPort);
      this.record(peers);
    }
    const times = [reply.nextChangeAt, reply.keyActivateAt].filter((t): t is number => t !== null && t > now);
    return times.length > 0 ? Math.min(...times) - now : null;
  }

  /** Where to send heartbeats: the control plane's mesh URL once the interface is up. */
  baseUrl(direct: string): string {
    return this.driver && this.meshUrl ? this.meshUrl : direct;
  }

  /** The `host:port` to advertise: the mesh address once the interface is up. */
  endpoint(direct: string, port: number): string {
    return this.driver && this.meshIp ? `${this.meshIp}:${port}` : direct;
  }

  /** Removes the interface (and ends wireguard-go). */
  async stop(): Promise<void> {
    await this.driver?.down();
    this.driver = undefined;
  }

  private withHubEndpoint(peers: readonly WireGuardPeer[], hubKey: string | undefined): WireGuardPeer[] {
    return peers.map((p) =>
      p.endpoint === undefined && p.publicKey === hubKey && this.hubEndpoint
        ? { ...p, endpoint: this.hubEndpoint }
        : p,
    );
  }

  private record(peers: WireGuardPeer[]): void {
    this.applied = JSON.stringify(peers);
    this.appliedKeys = peers.map((p) => p.publicKey);
  }
}
