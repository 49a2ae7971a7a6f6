import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { perRegistry } from './per-registry.js';

/** The one step a reconcile took. */
export type ReconcileAction = 'none' | 'create' | 'wait' | 'delete' | 'mark' | 'finalize';
/** How a reconcile ended: `ok`, `requeue` (retryable error, backed off) or `error` (terminal). */
export type ReconcileResult = 'ok' | 'requeue' | 'error';

export interface ReconcileMetrics {
  /** `infrabase_reconcile_total{action,result}`: reconciles of a `sys_nodes` row. */
  readonly reconciles: Counter<'action' | 'result'>;
  /** `infrabase_reconcile_duration_seconds{action}`: time of one reconcile, seconds. */
  readonly duration: Histogram<'action'>;
  /** `infrabase_reconcile_queue_depth`: node ids waiting in the work queue. */
  readonly queueDepth: Gauge;
  /** `infrabase_orphans_terminated_total{provider}`: owned instances with no row that were terminated. */
  readonly orphansTerminated: Counter<'provider'>;
}

/** Declares the reconciler's metrics on `registry`. */
export function reconcileMetrics(registry: Registry): ReconcileMetrics {
  return perRegistry(registry, 'reconcile', () => ({
    reconciles: new Counter({
      name: 'infrabase_reconcile_total',
      help: 'Reconciles of sys_nodes rows, by the action taken and the result (ok, requeue, error).',
      labelNames: ['action', 'result'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'infrabase_reconcile_duration_seconds',
      help: 'Duration of one reconcile in seconds, by the action taken.',
      labelNames: ['action'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'infrabase_reconcile_queue_depth',
      help: 'Node ids waiting in the reconciler work queue.',
      registers: [registry],
    }),
    orphansTerminated: new Counter({
      name: 'infrabase_orphans_terminated_total',
      help: 'Instances tagged as owned by the cluster but with no sys_nodes row, terminated by the orphan collector.',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
  }));
}
