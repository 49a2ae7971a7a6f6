import type { NodeMetricSample } from '../metrics/index.js';
import type { MeshHeartbeatReply, MeshJoinReply } from '../network/index.js';

/**
 * The bodies of the node API, `POST /v1/nodes/join` and `POST /v1/nodes/heartbeat`: what an agent sends and
 * what the control plane answers. Declared once here, in the agent, and used by both ends (the agent's
 * heartbeat loop and the control plane's node routes, which may import the agent but not the reverse).
 */

/** Body of `POST /v1/nodes/join` and `POST /v1/nodes/heartbeat`. */
export interface NodeReport {
  readonly nodeId: string;
  /** The agent's `host:port`. */
  readonly endpoint?: string;
  /** Ignored: the node's addresses come from the provider (and the mesh), never from the node. */
  readonly privateIp?: string;
  /** The agent's own view: `ok` or `draining`. */
  readonly status?: string;
  /** WireGuard side: `MeshJoinReport` on join, `MeshHeartbeatReport` on heartbeats. */
  readonly mesh?: unknown;
  /** Heartbeat only: the node's metrics (`collectNodeMetrics`), stored in `sys_metrics` with the node id. */
  readonly metrics?: readonly NodeMetricSample[];
}

/** Reply of `POST /v1/nodes/join`. */
export interface JoinReply {
  readonly nodeId: string;
  readonly nodeToken: string;
  /** Hex key the agent checks the control plane's control tokens with (see verifyControlToken). */
  readonly controlKey: string;
  /** ms. */
  readonly heartbeatIntervalMs: number;
  /** The node's mesh address and peers, or `mode: 'off'` and why; null when the node sent no key. */
  readonly mesh: MeshJoinReply | null;
}

/** Reply of `POST /v1/nodes/heartbeat`. */
export interface HeartbeatReply {
  readonly nodeToken: string;
  /** The same control key as in the join reply (so an agent always holds the current launch's key). */
  readonly controlKey: string;
  readonly desiredState: string;
  /** The node's current peer list; null when it is not in the mesh. */
  readonly mesh?: MeshHeartbeatReply | null;
}
