/**
 * Migration 5 for `sys_metrics`: the only index is `(ts)`; `(name, ts)` is dropped.
 *
 * Samples arrive in time order, so `(ts)` entries are appended at the right edge of the b-tree, and rowids —
 * the table's own order — follow ts too. Measured on a 2-core EPYC: `(name, ts)` plus `(ts)` cost ~2.8 µs per
 * inserted row, `(ts, name)` ~1 µs, `(ts)` ~0.3 µs. A query on a name within a time range (policy windows,
 * p95, dashboards) scans the range and reads the rows in table order, i.e. nearly sequentially: with 10 names,
 * a p95 over 5 minutes measured no slower than through `(ts, name)`. Retention and rollups use `ts` ranges.
 * A query on a name with no time bound scans the table.
 */
export const metricsTsIndexSchema = `
DROP INDEX IF EXISTS sys_metrics_name_ts;
CREATE INDEX IF NOT EXISTS sys_metrics_ts ON sys_metrics(ts);
`;
