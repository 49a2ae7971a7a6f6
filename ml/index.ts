/**
 * Machine learning inside the database: ONNX models as sys_models rows, scored by PREDICT in SQL.
 */

export * from './export/index.js';
export * from './federated/index.js';
export * from './onnx/index.js';
export * from './predict/index.js';
export * from './registry/index.js';
export * from './runtime/index.js';
export * from './training/index.js';
