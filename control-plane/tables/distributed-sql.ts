import { InfrabaseError, planSqlWrite, type ShardCoordinator } from '../../engine/index.js';
import type { SqlWriteRouter } from '../service.js';

/**
 * `POST /v1/sql` (and Postgres) writes of distributed tables, run by the data layer (engine's
 * {@link planSqlWrite}: routed INSERTs, UPDATE/DELETE through each shard's primary, DROP TABLE); every other
 * statement is left to the SQL worker pool.
 * @throws InfrabaseError('PERMISSION_DENIED') for the read token; errors of the write path as they come.
 */
export function distributedSqlWrites(coordinator: () => ShardCoordinator | undefined): SqlWriteRouter {
  return async (sql, params, admin) => {
    const c = coordinator();
    const write = c && planSqlWrite(c, sql, params);
    if (!write) return undefined;
    if (!admin) {
      throw new InfrabaseError(
        'PERMISSION_DENIED',
        `writing distributed table ${write.table} needs the admin token`,
      );
    }
    return write.execute();
  };
}
