import type { Database } from 'better-sqlite3';
import type { QueryRequest, QueryResult } from '../../engine/index.js';
import { collectPass } from './collect-pass.js';
import type { PredictContext } from './functions.js';
import { runNative } from './native-query.js';
import { PREDICT_FUNCTIONS, type PredictSyntax, predictSyntax } from './predict-syntax.js';

/**
 * Runs a read-only statement that calls PREDICT with its calls answered in batches, inside one read
 * transaction (one snapshot): in the native extension when it is loaded ({@link runNative}), else — or when
 * the native path declines the statement — in JavaScript. Statements whose PREDICT calls are bare result
 * columns run once (placeholders replaced after one onnxruntime run per stream); the others run twice: a
 * collect pass, where the statement is wrapped as `WITH … AS MATERIALIZED (<sql>) SELECT count(*) …` so its
 * rows are produced inside SQLite but never handed to JS, one onnxruntime run per (function, model), and the
 * real pass, which answers matching calls from the batch and evaluates the rest per row. What the statement
 * calls and whether it is a query come from the engine's SQL parser ({@link predictSyntax}); statements that
 * call no PREDICT, are not queries, or that the parser does not accept run once as they are. The catalog was
 * refreshed by the extension's `beforeStatement`.
 */
export function runBatched(
  db: Database,
  ctx: PredictContext,
  request: QueryRequest,
  next: () => QueryResult,
): QueryResult {
  if (ctx.batch.mode !== 'off') return next();
  const found = predictSyntax(request.sql);
  if (!found?.syntax.query) return next();
  const columns = db.prepare(request.sql).columns(); // executeStatement prepared it: it compiles
  const deferred = deferredColumns(found, columns);
  // The statement without a trailing `;` or comment, so it can stand inside the collect pass's parentheses.
  const body = request.sql.slice(0, found.syntax.end);
  const run = (): QueryResult =>
    runNative(
      db,
      ctx,
      { ...request, sql: body },
      found.calls,
      columns.map((c) => c.name),
      deferred,
    ) ??
    (deferred ? runDeferred(ctx, deferred, next) : null) ??
    runTwoPasses(db, ctx, { ...request, sql: body }, next);
  return db.inTransaction ? run() : db.transaction(run)();
}

/** The JavaScript two-pass path (see {@link BatchState}). */
function runTwoPasses(
  db: Database,
  ctx: PredictContext,
  request: QueryRequest,
  next: () => QueryResult,
): QueryResult {
  const batch = ctx.batch;
  try {
    batch.mode = 'collect';
    collectPass(db, request.sql, request.params);
    batch.mode = 'off';
    if (batch.failed || !batch.collected) return next();
    batch.evaluate();
    batch.mode = 'answer';
    ctx.stats.batchedStatements++;
    return next();
  } finally {
    batch.reset();
  }
}

/**
 * The indexes of the result `columns` (of the statement's prepared statement) that are bare PREDICT calls,
 * when those are the statement's only PREDICT calls and nothing can read their values: no ORDER BY, GROUP BY,
 * DISTINCT, HAVING, compound or window anywhere, and no identifier that names such a column (its alias
 * occurs only where it is declared; a quoted name spelled like the call occurs nowhere). Their values only
 * ever reach the result rows, so they can be filled in after one pass. Otherwise null.
 */
export function deferredColumns(
  found: PredictSyntax,
  columns: ReadonlyArray<{ name: string; table: string | null }>,
): number[] | null {
  const { syntax, calls } = found;
  const items = syntax.resultColumns;
  if (syntax.shapesRows || !items) return null;
  const firstStar = items.findIndex((c) => c.star);
  const lastStar = items.findLastIndex((c) => c.star);
  const eligible: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!item.call || !PREDICT_FUNCTIONS.has(item.call.name)) continue;
    // A `*` expands to columns the syntax cannot count: columns are matched from the nearer end.
    const index =
      firstStar < 0 || i < firstStar ? i : i > lastStar ? columns.length - (items.length - i) : -1;
    const column = columns[index];
    if (!column || column.table !== null || column.name !== item.name) return null;
    const references = syntax.identifiers.get(item.name.toLowerCase()) ?? 0;
    if (references !== (item.aliased ? 1 : 0)) return null;
    eligible.push(index);
  }
  return eligible.length === calls.length ? eligible : null;
}

/**
 * One pass: PREDICT calls in `columns` return placeholders while their features are recorded, one
 * onnxruntime run per (function, model) follows, then the placeholders in the result rows are replaced.
 * Returns null when some call could not be deferred (the caller then runs the two-pass path).
 */
function runDeferred(ctx: PredictContext, columns: number[], next: () => QueryResult): QueryResult | null {
  const batch = ctx.batch;
  try {
    batch.mode = 'defer';
    const result = next();
    batch.mode = 'off';
    if (batch.failed) return null;
    batch.evaluate();
    for (const row of result.rows) {
      for (const c of columns) {
        const placeholder = row[c];
        if (typeof placeholder === 'number') {
          row[c] = batch.resolveDeferred(placeholder);
          ctx.stats.batchedCalls++;
        }
      }
    }
    ctx.stats.batchedStatements++;
    return result;
  } finally {
    batch.reset();
  }
}
