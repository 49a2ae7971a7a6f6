import type { ModelSpec } from './model-spec.js';
import { lossAndGradient, predictLabels } from './network.js';
import type { Rows } from './rows.js';

/** Metrics of a model on some rows: data loss (no regularisers) and, for classifiers, accuracy in [0, 1]. */
export interface ModelMetrics {
  /** Mean log-loss (binary), cross-entropy (multiclass) or squared error (regression). */
  loss: number;
  /** Fraction of rows whose predicted label equals y; null for regression. */
  accuracy: number | null;
}

/** Evaluates `weights` on `rows` (already standardised, like the training rows). */
export function evaluateModel(spec: ModelSpec, weights: Float64Array, rows: Rows): ModelMetrics {
  const loss =
    rows.n > 0 ? lossAndGradient(spec, weights, rows, new Float64Array(weights.length)) : Number.NaN;
  if (spec.head === 'regression') return { loss, accuracy: null };
  const labels = predictLabels(spec, weights, rows);
  let correct = 0;
  for (let r = 0; r < rows.n; r++) if (labels[r] === rows.y[r]) correct++;
  return { loss, accuracy: rows.n > 0 ? correct / rows.n : Number.NaN };
}
