import type { Registry } from 'prom-client';
import type { SqlPoolObserver, StatementKind, StatementOutcome } from '../engine/index.js';
import { type PredictMetrics, predictMetrics, type SqlMetrics, sqlMetrics } from './declarations/index.js';

/**
 * One model's PREDICT usage in a worker since its last report, as these metrics count it (ml's
 * `PredictUsageCounts`, the usage report of its SQL worker plug-in, has this shape).
 */
export interface PredictUsageCounts {
  /** The model's name (the `model` label). */
  readonly model: string;
  /** Session runs that returned. */
  readonly callsOk: number;
  /** Calls that failed. */
  readonly callsError: number;
  /** Rows scored by the successful runs. */
  readonly rows: number;
  /** Runs per duration bucket of `infrabase_predict_duration_seconds` (its bounds, then +Inf). */
  readonly bucketCounts: readonly number[];
  /** Sum of the run durations in each bucket, seconds. */
  readonly bucketSeconds: readonly number[];
}

/**
 * The SQL pool's metrics, as its observer: `infrabase_sql_statements_total{kind,outcome}` and
 * `infrabase_sql_statement_duration_seconds{kind}` per statement, and the workers' PREDICT usage (the usage
 * reports of ml's SQL worker plug-in) added to `infrabase_predict_*`.
 */
export class SqlPoolMetrics implements SqlPoolObserver {
  private readonly sql: SqlMetrics;
  private readonly predict: PredictMetrics;

  constructor(registry: Registry) {
    this.sql = sqlMetrics(registry);
    this.predict = predictMetrics(registry);
  }

  /** One finished statement; `seconds` is its wall time from submission (queueing included). */
  statement(kind: StatementKind, outcome: StatementOutcome, seconds: number): void {
    this.sql.statements.inc({ kind, outcome });
    this.sql.duration.observe({ kind }, seconds);
  }

  /** A worker's usage report: its PREDICT usage by model ({@link predictUsage}). */
  usage(report: unknown): void {
    this.predictUsage(report as readonly PredictUsageCounts[]);
  }

  /**
   * Adds a worker's PREDICT usage. Each duration bucket's runs are observed at the mean duration of that
   * bucket's runs, which lands them in the same bucket and keeps the histogram's count and sum exact
   * (the worker buckets with the histogram's own bounds).
   */
  predictUsage(usage: readonly PredictUsageCounts[]): void {
    for (const u of usage) {
      const model = u.model;
      if (u.callsOk > 0) this.predict.calls.inc({ model, outcome: 'ok' }, u.callsOk);
      if (u.callsError > 0) this.predict.calls.inc({ model, outcome: 'error' }, u.callsError);
      if (u.rows > 0) this.predict.rows.inc({ model }, u.rows);
      const observe = this.predict.duration.labels({ model }).observe;
      for (let i = 0; i < u.bucketCounts.length; i++) {
        const n = u.bucketCounts[i];
        if (n === 0) continue;
        const mean = u.bucketSeconds[i] / n;
        for (let k = 0; k < n; k++) observe(mean);
      }
    }
  }
}
