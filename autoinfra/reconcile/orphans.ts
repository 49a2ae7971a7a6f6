import type { NodeRow } from '../nodes/index.js';
import { type Instance, OWNERSHIP_TAGS } from '../provider.js';

/** Why an instance is an orphan. */
export type OrphanReason = 'no-row' | 'row-terminated' | 'row-points-elsewhere';

export interface Orphan {
  readonly instance: Instance;
  readonly reason: OrphanReason;
}

export interface OrphanPlanInput {
  readonly clusterId: string;
  /** Instances from `listOwned`, checked again here. */
  readonly instances: readonly Instance[];
  /** Rows of `sys_nodes` for the same provider, by id. */
  readonly rows: ReadonlyMap<string, Pick<NodeRow, 'instance_id' | 'idempotency_token' | 'status'>>;
  /** When each instance was first seen by this collector (ms), for instances without `launchedAt`. */
  readonly firstSeen: ReadonlyMap<string, number>;
  readonly now: number;
  readonly gracePeriodMs: number;
}

/**
 * Decides which instances to terminate. An instance is an orphan when it carries this cluster's ownership tag
 * and a node tag, is not terminated, is older than the grace period (by `launchedAt`, else first sighting),
 * and its row is missing, terminated, or points at another instance while not mid-launch (a row with a token
 * and no instance id may still be waiting for this very instance). Untagged or foreign instances are never
 * returned. Pure.
 */
export function planOrphans(input: OrphanPlanInput): Orphan[] {
  const out: Orphan[] = [];
  for (const inst of input.instances) {
    if (inst.clusterId !== input.clusterId || !inst.nodeId) continue;
    if (inst.state === 'terminated') continue;
    const born = inst.launchedAt ?? input.firstSeen.get(inst.id) ?? input.now;
    if (input.now - born < input.gracePeriodMs) continue;
    const row = input.rows.get(inst.nodeId);
    let reason: OrphanReason | undefined;
    if (!row) reason = 'no-row';
    else if (row.status === 'terminated') reason = 'row-terminated';
    else if (row.instance_id !== null && row.instance_id !== inst.id) reason = 'row-points-elsewhere';
    else if (row.instance_id === null && row.idempotency_token === null) reason = 'row-points-elsewhere';
    if (reason) out.push({ instance: inst, reason });
  }
  return out;
}

/** The ownership tags an instance of `clusterId` for `nodeId` carries. */
export function ownershipTags(clusterId: string, nodeId: string): Record<string, string> {
  return { [OWNERSHIP_TAGS.cluster]: clusterId, [OWNERSHIP_TAGS.node]: nodeId };
}
