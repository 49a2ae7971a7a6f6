import { isBatchable, type ModelCatalog } from '../registry/index.js';
import {
  answer,
  checkArity,
  isJsonCall,
  outputsFor,
  type PredictKind,
  type SqlValue,
  toFeature,
} from './evaluate.js';
import { NotBatchableError, type RowOutput, scoreRows } from './tensors.js';

/** Returned by {@link BatchState.answer} when the batch has no result for a call (evaluate it per row). */
export const MISS: unique symbol = Symbol('miss');

/** How far past the cursor a call may match before it counts as a miss (calls skipped by control flow). */
const LOOKAHEAD = 2;

/** The calls of one (function, model reference) seen by the collect pass, in order, and their results. */
class CallStream {
  values = new Float64Array(1024);
  count = 0;
  out: Record<string, RowOutput> | null = null;
  cursor = 0;
  last = -1;
  constructor(
    readonly kind: PredictKind,
    readonly ref: string,
    readonly arity: number,
  ) {}

  push(features: readonly unknown[], catalog: ModelCatalog): void {
    const f = this.arity;
    if ((this.count + 1) * f > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    const plan = catalog.resolve(this.ref, true).plan;
    const o = this.count * f;
    for (let i = 0; i < f; i++) {
      const v = toFeature(features[i], i + 1, plan);
      if (v === undefined) return; // NULL in → NULL out, nothing to score
      this.values[o + i] = v;
    }
    this.count++;
  }

  /** Index of the collected call with these features near the cursor (or the last match), else -1. */
  match(features: readonly unknown[]): number {
    const f = this.arity;
    const end = Math.min(this.count, this.cursor + LOOKAHEAD + 1);
    for (let j = this.cursor; j < end; j++) {
      if (this.equal(j, features, f)) {
        this.cursor = j + 1;
        this.last = j;
        return j;
      }
    }
    if (this.last >= 0 && this.equal(this.last, features, f)) return this.last;
    return -1;
  }

  private equal(j: number, features: readonly unknown[], f: number): boolean {
    const o = j * f;
    const values = this.values;
    for (let i = 0; i < f; i++) {
      const v = features[i];
      const n =
        typeof v === 'number' ? v : typeof v === 'bigint' || typeof v === 'string' ? Number(v) : Number.NaN;
      if (values[o + i] !== n) return false;
    }
    return true;
  }
}

/**
 * Two-pass batch evaluation of PREDICT calls in one read-only statement (per connection).
 *
 * - `collect`: the statement runs once with every PREDICT returning NULL while the arguments of each call are
 *   appended to a stream per (function, model reference).
 * - {@link BatchState.evaluate}: one onnxruntime run per stream over all its rows.
 * - `answer`: the statement runs again in the same read transaction; each call is matched to the next collected
 *   call of its stream (or a few ahead, or the previous one) by comparing its arguments, so a result is only
 *   ever returned for identical inputs. Anything else (control flow that depends on PREDICT, nested PREDICT,
 *   CASE, LIMIT after ORDER BY …) is a miss and is evaluated per row, which keeps the statement exactly correct.
 */
export class BatchState {
  mode: 'off' | 'collect' | 'answer' = 'off';
  /** Set when the collect pass hit an error: the statement then runs per row, which reports it if it is real. */
  failed = false;
  private streams = new Map<string, CallStream>();
  private lastKey = '';
  private lastStream: CallStream | undefined;

  constructor(private readonly catalog: ModelCatalog) {}

  /** True once any call was collected. */
  get collected(): boolean {
    for (const s of this.streams.values()) if (s.count > 0) return true;
    return false;
  }

  /** Records a call during the collect pass; always returns NULL. */
  collect(kind: PredictKind, ref: unknown, features: readonly unknown[]): null {
    if (this.failed || typeof ref !== 'string') return null;
    try {
      const stream = this.stream(kind, ref, features.length, true);
      if (stream && !isJsonCall(this.catalog.resolve(ref, true).plan, features))
        stream.push(features, this.catalog);
    } catch {
      this.failed = true;
    }
    return null;
  }

  /** The batched result for a call in the answer pass, or {@link MISS}. */
  answer(kind: PredictKind, ref: unknown, features: readonly unknown[]): SqlValue | typeof MISS {
    if (typeof ref !== 'string') return MISS;
    const stream = this.stream(kind, ref, features.length, false);
    if (!stream?.out || stream.arity !== features.length) return MISS;
    for (const v of features) if (v === null) return null; // NULL in → NULL out (arity already checked)
    const j = stream.match(features);
    if (j < 0) return MISS;
    return answer(this.catalog.resolve(ref, true).plan, kind, stream.out, j);
  }

  /** Scores every stream in one onnxruntime run each (chunked by the model's batch size). */
  evaluate(): void {
    for (const s of this.streams.values()) {
      if (s.count === 0) continue;
      const model = this.catalog.resolve(s.ref);
      try {
        s.out = scoreRows(
          model.session,
          model.plan,
          s.values.subarray(0, s.count * s.arity),
          s.count,
          s.arity,
          outputsFor(model.plan, s.kind),
        );
      } catch (err) {
        // NotBatchableError (outputs not one row per input row) or a conversion/runtime error: every call of
        // this stream then misses and runs per row, which raises the error for the row that causes it.
        void (err instanceof NotBatchableError);
        s.out = null;
      }
    }
  }

  /** Forgets all streams and turns batching off. */
  reset(): void {
    this.mode = 'off';
    this.failed = false;
    this.streams.clear();
    this.lastKey = '';
    this.lastStream = undefined;
  }

  private stream(kind: PredictKind, ref: string, arity: number, create: boolean): CallStream | undefined {
    const key = `${kind}\u0000${ref}`;
    if (key === this.lastKey && this.lastStream) return this.lastStream;
    let s = this.streams.get(key);
    if (!s && create) {
      const plan = this.catalog.resolve(ref, true).plan;
      if (!isBatchable(plan)) return undefined;
      checkArity(plan, arity, kind);
      outputsFor(plan, kind);
      s = new CallStream(kind, ref, arity);
      this.streams.set(key, s);
    }
    if (!s) return undefined;
    this.lastKey = key;
    this.lastStream = s;
    return s;
  }
}
