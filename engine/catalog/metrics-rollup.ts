/**
 * Migration 2 for `sys_metrics`: 1-minute rollups kept after raw samples expire, the retention job's
 * watermark, an index for policy lookups by metric, and `sys_metrics_latest`.
 *
 * - `sys_metrics_rollup`: one row per (minute, node_id, name, labels); `ts` is the minute's start in ms since
 *   the epoch; `min`/`avg`/`max` of the raw values and their `count`.
 * - `sys_metrics_rollup_state`: a single row; every raw sample with `ts < rolled_up_to` has been rolled up.
 * - `sys_metrics_latest`: the newest sample per (node_id, name, labels): `node_id, name, labels, value, ts`.
 *   (SQLite returns the bare `value` column from the row holding `max(ts)`.)
 */
export const metricsRollupSchema = `
CREATE TABLE sys_metrics_rollup (
  ts INTEGER NOT NULL,
  node_id TEXT,
  name TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  min REAL NOT NULL,
  avg REAL NOT NULL,
  max REAL NOT NULL,
  count INTEGER NOT NULL
) STRICT;

CREATE INDEX sys_metrics_rollup_name_ts ON sys_metrics_rollup(name, ts);
CREATE INDEX sys_metrics_rollup_ts ON sys_metrics_rollup(ts);

CREATE TABLE sys_metrics_rollup_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rolled_up_to INTEGER NOT NULL
) STRICT;

CREATE INDEX sys_scaling_policies_metric ON sys_scaling_policies(metric, enabled);

CREATE VIEW sys_metrics_latest AS
  SELECT node_id, name, labels, value, max(ts) AS ts FROM sys_metrics GROUP BY node_id, name, labels;
`;
