import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './buckets.js';
import { perRegistry } from './per-registry.js';

/** How a Postgres connection attempt ended: `ok` (authenticated), `auth_failed`, `refused` (e.g. no TLS). */
export type PgConnectionOutcome = 'ok' | 'auth_failed' | 'refused';
/** How a statement over the Postgres protocol ended. */
export type PgStatementOutcome = 'ok' | 'error' | 'timeout';

export interface PgMetrics {
  /** `infrabase_pg_connections`: open Postgres protocol connections (authenticated or not). */
  readonly connections: Gauge;
  /** `infrabase_pg_connections_total{outcome}`: connection attempts by how they ended. */
  readonly connectionsTotal: Counter<'outcome'>;
  /** `infrabase_pg_statements_total{outcome}`: statements run over the Postgres protocol. */
  readonly statements: Counter<'outcome'>;
  /** `infrabase_pg_statement_duration_seconds`: wall time of a statement over the Postgres protocol, seconds. */
  readonly duration: Histogram;
}

/** Declares the Postgres protocol metrics on `registry`; a second call returns the same metrics. */
export function pgMetrics(registry: Registry): PgMetrics {
  return perRegistry(registry, 'pg', () => ({
    connections: new Gauge({
      name: 'infrabase_pg_connections',
      help: 'Open Postgres protocol connections.',
      registers: [registry],
    }),
    connectionsTotal: new Counter({
      name: 'infrabase_pg_connections_total',
      help: 'Postgres protocol connection attempts, by outcome (ok, auth_failed, refused).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    statements: new Counter({
      name: 'infrabase_pg_statements_total',
      help: 'Statements run over the Postgres protocol, by outcome (ok, error, timeout).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'infrabase_pg_statement_duration_seconds',
      help: 'Wall time of a statement over the Postgres protocol in seconds.',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  }));
}
