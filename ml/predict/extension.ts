import type { Database } from 'better-sqlite3';
import type { EngineExtension } from '../../engine/index.js';
import { ModelCatalog, modelTriggersSchema, registerModelTriggerFunctions } from '../registry/index.js';
import { BatchState } from './batch-state.js';
import { runBatched } from './batched-query.js';
import { type PredictContext, type PredictStats, registerPredictFunctions } from './functions.js';
import { loadNativeBatch } from './native/index.js';
import { predictSyntax } from './predict-syntax.js';
import { type ModelPredictUsage, PredictUsage } from './predict-usage.js';

const contexts = new WeakMap<Database, PredictContext>();

/**
 * The ml module's engine extension: on every connection, PREDICT / PREDICT_PROBA / PREDICT_JSON and the
 * sys_models validation functions; as schema, the sys_models validation triggers; as query interceptor, the
 * two-pass batch evaluation of read-only statements (and the catalog refresh before each of them).
 *
 * @example openDatabase(path, { migrate: true, extensions: [mlExtension] })
 */
export const mlExtension: EngineExtension = {
  name: 'ml',
  register(db, connection) {
    const catalog = new ModelCatalog(db, connection.path);
    const usage = new PredictUsage();
    const ctx: PredictContext = {
      catalog,
      batch: new BatchState(catalog, usage),
      native: loadNativeBatch(db),
      stats: { batchedStatements: 0, nativeStatements: 0, batchedCalls: 0, perRowCalls: 0 },
      usage,
    };
    contexts.set(db, ctx);
    registerModelTriggerFunctions(db);
    registerPredictFunctions(db, ctx);
    catalog.sync();
  },
  schema: modelTriggersSchema,
  beforeStatement(db, request) {
    syncModels(db, request.sql);
  },
  interceptQuery(db, request, next) {
    const ctx = contexts.get(db);
    return ctx ? runBatched(db, ctx, request, next) : next();
  },
};

/**
 * Refreshes this connection's view of sys_models and loads the models `sql` names (its string literals, when
 * it calls PREDICT, as the SQL parser reads it). executeStatement does this
 * before every read-only statement; call it before statements prepared directly on the connection (needed on
 * in-memory databases, where PREDICT cannot load a model in the middle of a statement).
 */
export function syncModels(db: Database, sql = ''): void {
  const ctx = contexts.get(db);
  if (!ctx) return;
  ctx.catalog.sync();
  if (sql) ctx.catalog.preload(predictSyntax(sql)?.syntax.strings ?? []);
}

/** How this connection batches PREDICT: in the native extension, or in JavaScript (not built, or turned off). */
export function predictBatching(db: Database): 'native' | 'javascript' {
  return contexts.get(db)?.native ? 'native' : 'javascript';
}

/** A copy of the connection's PREDICT counters (zeros for a connection without the ml extension). */
export function predictStats(db: Database): PredictStats {
  const stats = contexts.get(db)?.stats;
  return stats
    ? { ...stats }
    : { batchedStatements: 0, nativeStatements: 0, batchedCalls: 0, perRowCalls: 0 };
}

/**
 * The connection's PREDICT usage by model name since the previous call (calls ok/error, rows scored, session
 * run durations bucketed by `PREDICT_DURATION_BUCKETS_SECONDS`), and resets it. Empty for a connection
 * without the ml extension or without PREDICT calls since the last take.
 *
 * @example
 * db.prepare("SELECT PREDICT('iris', 5.1, 3.5, 1.4, 0.2)").get();
 * takePredictUsage(db); // [{ model: 'iris', callsOk: 1, callsError: 0, rows: 1, bucketCounts: [1, 0, …], … }]
 */
export function takePredictUsage(db: Database): ModelPredictUsage[] {
  return contexts.get(db)?.usage.take() ?? [];
}
