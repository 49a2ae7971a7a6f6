/** The rows of the distributed-table catalog as the data layer reads them (docs/distributed-tables.md). */
import type { MoveKind, MoveState, PlacementRole, PlacementState } from '../catalog/distributed.js';
import type { DistributedTable } from './types.js';

/** A row of `sys_distributed_tables` as the data layer uses it. */
export interface TableRow extends DistributedTable {
  readonly replicationFactor: number;
  readonly regionColumn: string | null;
  /** Regions of a pinned table, in shard order (shards r·shardCount … (r+1)·shardCount − 1 are regions[r]). */
  readonly regions: readonly string[] | null;
  readonly status: 'active' | 'dropping';
}

/** A row of `sys_shards`. */
export interface ShardRow {
  readonly colocationGroup: string;
  readonly shard: number;
  readonly region: string | null;
  readonly hashMin: number;
  readonly hashMax: number;
  readonly epoch: number;
  readonly lsn: number;
}

/** A row of `sys_placements`. */
export interface PlacementRow {
  readonly colocationGroup: string;
  readonly shard: number;
  readonly nodeId: string;
  readonly role: PlacementRole;
  readonly state: PlacementState;
  readonly stateReason: string | null;
  readonly epoch: number;
  readonly rows: number | null;
  readonly bytes: number | null;
  readonly checksum: string | null;
}

/** A row of `sys_shard_moves`. */
export interface MoveRow {
  readonly id: number;
  readonly colocationGroup: string;
  readonly shard: number;
  readonly kind: MoveKind;
  readonly sourceNode: string | null;
  readonly targetNode: string;
  readonly state: MoveState;
  readonly reason: string | null;
  readonly bytes: number | null;
  readonly snapshotLsn: number | null;
  /** Wall time of the snapshot copy, ms (NULL until copied). */
  readonly copyMs: number | null;
}

/** Health of a shard from its in-sync placements (docs/distributed-tables.md, "Unavailable shards"). Pure. */
export function shardStatus(
  inSync: number,
  replicationFactor: number,
): 'available' | 'under_replicated' | 'unavailable' {
  if (inSync === 0) return 'unavailable';
  return inSync < replicationFactor ? 'under_replicated' : 'available';
}
