import { isBatchable, type ModelCatalog, type PredictPlan } from '../registry/index.js';
import {
  answer,
  checkArity,
  isJsonCall,
  outputsFor,
  type PredictKind,
  type SqlValue,
  toFeature,
} from './evaluate.js';
import { evaluateRowCounted, PredictUsage } from './predict-usage.js';
import { NotBatchableError, type RowOutput, scoreRows } from './tensors.js';

/** Returned by {@link BatchState.answer} when the batch has no result for a call (evaluate it per row). */
export const MISS: unique symbol = Symbol('miss');

/** How far past the cursor a call may match before it counts as a miss (calls skipped by control flow). */
const LOOKAHEAD = 2;

/** The calls of one (function, model reference) seen by the collect pass, in order, and their results. */
class CallStream {
  values = new Float64Array(8192);
  count = 0;
  out: Record<string, RowOutput> | null = null;
  /** Results as numbers when every row's answer is one number (the common case), else null. */
  numbers: Float64Array | null = null;
  cursor = 0;
  last = -1;
  constructor(
    readonly kind: PredictKind,
    readonly ref: string,
    readonly arity: number,
    readonly plan: PredictPlan,
  ) {}

  push(features: readonly unknown[]): void {
    const f = this.arity;
    if ((this.count + 1) * f > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    const o = this.count * f;
    const values = this.values;
    for (let i = 0; i < f; i++) {
      const v = features[i];
      if (typeof v === 'number') values[o + i] = v;
      else {
        const n = toFeature(v, i + 1, this.plan);
        if (n === undefined) return; // NULL in → NULL out, nothing to score
        values[o + i] = n;
      }
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

  /** The SQL value for collected call `j`. */
  valueAt(j: number): SqlValue {
    const numbers = this.numbers;
    if (numbers !== null) return numbers[j];
    return answer(this.plan, this.kind, this.out!, j);
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
    const j = this.deferIndex[placeholder];
    if (stream.out) return stream.valueAt(j);
    // the model could not be batched: score this row alone from the recorded features
    const f = stream.arity;
    const features = Array.from(stream.values.subarray(j * f, (j + 1) * f));
    return evaluateRowCounted(this.usage, this.catalog.resolve(stream.ref), stream.kind, features);
  }

  /** Scores every stream in one onnxruntime run each (chunked by the model's batch size). */
  evaluate(): void {
    for (const s of this.streams.values()) {
      if (s.count === 0) continue;
      const model = this.catalog.resolve(s.ref);
      const start = performance.now();
      try {
        s.out = scoreRows(
          model.session,
          model.plan,
          s.values.subarray(0, s.count * s.arity),
          s.count,
          s.arity,
          outputsFor(model.plan, s.kind),
        );
        s.numbers = numericAnswers(s.plan, s.kind, s.out, s.count);
        this.usage.ok(model.name, s.count, (performance.now() - start) / 1000);
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

/** Every answer as a Float64Array when each is a single number (PREDICT of a scalar, binary PREDICT_PROBA). */
function numericAnswers(
  plan: PredictPlan,
  kind: PredictKind,
  out: Record<string, RowOutput>,
  rows: number,
): Float64Array | null {
  if (kind === 'json') return null;
  const o = out[kind === 'predict' ? plan.primaryOutput : plan.probabilityOutput!];
  const stride = o.rowSize;
  if (stride !== 1 && !(kind === 'proba' && stride === 2)) return null;
  const offset = stride === 2 ? 1 : 0;
  const data = o.data;
  const numbers = new Float64Array(rows);
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) {
    for (let i = 0; i < rows; i++) numbers[i] = data[i * stride + offset];
    return numbers;
  }
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < rows; i++) {
      const v = data[i * stride + offset];
      if (v > 9007199254740991n || v < -9007199254740991n) return null;
      numbers[i] = Number(v);
    }
    return numbers;
  }
  return null;
}
