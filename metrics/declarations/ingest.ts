import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { perRegistry } from './per-registry.js';

/** Where samples came from: `sampler` (this process's registry) or `heartbeat` (a node agent). */
export type IngestSource = 'sampler' | 'heartbeat';

export interface IngestMetrics {
  /** `infrabase_metrics_samples_ingested_total{source}`: rows written to `sys_metrics`. */
  readonly samples: Counter<'source'>;
  /** `infrabase_metrics_ingest_batch_duration_seconds{source}`: one batched transaction, seconds. */
  readonly batchDuration: Histogram<'source'>;
  /** `infrabase_metrics_ingest_errors_total{source}`: batches that failed and were dropped. */
  readonly errors: Counter<'source'>;
  /** `infrabase_metrics_retention_rows_total{operation}`: rows rolled up or deleted by retention. */
  readonly retentionRows: Counter<'operation'>;
}

/** Declares the `sys_metrics` ingest and retention metrics on `registry`. */
export function ingestMetrics(registry: Registry): IngestMetrics {
  return perRegistry(registry, 'ingest', () => ({
    samples: new Counter({
      name: 'infrabase_metrics_samples_ingested_total',
      help: 'Samples written to sys_metrics, by source (sampler, heartbeat).',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'infrabase_metrics_ingest_batch_duration_seconds',
      help: 'Duration of one batched sys_metrics insert transaction in seconds, by source.',
      labelNames: ['source'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'infrabase_metrics_ingest_errors_total',
      help: 'sys_metrics insert batches that failed and were dropped, by source.',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    retentionRows: new Counter({
      name: 'infrabase_metrics_retention_rows_total',
      help: 'sys_metrics rows processed by retention, by operation (rolled_up, deleted_raw, deleted_rollup).',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
  }));
}
