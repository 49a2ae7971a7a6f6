/** The rows of the distributed-table catalog as the data layer reads them (docs/distributed-tables.md). */
import type { Database } from 'better-sqlite3';
import type { MoveKind, MoveState, PlacementRole, PlacementState } from '../catalog/distributed.js';
import { InfrabaseError } from '../errors.js';
import type { ColumnSpec, DistributedTable } from './types.js';

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

/** The columns of `sys_shards` as a {@link ShardRow}. */
const SHARD_COLUMNS =
  'colocation_group AS colocationGroup, shard, region, hash_min AS hashMin, hash_max AS hashMax, epoch, lsn';

/**
 * Reads of the distributed-table catalog (`sys_distributed_tables`, `sys_shards`, `sys_placements`,
 * `sys_shard_moves`, `sys_shard_status`). Writes go through its subclass {@link DistributedStore}, their one writer.
 */
export class DistributedCatalogReader {
  constructor(protected readonly db: Database) {}

  /** Tables by lower-cased name (dropping ones included; see `status`). */
  tables(): Map<string, TableRow> {
    const rows = this.db
      .prepare(
        `SELECT name, kind, columns, shard_key, shard_count, replication_factor, region_column, regions,
                colocation_group, status FROM sys_distributed_tables ORDER BY name`,
      )
      .all() as Record<string, unknown>[];
    return new Map(
      rows.map((r) => [
        String(r.name).toLowerCase(),
        {
          name: String(r.name),
          kind: r.kind as 'distributed' | 'reference',
          shardKey: (r.shard_key as string | null) ?? '_row',
          shardCount: Number(r.shard_count),
          colocationGroup: String(r.colocation_group),
          columns: [
            { name: '_row', type: 'INTEGER' },
            ...(JSON.parse(String(r.columns)) as ColumnSpec[]),
          ] as ColumnSpec[],
          replicationFactor: Number(r.replication_factor),
          regionColumn: (r.region_column as string | null) ?? null,
          regions: r.regions ? (JSON.parse(String(r.regions)) as string[]) : null,
          status: r.status as 'active' | 'dropping',
        },
      ]),
    );
  }

  /** Shards of a group (all groups when omitted), ordered by group and shard. */
  shards(group?: string): ShardRow[] {
    return this.db
      .prepare(
        `SELECT ${SHARD_COLUMNS} FROM sys_shards WHERE @g IS NULL OR colocation_group = @g
         ORDER BY colocation_group, shard`,
      )
      .all({ g: group ?? null }) as ShardRow[];
  }

  /** One shard. @throws InfrabaseError('NOT_FOUND') when it does not exist. */
  shard(group: string, shard: number): ShardRow {
    const row = this.db
      .prepare(`SELECT ${SHARD_COLUMNS} FROM sys_shards WHERE colocation_group = ? AND shard = ?`)
      .get(group, shard) as ShardRow | undefined;
    if (!row)
      throw new InfrabaseError('NOT_FOUND', `shard ${shard} of colocation group '${group}' does not exist`);
    return row;
  }

  /** Placements, optionally of one group / shard, ordered by group, shard, primary first, node. */
  placements(group?: string, shard?: number): PlacementRow[] {
    return this.db
      .prepare(
        `SELECT colocation_group AS colocationGroup, shard, node_id AS nodeId, role, state,
                state_reason AS stateReason, epoch, rows, bytes, checksum FROM sys_placements
         WHERE (@g IS NULL OR colocation_group = @g) AND (@s IS NULL OR shard = @s)
         ORDER BY colocation_group, shard, role = 'replica', node_id`,
      )
      .all({ g: group ?? null, s: shard ?? null }) as PlacementRow[];
  }

  /** The in-sync placements of a shard, primary first. */
  inSync(group: string, shard: number): PlacementRow[] {
    return this.placements(group, shard).filter((p) => p.state === 'in_sync');
  }

  /** Moves that are neither done nor failed, oldest first. */
  activeMoves(): MoveRow[] {
    return this.moves("state NOT IN ('done', 'failed')");
  }

  /** One move. @throws InfrabaseError('NOT_FOUND'). */
  move(id: number): MoveRow {
    const [m] = this.moves('id = ?', id);
    if (!m) throw new InfrabaseError('NOT_FOUND', `shard move ${id} does not exist`);
    return m;
  }

  protected moves(where: string, ...params: unknown[]): MoveRow[] {
    return this.db
      .prepare(
        `SELECT id, colocation_group AS colocationGroup, shard, kind, source_node AS sourceNode,
                target_node AS targetNode, state, reason, bytes, snapshot_lsn AS snapshotLsn, copy_ms AS copyMs
         FROM sys_shard_moves WHERE ${where} ORDER BY id`,
      )
      .all(...params) as MoveRow[];
  }

  /** Tables whose `create_table` has not yet been applied on every shard of their group. */
  tablesWithoutSchema(): string[] {
    return (
      this.db
        .prepare(
          "SELECT name FROM sys_distributed_tables WHERE schema_applied = 0 AND status = 'active' ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
  }

  /**
   * How far a new table's placement is: whether every shard of its group has the table (`markSchemaApplied`),
   * and how many of its group's shards have no available in-sync placement (`sys_shard_status`). A table that
   * does not exist reports `schemaApplied: false`.
   */
  placementProgress(table: string): { schemaApplied: boolean; unavailableShards: number } {
    const row = this.db
      .prepare(
        `SELECT t.schema_applied AS applied,
                (SELECT count(*) FROM sys_shard_status s
                  WHERE s.colocation_group = t.colocation_group AND s.status = 'unavailable') AS unavailable
         FROM sys_distributed_tables t WHERE t.name = ?`,
      )
      .get(table) as { applied: number; unavailable: number } | undefined;
    return { schemaApplied: row?.applied === 1, unavailableShards: row?.unavailable ?? 0 };
  }
}
