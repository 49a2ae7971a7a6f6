import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { perRegistry } from './per-registry.js';

/** `ok`, or `error` (wrong arity or type, model not found, runtime failure). */
export type PredictOutcome = 'ok' | 'error';

export interface PredictMetrics {
  /** `infrabase_predict_calls_total{model,outcome}`: ONNX session runs (one per batch). */
  readonly calls: Counter<'model' | 'outcome'>;
  /** `infrabase_predict_rows_total{model}`: rows scored. */
  readonly rows: Counter<'model'>;
  /** `infrabase_predict_duration_seconds{model}`: time of one session run, seconds. */
  readonly duration: Histogram<'model'>;
}

/**
 * Declares the PREDICT metrics on `registry`. The `model` label is the model *name* (never the version or
 * input values), which keeps cardinality at the number of registered models.
 */
export function predictMetrics(registry: Registry): PredictMetrics {
  return perRegistry(registry, 'predict', () => ({
    calls: new Counter({
      name: 'infrabase_predict_calls_total',
      help: 'ONNX session runs made for PREDICT, PREDICT_PROBA and PREDICT_JSON, by model name and outcome.',
      labelNames: ['model', 'outcome'] as const,
      registers: [registry],
    }),
    rows: new Counter({
      name: 'infrabase_predict_rows_total',
      help: 'Rows scored by PREDICT functions, by model name.',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'infrabase_predict_duration_seconds',
      help: 'Duration of one ONNX session run in seconds, by model name.',
      labelNames: ['model'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  }));
}
