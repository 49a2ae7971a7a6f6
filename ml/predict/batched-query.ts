import type { Database } from 'better-sqlite3';
import type { QueryRequest, QueryResult } from '../../engine/index.js';
import { collectPass } from './collect-pass.js';
import type { PredictContext } from './functions.js';
import { runNative } from './native-query.js';

const CALLS_PREDICT = /\bpredict(?:_proba|_json)?\s*\(/i;
const WRAPPABLE = /^\s*(?:select|with|values)\b/i;

/**
 * Runs a read-only statement that calls PREDICT with its calls answered in batches, inside one read
 * transaction (one snapshot): in the native extension when it is loaded ({@link runNative}), else — or when
 * the native path declines the statement — in JavaScript. Statements whose PREDICT calls are bare result
 * columns run once (placeholders replaced after one onnxruntime run per stream); the others run twice: a
 * collect pass, where the statement is wrapped as `WITH … AS MATERIALIZED (<sql>) SELECT count(*) …` so its
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
  const columns = db.prepare(request.sql).columns(); // executeStatement prepared it: it compiles
  const deferred = deferredColumns(request.sql, columns);
  const run = (): QueryResult =>
    runNative(
      db,
      ctx,
      request,
      columns.map((c) => c.name),
      deferred,
    ) ??
    (deferred ? runDeferred(ctx, deferred, next) : null) ??
    runTwoPasses(db, ctx, request, next);
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

/** Clauses under which a PREDICT result could influence which rows or in what order they come back. */
const SHAPING = /\b(?:order\s+by|group\s+by|distinct|having|union|intersect|except|over|window)\b/i;
const CALL = /\bpredict(?:_proba|_json)?\s*\(/gi;

/**
 * The indexes of the result `columns` (of `sql`'s prepared statement) that are bare PREDICT calls, when those are the statement's only PREDICT calls and
 * nothing can read their values (no ORDER BY/GROUP BY/DISTINCT/HAVING/compound/window anywhere, each call's
 * text occurs once in the SQL, so no alias or quoted column name refers to it). Their values only ever reach
 * the result rows, so they can be filled in after one pass. Otherwise null.
 */
export function deferredColumns(
  sql: string,
  columns: ReadonlyArray<{ name: string; table: string | null }>,
): number[] | null {
  if (SHAPING.test(sql)) return null;
  const calls = sql.match(CALL)?.length ?? 0;
  if (calls === 0) return null;
  const eligible: number[] = [];
  columns.forEach((c, i) => {
    if (c.table !== null || !isBareCall(c.name)) return;
    if (sql.split(c.name).length === 2 && (c.name.match(CALL)?.length ?? 0) === 1) eligible.push(i);
  });
  return eligible.length === calls ? eligible : null;
}

/** True when `text` is exactly one PREDICT call: its first '(' closes at the last character. */
function isBareCall(text: string): boolean {
  const head = /^predict(?:_proba|_json)?\s*\(/i.exec(text);
  if (!head) return false;
  let depth = 0;
  let quote = '';
  for (let i = head[0].length - 1; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i === text.length - 1;
  }
  return false;
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
