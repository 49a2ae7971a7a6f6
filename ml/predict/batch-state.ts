import { isBatchable, type ModelCatalog } from '../registry/index.js';
import { CallStream } from './call-stream.js';
import { checkArity, isJsonCall, outputsFor, type PredictKind, type SqlValue } from './evaluate.js';
import { PredictUsage } from './predict-usage.js';

/** Returned by {@link BatchState.answer} when the batch has no result for a call (evaluate it per row). */
export const MISS: unique symbol = Symbol('miss');

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
  mode: 'off' | 'collect' | 'answer' | 'defer' = 'off';
  /** Set when the collect pass hit an error: the statement then runs per row, which reports it if it is real. */
  failed = false;
  private streams = new Map<string, CallStream>();
  private lastKind: PredictKind | '' = '';
  private lastRef = '';
  private lastStream: CallStream | undefined;

  /**
   * @param usage where session runs are counted: one entry per stream run (rows = the stream's calls), and
   *   one per row for rows scored alone.
   */
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly usage: PredictUsage = new PredictUsage(),
  ) {}

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
      if (stream && !(features.length === 1 && isJsonCall(stream.plan, features))) stream.push(features);
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
    return stream.valueAt(j);
  }

  private deferStreams: CallStream[] = [];
  private deferStream = new Uint16Array(0);
  private deferIndex = new Int32Array(0);
  private deferCount = 0;

  /**
   * Defer mode (single pass, for PREDICT calls that are bare result columns): records the call and returns a
   * placeholder — its sequence number — that {@link BatchState.resolveDeferred} turns into the result after
   * the batch run. Any call that cannot be deferred sets `failed` (the caller then reruns the statement).
   */
  defer(kind: PredictKind, ref: unknown, features: readonly unknown[]): number | null {
    if (this.failed) return null;
    if (typeof ref !== 'string') {
      this.failed = true;
      return null;
    }
    try {
      const stream = this.stream(kind, ref, features.length, true);
      if (!stream || (features.length === 1 && isJsonCall(stream.plan, features))) {
        this.failed = true;
        return null;
      }
      const before = stream.count;
      stream.push(features);
      if (stream.count === before) return null; // a NULL feature: NULL out
      if (this.deferCount === this.deferIndex.length) {
        const size = Math.max(8192, this.deferCount * 2);
        const index = new Int32Array(size);
        index.set(this.deferIndex);
        const which = new Uint16Array(size);
        which.set(this.deferStream);
        this.deferIndex = index;
        this.deferStream = which;
      }
      let id = this.deferStreams.indexOf(stream);
      if (id < 0) id = this.deferStreams.push(stream) - 1;
      this.deferStream[this.deferCount] = id;
      this.deferIndex[this.deferCount] = before;
      return this.deferCount++;
    } catch {
      this.failed = true;
      return null;
    }
  }

  /** The result for a placeholder returned by {@link BatchState.defer} (after {@link BatchState.evaluate}). */
  resolveDeferred(placeholder: number): SqlValue {
    const stream = this.deferStreams[this.deferStream[placeholder]];
    return stream.resultAt(this.deferIndex[placeholder], this.catalog, this.usage);
  }

  /** Scores every stream in one onnxruntime run each (chunked by the model's batch size). */
  evaluate(): void {
    for (const s of this.streams.values()) s.score(this.catalog, this.usage);
  }

  /** Forgets all streams and turns batching off. */
  reset(): void {
    this.mode = 'off';
    this.failed = false;
    this.streams.clear();
    this.deferStreams = [];
    this.deferCount = 0;
    this.lastKind = '';
    this.lastRef = '';
    this.lastStream = undefined;
  }

  private stream(kind: PredictKind, ref: string, arity: number, create: boolean): CallStream | undefined {
    if (kind === this.lastKind && ref === this.lastRef && this.lastStream) return this.lastStream;
    const key = `${kind}\u0000${ref}`;
    let s = this.streams.get(key);
    if (!s && create) {
      const plan = this.catalog.resolve(ref, true).plan;
      if (!isBatchable(plan)) return undefined;
      checkArity(plan, arity, kind);
      outputsFor(plan, kind);
      s = new CallStream(kind, ref, arity, plan);
      this.streams.set(key, s);
    }
    if (!s) return undefined;
    this.lastKind = kind;
    this.lastRef = ref;
    this.lastStream = s;
    return s;
  }
}
