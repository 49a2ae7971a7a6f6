/**
 * The SQL worker plug-in for PREDICT (engine/sql-pool/worker-plugin.ts), imported by each worker process of a
 * pool that runs user SQL, on the control plane and on the agents: PREDICT, PREDICT_PROBA, PREDICT_JSON and
 * the sys_models functions on the connection, PREDICT usage as the usage report, and the `predict` settings
 * applied in the worker. Workers import this file, so it must stay free of process state.
 */
import { compiledPath, InfrabaseError, type SqlWorkerPlugin } from '../../engine/index.js';
import { setModelLimits } from '../onnx/index.js';
import { limitWorkerMemory } from '../runtime/index.js';
import { mlExtension, takePredictUsage } from './extension.js';
import { setNativeBatching } from './native/index.js';

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

/** This module's compiled path, for a pool's `plugin.module`. */
export const PREDICT_WORKER_PLUGIN = compiledPath(import.meta.url, './sql-worker-plugin.js');

/** The PREDICT plug-in; a program that adds statement handlers spreads it into a plug-in of its own. */
export const predictWorkerPlugin: SqlWorkerPlugin = {
  /** Applies {@link SqlWorkerSettings}; throws INVALID_ARGUMENT naming the accepted shape for anything else. */
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
  extensions: () => [mlExtension],
  takeUsage(db) {
    const usage = takePredictUsage(db);
    return usage.length > 0 ? usage : undefined;
  },
};

export default predictWorkerPlugin;
