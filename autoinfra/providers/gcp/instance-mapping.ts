import type { protos } from '@google-cloud/compute';
import { type Instance, type InstanceState, OWNERSHIP_TAGS } from '../../provider.js';
import { instanceIdOf } from './naming.js';

type GceInstance = protos.google.cloud.compute.v1.IInstance;

/**
 * GCE status → the normalised lifecycle: PROVISIONING / STAGING → pending; RUNNING → running; STOPPING,
 * SUSPENDING, SUSPENDED, REPAIRING → stopping; TERMINATED (GCE's word for *stopped*: the instance and its
 * disk still exist and can be deleted) → terminated.
 */
export function toInstanceState(status: string | null | undefined): InstanceState {
  switch (status) {
    case 'PROVISIONING':
    case 'STAGING':
    case 'PENDING':
      return 'pending';
    case 'RUNNING':
      return 'running';
    case 'TERMINATED':
      return 'terminated';
    default:
      return 'stopping';
  }
}

/** The last path segment of a GCE URL (`…/zones/us-central1-a` → `us-central1-a`). */
export function lastSegment(url: string | null | undefined): string | undefined {
  return url ? url.split('/').pop() : undefined;
}

/** An SDK `Instance` as infrabase sees it; ownership comes from the `infrabase-cluster` / `infrabase-node` labels. */
export function toInstance(i: GceInstance): Instance {
  const zone = lastSegment(i.zone) ?? '';
  const nic = i.networkInterfaces?.[0];
  const created = i.creationTimestamp ? Date.parse(i.creationTimestamp) : Number.NaN;
  return {
    id: instanceIdOf(zone, i.name ?? ''),
    nodeId: i.labels?.[OWNERSHIP_TAGS.node] ?? undefined,
    clusterId: i.labels?.[OWNERSHIP_TAGS.cluster] ?? undefined,
    state: toInstanceState(i.status as string | undefined),
    zone,
    instanceType: lastSegment(i.machineType),
    privateIp: nic?.networkIP ?? undefined,
    publicIp: nic?.accessConfigs?.[0]?.natIP ?? undefined,
    launchedAt: Number.isNaN(created) ? undefined : created,
  };
}
