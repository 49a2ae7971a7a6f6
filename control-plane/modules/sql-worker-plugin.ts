/**
 * The SQL worker plug-in of the control plane's and the agents' SQL pools (engine/sql-pool/worker-plugin.ts),
 * imported by each worker process as it starts: ml's PREDICT and the sys_models functions on the connection,
 * the Postgres catalog emulation as a statement handler, PREDICT usage as the usage report, and the
 * configuration's `predict` settings applied in the worker. Workers import this file, so it must stay free of
 * process state.
 */
import { InfrabaseError, type SqlWorkerPlugin } from '../../engine/index.js';
import { limitWorkerMemory, setModelLimits, setNativeBatching, takePredictUsage } from '../../ml/index.js';
import { type CatalogContext, PG_CATALOG_HANDLER, runCatalogStatement } from '../pg/catalog/index.js';
import { userSqlExtensions } from './extensions.js';

/** What a SQL worker is told at fork about PREDICT: the configuration's `predict` section. */
export interface WorkerPredictSettings {
  /** Largest tensor a model may hold, declare or output, bytes (`predict.maxTensorBytes`). */
  readonly maxTensorBytes: number;
  /** RLIMIT_DATA of the worker process, bytes; 0 for none (`predict.workerMemoryBytes`). */
  readonly workerMemoryBytes: number;
  /** Batch PREDICT in the native extension when it was built (`predict.nativeBatching`). */
  readonly nativeBatching: boolean;
}

/** The plug-in's settings (`WorkerPluginRef.settings`). */
export interface SqlWorkerSettings {
  /** PREDICT's settings in the worker; none: ml's defaults (tensor limit, native batching), no memory limit. */
  readonly predict?: WorkerPredictSettings;
}

const plugin: SqlWorkerPlugin = {
  configure(settings: unknown): void {
    if (settings === undefined) return;
    const predict = (settings as SqlWorkerSettings | null)?.predict;
    if (
      typeof settings !== 'object' ||
      settings === null ||
      (predict !== undefined && typeof predict !== 'object')
    ) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `SQL worker settings ${JSON.stringify(settings)} are not accepted; accepted: { predict?: { maxTensorBytes, workerMemoryBytes, nativeBatching } }`,
      );
    }
    if (!predict) return;
    setModelLimits({ maxTensorBytes: predict.maxTensorBytes });
    setNativeBatching(predict.nativeBatching !== false);
    limitWorkerMemory(predict.workerMemoryBytes);
  },
  extensions: userSqlExtensions,
  handlers: {
    [PG_CATALOG_HANDLER]: (db, statement, context) =>
      runCatalogStatement(db, statement.sql, statement.params, context as CatalogContext, statement.mode),
  },
  takeUsage(db) {
    const usage = takePredictUsage(db);
    return usage.length > 0 ? usage : undefined;
  },
};

export default plugin;
