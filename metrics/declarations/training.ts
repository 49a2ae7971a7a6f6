import { Counter, Histogram, type Registry } from 'prom-client';
import { LONG_DURATION_BUCKETS_SECONDS } from './buckets.js';
import { perRegistry } from './per-registry.js';

/** `ok` (aggregated), `failed` (too few shards answered) or `timeout` (round timeout reached). */
export type TrainingRoundOutcome = 'ok' | 'failed' | 'timeout';

export interface TrainingMetrics {
  /** `infrabase_training_rounds_total{strategy,outcome}`: federated rounds finished. */
  readonly rounds: Counter<'strategy' | 'outcome'>;
  /** `infrabase_training_round_duration_seconds{strategy}`, seconds. */
  readonly duration: Histogram<'strategy'>;
  /** `infrabase_training_shard_updates_total{outcome}`: client updates received (`ok`) or lost (`failed`). */
  readonly shardUpdates: Counter<'outcome'>;
  /** `infrabase_training_examples_total`: local examples trained on, summed over shards and rounds. */
  readonly examples: Counter;
}

/** Declares the federated training metrics on `registry`. `strategy` is e.g. `fedavg`, `fedprox`. */
export function trainingMetrics(registry: Registry): TrainingMetrics {
  return perRegistry(registry, 'training', () => ({
    rounds: new Counter({
      name: 'infrabase_training_rounds_total',
      help: 'Federated training rounds finished, by strategy and outcome (ok, failed, timeout).',
      labelNames: ['strategy', 'outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'infrabase_training_round_duration_seconds',
      help: 'Duration of one federated training round in seconds, by strategy.',
      labelNames: ['strategy'] as const,
      buckets: LONG_DURATION_BUCKETS_SECONDS,
      registers: [registry],
    }),
    shardUpdates: new Counter({
      name: 'infrabase_training_shard_updates_total',
      help: 'Shard updates received by the coordinator (ok) or lost to errors and timeouts (failed).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    examples: new Counter({
      name: 'infrabase_training_examples_total',
      help: 'Local training examples processed, summed over shards and rounds.',
      registers: [registry],
    }),
  }));
}
