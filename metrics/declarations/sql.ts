import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { perRegistry } from './per-registry.js';

/** Kinds of user statement: `read` (read-only) or `write`. */
export type SqlStatementKind = 'read' | 'write';
/** How a statement ended: `ok`, `error` (SQL or constraint error), `timeout` (killed at its time limit). */
export type SqlOutcome = 'ok' | 'error' | 'timeout';

export interface SqlMetrics {
  /** `infrabase_sql_statements_total{kind,outcome}`: user statements executed. */
  readonly statements: Counter<'kind' | 'outcome'>;
  /** `infrabase_sql_statement_duration_seconds{kind}`: wall time of a user statement, seconds. */
  readonly duration: Histogram<'kind'>;
}

/** Declares the SQL metrics on `registry`; a second call with the same registry returns the same metrics. */
export function sqlMetrics(registry: Registry): SqlMetrics {
  return perRegistry(registry, 'sql', () => ({
    statements: new Counter({
      name: 'infrabase_sql_statements_total',
      help: 'User SQL statements executed, by kind (read, write) and outcome (ok, error, timeout).',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'infrabase_sql_statement_duration_seconds',
      help: 'Wall time of a user SQL statement in seconds, by kind (read, write).',
      labelNames: ['kind'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  }));
}
