import { SQL_NOW_MS } from '../now.js';

/**
 * `sys_scaling_policies` (threshold policies over `sys_metrics`) and `sys_scaling_events` (every decision).
 * Durations are milliseconds. The evaluating triggers are installed by the autoscaling module.
 */
export const scalingSchema = `
CREATE TABLE sys_scaling_policies (
  name TEXT PRIMARY KEY NOT NULL
    CONSTRAINT "sys_scaling_policies.name must be 1-63 characters of a-z, 0-9, '_' and '-'"
    CHECK (length(name) BETWEEN 1 AND 63 AND name NOT GLOB '*[^a-z0-9_-]*'),
  metric TEXT NOT NULL,
  label_match TEXT NOT NULL DEFAULT '{}'
    CONSTRAINT "sys_scaling_policies.label_match must be a JSON object"
    CHECK (json_valid(label_match) AND json_type(label_match) = 'object'),
  aggregate TEXT NOT NULL DEFAULT 'avg'
    CONSTRAINT "sys_scaling_policies.aggregate must be one of: avg, max, min, p95"
    CHECK (aggregate IN ('avg', 'max', 'min', 'p95')),
  window_ms INTEGER NOT NULL DEFAULT 300000
    CONSTRAINT "sys_scaling_policies.window_ms must be > 0" CHECK (window_ms > 0),
  comparison TEXT NOT NULL DEFAULT '>'
    CONSTRAINT "sys_scaling_policies.comparison must be one of: >, >=, <, <="
    CHECK (comparison IN ('>', '>=', '<', '<=')),
  threshold REAL NOT NULL,
  action TEXT NOT NULL
    CONSTRAINT "sys_scaling_policies.action must be one of: scale_out, scale_in"
    CHECK (action IN ('scale_out', 'scale_in')),
  step INTEGER NOT NULL DEFAULT 1 CONSTRAINT "sys_scaling_policies.step must be >= 1" CHECK (step >= 1),
  min_nodes INTEGER NOT NULL DEFAULT 0
    CONSTRAINT "sys_scaling_policies.min_nodes must be >= 0" CHECK (min_nodes >= 0),
  max_nodes INTEGER NOT NULL
    CONSTRAINT "sys_scaling_policies.max_nodes must be >= min_nodes" CHECK (max_nodes >= min_nodes),
  cooldown_ms INTEGER NOT NULL DEFAULT 300000
    CONSTRAINT "sys_scaling_policies.cooldown_ms must be >= 0" CHECK (cooldown_ms >= 0),
  node_template TEXT NOT NULL DEFAULT '{}'
    CONSTRAINT "sys_scaling_policies.node_template must be a JSON object"
    CHECK (json_valid(node_template) AND json_type(node_template) = 'object'),
  enabled INTEGER NOT NULL DEFAULT 1 CONSTRAINT "sys_scaling_policies.enabled must be 0 or 1" CHECK (enabled IN (0, 1)),
  last_action_at INTEGER,
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS})
) STRICT;

CREATE TABLE sys_scaling_events (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  policy TEXT NOT NULL,
  action TEXT NOT NULL,
  observed_value REAL,
  nodes_before INTEGER NOT NULL,
  nodes_after INTEGER NOT NULL,
  node_ids TEXT NOT NULL DEFAULT '[]',
  reason TEXT
) STRICT;

CREATE INDEX sys_scaling_events_policy_ts ON sys_scaling_events(policy, ts);
`;
