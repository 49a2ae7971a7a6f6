import type { Database } from 'better-sqlite3';
import type { ModelCatalog } from '../registry/index.js';
import { type BatchState, MISS } from './batch-state.js';
import { FUNCTION_NAMES, type PredictKind, type SqlValue } from './evaluate.js';
import type { NativeBatch } from './native/index.js';
import { evaluateRowCounted, modelNameOf, type PredictUsage } from './predict-usage.js';

/** Counters of how PREDICT calls were answered on one connection (for tests, metrics and EXPLAIN-like checks). */
export interface PredictStats {
  /** Read-only statements answered from a batch (in one pass or two). */
  batchedStatements: number;
  /** Of those, the statements answered by the native extension. */
  nativeStatements: number;
  /** Calls answered from a batch result. */
  batchedCalls: number;
  /** Calls evaluated one row at a time (writes, misses of the batch, multi-input models). */
  perRowCalls: number;
}

/** Per-connection PREDICT state: the model catalog, the batch evaluator and counters. */
export interface PredictContext {
  readonly catalog: ModelCatalog;
  readonly batch: BatchState;
  /** The native batch extension's state, or null when it is not built or is turned off. */
  readonly native: NativeBatch | null;
  readonly stats: PredictStats;
  /** Calls, rows and scoring time by model, drained by the reporter ({@link takePredictUsage}). */
  readonly usage: PredictUsage;
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
    if (batch.mode === 'defer') return batch.defer(kind, model, features);
    if (batch.mode === 'collect') return batch.collect(kind, model, features);
    if (batch.mode === 'answer') {
      const v = batch.answer(kind, model, features);
      if (v !== MISS) {
        ctx.stats.batchedCalls++;
        return v;
      }
    }
    ctx.stats.perRowCalls++;
    let prepared: ReturnType<typeof ctx.catalog.resolve>;
    try {
      prepared = ctx.catalog.resolve(model as string, true);
    } catch (err) {
      ctx.usage.error(modelNameOf(String(model)));
      throw err;
    }
    return evaluateRowCounted(ctx.usage, prepared, kind, features);
  };
  for (const kind of ['predict', 'proba', 'json'] as const) {
    db.function(
      FUNCTION_NAMES[kind],
      { varargs: true, deterministic: false },
      (model: unknown, ...features: unknown[]) => call(kind, model, features),
    );
  }
}
