import { classifyWrite, InfrabaseError, type ShardCoordinator } from '../../engine/index.js';
import type { SqlWriteRouter } from '../service.js';

/**
 * `POST /v1/sql` writes of distributed tables (see {@link classifyWrite}): `INSERT … VALUES` is evaluated once
 * on the control plane and routed by shard key with ids from the table's `next_row`; `UPDATE`/`DELETE` are
 * evaluated on each shard's primary into row images applied to every in-sync copy. `changes` is the number
 * of rows written. `DROP TABLE` of a distributed table marks it `dropping` (`sys_distributed_tables` DELETE):
 * the data layer removes its placements from the agents, then its rows. Every other statement is left to the SQL worker pool.
 * @throws InfrabaseError('PERMISSION_DENIED') for the read token; errors of the write path as they come.
 */
export function distributedSqlWrites(coordinator: () => ShardCoordinator | undefined): SqlWriteRouter {
  return async (sql, params, admin) => {
    const c = coordinator();
    if (!c) return undefined;
    const tables = [...c.tables().values()];
    const write = classifyWrite(tables as Parameters<typeof classifyWrite>[0], sql, params);
    if (!write) return undefined;
    if (!admin) {
      throw new InfrabaseError(
        'PERMISSION_DENIED',
        `writing distributed table ${write.table} needs the admin token`,
      );
    }
    if (Array.isArray(params) === false && write.kind === 'modify' && Object.keys(params).length > 0) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        'UPDATE/DELETE of a distributed table takes positional parameters (an array)',
      );
    }
    if (write.kind === 'drop') {
      // The catalog's finalizer marks it `dropping`; the data layer deletes the placements, then the row.
      return { changes: c.dropTable(write.table) };
    }
    const r =
      write.kind === 'insert'
        ? await c.insert(write.table, write.columns, write.rows)
        : await c.modify(write.table, sql, Array.isArray(params) ? params : []);
    return { changes: r.rows };
  };
}
