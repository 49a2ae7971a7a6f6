/**
 * SQL fragments shared by the policy triggers. Plain SQL only (no JS functions), compatible with SQLite 3.38+
 * (the `sqlite3` shell here is 3.40): no CTEs inside triggers, literal RAISE messages.
 * @internal
 */

/** `node` (alias of a `sys_nodes` row) holds every label of `policy.node_template.labels` (its selector). */
export const inPool = (node: string, policy: string) =>
  `${node}.desired_state = 'running' AND ${node}.status NOT IN ('terminating', 'terminated', 'failed')
   AND NOT EXISTS (SELECT 1 FROM json_each(${policy}.node_template, '$.labels') sel
                   WHERE json_extract(${node}.labels, '$."' || sel.key || '"') IS NOT sel.value)`;

/** A JSON object of labels `labels` (an SQL expression) has every key/value of `match` (an SQL expression). */
export const labelsMatch = (labels: string, match: string) =>
  `(${match} = '{}' OR NOT EXISTS (SELECT 1 FROM json_each(${match}) lm
                                    WHERE json_extract(${labels}, '$."' || lm.key || '"') IS NOT lm.value))`;

/**
 * Width of a window bucket of `sys_scaling_buckets`, in ms. A window of W ms reads at most W / 1000 buckets per
 * label set, plus the raw samples of its two partial edge buckets (under 1 s each).
 */
export const BUCKET_MS = 1000;

/** The start of the bucket holding `ts` (an SQL integer expression): ⌊ts / BUCKET_MS⌋ · BUCKET_MS, also below 0. */
export const bucketStart = (ts: string) =>
  `((${ts}) - (((${ts}) % ${BUCKET_MS}) + ${BUCKET_MS}) % ${BUCKET_MS})`;

/** The first bucket start at or after `ts`. */
export const bucketCeil = (ts: string) => bucketStart(`(${ts}) + ${BUCKET_MS - 1}`);

/** `sys_scaling_series.since` for a metric that starts being watched now: the bucket after the newest sample. */
export const sinceNow = `coalesce(${bucketStart('(SELECT max(ts) FROM sys_metrics)')} + ${BUCKET_MS}, -4611686018427387904)`;

/** The sample that starts an evaluation: SQL expressions for its ts, metric name and labels. */
export interface EvaluatedSample {
  readonly ts: string;
  readonly name: string;
  readonly labels: string;
}

/**
 * Raw samples of the evaluated metric with `from <= ts < to`, holding every label of the pending policy's
 * `label_match`: a range of the `(ts, name)` index, table rows read only for the metric's own samples.
 */
const rawRange = (at: EvaluatedSample, from: string, to: string) =>
  `FROM sys_metrics m WHERE m.ts >= ${from} AND m.ts < ${to} AND m.name = ${at.name}
     AND ${labelsMatch('m.labels', 'sys_scaling_pending.label_match')}`;

/**
 * The pending policy's aggregate over its window [window_lo, ts] (that is (ts - window_ms, ts]), exact:
 * - avg, min, max combine the whole buckets in [cut_lo, cut_hi) with the raw samples of [window_lo, cut_lo)
 *   and [cut_hi, ts] (count, compensated sum, min, max); a bucket holds every sample of its second;
 * - p95 is the nearest rank (the smallest value whose cumulative distribution is at least 0.95) of the
 *   window's raw samples.
 * NULL when the window holds no sample.
 */
export const observedValue = (at: EvaluatedSample) => `CASE sys_scaling_pending.aggregate
  WHEN 'p95' THEN (SELECT min(w.v) FROM (SELECT m.value AS v, cume_dist() OVER (ORDER BY m.value) AS cd
                   ${rawRange(at, 'sys_scaling_pending.window_lo', `${at.ts} + 1`)}) w WHERE w.cd >= 0.95)
  ELSE (SELECT CASE sys_scaling_pending.aggregate WHEN 'avg' THEN total / n WHEN 'min' THEN lo ELSE hi END
        FROM (SELECT sum(c) AS n, CASE WHEN count(s) = count(*) THEN total(s) + total(e) END AS total,
                     min(lo) AS lo, max(hi) AS hi
              FROM (SELECT b.sample_count AS c, b.value_sum AS s, b.value_sum_err AS e, b.value_min AS lo,
                           b.value_max AS hi
                    FROM sys_scaling_buckets b
                    WHERE b.name = ${at.name} AND b.start_ts >= sys_scaling_pending.cut_lo
                      AND b.start_ts < sys_scaling_pending.cut_hi
                      AND ${labelsMatch('b.labels', 'sys_scaling_pending.label_match')}
                    UNION ALL
                    SELECT 1, m.value, 0.0, m.value, m.value
                    ${rawRange(at, 'sys_scaling_pending.window_lo', 'sys_scaling_pending.cut_lo')}
                    UNION ALL
                    SELECT 1, m.value, 0.0, m.value, m.value
                    ${rawRange(at, 'sys_scaling_pending.cut_hi', `${at.ts} + 1`)})))
END`;

/** `value` compared with the policy's threshold by its comparison operator. */
export const breaches = (value: string, policy: string) => `CASE ${policy}.comparison
  WHEN '>' THEN ${value} > ${policy}.threshold
  WHEN '>=' THEN ${value} >= ${policy}.threshold
  WHEN '<' THEN ${value} < ${policy}.threshold
  ELSE ${value} <= ${policy}.threshold
END`;

/** `'[0,0,…]'` with `n` elements (n ≥ 1), so `json_each` yields n rows without a CTE. */
export const nRows = (n: string) =>
  `'[' || substr(replace(hex(zeroblob(${n})), '00', '0,'), 1, 2 * (${n}) - 1) || ']'`;
