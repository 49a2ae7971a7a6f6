/** PREDICT, PREDICT_PROBA and PREDICT_JSON: ONNX models from sys_models scored inside SQL, in batches. */
export { BatchState } from './batch-state.js';
export { evaluateRow, type PredictKind, type SqlValue } from './evaluate.js';
export { mlExtension, predictStats, syncModels } from './extension.js';
export type { PredictStats } from './functions.js';
export { MAX_CHUNK_ROWS, scoreRows } from './tensors.js';
