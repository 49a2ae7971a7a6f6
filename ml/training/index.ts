/**
 * Local training: the dense models behind `sys_training_jobs.model_type` (logistic, softmax, linear, mlp) on
 * one flat Float64Array of parameters, their analytic gradients, SGD/Adam, federated standardisation
 * statistics and `trainLocal`, the work a data node does in one federated round.
 */
export { evaluateModel, type ModelMetrics } from './evaluate.js';
export { initialWeights } from './initialization.js';
export {
  type LayerSlice,
  layerSlices,
  MODEL_TYPES,
  type ModelHead,
  type ModelSpec,
  type ModelSpecOptions,
  type ModelType,
  modelSpec,
  outputWidth,
  parameterCount,
} from './model-spec.js';
export { lossAndGradient, meanLoss, predictLabels, predictOutputs, type Regularization } from './network.js';
export { createOptimizer, type Optimizer, type OptimizerName, type OptimizerOptions } from './optimizers.js';
export { type Rows, validateRows } from './rows.js';
export {
  type FeatureMoments,
  featureMoments,
  mergeMoments,
  type Standardization,
  standardizationFromMoments,
  standardizeRows,
} from './standardization.js';
export { type TrainLocalOptions, type TrainLocalResult, trainLocal } from './train-local.js';
