import { scalingPoliciesExtension } from '../../../autoinfra/policies/index.js';
import { type Database, openDatabase } from '../../../engine/index.js';
import { tempDir } from '../../support/tmp.js';

/** A migrated database file with the policy triggers installed. */
export function policyDb(): { db: Database; path: string; cleanup: () => void } {
  const tmp = tempDir('infrabase-policies-');
  const path = `${tmp.dir}/infrabase.db`;
  const db = openDatabase(path, { migrate: true, extensions: [scalingPoliciesExtension] });
  return {
    db,
    path,
    cleanup: () => {
      db.close();
      tmp.cleanup();
    },
  };
}

export interface PolicyRow {
  name: string;
  metric?: string;
  label_match?: string;
  aggregate?: string;
  window_ms?: number;
  comparison?: string;
  threshold: number;
  action: 'scale_out' | 'scale_in';
  step?: number;
  min_nodes?: number;
  max_nodes: number;
  cooldown_ms?: number;
  node_template?: string;
}

export function insertPolicy(db: Database, p: PolicyRow): void {
  const row = {
    metric: 'infrabase_node_cpu_utilization_ratio',
    label_match: '{}',
    aggregate: 'avg',
    window_ms: 60_000,
    comparison: p.action === 'scale_out' ? '>' : '<',
    step: 1,
    min_nodes: 0,
    cooldown_ms: 300_000,
    node_template: '{"labels":{"pool":"web"}}',
    ...p,
  };
  db.prepare(
    `INSERT INTO sys_scaling_policies (name, metric, label_match, aggregate, window_ms, comparison, threshold,
       action, step, min_nodes, max_nodes, cooldown_ms, node_template)
     VALUES (@name, @metric, @label_match, @aggregate, @window_ms, @comparison, @threshold, @action, @step,
       @min_nodes, @max_nodes, @cooldown_ms, @node_template)`,
  ).run(row);
}

/** Inserts samples `[ts, value]` of one metric in one transaction. */
export function insertSamples(
  db: Database,
  samples: readonly (readonly [number, number])[],
  name = 'infrabase_node_cpu_utilization_ratio',
  labels = '{}',
): void {
  const insert = db.prepare(
    'INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const [ts, value] of samples) insert.run(ts, name, labels, value);
  })();
}

export interface EventRow {
  ts: number;
  policy: string;
  action: string;
  observed_value: number;
  nodes_before: number;
  nodes_after: number;
  node_ids: string;
  reason: string;
}

export const events = (db: Database) =>
  db.prepare('SELECT * FROM sys_scaling_events ORDER BY id').all() as EventRow[];

export const policyNodes = (db: Database, policy: string) =>
  db
    .prepare(
      `SELECT id, desired_state, status, labels FROM sys_nodes WHERE created_by = ? ORDER BY created_at, rowid`,
    )
    .all(`policy:${policy}`) as { id: string; desired_state: string; status: string; labels: string }[];

/** Plays the reconciler's part for tests: marks every pending live node ready with an idempotency token. */
export function markReady(db: Database): void {
  db.prepare(
    `UPDATE sys_nodes SET status = 'ready', idempotency_token = 'tok-' || id
     WHERE desired_state = 'running' AND status = 'pending'`,
  ).run();
}

/** The nodes a policy created that are still desired (not retired through the finalizer). */
export const livePolicyNodes = (db: Database, policy: string) =>
  policyNodes(db, policy).filter((n) => n.desired_state === 'running');
