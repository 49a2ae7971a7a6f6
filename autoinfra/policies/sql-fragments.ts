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
 * Raw samples of metric `name` with `from <= ts < to` holding every label of `labelMatch` (SQL expressions): a
 * range of the `(ts)` index whose rows are read in table order (rowids follow ts), nearly sequentially.
 */
const rawRange = (name: string, labelMatch: string, from: string, to: string) =>
  `FROM sys_metrics m WHERE m.ts >= ${from} AND m.ts < ${to} AND m.name = ${name}
     AND ${labelsMatch('m.labels', labelMatch)}`;

/**
 * A row `(sample_count, observed)` for the pending policy (a `sys_scaling_pending` row) evaluated at `at`:
 * the number of samples in its window [window_lo, ts] (that is (ts - window_ms, ts]) and, for avg, min and max,
 * the aggregate, from the whole buckets in [cut_lo, cut_hi) and the raw samples of [window_lo, cut_lo) and
 * [cut_hi, ts] (count, compensated sum, min, max). A bucket holds every sample of its second, so the result is
 * exact (avg up to the rounding of its sum). `observed` is NULL for p95 and for an empty window.
 */
export const windowAggregate = (at: EvaluatedSample) => {
  const raw = (from: string, to: string) => rawRange(at.name, 'sys_scaling_pending.label_match', from, to);
  return `(
  SELECT n, CASE sys_scaling_pending.aggregate WHEN 'avg' THEN total / n WHEN 'min' THEN lo WHEN 'max' THEN hi END
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
              ${raw('sys_scaling_pending.window_lo', 'sys_scaling_pending.cut_lo')}
              UNION ALL
              SELECT 1, m.value, 0.0, m.value, m.value
              ${raw('sys_scaling_pending.cut_hi', `${at.ts} + 1`)})))`;
};

/**
 * Nearest-rank p95 of a window of `n` samples: the value of rank k (ascending), k the smallest integer with
 * k / n >= 0.95 in double arithmetic — the smallest value whose cume_dist() is at least 0.95. As a rank from
 * the top: `n - k + 1`.
 */
export const p95RankFromTop = (n: string) =>
  `(${n}) - CASE WHEN CAST(0.95 * (${n}) AS INTEGER) * 1.0 / (${n}) >= 0.95
                 THEN CAST(0.95 * (${n}) AS INTEGER) ELSE CAST(0.95 * (${n}) AS INTEGER) + 1 END + 1`;

/**
 * The p95 of the pending row `row` (`NEW` in a trigger on `sys_scaling_pending`, whose `p95_rank` is the rank
 * from the top): the smallest of the `p95_rank` largest raw samples of its window. ORDER BY … LIMIT keeps only
 * that many rows while it scans, where a window function would sort the whole window.
 */
export const p95Value = (row: string) => `(
  SELECT min(v) FROM (SELECT m.value AS v ${rawRange(`${row}.metric`, `${row}.label_match`, `${row}.window_lo`, `${row}.at_ts + 1`)}
                      ORDER BY m.value DESC LIMIT ${row}.p95_rank))`;

/**
 * `value` is over the threshold of `policy` (an alias with `comparison` and `threshold`) in the sense a p95
 * decision counts: strictly above for `>` and `<=`, at or above for `>=` and `<`.
 */
export const isOver = (value: string, policy: string) =>
  `CASE WHEN ${policy}.comparison IN ('>', '<=') THEN ${value} > ${policy}.threshold
        ELSE ${value} >= ${policy}.threshold END`;

/**
 * The number of samples over the threshold (see {@link isOver}) in the window of the pending p95 policy (a
 * `sys_scaling_pending` row) evaluated at `at`: its counts of the whole buckets [cut_lo, cut_hi) from
 * window-over-counts-schema.ts plus the raw samples of [window_lo, cut_lo) and [cut_hi, ts].
 */
export const overCount = (at: EvaluatedSample) => {
  const raw = (from: string, to: string) => `(SELECT count(*)
    ${rawRange(at.name, 'sys_scaling_pending.label_match', from, to)} AND ${isOver('m.value', 'sys_scaling_pending')})`;
  return `(SELECT coalesce(sum(c.over_count), 0) FROM sys_scaling_over_counts c
           WHERE c.policy = sys_scaling_pending.policy AND c.start_ts >= sys_scaling_pending.cut_lo
             AND c.start_ts < sys_scaling_pending.cut_hi
             AND ${labelsMatch('c.labels', 'sys_scaling_pending.label_match')})
    + ${raw('sys_scaling_pending.window_lo', 'sys_scaling_pending.cut_lo')}
    + ${raw('sys_scaling_pending.cut_hi', `${at.ts} + 1`)}`;
};

/**
 * Whether the p95 of a window of `n` samples, `over` of them over the threshold (see {@link isOver}), breaches the
 * policy `policy`: with k = its rank from the top ({@link p95RankFromTop}), p95 > t iff at least k samples are
 * > t, p95 >= t iff at least k are >= t, p95 < t iff fewer than k are >= t, p95 <= t iff fewer than k are > t.
 */
export const p95Breaches = (over: string, n: string, policy: string) =>
  `CASE WHEN ${policy}.comparison IN ('>', '>=') THEN ${over} >= ${p95RankFromTop(n)}
        ELSE ${over} < ${p95RankFromTop(n)} END`;

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
