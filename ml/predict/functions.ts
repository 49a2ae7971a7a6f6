import type { Database } from 'better-sqlite3';
import type { ModelCatalog } from '../registry/index.js';
import { type BatchState, MISS } from './batch-state.js';
import { evaluateRow, FUNCTION_NAMES, type PredictKind, type SqlValue } from './evaluate.js';

/** Per-connection PREDICT state: the model catalog and the batch evaluator. */
export interface PredictContext {
  readonly catalog: ModelCatalog;
  readonly batch: BatchState;
}

/**
 * Registers PREDICT, PREDICT_PROBA and PREDICT_JSON on a connection (variadic, non-deterministic so SQLite
 * never caches or hoists them). Each call is answered from the batch when a batched statement is running,
 * else evaluated per row.
 */
export function registerPredictFunctions(db: Database, ctx: PredictContext): void {
  const call = (kind: PredictKind, model: unknown, features: unknown[]): SqlValue => {
    if (model === null || model === undefined) return null;
    const batch = ctx.batch;
    if (batch.mode === 'collect') return batch.collect(kind, model, features);
    if (batch.mode === 'answer') {
      const v = batch.answer(kind, model, features);
      if (v !== MISS) return v;
    }
    return evaluateRow(ctx.catalog.resolve(model as string, true), kind, features);
  };
  for (const kind of ['predict', 'proba', 'json'] as const) {
    db.function(
      FUNCTION_NAMES[kind],
      { varargs: true, deterministic: false },
      (model: unknown, ...features: unknown[]) => call(kind, model, features),
    );
  }
}
