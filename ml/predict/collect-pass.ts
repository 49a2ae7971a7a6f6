import type { Database } from 'better-sqlite3';
import type { QueryRequest } from '../../engine/index.js';

/**
 * Runs a collect pass of `sql` (one query, without a trailing `;`): the statement wrapped as `WITH … AS MATERIALIZED (<sql>) SELECT count(*) …`,
 * so its rows are produced inside SQLite (every PREDICT call in them evaluated) but never handed to JS; the
 * statement as it is when it cannot be wrapped. An error is swallowed: the real pass raises it, if it is real.
 */
export function collectPass(db: Database, sql: string, params: QueryRequest['params']): void {
  try {
    let stmt: ReturnType<Database['prepare']>;
    try {
      stmt = db.prepare(
        `WITH ib_predict_collect AS MATERIALIZED (${sql}\n) SELECT count(*) FROM ib_predict_collect`,
      );
    } catch {
      stmt = db.prepare(sql);
    }
    if (!stmt.reader) return;
    const args = Array.isArray(params) ? params : [params];
    for (const _ of stmt.raw(true).iterate(...args)) {
      // rows are discarded: the pass only collects PREDICT arguments
    }
  } catch {
    // re-raised (or not) by the real pass
  }
}
