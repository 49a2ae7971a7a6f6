import type { NodeStatus } from '../../engine/index.js';

/** The provider's instance of a node as a reconcile step just saw it (alive: not terminated nor stopping). */
export interface ObservedInstance {
  readonly id: string;
  /** The provider's state word, e.g. `running`, `pending`. */
  readonly state: string;
}

/**
 * What happened that may change a node's status:
 * - `heartbeat`: the node's agent heartbeated just now (the join/heartbeat route);
 * - `launched`: the provider's create call returned `instance` (the reconciler records it);
 * - `observed`: the provider reports `instance` alive (the reconciler's periodic look-up).
 */
export type NodeStatusEvent =
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'launched'; readonly instance: ObservedInstance }
  | { readonly kind: 'observed'; readonly instance: ObservedInstance };

/** Everything the status of a running node (`desired_state = 'running'`) is decided from. */
export interface NodeStatusFacts {
  /** `sys_nodes.status` now. */
  readonly status: NodeStatus;
  /** `sys_nodes.last_heartbeat_at` as the row holds it now, ms since the epoch; null before the first. */
  readonly lastHeartbeatAt: number | null;
  /** ms since the epoch. */
  readonly now: number;
  /** A heartbeat older than this is not fresh, ms (config `reconciler.heartbeatTimeoutMs`). */
  readonly heartbeatTimeoutMs: number;
  readonly event: NodeStatusEvent;
}

/** A status to record, with the `status_reason` that says why. */
export interface NodeStatusChange {
  readonly status: NodeStatus;
  readonly reason: string;
}

/** Whether `lastHeartbeatAt` is younger than the heartbeat timeout at `now`. */
export function heartbeatFresh(
  lastHeartbeatAt: number | null,
  now: number,
  heartbeatTimeoutMs: number,
): boolean {
  return lastHeartbeatAt !== null && now - lastHeartbeatAt < heartbeatTimeoutMs;
}

/**
 * The node-status rule, one pure function for the heartbeat route and the reconciler (the table is in
 * test/autoinfra/node-status.test.ts):
 * - a heartbeat turns `booting` or `unreachable` into `ready` ("heartbeat received"); other statuses keep
 *   theirs (a `provisioning` row becomes ready when its instance is recorded);
 * - a launch's instance is recorded `ready` when a fresh heartbeat already arrived, else `booting`;
 * - an observed live instance: `ready` without a fresh heartbeat → `unreachable`; `unreachable` with one →
 *   `ready` ("heartbeat resumed"); any other status with one → `ready`, without one → `booting`, whose reason
 *   follows the instance's state (a `booting` row whose reason is already that one needs no write).
 * Termination (`desired_state = 'terminated'`), vanished instances and failures are steps of their own.
 * @returns the change to record, or null when the status stays as it is.
 */
export function nextNodeStatus(facts: NodeStatusFacts): NodeStatusChange | null {
  const { status, event } = facts;
  if (event.kind === 'heartbeat') {
    return status === 'booting' || status === 'unreachable'
      ? { status: 'ready', reason: 'heartbeat received' }
      : null;
  }
  const last = facts.lastHeartbeatAt;
  const fresh = heartbeatFresh(last, facts.now, facts.heartbeatTimeoutMs);
  const { instance } = event;
  if (event.kind === 'launched') {
    return fresh
      ? { status: 'ready', reason: `instance ${instance.id} ${instance.state}` }
      : booting(instance);
  }
  if (status === 'ready') {
    if (fresh) return null;
    const age = last === null ? 'ever' : `${facts.now - last} ms`;
    return {
      status: 'unreachable',
      reason: `no heartbeat for ${age} (timeout ${facts.heartbeatTimeoutMs} ms)`,
    };
  }
  if (status === 'unreachable') return fresh ? { status: 'ready', reason: 'heartbeat resumed' } : null;
  if (fresh) return { status: 'ready', reason: 'heartbeat received' };
  return booting(instance);
}

/** A launched instance without a heartbeat yet: the reason follows the instance's state (pending → running). */
function booting(instance: ObservedInstance): NodeStatusChange {
  return {
    status: 'booting',
    reason: `instance ${instance.id} ${instance.state}; waiting for the first heartbeat`,
  };
}
