import { InfrabaseError } from '../errors.js';
import type { ShardCoordinator } from './coordinator.js';
import { classifyWrite, type DistributedWrite } from './write-statement.js';

/** A SQL statement found to write a distributed table (see {@link planSqlWrite}), not yet run. */
export interface SqlWritePlan {
  readonly kind: DistributedWrite['kind'];
  /** The table written, as the catalog names it. */
  readonly table: string;
  /**
   * Runs the write. @returns `changes`: rows written (1 for a `DROP TABLE`).
   * @throws InfrabaseError('INVALID_ARGUMENT') for an UPDATE/DELETE given named parameters; errors of the
   *   write path as they come (`UNAVAILABLE` naming table and shards, `NOT_FOUND`, a constraint).
   */
  execute(): Promise<{ changes: number }>;
}

/**
 * How a SQL statement that writes a distributed table runs (see {@link classifyWrite}, which reads SQLite's
 * report, not the text): `INSERT … VALUES` is evaluated once on the control plane and routed by shard key
 * with ids from the table's `next_row`; `UPDATE`/`DELETE` are evaluated on each shard's primary into row
 * images applied to every in-sync copy; `DROP TABLE` marks the table `dropping` (`DistributedStore.requestDrop`)
 * and the data layer removes its placements from the agents, then its rows.
 * @returns undefined for any other statement (left to the SQL worker pool).
 */
export function planSqlWrite(
  c: ShardCoordinator,
  sql: string,
  params: readonly unknown[] | Record<string, unknown>,
): SqlWritePlan | undefined {
  const write = classifyWrite([...c.tables().values()], sql, params);
  if (!write) return undefined;
  const positional = Array.isArray(params) ? (params as readonly unknown[]) : undefined;
  const execute = async (): Promise<{ changes: number }> => {
    if (write.kind === 'drop') return { changes: c.dropTable(write.table) };
    if (write.kind === 'insert')
      return { changes: (await c.insert(write.table, write.columns, write.rows)).rows };
    if (!positional && Object.keys(params).length > 0) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        'UPDATE/DELETE of a distributed table takes positional parameters (an array)',
      );
    }
    return { changes: (await c.modify(write.table, sql, positional ?? [])).rows };
  };
  return { kind: write.kind, table: write.table, execute };
}
