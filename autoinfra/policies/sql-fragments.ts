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

/** Samples of the policy's metric and labels in its window (NEW.ts - window_ms, NEW.ts]. */
const inWindow = (policy: string) =>
  `m.name = NEW.name AND m.ts > NEW.ts - ${policy}.window_ms AND m.ts <= NEW.ts
   AND ${labelsMatch('m.labels', `${policy}.label_match`)}`;

/**
 * The policy's aggregate over its window. p95 is the nearest-rank percentile: the smallest value whose
 * cumulative distribution is at least 0.95.
 */
export const observedValue = (policy: string) => `CASE ${policy}.aggregate
  WHEN 'avg' THEN (SELECT avg(m.value) FROM sys_metrics m WHERE ${inWindow(policy)})
  WHEN 'max' THEN (SELECT max(m.value) FROM sys_metrics m WHERE ${inWindow(policy)})
  WHEN 'min' THEN (SELECT min(m.value) FROM sys_metrics m WHERE ${inWindow(policy)})
  ELSE (SELECT min(w.v) FROM (SELECT m.value AS v, cume_dist() OVER (ORDER BY m.value) AS cd
                              FROM sys_metrics m WHERE ${inWindow(policy)}) w WHERE w.cd >= 0.95)
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
