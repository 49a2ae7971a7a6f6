import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { perRegistry } from './per-registry.js';

export interface CloudMetrics {
  /**
   * `infrabase_cloud_api_calls_total{provider,operation,outcome}`. The label values are autoinfra's
   * `CloudOperation` and `CloudOutcome` (autoinfra/reconcile/metered-provider.ts), which fills them in.
   */
  readonly calls: Counter<'provider' | 'operation' | 'outcome'>;
  /** `infrabase_cloud_api_call_duration_seconds{provider,operation}`, seconds. */
  readonly duration: Histogram<'provider' | 'operation'>;
}

/** Declares the cloud API metrics on `registry`; meant for a metrics wrapper around a CloudProvider. */
export function cloudMetrics(registry: Registry): CloudMetrics {
  return perRegistry(registry, 'cloud', () => ({
    calls: new Counter({
      name: 'infrabase_cloud_api_calls_total',
      help: 'Cloud provider API calls, by provider (local, aws, gcp), operation and outcome.',
      labelNames: ['provider', 'operation', 'outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'infrabase_cloud_api_call_duration_seconds',
      help: 'Duration of one cloud provider API call in seconds, by provider and operation.',
      labelNames: ['provider', 'operation'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  }));
}
