/**
 * `sys_metrics`: samples as rows. `ts` in milliseconds since the epoch, `labels` canonical JSON (keys sorted),
 * `node_id` NULL for the control plane's own series.
 */
export const metricsSchema = `
CREATE TABLE sys_metrics (
  ts INTEGER NOT NULL,
  node_id TEXT,
  name TEXT NOT NULL
    CONSTRAINT "sys_metrics.name must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
    CHECK (length(name) > 0 AND name NOT GLOB '*[^a-zA-Z0-9_:]*' AND substr(name, 1, 1) NOT GLOB '[0-9]'),
  labels TEXT NOT NULL DEFAULT '{}'
    CONSTRAINT "sys_metrics.labels must be a JSON object" CHECK (json_valid(labels) AND json_type(labels) = 'object'),
  value REAL NOT NULL
) STRICT;

CREATE INDEX sys_metrics_name_ts ON sys_metrics(name, ts);
CREATE INDEX sys_metrics_ts ON sys_metrics(ts);
`;
