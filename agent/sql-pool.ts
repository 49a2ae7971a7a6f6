import type { Registry } from 'prom-client';
import { SqlPool, type SqlPoolOptions } from '../engine/index.js';
import { SqlPoolMetrics } from '../metrics/index.js';
import { PREDICT_WORKER_PLUGIN, type SqlWorkerSettings, type WorkerPredictSettings } from '../ml/index.js';

export interface AgentSqlPoolOptions extends Omit<SqlPoolOptions, 'plugin' | 'observer'> {
  /** Where the statements and the workers' PREDICT usage are counted (the agent's `/metrics` registry). */
  readonly registry: Registry;
  /** PREDICT's settings in the workers; default ml's defaults and no memory limit. */
  readonly predict?: WorkerPredictSettings;
}

/**
 * The engine's SQL pool composed for an agent's user SQL: its workers load ml's PREDICT plug-in (PREDICT and
 * the sys_models functions on each connection, `predict` applied in each worker), and its statements and the
 * workers' PREDICT usage are counted on `registry`.
 */
export function agentSqlPool(options: AgentSqlPoolOptions): SqlPool {
  const { registry, predict, ...pool } = options;
  const settings: SqlWorkerSettings = predict ? { predict } : {};
  return new SqlPool({
    ...pool,
    plugin: { module: PREDICT_WORKER_PLUGIN, settings },
    observer: new SqlPoolMetrics(registry),
  });
}
