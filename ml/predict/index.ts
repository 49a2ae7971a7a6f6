/** PREDICT, PREDICT_PROBA and PREDICT_JSON: ONNX models from sys_models scored inside SQL, in batches. */
export { BatchState } from './batch-state.js';
export { evaluateRow, FUNCTION_NAMES, type PredictKind, type SqlValue } from './evaluate.js';
export { mlExtension, predictBatching, predictStats, syncModels, takePredictUsage } from './extension.js';
export type { PredictStats } from './functions.js';
export { NATIVE_LIBRARY_PATH, setNativeBatching } from './native/index.js';
export { PREDICT_FUNCTIONS, type PredictSyntax, predictModelNames, predictSyntax } from './predict-syntax.js';
export {
  evaluateRowCounted,
  type ModelPredictUsage,
  modelNameOf,
  PREDICT_DURATION_BUCKETS_SECONDS,
  PredictUsage,
} from './predict-usage.js';
export {
  PREDICT_WORKER_PLUGIN,
  predictWorkerPlugin,
  type SqlWorkerSettings,
  type WorkerPredictSettings,
} from './sql-worker-plugin.js';
export { MAX_CHUNK_ROWS, scoreRows } from './tensors.js';
