import { InfrabaseError, seededRandom } from '../../engine/index.js';
import { evaluateModel, type ModelMetrics } from './evaluate.js';
import { shuffleInPlace } from './initialization.js';
import { type ModelSpec, parameterCount } from './model-spec.js';
import { lossAndGradient } from './network.js';
import { createOptimizer, type OptimizerName } from './optimizers.js';
import { type Rows, validateRows } from './rows.js';
import { type Standardization, standardizeRows } from './standardization.js';

export interface TrainLocalOptions {
  model: ModelSpec;
  /** Starting weights in the flat layout (the global model); not modified. */
  weights: Float64Array;
  /** The shard's rows, raw or standardised (see `standardization`). */
  rows: Rows;
  /** Passes over the rows (≥ 1). */
  epochs: number;
  /** Rows per mini-batch (≥ 1; the last batch of an epoch may be smaller). */
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** SGD only: heavy-ball momentum in [0, 1). */
  momentum?: number;
  /** L2 penalty λ on weight matrices. */
  l2?: number;
  /** FedProx μ ≥ 0: adds μ/2·‖w − weights‖² to the local objective, anchoring at the starting weights. */
  mu?: number;
  /** Seeds the per-epoch shuffles. */
  seed: number;
  /** When given, rows are standardised with it before training (statistics from {@link mergeMoments}). */
  standardization?: Standardization;
}

export interface TrainLocalResult {
  /** The updated weights, a new vector in the flat layout. */
  weights: Float64Array;
  /** Rows trained on (the weight of this update in FedAvg). */
  examples: number;
  /** Loss and accuracy of the updated weights on the local rows. */
  metrics: ModelMetrics;
}

function positiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new InfrabaseError('INVALID_ARGUMENT', `${name} must be an integer >= 1, got ${v}`);
  }
}

/**
 * Trains the model on one shard's rows with seeded mini-batch SGD (optionally with momentum) or Adam, as a
 * FedAvg client does (McMahan et al. 2017, arXiv:1602.05629, ClientUpdate), optionally with FedProx's
 * proximal term (Li et al. 2020, arXiv:1812.06127).
 * @throws InfrabaseError('INVALID_ARGUMENT') for weights of the wrong length, rows that do not fit the model,
 *   epochs or batch size < 1, μ < 0, or a bad optimizer setting.
 * @example
 * const { weights, examples, metrics } = trainLocal({ model: modelSpec({ type: 'logistic', features: 7 }),
 *   weights: global, rows, epochs: 1, batchSize: 32, learningRate: 0.1, optimizer: 'sgd', seed: 1 });
 */
export function trainLocal(options: TrainLocalOptions): TrainLocalResult {
  const { model, epochs, batchSize, seed } = options;
  const size = parameterCount(model);
  if (options.weights.length !== size) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `weights have ${options.weights.length} parameters but this ${model.type} model has ${size}`,
    );
  }
  positiveInteger('epochs', epochs);
  positiveInteger('batch size', batchSize);
  const mu = options.mu ?? 0;
  if (!(mu >= 0)) throw new InfrabaseError('INVALID_ARGUMENT', `FedProx mu must be >= 0, got ${mu}`);
  validateRows(model, options.rows);
  const rows = options.standardization
    ? standardizeRows(options.rows, options.standardization)
    : options.rows;
  const optimizer = createOptimizer(
    { name: options.optimizer, learningRate: options.learningRate, momentum: options.momentum },
    size,
  );
  const anchor = Float64Array.from(options.weights);
  const weights = Float64Array.from(options.weights);
  const grad = new Float64Array(size);
  const reg = { l2: options.l2, mu, anchor };
  const order = new Uint32Array(rows.n);
  for (let i = 0; i < rows.n; i++) order[i] = i;
  const random = seededRandom(seed);
  for (let e = 0; e < epochs; e++) {
    shuffleInPlace(order, random);
    for (let start = 0; start < rows.n; start += batchSize) {
      const batch = order.subarray(start, Math.min(rows.n, start + batchSize));
      lossAndGradient(model, weights, rows, grad, reg, batch);
      optimizer.step(weights, grad);
    }
  }
  return { weights, examples: rows.n, metrics: evaluateModel(model, weights, rows) };
}
