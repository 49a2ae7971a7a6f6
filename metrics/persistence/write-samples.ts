import type { Database, Statement } from 'better-sqlite3';
import { fromSqliteError } from '../../engine/index.js';

/** One row of `sys_metrics`. */
export interface MetricSample {
  /** Milliseconds since the epoch. */
  readonly ts: number;
  /** The node the sample describes; null for the control plane's own series. */
  readonly nodeId: string | null;
  readonly name: string;
  /** Canonical JSON from {@link canonicalLabels}. */
  readonly labels: string;
  readonly value: number;
}

const statements = new WeakMap<Database, Statement>();

function insertStatement(db: Database): Statement {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = db.prepare('INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, ?, ?, ?, ?)');
    statements.set(db, stmt);
  }
  return stmt;
}

/**
 * Writes samples to `sys_metrics` in one transaction (so the policy triggers see a whole batch and act in
 * the same transaction). Synchronous; returns the number of rows written.
 *
 * @throws InfrabaseError `CONSTRAINT` (the batch is rolled back) for a bad name or labels, `BUSY` if the
 *   write lock was not obtained within the connection's busy timeout.
 */
export function writeSamples(db: Database, samples: readonly MetricSample[]): number {
  if (samples.length === 0) return 0;
  const insert = insertStatement(db);
  try {
    db.transaction(() => {
      for (const s of samples) insert.run(s.ts, s.nodeId, s.name, s.labels, s.value);
    })();
  } catch (err) {
    throw fromSqliteError(err);
  }
  return samples.length;
}
