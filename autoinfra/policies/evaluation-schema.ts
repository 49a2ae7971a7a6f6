import { NODE_INSERT_COLUMNS } from '../nodes/index.js';
import {
  breaches,
  bucketCeil,
  bucketStart,
  type EvaluatedSample,
  inPool,
  nRows,
  overCount,
  p95Breaches,
  p95RankFromTop,
  p95Value,
  windowAggregate,
} from './sql-fragments.js';

/** Defaults of the node template's keys a policy leaves out (those of the `sys_nodes` columns). */
const TEMPLATE_DEFAULTS: Partial<Record<string, string>> = {
  provider: "'local'",
  role: "'data'",
  labels: "'{}'",
  spec: "'{}'",
};

/**
 * The value a scale-out inserts into `sys_nodes` column `column` ({@link NODE_INSERT_COLUMNS}, the store's
 * declaration): the pending node id, the policy's node template key, or `policy:<name>` for `created_by`.
 */
function policyNodeValue(column: (typeof NODE_INSERT_COLUMNS)[number]): string {
  if (column === 'id') return 'pn.node_id';
  if (column === 'created_by') return "'policy:' || p.name";
  const value = `json_extract(p.node_template, '$.${column}')`;
  const fallback = TEMPLATE_DEFAULTS[column];
  return fallback ? `coalesce(${value}, ${fallback})` : value;
}

/** The sample an evaluation runs at, as the evaluation trigger on `sys_scaling_series` sees it. */
const at: EvaluatedSample = { ts: 'NEW.eval_ts', name: 'NEW.name', labels: 'NEW.eval_labels' };

/** An enabled policy `p` watching `name` is due at `ts`: out of cooldown and not yet evaluated at `ts` or later. */
const due = (name: string, ts: string) =>
  `p.metric = ${name} AND p.enabled = 1
   AND (p.last_action_at IS NULL OR ${ts} >= p.last_action_at + p.cooldown_ms)
   AND NOT EXISTS (SELECT 1 FROM sys_scaling_evaluated e WHERE e.policy = p.name AND e.ts >= ${ts})`;

/**
 * The triggers that evaluate autoscaling policies on every `sys_metrics` insert, in the inserting
 * transaction, from any connection (plain SQL; no JS functions).
 *
 * For each enabled policy watching `NEW.name`, out of cooldown (`NEW.ts >= last_action_at + cooldown_ms`, in
 * sample time), not yet evaluated at this or a later ts (`sys_scaling_evaluated.ts < NEW.ts`: at most one
 * evaluation per distinct sample ts, at its first matching sample; later samples of that ts count in the next
 * evaluation's window) and whose `label_match` the new sample satisfies:
 * 1. observed = aggregate (avg, max, min, p95) of the matching samples with ts in (NEW.ts - window_ms, NEW.ts],
 *    read from the 1-second window buckets of window-buckets-schema.ts plus the raw samples of the partial
 *    edge buckets; p95 decides the breach from the policy's counts of samples over its threshold
 *    (window-over-counts-schema.ts) and reads the raw samples of its window only to record a breach's value;
 * 2. if `observed <comparison> threshold` (a breach), count the policy's pool: live rows of `sys_nodes`
 *    (`desired_state = 'running'`, status not terminating/terminated/failed) carrying every label of
 *    `node_template.labels` (an empty selector means every node);
 * 3. scale_out inserts `min(step, max_nodes - pool)` rows built from `node_template` with
 *    `created_by = 'policy:<name>'`; scale_in deletes (through the finalizer) the newest
 *    `min(step, pool - min_nodes)` ready, policy-created rows of the pool — never rows created by users;
 * 4. writes one `sys_scaling_events` row (action `scale_out`/`scale_in`, or `none` when a bound prevented
 *    any change) and sets `last_action_at = NEW.ts`, so a blocked decision is also repeated at most once per
 *    cooldown.
 *
 * Measured on the benchmark machine: a false WHEN clause costs next to nothing, but each statement of a
 * trigger body costs ~1 µs per firing even when it changes nothing (its cursors are opened every time; an
 * INSERT that inserts nothing costs about as much as one that does), while an UPDATE of one existing row
 * costs ~0.2 µs. So the work is staged, each stage a trigger that fires only when the previous one decided
 * it must:
 * - the gate on `sys_metrics` (WHEN: one primary-key probe of `sys_scaling_series`, so a sample of a metric no
 *   enabled policy watches costs only that) adds the sample to its bucket by an UPDATE; then one UPDATE of the
 *   metric's series row, which matches only when no bucket was updated or a policy is due, bumps `open_seq`
 *   (its trigger inserts the bucket) or `eval_seq` (its trigger evaluates);
 * - the evaluation trigger computes every due policy's observed value, records `eval_ts` as each evaluated
 *   policy's `sys_scaling_evaluated.ts`, keeps the breaching ones in `sys_scaling_pending` and, only if there is
 *   one, sets `act_ts`, whose trigger takes the actions (steps 2 to 4).
 */
export const evaluationSchema = `
-- scratch tables, empty outside the triggers; recreated so an older layout is replaced
DROP TABLE IF EXISTS sys_scaling_evaluations;
DROP TABLE IF EXISTS sys_scaling_pending;
CREATE TABLE sys_scaling_pending (
  policy TEXT PRIMARY KEY NOT NULL,
  action TEXT NOT NULL,
  metric TEXT NOT NULL,
  at_ts INTEGER NOT NULL,
  aggregate TEXT NOT NULL,
  label_match TEXT NOT NULL,
  -- the window [window_lo, ts]: whole buckets in [cut_lo, cut_hi), raw samples in [window_lo, cut_lo) and [cut_hi, ts]
  window_lo INTEGER NOT NULL,
  cut_lo INTEGER NOT NULL,
  cut_hi INTEGER NOT NULL,
  comparison TEXT NOT NULL,
  threshold REAL NOT NULL,
  sample_count INTEGER,
  -- p95: the samples over the threshold (decides the breach), then for a breach its rank and value
  over_count INTEGER,
  p95_rank INTEGER,
  observed REAL,
  step INTEGER NOT NULL,
  min_nodes INTEGER NOT NULL,
  max_nodes INTEGER NOT NULL,
  nodes_before INTEGER,
  retirable INTEGER,
  delta INTEGER,
  reason TEXT
);
-- p95 per pending row, because LIMIT may name NEW.* in a trigger but not a column of an outer query
CREATE TRIGGER sys_scaling_pending_p95 AFTER UPDATE OF p95_rank ON sys_scaling_pending
BEGIN
  UPDATE sys_scaling_pending SET observed = ${p95Value('NEW')} WHERE policy = NEW.policy;
END;
CREATE TABLE IF NOT EXISTS sys_scaling_pending_nodes (policy TEXT NOT NULL, node_id TEXT NOT NULL);

-- the sample ts at which each policy was last evaluated: a policy is evaluated at most once per ts
CREATE TABLE IF NOT EXISTS sys_scaling_evaluated (policy TEXT PRIMARY KEY NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;

DROP TRIGGER IF EXISTS sys_scaling_policies_forget_evaluated;
CREATE TRIGGER sys_scaling_policies_forget_evaluated AFTER DELETE ON sys_scaling_policies
BEGIN
  DELETE FROM sys_scaling_evaluated WHERE policy = OLD.name;
END;
DROP TRIGGER IF EXISTS sys_scaling_policies_rename_evaluated;
CREATE TRIGGER sys_scaling_policies_rename_evaluated AFTER UPDATE OF name ON sys_scaling_policies
BEGIN
  DELETE FROM sys_scaling_evaluated WHERE policy = OLD.name;
END;

DROP TRIGGER IF EXISTS sys_metrics_scaling_policies;
CREATE TRIGGER sys_metrics_scaling_policies AFTER INSERT ON sys_metrics
WHEN EXISTS (SELECT 1 FROM sys_scaling_series s WHERE s.name = NEW.name)
BEGIN
  -- buckets exist only at or after the series' since, so an existing bucket is always the one to update
  UPDATE sys_scaling_buckets SET
    sample_count = sample_count + 1,
    value_sum = value_sum + NEW.value,
    value_sum_err = coalesce(value_sum_err + CASE WHEN abs(value_sum) >= abs(NEW.value)
                                                  THEN (value_sum - (value_sum + NEW.value)) + NEW.value
                                                  ELSE (NEW.value - (value_sum + NEW.value)) + value_sum END,
                             value_sum_err),
    value_min = min(value_min, NEW.value),
    value_max = max(value_max, NEW.value),
    last_value = NEW.value
  WHERE name = NEW.name AND start_ts = ${bucketStart('NEW.ts')} AND labels = NEW.labels;

  -- one statement hands over to the staged triggers, and changes nothing for most samples: it bumps open_seq
  -- when no bucket was updated (changes() still counts the UPDATE above), eval_seq when a policy is due
  UPDATE sys_scaling_series SET
    open_seq = open_seq + (changes() = 0 AND NEW.ts >= since),
    open_ts = NEW.ts, open_labels = NEW.labels, open_value = NEW.value,
    eval_seq = eval_seq + EXISTS (SELECT 1 FROM sys_scaling_policies p WHERE ${due('NEW.name', 'NEW.ts')}),
    eval_ts = NEW.ts, eval_labels = NEW.labels
  WHERE name = NEW.name
    AND ((changes() = 0 AND NEW.ts >= since)
         OR EXISTS (SELECT 1 FROM sys_scaling_policies p WHERE ${due('NEW.name', 'NEW.ts')}));
END;

DROP TRIGGER IF EXISTS sys_scaling_evaluate;
CREATE TRIGGER sys_scaling_evaluate AFTER UPDATE OF eval_seq ON sys_scaling_series
WHEN NEW.eval_seq <> OLD.eval_seq
BEGIN
  -- whole buckets from the first one at or after max(window_lo, since) up to the sample's own second, which is
  -- read raw (its bucket may be opened after this trigger runs)
  INSERT INTO sys_scaling_pending (policy, action, metric, at_ts, aggregate, label_match, window_lo, cut_lo,
                                   cut_hi, comparison, threshold, step, min_nodes, max_nodes, reason)
  SELECT name, action, ${at.name}, ${at.ts}, aggregate, label_match, window_lo, cut_lo, max(${bucketStart(at.ts)}, cut_lo),
         comparison, threshold, step, min_nodes, max_nodes, reason
  FROM (SELECT p.name, p.action, p.aggregate, p.label_match, p.comparison, p.threshold, p.step, p.min_nodes, p.max_nodes,
               ${at.ts} - p.window_ms + 1 AS window_lo,
               min(${bucketCeil(`max(${at.ts} - p.window_ms + 1, NEW.since)`)}, ${at.ts} + 1) AS cut_lo,
               printf('%s(%s) over %d ms %s %g', p.aggregate, p.metric, p.window_ms, p.comparison, p.threshold) AS reason
        FROM sys_scaling_policies p
        WHERE ${due(at.name, at.ts)}
          AND (p.label_match = '{}' OR NOT EXISTS (
                SELECT 1 FROM json_each(p.label_match) lm
                WHERE json_extract(${at.labels}, '$."' || lm.key || '"') IS NOT lm.value)));

  UPDATE sys_scaling_pending SET (sample_count, observed) = ${windowAggregate(at)};
  UPDATE sys_scaling_pending SET over_count = ${overCount(at)} WHERE aggregate = 'p95' AND sample_count > 0;

  INSERT OR REPLACE INTO sys_scaling_evaluated (policy, ts) SELECT policy, ${at.ts} FROM sys_scaling_pending;

  DELETE FROM sys_scaling_pending
  WHERE CASE WHEN aggregate = 'p95'
             THEN over_count IS NULL OR NOT ${p95Breaches('over_count', 'sample_count', 'sys_scaling_pending')}
             ELSE observed IS NULL OR NOT ${breaches('observed', 'sys_scaling_pending')} END;

  -- the value of a breaching p95, for its event: read from the raw samples of its window
  UPDATE sys_scaling_pending SET p95_rank = ${p95RankFromTop('sample_count')} WHERE aggregate = 'p95';

  UPDATE sys_scaling_series SET act_ts = ${at.ts}
  WHERE name = NEW.name AND EXISTS (SELECT 1 FROM sys_scaling_pending);

  -- buckets are kept for two to three times the metric's longest window; older samples are read raw
  UPDATE sys_scaling_series
  SET since = ${bucketStart(`${at.ts} - 2 * (SELECT max(window_ms) FROM sys_scaling_policies WHERE metric = NEW.name AND enabled = 1)`)}
  WHERE name = NEW.name
    AND since < ${at.ts} - 3 * (SELECT max(window_ms) FROM sys_scaling_policies WHERE metric = NEW.name AND enabled = 1);
END;

DROP TRIGGER IF EXISTS sys_scaling_act;
CREATE TRIGGER sys_scaling_act AFTER UPDATE OF act_ts ON sys_scaling_series
BEGIN
  UPDATE sys_scaling_pending SET
    nodes_before = (SELECT count(*) FROM sys_scaling_policies p, sys_nodes n
                    WHERE p.name = sys_scaling_pending.policy AND ${inPool('n', 'p')}),
    retirable = CASE WHEN action = 'scale_in' THEN
                  (SELECT count(*) FROM sys_scaling_policies p, sys_nodes n
                   WHERE p.name = sys_scaling_pending.policy AND ${inPool('n', 'p')}
                     AND n.status = 'ready' AND n.created_by GLOB 'policy:?*')
                ELSE 0 END;

  UPDATE sys_scaling_pending SET
    delta = max(0, CASE action WHEN 'scale_out' THEN min(step, max_nodes - nodes_before)
                               ELSE min(step, nodes_before - min_nodes, retirable) END),
    reason = reason || CASE
      WHEN action = 'scale_out' AND nodes_before >= max_nodes THEN printf('; at max_nodes %d', max_nodes)
      WHEN action = 'scale_in' AND nodes_before <= min_nodes THEN printf('; at min_nodes %d', min_nodes)
      WHEN action = 'scale_in' AND retirable = 0 THEN '; no ready policy-created node to retire'
      ELSE '' END;

  INSERT INTO sys_scaling_pending_nodes (policy, node_id)
  SELECT s.policy, 'n-' || lower(hex(randomblob(6)))
  FROM sys_scaling_pending s, json_each(${nRows('s.delta')}) k
  WHERE s.action = 'scale_out' AND s.delta > 0;

  INSERT INTO sys_scaling_pending_nodes (policy, node_id)
  SELECT policy, id FROM (
    SELECT s.policy, s.delta, n.id,
           row_number() OVER (PARTITION BY s.policy ORDER BY n.created_at DESC, n.rowid DESC) AS rank
    FROM sys_scaling_pending s, sys_scaling_policies p, sys_nodes n
    WHERE s.action = 'scale_in' AND s.delta > 0 AND p.name = s.policy AND ${inPool('n', 'p')}
      AND n.status = 'ready' AND n.created_by GLOB 'policy:?*')
  WHERE rank <= delta;

  INSERT INTO sys_nodes (${NODE_INSERT_COLUMNS.join(', ')})
  SELECT ${NODE_INSERT_COLUMNS.map(policyNodeValue).join(',\n         ')}
  FROM sys_scaling_pending_nodes pn
  JOIN sys_scaling_pending s ON s.policy = pn.policy AND s.action = 'scale_out'
  JOIN sys_scaling_policies p ON p.name = pn.policy;

  DELETE FROM sys_nodes WHERE id IN (
    SELECT pn.node_id FROM sys_scaling_pending_nodes pn
    JOIN sys_scaling_pending s ON s.policy = pn.policy AND s.action = 'scale_in');

  INSERT INTO sys_scaling_events (ts, policy, action, observed_value, nodes_before, nodes_after, node_ids, reason)
  SELECT NEW.act_ts, s.policy,
         CASE WHEN s.delta > 0 THEN s.action ELSE 'none' END,
         s.observed, s.nodes_before,
         s.nodes_before + CASE s.action WHEN 'scale_out' THEN 1 ELSE -1 END
           * (SELECT count(*) FROM sys_scaling_pending_nodes pn WHERE pn.policy = s.policy),
         (SELECT json_group_array(pn.node_id) FROM sys_scaling_pending_nodes pn WHERE pn.policy = s.policy),
         s.reason
  FROM sys_scaling_pending s;

  UPDATE sys_scaling_policies SET last_action_at = NEW.act_ts
  WHERE name IN (SELECT policy FROM sys_scaling_pending);

  DELETE FROM sys_scaling_pending_nodes;
  DELETE FROM sys_scaling_pending;
END;
`;
