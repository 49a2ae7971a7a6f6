import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ChangeFeed, Clock } from '../../engine/index.js';
import { NodeKeyStore, nextKeyChangeAt } from '../keys/index.js';
import { isLocalOnlyHost } from '../local-host.js';
import {
  detectMeshSupport,
  type MeshMode,
  type MeshTopology,
  WireGuardDriver,
  type WireGuardPeer,
} from '../wireguard/index.js';
import { HUB_ID, type MeshMembership } from './mesh-membership.js';

/** What the hub reads of the control plane it runs in (a subset of its context). */
export interface MeshHubContext {
  readonly config: {
    /** Config `mesh.*`. */
    readonly mesh: {
      readonly mode: MeshMode;
      readonly cidr: string;
      readonly topology: MeshTopology;
      readonly listenPort: number;
    };
    /** The API's listen host. */
    readonly host: string;
    /** The control plane's URL as seen from nodes, when configured. */
    readonly advertiseUrl?: string;
    readonly dataDir: string;
    /** ms. */
    readonly reconciler: { readonly heartbeatIntervalMs: number };
  };
  readonly clusterId: string;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The control plane's own base URL once it listens. */
  readonly url: () => string;
}

/** The hub's WireGuard interface name: `ibh` + 11 hex of sha256(cluster id), unique per cluster on a machine. */
export function hubInterfaceName(clusterId: string): string {
  return `ibh${createHash('sha256').update(clusterId).digest('hex').slice(0, 11)}`;
}

/**
 * The control plane's side of the mesh: when `detectMeshSupport(mesh.mode)` allows it and nodes can reach
 * the control plane from elsewhere (`mesh.mode` is `on`, or the API listens on a non-loopback address), it
 * brings up the hub interface (mesh address = first host of `mesh.cidr`, key in `<dataDir>/mesh/`, port
 * `mesh.listenPort`), enables IPv4 forwarding for the hub topology, and keeps its peers in step with
 * `sys_nodes` (on every change of the table, every half heartbeat interval and at the instant of each scheduled
 * key switch), also releasing the addresses of terminated nodes and driving key rotations. Otherwise it logs the one-line reason and joins answer
 * `mode: 'off'` (nodes keep their direct addresses, as `infrabase up` without root always did).
 */
export class MeshHubService {
  readonly name = 'mesh';
  private driver?: WireGuardDriver;
  private timer?: NodeJS.Timeout;
  /** Fires a sync at the next scheduled key switch. */
  private switchTimer?: { at: number; timer: NodeJS.Timeout };
  private resync?: () => void;
  private unsubscribe?: () => void;
  private applied = '';
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly membership: MeshMembership) {}

  async start(ctx: MeshHubContext): Promise<void> {
    const { mesh, host } = ctx.config;
    const log = ctx.logger.child({ component: 'mesh' });
    const support = await detectMeshSupport(mesh.mode);
    if (support.enabled && mesh.mode === 'auto' && isLocalOnlyHost(host) && !ctx.config.advertiseUrl) {
      const reason = `mesh off, using direct addresses: the API listens on ${host} only, so every node shares this host`;
      this.membership.setHub(null, reason);
      log.info(reason);
      return;
    }
    if (!support.enabled) {
      this.membership.setHub(null, support.reason);
      log.info(support.reason);
      return;
    }
    const keys = new NodeKeyStore(join(resolve(ctx.config.dataDir), 'mesh'));
    const publicKey = keys.current().publicKey;
    const apiUrl = new URL(ctx.url());
    const advertised = new URL(ctx.config.advertiseUrl ?? ctx.url()).hostname;
    const endpoint = isLocalOnlyHost(advertised) ? undefined : `${advertised}:${mesh.listenPort}`;
    this.membership.setHub({ publicKey, endpoint, apiPort: Number(apiUrl.port || 80) });
    if (mesh.topology === 'hub') writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
    const driver = new WireGuardDriver({
      ifname: hubInterfaceName(ctx.clusterId),
      implementation: support.implementation!,
    });
    const peers = this.membership.peersFor(HUB_ID);
    await driver.up({
      address: `${this.membership.hubAddress}/${mesh.cidr.split('/')[1]}`,
      listenPort: mesh.listenPort,
      privateKeyFile: keys.currentPath,
      peers,
    });
    this.driver = driver;
    this.record(peers);
    log.info({ ifname: driver.ifname, address: this.membership.hubAddress, endpoint }, support.reason);
    const sync = () => {
      this.busy = this.busy.then(() => this.sync(ctx)).catch((err) => log.warn({ err }, 'mesh sync failed'));
    };
    this.resync = sync;
    this.unsubscribe = ctx.feed.subscribe({ tables: ['sys_nodes'], onChanges: sync, onResync: sync });
    this.timer = setInterval(sync, Math.max(100, ctx.config.reconciler.heartbeatIntervalMs / 2));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.switchTimer?.timer);
    this.resync = undefined;
    this.unsubscribe?.();
    await this.busy;
    await this.driver?.down();
    this.driver = undefined;
  }

  private async sync(ctx: MeshHubContext): Promise<void> {
    const released = this.membership.tick();
    if (released.length > 0) ctx.logger.info({ nodes: released }, 'mesh addresses released');
    const peers = this.membership.peersFor(HUB_ID);
    this.armSwitchTimer(ctx.clock.now());
    if (!this.driver || JSON.stringify(peers) === this.applied) return;
    await this.driver.apply(peers, ctx.config.mesh.listenPort);
    this.record(peers);
  }

  /** Syncs again exactly when the next scheduled key switch is due, not up to half a heartbeat later. */
  private armSwitchTimer(now: number): void {
    const at = nextKeyChangeAt(this.membership.members(), now);
    if (at === null || at === this.switchTimer?.at || !this.resync) return;
    clearTimeout(this.switchTimer?.timer);
    const resync = this.resync;
    this.switchTimer = { at, timer: setTimeout(resync, at - now) };
  }

  private record(peers: WireGuardPeer[]): void {
    this.applied = JSON.stringify(peers);
    this.membership.hubApplied(peers);
  }
}
