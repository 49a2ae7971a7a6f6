import type { Database } from 'better-sqlite3';
import { type Clock, systemClock } from '../../engine/index.js';
import type { IngestMetrics } from '../declarations/index.js';
import { BackgroundLoop } from './background-loop.js';

/** Length of a rollup bucket: one minute, in milliseconds. */
export const ROLLUP_MS = 60_000;

export interface RetentionPolicy {
  /** Raw samples older than this are deleted (once rolled up), ms. Default 24 h. */
  rawRetentionMs: number;
  /** Rollups older than this are deleted, ms. Default 30 days. */
  rollupRetentionMs: number;
  /** A minute is rolled up once it ended this long ago, so late samples still count, ms. Default 2 min. */
  lateSampleGraceMs?: number;
  /** Rows deleted per transaction. Default 2000. */
  deleteBatchSize?: number;
}

export interface RetentionResult {
  /** Raw samples summarised into rollups. */
  rolledUp: number;
  deletedRaw: number;
  deletedRollups: number;
}

/**
 * Rolls up the oldest not-yet-rolled-up minute of `sys_metrics` into `sys_metrics_rollup` (min, avg, max,
 * count per node, name and labels) and advances the watermark, in one transaction. Minutes with no samples
 * are skipped at once. Only minutes that ended before `now - lateSampleGraceMs` are rolled up.
 *
 * @returns raw samples rolled up, or -1 when no closed minute is left.
 */
export function rollupOneMinute(db: Database, now: number, lateSampleGraceMs = 120_000): number {
  const limit = Math.floor((now - lateSampleGraceMs) / ROLLUP_MS) * ROLLUP_MS;
  return db.transaction(() => {
    const state = db
      .prepare('SELECT rolled_up_to FROM sys_metrics_rollup_state WHERE id = 1')
      .pluck()
      .get() as number | undefined;
    const next = db
      .prepare('SELECT min(ts) FROM sys_metrics WHERE ts >= ?')
      .pluck()
      .get(state ?? Number.MIN_SAFE_INTEGER) as number | null;
    if (next === null) return -1;
    const start = Math.floor(next / ROLLUP_MS) * ROLLUP_MS;
    if (start + ROLLUP_MS > limit) return -1;
    const info = db
      .prepare(
        `INSERT INTO sys_metrics_rollup (ts, node_id, name, labels, min, avg, max, count)
         SELECT ?, node_id, name, labels, min(value), avg(value), max(value), count(*)
         FROM sys_metrics WHERE ts >= ? AND ts < ? GROUP BY node_id, name, labels`,
      )
      .run(start, start, start + ROLLUP_MS);
    db.prepare(
      `INSERT INTO sys_metrics_rollup_state (id, rolled_up_to) VALUES (1, ?)
       ON CONFLICT (id) DO UPDATE SET rolled_up_to = excluded.rolled_up_to`,
    ).run(start + ROLLUP_MS);
    const rows = db
      .prepare('SELECT coalesce(sum(count), 0) FROM sys_metrics_rollup WHERE ts = ?')
      .pluck()
      .get(start) as number;
    return info.changes > 0 ? rows : 0;
  })();
}

/**
 * Deletes at most `batchSize` rows of `table` with `ts < before`, oldest first, in one transaction.
 * @returns rows deleted.
 */
export function deleteOlderThan(
  db: Database,
  table: 'sys_metrics' | 'sys_metrics_rollup',
  before: number,
  batchSize: number,
): number {
  return db
    .prepare(
      `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ts < ? ORDER BY ts LIMIT ?)`,
    )
    .run(before, batchSize).changes;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One retention pass: rolls up every closed minute, then deletes raw samples past `rawRetentionMs` (never
 * ones not yet rolled up) and rollups past `rollupRetentionMs`. Every step is its own short transaction and
 * the pass yields to the event loop between steps, so statements from HTTP requests interleave with it.
 */
export async function runRetention(
  db: Database,
  policy: RetentionPolicy,
  clock: Clock = systemClock,
  signal?: AbortSignal,
): Promise<RetentionResult> {
  const result: RetentionResult = { rolledUp: 0, deletedRaw: 0, deletedRollups: 0 };
  const batch = policy.deleteBatchSize ?? 2000;
  for (;;) {
    if (signal?.aborted) return result;
    const n = rollupOneMinute(db, clock.now(), policy.lateSampleGraceMs);
    if (n < 0) break;
    result.rolledUp += n;
    await yieldToEventLoop();
  }
  const watermark =
    (db.prepare('SELECT rolled_up_to FROM sys_metrics_rollup_state WHERE id = 1').pluck().get() as
      | number
      | undefined) ?? Number.MIN_SAFE_INTEGER;
  const rawBefore = Math.min(clock.now() - policy.rawRetentionMs, watermark);
  for (;;) {
    if (signal?.aborted) return result;
    const n = deleteOlderThan(db, 'sys_metrics', rawBefore, batch);
    result.deletedRaw += n;
    if (n < batch) break;
    await yieldToEventLoop();
  }
  const rollupBefore = clock.now() - policy.rollupRetentionMs;
  for (;;) {
    if (signal?.aborted) return result;
    const n = deleteOlderThan(db, 'sys_metrics_rollup', rollupBefore, batch);
    result.deletedRollups += n;
    if (n < batch) break;
    await yieldToEventLoop();
  }
  return result;
}

export interface RetentionJobOptions extends RetentionPolicy {
  db: Database;
  /** Milliseconds between passes. Default 60000. */
  intervalMs?: number;
  clock?: Clock;
  /** Counts rows in `infrabase_metrics_retention_rows_total` when given. */
  ingest?: IngestMetrics;
  onPass?: (result: RetentionResult) => void;
  /** A failed pass is reported here and retried at the next interval. */
  onError?: (err: unknown) => void;
}

/**
 * Runs {@link runRetention} at start and then every `intervalMs` until stopped; Service-shaped (`start`
 * returns at once, `stop` aborts the pass between two transactions and resolves when it has ended).
 */
export class RetentionJob {
  readonly name = 'metrics-retention';
  private readonly loop = new BackgroundLoop((signal) => this.run(signal));

  constructor(private readonly options: RetentionJobOptions) {}

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { db, clock = systemClock, ingest } = this.options;
    while (!signal.aborted) {
      try {
        const result = await runRetention(db, this.options, clock, signal);
        ingest?.retentionRows.inc({ operation: 'rolled_up' }, result.rolledUp);
        ingest?.retentionRows.inc({ operation: 'deleted_raw' }, result.deletedRaw);
        ingest?.retentionRows.inc({ operation: 'deleted_rollup' }, result.deletedRollups);
        this.options.onPass?.(result);
      } catch (err) {
        this.options.onError?.(err);
      }
      try {
        await clock.sleep(this.options.intervalMs ?? 60_000, signal);
      } catch {
        return;
      }
    }
  }
}
