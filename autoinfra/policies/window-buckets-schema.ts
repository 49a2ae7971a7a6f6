import { BUCKET_MS, bucketStart, sinceNow } from './sql-fragments.js';
import { backfillOverCounts, recountBucket, recountPolicy } from './window-over-counts-schema.js';

/** Recomputes, from the raw samples, the bucket of the sample `row` (`OLD` or `NEW`) if it is maintained. */
const recomputeBucket = (row: string) => `
  DELETE FROM sys_scaling_buckets
  WHERE name = ${row}.name AND start_ts = ${bucketStart(`${row}.ts`)} AND labels = ${row}.labels;
  INSERT INTO sys_scaling_buckets (name, start_ts, labels, sample_count, value_sum, value_sum_err, value_min, value_max)
  SELECT * FROM (
    SELECT ${row}.name, ${bucketStart(`${row}.ts`)}, ${row}.labels, count(*) AS n, sum(m.value), 0.0, min(m.value), max(m.value)
    FROM sys_metrics m
    WHERE m.ts >= ${bucketStart(`${row}.ts`)} AND m.ts < ${bucketStart(`${row}.ts`)} + ${BUCKET_MS}
      AND m.name = ${row}.name AND m.labels = ${row}.labels
      AND ${row}.ts >= (SELECT since FROM sys_scaling_series WHERE name = ${row}.name))
  WHERE n > 0;`;

/**
 * Backfills the buckets of `metric` from the raw samples down to the bucket holding `from` (SQL expressions;
 * `from` NULL does nothing) and lowers its `since` to there. Called when a policy starts watching `metric`
 * or gets a longer window, so the next evaluation reads buckets rather than raw samples.
 */
const backfill = (metric: string, from: string) => `
  ${backfillOverCounts(metric, from)}
  DELETE FROM sys_scaling_buckets WHERE name = ${metric} AND start_ts >= ${bucketStart(from)}
    AND start_ts < (SELECT since FROM sys_scaling_series WHERE name = ${metric});
  INSERT INTO sys_scaling_buckets (name, start_ts, labels, sample_count, value_sum, value_sum_err, value_min, value_max)
  SELECT ${metric}, ${bucketStart('m.ts')}, m.labels, count(*), sum(m.value), 0.0, min(m.value), max(m.value)
  FROM sys_metrics m
  WHERE m.ts >= ${bucketStart(from)} AND m.ts < (SELECT since FROM sys_scaling_series WHERE name = ${metric})
    AND m.name = ${metric}
  GROUP BY ${bucketStart('m.ts')}, m.labels;
  UPDATE sys_scaling_series SET since = ${bucketStart(from)} WHERE name = ${metric} AND since > ${bucketStart(from)};`;

/** One window before the newest sample for an enabled policy row `row` (`NEW`); NULL when it is disabled. */
const windowBeforeNewest = (row: string) =>
  `CASE WHEN ${row}.enabled = 1 THEN (SELECT max(ts) FROM sys_metrics) - ${row}.window_ms END`;

/** Forgets the buckets of `metric` (an SQL expression) once no enabled policy watches it. */
const unwatch = (metric: string) => `
  DELETE FROM sys_scaling_buckets WHERE name = ${metric}
    AND NOT EXISTS (SELECT 1 FROM sys_scaling_policies WHERE metric = ${metric} AND enabled = 1);
  DELETE FROM sys_scaling_series WHERE name = ${metric}
    AND NOT EXISTS (SELECT 1 FROM sys_scaling_policies WHERE metric = ${metric} AND enabled = 1);`;

/**
 * Incremental window buckets, so that an evaluation of `avg`, `min` or `max` reads about window ÷ 1 s bucket
 * rows per label set instead of every sample in its window.
 *
 * - `sys_scaling_series`: one row per metric watched by an enabled policy. Every sample of `name` with
 *   `ts >= since` is in `sys_scaling_buckets`; samples before `since` are read raw. `since` is a multiple of
 *   {@link BUCKET_MS}. When a metric becomes watched, or a policy's window grows, the buckets of one window
 *   before the newest sample are filled from the raw samples; evaluations raise `since` to two windows before
 *   the sample once it is three windows old, and the buckets below it are deleted. Its other columns are the
 *   hand-over points of the staged triggers (`open_*`: a sample that needs a new bucket; `eval_*`, `act_ts`:
 *   see evaluation-schema.ts).
 * - `sys_scaling_buckets(name, start_ts, labels, …)`: per metric, 1-second bucket `[start_ts, start_ts + 1000)`
 *   and label set: `sample_count`, `value_sum` with its Neumaier compensation `value_sum_err` (Neumaier 1974,
 *   the compensated summation SQLite's own `sum()` uses since 3.43), `value_min`, `value_max`.
 *
 * The insert trigger on `sys_metrics` (evaluation-schema.ts) adds each watched sample to its bucket; the delete
 * and update triggers here recompute a touched bucket from the raw samples (retention deletes samples older
 * than `since`, which touch no bucket). Both tables are derived state, dropped and rebuilt from the raw samples
 * each time the schema is installed (at every start of the migrating process), so a changed bucket layout can
 * never be misread.
 */
export const windowBucketsSchema = `
DROP TABLE IF EXISTS sys_scaling_series;
DROP TABLE IF EXISTS sys_scaling_buckets;
CREATE TABLE sys_scaling_series (
  name TEXT PRIMARY KEY NOT NULL,
  since INTEGER NOT NULL,
  count_over INTEGER NOT NULL DEFAULT 0,
  open_seq INTEGER NOT NULL DEFAULT 0,
  open_ts INTEGER,
  open_labels TEXT,
  open_value REAL,
  eval_seq INTEGER NOT NULL DEFAULT 0,
  eval_ts INTEGER,
  eval_labels TEXT,
  act_ts INTEGER
) WITHOUT ROWID;
CREATE TABLE sys_scaling_buckets (
  name TEXT NOT NULL,
  start_ts INTEGER NOT NULL,
  labels TEXT NOT NULL,
  sample_count INTEGER NOT NULL,
  value_sum REAL,
  value_sum_err REAL,
  value_min REAL,
  value_max REAL,
  last_value REAL,
  PRIMARY KEY (name, start_ts, labels)
) WITHOUT ROWID;

INSERT INTO sys_scaling_series (name, since)
SELECT metric, coalesce(${bucketStart('(SELECT max(ts) FROM sys_metrics) - max(window_ms)')}, -4611686018427387904)
FROM sys_scaling_policies WHERE enabled = 1 GROUP BY metric;
INSERT INTO sys_scaling_buckets (name, start_ts, labels, sample_count, value_sum, value_sum_err, value_min, value_max)
SELECT m.name, ${bucketStart('m.ts')}, m.labels, count(*), sum(m.value), 0.0, min(m.value), max(m.value)
FROM sys_scaling_series s JOIN sys_metrics m ON m.name = s.name AND m.ts >= s.since
GROUP BY m.name, ${bucketStart('m.ts')}, m.labels;

CREATE TRIGGER sys_scaling_series_open_bucket AFTER UPDATE OF open_seq ON sys_scaling_series
WHEN NEW.open_seq <> OLD.open_seq
BEGIN
  INSERT INTO sys_scaling_buckets (name, start_ts, labels, sample_count, value_sum, value_sum_err, value_min, value_max)
  VALUES (NEW.name, ${bucketStart('NEW.open_ts')}, NEW.open_labels, 1, NEW.open_value, 0.0, NEW.open_value,
          NEW.open_value);
END;

CREATE TRIGGER sys_scaling_series_prune AFTER UPDATE OF since ON sys_scaling_series WHEN NEW.since > OLD.since
BEGIN
  DELETE FROM sys_scaling_buckets WHERE name = NEW.name AND start_ts < NEW.since;
END;

DROP TRIGGER IF EXISTS sys_scaling_policies_watch_insert;
CREATE TRIGGER sys_scaling_policies_watch_insert AFTER INSERT ON sys_scaling_policies WHEN NEW.enabled = 1
BEGIN
  INSERT OR IGNORE INTO sys_scaling_series (name, since) VALUES (NEW.metric, ${sinceNow});
  ${recountPolicy(undefined, 'NEW')}
  ${backfill('NEW.metric', windowBeforeNewest('NEW'))}
END;

DROP TRIGGER IF EXISTS sys_scaling_policies_watch_update;
CREATE TRIGGER sys_scaling_policies_watch_update
AFTER UPDATE OF name, metric, enabled, window_ms, aggregate, comparison, threshold ON sys_scaling_policies
BEGIN
  ${unwatch('OLD.metric')}
  INSERT OR IGNORE INTO sys_scaling_series (name, since) SELECT NEW.metric, ${sinceNow} WHERE NEW.enabled = 1;
  ${recountPolicy('OLD', 'NEW')}
  ${backfill('NEW.metric', windowBeforeNewest('NEW'))}
END;

DROP TRIGGER IF EXISTS sys_scaling_policies_watch_delete;
CREATE TRIGGER sys_scaling_policies_watch_delete AFTER DELETE ON sys_scaling_policies
BEGIN
  ${unwatch('OLD.metric')}
  ${recountPolicy('OLD', undefined)}
END;

DROP TRIGGER IF EXISTS sys_metrics_scaling_buckets_delete;
CREATE TRIGGER sys_metrics_scaling_buckets_delete AFTER DELETE ON sys_metrics
WHEN OLD.ts >= (SELECT since FROM sys_scaling_series WHERE name = OLD.name)
BEGIN
  ${recomputeBucket('OLD')}
  ${recountBucket('OLD')}
END;

DROP TRIGGER IF EXISTS sys_metrics_scaling_buckets_update;
CREATE TRIGGER sys_metrics_scaling_buckets_update AFTER UPDATE OF ts, name, labels, value ON sys_metrics
WHEN OLD.ts >= (SELECT since FROM sys_scaling_series WHERE name = OLD.name)
  OR NEW.ts >= (SELECT since FROM sys_scaling_series WHERE name = NEW.name)
BEGIN
  ${recomputeBucket('OLD')}
  ${recomputeBucket('NEW')}
  ${recountBucket('OLD')}
  ${recountBucket('NEW')}
END;
`;
