import type { ModelCatalog, PredictPlan } from '../registry/index.js';
import { answer, outputsFor, type PredictKind, type SqlValue, toFeature } from './evaluate.js';
import { evaluateRowCounted, type PredictUsage } from './predict-usage.js';
import { type RowOutput, scoreRows } from './tensors.js';

/** How far past the cursor a call may match before it counts as a miss (calls skipped by control flow). */
const LOOKAHEAD = 2;

/** The calls of one (function, model reference) seen by the collect pass, in order, and their results. */
export class CallStream {
  values: Float64Array = new Float64Array(8192);
  count = 0;
  out: Record<string, RowOutput> | null = null;
  /** Results as numbers when every row's answer is one number (the common case), else null. */
  numbers: Float64Array | null = null;
  cursor = 0;
  last = -1;
  /**
   * True for an int64/uint64 input: a TEXT or BigInt feature past 2^53 cannot be held as a float64, so
   * {@link CallStream.push} throws and the call is evaluated per row, exactly.
   */
  private readonly wide: boolean;
  constructor(
    readonly kind: PredictKind,
    readonly ref: string,
    readonly arity: number,
    readonly plan: PredictPlan,
  ) {
    this.wide = plan.inputs[0]?.dtype === 'int64' || plan.inputs[0]?.dtype === 'uint64';
  }

  /** Appends a call's features (a NULL feature: nothing). @throws when a feature cannot be batched. */
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
        if (this.wide && !Number.isSafeInteger(n)) {
          throw new RangeError(`feature ${i + 1} needs exact 64-bit integer evaluation`);
        }
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

  /**
   * Scores the collected rows in one onnxruntime run (chunked by the model's batch size) and records the run
   * in `usage`. On NotBatchableError (outputs not one row per input row) or a conversion/runtime error `out`
   * stays null: the calls are then evaluated per row, which raises the error for the row that causes it.
   */
  score(catalog: ModelCatalog, usage: PredictUsage): void {
    this.out = null;
    this.numbers = null;
    if (this.count === 0) return;
    const model = catalog.resolve(this.ref);
    const start = performance.now();
    try {
      this.out = scoreRows(
        model.session,
        model.plan,
        this.values.subarray(0, this.count * this.arity),
        this.count,
        this.arity,
        outputsFor(model.plan, this.kind),
      );
      this.numbers = numericAnswers(this.plan, this.kind, this.out, this.count);
      usage.ok(model.name, this.count, (performance.now() - start) / 1000);
    } catch {
      this.out = null;
    }
  }

  /** The SQL value for collected call `j`. */
  valueAt(j: number): SqlValue {
    const numbers = this.numbers;
    if (numbers !== null) return numbers[j];
    return answer(this.plan, this.kind, this.out!, j);
  }

  /**
   * The SQL value for collected call `j` after {@link CallStream.score}; when the stream could not be scored
   * as a batch, call `j` is scored alone from its recorded features (raising its error, if any).
   */
  resultAt(j: number, catalog: ModelCatalog, usage: PredictUsage): SqlValue {
    if (this.out) return this.valueAt(j);
    const f = this.arity;
    const features = Array.from(this.values.subarray(j * f, (j + 1) * f));
    return evaluateRowCounted(usage, catalog.resolve(this.ref), this.kind, features);
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
