import { BUCKET_MS, bucketStart, isOver } from './sql-fragments.js';

/** `policy` (an alias of `sys_scaling_policies`) is an enabled p95 policy. */
const p95 = (policy: string) => `${policy}.enabled = 1 AND ${policy}.aggregate = 'p95'`;

/** An enabled p95 policy watches `metric` (an SQL expression). */
const p95Watched = (metric: string) =>
  `EXISTS (SELECT 1 FROM sys_scaling_policies p WHERE p.metric = ${metric} AND ${p95('p')})`;

/**
 * Counts one sample (`value` of `metric` in the bucket `start` of label set `labels`, SQL expressions) for
 * every enabled p95 policy of the metric whose threshold it is over.
 */
const countSample = (metric: string, value: string, start: string, labels: string) => `
  INSERT INTO sys_scaling_over_counts (policy, start_ts, labels, over_count)
  SELECT p.name, ${start}, ${labels}, 1 FROM sys_scaling_policies p
  WHERE p.metric = ${metric} AND ${p95('p')} AND ${isOver(value, 'p')}
  ON CONFLICT DO UPDATE SET over_count = over_count + 1;`;

/**
 * Counts, from the raw samples with `from <= ts < to` (SQL expressions over the series `s`) that satisfy `samples`
 * (an SQL condition on `m`), the samples over the threshold of each enabled p95 policy `p` matching `policies`,
 * per bucket and label set.
 */
const countRaw = (policies: string, from: string, to = '9223372036854775807', samples = '1') => `
  INSERT INTO sys_scaling_over_counts (policy, start_ts, labels, over_count)
  SELECT p.name, ${bucketStart('m.ts')}, m.labels, count(*)
  FROM sys_scaling_policies p JOIN sys_scaling_series s ON s.name = p.metric
    JOIN sys_metrics m ON m.ts >= ${from} AND m.ts < ${to} AND m.name = p.metric
  WHERE ${policies} AND ${p95('p')} AND ${isOver('m.value', 'p')} AND ${samples}
  GROUP BY p.name, ${bucketStart('m.ts')}, m.labels;`;

/** Sets `count_over` of the series of `metric` (an SQL expression) to whether an enabled p95 policy watches it. */
const flag = (metric: string) => `
  UPDATE sys_scaling_series SET count_over = ${p95Watched(metric)} WHERE name = ${metric};`;

/**
 * Recounts the policy `OLD`/`NEW` after it was inserted, updated or deleted: its counts are dropped and, while
 * it is an enabled p95 policy, counted again from the raw samples at or after its metric's `since`. Runs after
 * the metric's series row is created or deleted, before the buckets' backfill lowers `since`.
 */
export const recountPolicy = (old: string | undefined, row: string | undefined) => `
  ${old ? `DELETE FROM sys_scaling_over_counts WHERE policy = ${old}.name;` : ''}
  ${row ? `DELETE FROM sys_scaling_over_counts WHERE policy = ${row}.name;` : ''}
  ${row ? countRaw(`p.name = ${row}.name`, 's.since') : ''}
  ${old ? flag(`${old}.metric`) : ''}
  ${row ? flag(`${row}.metric`) : ''}`;

/**
 * Counts the raw samples of `metric` from the bucket holding `from` up to its current `since` (SQL expressions)
 * for its p95 policies; runs before the buckets' backfill lowers `since`.
 */
export const backfillOverCounts = (metric: string, from: string) =>
  countRaw(`p.metric = ${metric}`, bucketStart(from), 's.since');

/** Recounts, from the raw samples, the bucket of the sample `row` (`OLD` or `NEW`) if it is maintained. */
export const recountBucket = (row: string) => `
  DELETE FROM sys_scaling_over_counts
  WHERE start_ts = ${bucketStart(`${row}.ts`)} AND labels = ${row}.labels
    AND policy IN (SELECT name FROM sys_scaling_policies WHERE metric = ${row}.name);
  ${countRaw(
    `p.metric = ${row}.name AND ${row}.ts >= s.since`,
    bucketStart(`${row}.ts`),
    `${bucketStart(`${row}.ts`)} + ${BUCKET_MS}`,
    `m.labels = ${row}.labels`,
  )}`;

/**
 * Per-policy counts for p95 policies, so that deciding a p95 breach reads about window ÷ 1 s rows like the other
 * aggregates instead of every sample of the window: p95 is over a threshold exactly when at least its rank from
 * the top (5% of the window) of the samples are (see `p95Breaches` in sql-fragments.ts).
 *
 * `sys_scaling_over_counts(policy, start_ts, labels, over_count)`: per enabled p95 policy, 1-second bucket of its
 * metric's window buckets and label set, the samples over its threshold (`>` for comparisons `>` and `<=`, `>=`
 * for `>=` and `<`); only buckets with at least one such sample have a row. It covers the same samples as the
 * buckets (ts at or after the series' `since`): a watched sample is counted by the trigger on its bucket's UPDATE
 * (which records the sample's value as `last_value`), or with the bucket it opens; deleting or updating a sample
 * recounts its bucket; a policy is recounted from the raw samples when it is created or changed; counts are
 * pruned with the buckets. `sys_scaling_series.count_over` is 1 while an enabled p95 policy watches the metric.
 * Like the buckets, derived state rebuilt at every install. Must run after window-buckets-schema.ts.
 */
export const windowOverCountsSchema = `
DROP TABLE IF EXISTS sys_scaling_over_counts;
CREATE TABLE sys_scaling_over_counts (
  policy TEXT NOT NULL,
  start_ts INTEGER NOT NULL,
  labels TEXT NOT NULL,
  over_count INTEGER NOT NULL,
  PRIMARY KEY (policy, start_ts, labels)
) WITHOUT ROWID;

UPDATE sys_scaling_series SET count_over = ${p95Watched('sys_scaling_series.name')};
${countRaw('1', 's.since')}

CREATE TRIGGER sys_scaling_buckets_count_over AFTER UPDATE OF sample_count ON sys_scaling_buckets
WHEN (SELECT count_over FROM sys_scaling_series WHERE name = NEW.name) = 1
BEGIN
  ${countSample('NEW.name', 'NEW.last_value', 'NEW.start_ts', 'NEW.labels')}
END;

CREATE TRIGGER sys_scaling_series_count_opening AFTER UPDATE OF open_seq ON sys_scaling_series
WHEN NEW.open_seq <> OLD.open_seq AND NEW.count_over = 1
BEGIN
  ${countSample('NEW.name', 'NEW.open_value', bucketStart('NEW.open_ts'), 'NEW.open_labels')}
END;

CREATE TRIGGER sys_scaling_series_prune_over_counts AFTER UPDATE OF since ON sys_scaling_series
WHEN NEW.since > OLD.since AND NEW.count_over = 1
BEGIN
  DELETE FROM sys_scaling_over_counts WHERE start_ts < NEW.since
    AND policy IN (SELECT name FROM sys_scaling_policies WHERE metric = NEW.name);
END;
`;
