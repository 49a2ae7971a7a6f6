import type { Registry } from 'prom-client';
import { compiledPath, SqlPool, type SqlPoolOptions } from '../../engine/index.js';
import { SqlPoolMetrics } from '../../metrics/index.js';
import type { SqlWorkerSettings, WorkerPredictSettings } from '../../ml/index.js';

/** The control plane's SQL worker plug-in (compiled sql-worker-plugin.js), imported by every worker of a {@link userSqlPool}. */
export const SQL_WORKER_PLUGIN = compiledPath(import.meta.url, './sql-worker-plugin.js');

export interface UserSqlPoolOptions extends Omit<SqlPoolOptions, 'plugin' | 'observer'> {
  /**
   * Where to count statements (`infrabase_sql_statements_total`, `infrabase_sql_statement_duration_seconds`)
   * and the workers' PREDICT usage (`infrabase_predict_*`); omit for no metrics.
   */
  registry?: Registry;
  /** PREDICT's settings in the workers (the config's `predict` section); default ml's defaults and no memory limit. */
  predict?: WorkerPredictSettings;
}

/**
 * The engine's SQL pool composed for the control plane's user SQL: its workers load the control plane's
 * plug-in (ml's PREDICT plug-in and the Postgres catalog handler, `predict` applied in each worker), and its
 * statements and the workers' PREDICT usage are counted on `registry`.
 */
export function userSqlPool(options: UserSqlPoolOptions): SqlPool {
  const { registry, predict, ...pool } = options;
  const settings: SqlWorkerSettings = predict ? { predict } : {};
  return new SqlPool({
    ...pool,
    plugin: { module: SQL_WORKER_PLUGIN, settings },
    ...(registry ? { observer: new SqlPoolMetrics(registry) } : {}),
  });
}
