import type { NodeProvider, NodeRole } from '../engine/index.js';

/** The desired machine, as read from a `sys_nodes` row (with alternatives already chosen). */
export interface NodeSpec {
  /** `sys_nodes.id`; also the ownership tag's value. */
  readonly nodeId: string;
  readonly provider: NodeProvider;
  readonly region?: string;
  readonly zone?: string;
  readonly instanceType?: string;
  readonly image?: string;
  readonly role: NodeRole;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Boot-time configuration for the agent, in the provider's {@link CloudProvider.bootFormat}; no long-lived
   * secrets. Must be the same bytes for the same launch (EC2 refuses a reused ClientToken with other UserData).
   */
  readonly userData?: string;
}

/**
 * What `NodeSpec.userData` is for a provider: `agent-json` — `{"controlPlaneUrl", "joinToken",
 * "heartbeatIntervalMs"}` JSON, the provider starts the agent itself (local); `cloud-config` — cloud-init
 * user data that installs and starts the agent (EC2 `UserData`); `startup-script` — a shell script that does
 * the same (GCE `startup-script` metadata).
 */
export type BootFormat = 'agent-json' | 'cloud-config' | 'startup-script';

/** Provider-side lifecycle, normalised across clouds. */
export type InstanceState = 'pending' | 'running' | 'stopping' | 'terminated';

/** A machine as the provider sees it. */
export interface Instance {
  readonly id: string;
  /** The `sys_nodes.id` from the ownership tag, if the instance carries one. */
  readonly nodeId?: string;
  /** The cluster id from the ownership tag, if any. */
  readonly clusterId?: string;
  readonly state: InstanceState;
  readonly zone?: string;
  readonly instanceType?: string;
  readonly privateIp?: string;
  readonly publicIp?: string;
  /** Milliseconds since the epoch. */
  readonly launchedAt?: number;
}

/**
 * The narrow contract every cloud implements. Provider error codes are translated into InfrabaseError codes
 * (`THROTTLED`, `INSUFFICIENT_CAPACITY`, `NOT_FOUND`, `INVALID_SPEC`, `UNAVAILABLE`, …) inside the adapter
 * and nowhere else.
 */
export interface CloudProvider {
  readonly name: NodeProvider;
  /** The form `NodeSpec.userData` must take for this provider (the control plane renders it); default `agent-json`. */
  readonly bootFormat?: BootFormat;
  /**
   * Same token ⇒ same instance (EC2 `ClientToken`, GCE `requestId`, the local lock file). Tags the instance
   * as owned by the cluster with the node id.
   */
  create(spec: NodeSpec, token: string, signal: AbortSignal): Promise<Instance>;
  /** Resolves once termination has started; throws InfrabaseError('NOT_FOUND') once it is gone. */
  delete(instanceId: string, signal: AbortSignal): Promise<void>;
  /** @throws InfrabaseError('NOT_FOUND') when no such instance exists (or it is long gone). */
  get(instanceId: string, signal: AbortSignal): Promise<Instance>;
  /** Only instances tagged as owned by this cluster. */
  listOwned(signal: AbortSignal): Promise<Instance[]>;
}

/** Tag/label keys that mark ownership. GCE labels allow only `[a-z0-9_-]`, so the keys stay in that set. */
export const OWNERSHIP_TAGS = {
  cluster: 'infrabase-cluster',
  node: 'infrabase-node',
} as const;
