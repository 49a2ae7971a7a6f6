import type { Database } from 'better-sqlite3';
import type { QueryRequest, QueryResult } from '../../engine/index.js';
import type { PredictContext } from './functions.js';

const CALLS_PREDICT = /\bpredict(?:_proba|_json)?\s*\(/i;
const WRAPPABLE = /^\s*(?:select|with|values)\b/i;

/**
 * Runs a read-only statement that calls PREDICT in two passes inside one read transaction (one snapshot):
 * a collect pass, where the statement is wrapped as `WITH … AS MATERIALIZED (<sql>) SELECT count(*) …` so its
 * rows are produced inside SQLite but never handed to JS, one onnxruntime run per (function, model), and the
 * real pass, which answers matching calls from the batch and evaluates the rest per row. Statements that do
 * not call PREDICT, or cannot be wrapped, run once as they are. The catalog was refreshed by the extension's
 * `beforeStatement`.
 */
export function runBatched(
  db: Database,
  ctx: PredictContext,
  request: QueryRequest,
  next: () => QueryResult,
): QueryResult {
  if (!CALLS_PREDICT.test(request.sql) || !WRAPPABLE.test(request.sql) || ctx.batch.mode !== 'off')
    return next();
  const run = (): QueryResult => {
    const batch = ctx.batch;
    try {
      batch.mode = 'collect';
      collectPass(db, request);
      batch.mode = 'off';
      if (batch.failed || !batch.collected) return next();
      batch.evaluate();
      batch.mode = 'answer';
      ctx.stats.batchedStatements++;
      return next();
    } finally {
      batch.reset();
    }
  };
  return db.inTransaction ? run() : db.transaction(run)();
}

function collectPass(db: Database, request: QueryRequest): void {
  const sql = request.sql.replace(/[\s;]+$/, '');
  let stmt: ReturnType<Database['prepare']>;
  try {
    stmt = db.prepare(
      `WITH ib_predict_collect AS MATERIALIZED (${sql}\n) SELECT count(*) FROM ib_predict_collect`,
    );
  } catch {
    stmt = db.prepare(sql);
  }
  const params = request.params;
  try {
    if (!stmt.reader) return;
    const rows = Array.isArray(params) ? stmt.raw(true).iterate(...params) : stmt.raw(true).iterate(params);
    for (const _ of rows) {
      // rows are discarded: the pass only collects PREDICT arguments
    }
  } catch {
    // an error here is re-raised (or not) by the real pass
  }
}
