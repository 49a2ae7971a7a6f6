import { createHash } from 'node:crypto';
import type { Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import type { Instance, InstanceState } from '../../provider.js';
import { OWNERSHIP_TAGS } from '../../provider.js';

/** EC2 instance-state-name → the normalised lifecycle (`shutting-down`, `stopping`, `stopped` → `stopping`). */
export function toInstanceState(name: string | undefined): InstanceState {
  switch (name) {
    case 'pending':
      return 'pending';
    case 'running':
      return 'running';
    case 'terminated':
      return 'terminated';
    default:
      return 'stopping';
  }
}

/** An SDK `Instance` as infrabase sees it; ownership comes from the `infrabase-cluster` / `infrabase-node` tags. */
export function toInstance(i: Ec2Instance): Instance {
  const tag = (key: string) => i.Tags?.find((t) => t.Key === key)?.Value;
  return {
    id: i.InstanceId ?? '',
    nodeId: tag(OWNERSHIP_TAGS.node),
    clusterId: tag(OWNERSHIP_TAGS.cluster),
    state: toInstanceState(i.State?.Name),
    zone: i.Placement?.AvailabilityZone,
    instanceType: i.InstanceType,
    privateIp: i.PrivateIpAddress,
    publicIp: i.PublicIpAddress,
    launchedAt: i.LaunchTime?.getTime(),
  };
}

/**
 * The EC2 `ClientToken` for an idempotency token: the token itself when it is 1–64 printable ASCII
 * characters (EC2's limit), else the first 64 hex digits of its SHA-256 — the same token always gives the
 * same ClientToken.
 */
export function clientTokenFor(token: string): string {
  if (/^[\x21-\x7e]{1,64}$/.test(token)) return token;
  return createHash('sha256').update(token).digest('hex');
}
