import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Clock, systemClock } from '../engine/index.js';
import {
  decideMeshSupport,
  type MeshHeartbeatReply,
  type MeshHeartbeatReport,
  type MeshJoinReply,
  type MeshJoinReport,
  type MeshSupportProbe,
  NodeKeyStore,
  probeMeshSupport,
  WireGuardDriver,
  type WireGuardPeer,
} from '../network/index.js';

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
  /** Times the node's own key switch; default the system clock. */
  readonly clock?: Clock;
}

/**
 * The agent's side of the mesh. At start it loads or creates the node's key pair (private key 0600 in the data
 * dir, never sent) and probes the machine; the join carries the public key and whether WireGuard can run. The
 * join reply decides: with `mode: 'off'` (or when `decideMeshSupport(probe, mode)` says no) it logs the reason
 * and the agent keeps its direct address; otherwise it brings up the interface (`WireGuardDriver`, kernel or
 * wireguard-go) with its mesh address and peers, and from then on the agent heartbeats to the control plane's
 * mesh URL and advertises `meshIp:port` as its endpoint. Each heartbeat reply's peer list is applied with
 * `wg syncconf` when it changed; a staged key (`infrabase mesh rotate-key`) is advertised and switched to at
 * the instant the control plane scheduled, by the node's own timer: its heartbeats travel over the mesh, and
 * the hub may move to the new key first, so the switch must not wait for a heartbeat reply. Interface changes
 * run one at a time (a peer update rendered with the old key must not undo a switch).
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
  private hubKey?: string;
  /** Interface operations, one at a time. */
  private ops: Promise<unknown> = Promise.resolve();
  /** The pending key switch: its instant (ms) and the abort of its timer. */
  private pendingSwitch?: { at: number; abort: AbortController };
  private readonly clock: Clock;

  constructor(private readonly options: AgentMeshOptions) {
    this.keys = new NodeKeyStore(options.dataDir);
    this.clock = options.clock ?? systemClock;
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

  /** The `mesh` field of a heartbeat body, or undefined when the mesh is off. */
  heartbeatReport(): MeshHeartbeatReport | undefined {
    if (!this.driver) return undefined;
    return { up: true, nextPublicKey: this.keys.stagedPublicKey(), peerKeys: this.appliedKeys };
  }

  /**
   * Applies a heartbeat reply: the peer list when it changed, and the node's own key switch: at once when its
   * scheduled instant has passed, otherwise by a timer set for that instant.
   * @param now ms since the epoch.
   * @returns ms until the peer list changes by itself (heartbeat again then), or null.
   */
  async onHeartbeat(reply: MeshHeartbeatReply | null | undefined, now: number): Promise<number | null> {
    if (!reply || !this.driver) return null;
    this.scheduleSwitch(reply.keyActivateAt, now);
    const peers = this.withHubEndpoint(reply.peers, this.hubKey);
    await this.serial(async () => {
      if (!this.driver || JSON.stringify(peers) === this.applied) return;
      await this.driver.apply(peers, this.listenPort);
      this.record(peers);
    });
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
    this.pendingSwitch?.abort.abort();
    this.pendingSwitch = undefined;
    await this.serial(async () => {
      await this.driver?.down();
      this.driver = undefined;
    });
  }

  /** Arms (or fires) the switch to the staged key at `at`; a new instant replaces the old timer. */
  private scheduleSwitch(at: number | null, now: number): void {
    if (at === null || !existsSync(this.keys.nextPath)) return;
    if (this.pendingSwitch?.at === at) return;
    this.pendingSwitch?.abort.abort();
    const abort = new AbortController();
    this.pendingSwitch = { at, abort };
    this.clock.sleep(Math.max(0, at - now), abort.signal).then(
      () => this.serial(() => this.switchKey()).catch((err) => this.options.log(`key switch failed: ${err}`)),
      () => {},
    );
  }

  /** Promotes the staged key file and sets it on the interface. */
  private async switchKey(): Promise<void> {
    this.pendingSwitch = undefined;
    if (!this.driver || !existsSync(this.keys.nextPath)) return;
    const { publicKey } = this.keys.promoteNext();
    await this.driver.setPrivateKey(this.keys.currentPath);
    this.options.log(`switched to the staged WireGuard key ${publicKey}`);
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.ops.then(op, op);
    this.ops = run.catch(() => {});
    return run;
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
