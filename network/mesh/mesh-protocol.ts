import type { MeshMode, MeshTopology, WireGuardPeer } from '../wireguard/index.js';

/** What an agent says about its WireGuard side in `POST /v1/nodes/join` (field `mesh` of the body). */
export interface MeshJoinReport {
  /** The node's public key (base64, 44 characters); the private key never leaves the node. */
  readonly publicKey: string;
  /** Whether the node can run WireGuard (`decideMeshSupport(probe, 'auto').enabled`). */
  readonly capable: boolean;
}

/** What an agent says in each heartbeat (field `mesh` of the body). */
export interface MeshHeartbeatReport {
  /** Its WireGuard interface is up. */
  readonly up: boolean;
  /** The staged next public key of a rotation (`infrabase mesh rotate-key`), or null. */
  readonly nextPublicKey?: string | null;
  /** Public keys of the peers applied on its interface: acknowledges staged keys of others. */
  readonly peerKeys?: readonly string[];
}

/** The `mesh` field of the join reply. */
export interface MeshJoinReply {
  /** `off`: stay on the direct address (`reason` says why); otherwise the `mesh.mode` to decide with. */
  readonly mode: MeshMode;
  readonly reason: string;
  /** The node's mesh address with the mesh prefix, e.g. `10.88.0.2/16`. */
  readonly address?: string;
  /** The WireGuard UDP port to listen on. */
  readonly listenPort?: number;
  readonly topology?: MeshTopology;
  /** The hub's (control plane's) public key; its peer entry may lack an endpoint (use the boot URL's host). */
  readonly hubPublicKey?: string;
  /** The control plane's API over the mesh, e.g. `http://10.88.0.1:7420`: heartbeats go there once up. */
  readonly controlPlaneUrl?: string;
  readonly peers?: readonly WireGuardPeer[];
}

/** The `mesh` field of the heartbeat reply. */
export interface MeshHeartbeatReply {
  /** The node's full peer list now (apply with `wg syncconf`). */
  readonly peers: readonly WireGuardPeer[];
  /** When this node switches to its staged key, ms since the epoch; null when none is scheduled. */
  readonly keyActivateAt: number | null;
  /** When the peer list changes by itself next (a scheduled key switch), ms; heartbeat again then. */
  readonly nextChangeAt: number | null;
}
