import type { Database } from 'better-sqlite3';
import { changeLogSchema } from './catalog/change-log.js';
import { distributedSchema } from './catalog/distributed.js';
import { distributedMovesSchema } from './catalog/distributed-moves.js';
import { metricsSchema } from './catalog/metrics.js';
import { metricsTsIndexSchema } from './catalog/metrics-index.js';
import { metricsRollupSchema } from './catalog/metrics-rollup.js';
import { modelsSchema } from './catalog/models.js';
import { modelsRowIndependenceSchema } from './catalog/models-row-independence.js';
import { nodesSchema } from './catalog/nodes.js';
import { nodesGuardsSchema } from './catalog/nodes-guards.js';
import { nodesLaunchSchema } from './catalog/nodes-launch.js';
import { nodesMeshSchema } from './catalog/nodes-mesh.js';
import { scalingSchema } from './catalog/scaling.js';
import { tablesSchema } from './catalog/tables.js';
import { trainingSchema } from './catalog/training.js';
import { InfrabaseError } from './errors.js';

/** One numbered schema change. Versions are consecutive from 1 and recorded in `PRAGMA user_version`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The catalog's history. Append only: never edit a migration that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'system catalog',
    sql: [nodesSchema, modelsSchema, metricsSchema, scalingSchema, trainingSchema, changeLogSchema].join(
      '\n',
    ),
  },
  { version: 2, name: 'metrics rollups and latest view', sql: metricsRollupSchema },
  { version: 3, name: 'sharded tables and training standardisation', sql: tablesSchema },
  { version: 4, name: 'WireGuard endpoint and key rotation columns of sys_nodes', sql: nodesMeshSchema },
  { version: 5, name: 'sys_metrics indexed by (ts) only', sql: metricsTsIndexSchema },
  { version: 6, name: 'sys_nodes.launched_at for join token expiry', sql: nodesLaunchSchema },
  {
    version: 7,
    name: 'sys_nodes guards (observed columns, provider of a launched row), agent_port',
    sql: nodesGuardsSchema,
  },
  { version: 8, name: 'sys_models.row_independent from the import probe', sql: modelsRowIndependenceSchema },
  {
    version: 9,
    name: 'distributed tables: shards, placements, moves',
    sql: distributedSchema,
  },
  { version: 10, name: 'sys_shard_moves.copy_ms and copy_mb_per_s', sql: distributedMovesSchema },
];

/** The schema version this build expects. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Applies every migration newer than the database's `user_version`, each in its own IMMEDIATE transaction,
 * so concurrent migrators serialise and a crash leaves the database at a whole version. Idempotent.
 *
 * @returns the versions applied (empty when already current).
 * @throws InfrabaseError `CONFLICT` when the database is newer than this build.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = [];
  for (const m of migrations) {
    const step = db.transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current >= m.version) return false;
      if (current !== m.version - 1) {
        throw new InfrabaseError(
          'CONFLICT',
          `cannot apply migration ${m.version} to schema version ${current}`,
        );
      }
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    if (step.immediate()) applied.push(m.version);
  }
  const final = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  if (final > newest) {
    throw new InfrabaseError(
      'CONFLICT',
      `database schema version ${final} is newer than this infrabase build (${newest}); upgrade infrabase`,
    );
  }
  return applied;
}
