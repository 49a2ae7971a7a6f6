import type { Database } from 'better-sqlite3';
import {
  type FunctionCallSyntax,
  type QueryRequest,
  type QueryResult,
  readRows,
} from '../../engine/index.js';
import { isBatchable } from '../registry/index.js';
import { CallStream } from './call-stream.js';
import { collectPass } from './collect-pass.js';
import { checkArity, outputsFor } from './evaluate.js';
import type { PredictContext } from './functions.js';
import { type NativeBatch, type NativeStream, rewritePredictCalls } from './native/index.js';

/** The most passes a statement may take (the first collects; nesting or a WHERE on PREDICT add one each). */
const MAX_PASSES = 4;

/**
 * Batched PREDICT with the per-row work in the native extension (native/batch.c): the statement's PREDICT and
 * PREDICT_PROBA calls are rewritten to the extension's functions, so no feature crosses into JavaScript row
 * by row. `calls` are the statement's PREDICT calls (from the SQL parser, offsets into `request.sql`);
 * `columns` are its result column names. When the calls are the bare result columns
 * `deferred`, one pass returns placeholders that are
 * replaced after one onnxruntime run per stream. Otherwise the statement runs in passes inside the caller's
 * read transaction: a first pass (wrapped so no row reaches JS) collects the calls, each stream's new rows are
 * scored in one run and loaded, and the statement runs again; calls without a result (reached only once
 * earlier calls had values) are collected by that pass, which is then discarded. The first pass in which every
 * call was answered is the result, so it is exactly the per-row evaluation's.
 *
 * Returns null — nothing answered, the caller runs the JavaScript path — when the extension is not loaded,
 * the statement cannot be rewritten (PREDICT_JSON), a call could not be taken natively (TEXT features, …), a
 * model is unknown, not batchable or called with the wrong arity, an answer of a multi-pass statement is not
 * one number, no pass was complete after {@link MAX_PASSES} (features that change between passes), or a pass
 * raised an error. The JavaScript path then gives the exact result or the error a user should see.
 */
export function runNative(
  db: Database,
  ctx: PredictContext,
  request: QueryRequest,
  calls: readonly FunctionCallSyntax[],
  columns: string[],
  deferred: number[] | null,
): QueryResult | null {
  const native = ctx.native;
  if (!native) return null;
  const sql = rewritePredictCalls(request.sql, calls, deferred ? 'defer' : 'call');
  if (sql === null) return null;
  const args = Array.isArray(request.params) ? request.params : [request.params];
  try {
    native.reset();
    const rows = deferred
      ? deferPass(db, ctx, native, sql, args, deferred)
      : passes(db, ctx, native, sql, args);
    if (!rows) return null;
    ctx.stats.batchedStatements++;
    ctx.stats.nativeStatements++;
    return { columns, rows, changes: 0 };
  } catch {
    return null;
  } finally {
    native.reset();
  }
}

function deferPass(
  db: Database,
  ctx: PredictContext,
  native: NativeBatch,
  sql: string,
  args: unknown[],
  columns: number[],
): unknown[][] | null {
  const rows = readRows(db.prepare(sql), args);
  if (native.failed) return null;
  const streams: CallStream[] = [];
  for (const info of native.streams()) {
    const stream = callStream(ctx, native, info, 0);
    if (!stream) return null;
    stream.score(ctx.catalog, ctx.usage);
    streams.push(stream);
  }
  const sequence = native.sequence();
  const seen = new Int32Array(streams.length);
  const indexInStream = new Int32Array(sequence.length);
  for (let p = 0; p < sequence.length; p++) indexInStream[p] = seen[sequence[p]]++;
  for (const row of rows) {
    for (const c of columns) {
      const placeholder = row[c];
      if (typeof placeholder !== 'number') continue;
      row[c] = streams[sequence[placeholder]].resultAt(indexInStream[placeholder], ctx.catalog, ctx.usage);
      ctx.stats.batchedCalls++;
    }
  }
  return rows;
}

function passes(
  db: Database,
  ctx: PredictContext,
  native: NativeBatch,
  sql: string,
  args: unknown[],
): unknown[][] | null {
  collectPass(db, sql, args);
  const statement = db.prepare(sql);
  const scored: number[] = [];
  for (let pass = 2; pass <= MAX_PASSES; pass++) {
    if (native.failed || !scoreNewRows(ctx, native, scored)) return null;
    native.startPass();
    const rows = readRows(statement, args);
    if (native.failed) return null;
    if (!native.missed) {
      ctx.stats.batchedCalls += native.answered;
      return rows;
    }
  }
  return null;
}

/**
 * Scores every stream's rows recorded since the last call (`scored[i]` rows of stream i were scored before)
 * and loads the results. False when a stream cannot be scored natively (see {@link callStream}) or its
 * answers are not one number each.
 */
function scoreNewRows(ctx: PredictContext, native: NativeBatch, scored: number[]): boolean {
  for (const info of native.streams()) {
    const from = scored[info.index] ?? 0;
    if (info.rows === from) continue;
    const stream = callStream(ctx, native, info, from);
    if (!stream) return false;
    stream.score(ctx.catalog, ctx.usage);
    if (!stream.numbers) return false;
    native.load(info, from, stream.numbers);
    scored[info.index] = info.rows;
  }
  return true;
}

/**
 * A {@link CallStream} over the native stream's rows from `from` on, or null when the stream names an unknown
 * model, a model that cannot be batched, or has the wrong arity (the JavaScript path reports those).
 */
function callStream(
  ctx: PredictContext,
  native: NativeBatch,
  info: NativeStream,
  from: number,
): CallStream | null {
  try {
    const plan = ctx.catalog.resolve(info.ref).plan;
    if (!isBatchable(plan)) return null;
    checkArity(plan, info.arity, info.kind);
    outputsFor(plan, info.kind);
    const stream = new CallStream(info.kind, info.ref, info.arity, plan);
    stream.values = native.features(info, from);
    stream.count = info.rows - from;
    return stream;
  } catch {
    return null;
  }
}
