import { SQL_NOW_MS } from '../now.js';

/**
 * `sys_tables`: how a user table loaded with `infrabase load` is spread over the data nodes, one row per
 * (table, node): the node's row count, the column it was sharded by (NULL for round-robin) and the table's
 * columns (JSON array of `{name, type}`). Also adds `sys_training_jobs.standardization`: the federated feature
 * statistics (`{mean, std}` JSON) fixed before round 1, so a resumed job standardises exactly as before.
 */
export const tablesSchema = `
CREATE TABLE sys_tables (
  table_name TEXT NOT NULL,
  node_id TEXT NOT NULL,
  rows INTEGER NOT NULL DEFAULT 0 CONSTRAINT "sys_tables.rows must be >= 0" CHECK (rows >= 0),
  shard_by TEXT,
  columns TEXT NOT NULL DEFAULT '[]'
    CONSTRAINT "sys_tables.columns must be a JSON array" CHECK (json_valid(columns) AND json_type(columns) = 'array'),
  updated_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  PRIMARY KEY (table_name, node_id)
) STRICT;

ALTER TABLE sys_training_jobs ADD COLUMN standardization TEXT;
`;
