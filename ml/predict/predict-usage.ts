import type { PreparedModel } from '../registry/index.js';
import { evaluateRow, type PredictKind, type SqlValue } from './evaluate.js';

/**
 * Upper bounds of the PREDICT duration buckets, in seconds (0.5 ms to 30 s, then +Inf): the same bounds as the
 * `infrabase_predict_duration_seconds` histogram, so the usage a worker reports maps onto it bucket for bucket.
 */
export const PREDICT_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** PREDICT usage of one model (by name) accumulated since the last {@link PredictUsage.take}. */
export interface ModelPredictUsage {
  /** The model's name (never the version or the inputs: keeps metric cardinality at the number of models). */
  readonly model: string;
  /** ONNX session runs that returned (one per batch, or one per row on the per-row path). */
  callsOk: number;
  /** Calls that failed: wrong arity or type, model not found, runtime error. */
  callsError: number;
  /** Rows scored by the successful runs. */
  rows: number;
  /** Runs per duration bucket: index i counts runs ≤ bounds[i] and > bounds[i-1]; the last index is +Inf. */
  readonly bucketCounts: number[];
  /** Sum of the run durations in each bucket, seconds (so a merge keeps both the buckets and the sum exact). */
  readonly bucketSeconds: number[];
}

/**
 * Per-connection PREDICT counters by model name, drained by whoever reports them (the SQL worker sends
 * them with each statement's result). Recording is a cached lookup of the last model plus a few additions,
 * done once per session run — per batch on the batched path, never per row.
 */
export class PredictUsage {
  private byModel = new Map<string, ModelPredictUsage>();
  private lastName = '';
  private last: ModelPredictUsage | undefined;

  constructor(readonly bounds: readonly number[] = PREDICT_DURATION_BUCKETS_SECONDS) {}

  /** Records one successful session run of `model` over `rows` rows that took `seconds`. */
  ok(model: string, rows: number, seconds: number): void {
    const u = this.of(model);
    u.callsOk++;
    u.rows += rows;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    u.bucketCounts[i]++;
    u.bucketSeconds[i] += seconds;
  }

  /** Records one failed call of `model`. */
  error(model: string): void {
    this.of(model).callsError++;
  }

  /** The usage since the previous call, one entry per model that was used; resets the counters. */
  take(): ModelPredictUsage[] {
    if (this.byModel.size === 0) return [];
    const out = [...this.byModel.values()];
    this.byModel = new Map();
    this.lastName = '';
    this.last = undefined;
    return out;
  }

  private of(model: string): ModelPredictUsage {
    if (model === this.lastName && this.last) return this.last;
    let u = this.byModel.get(model);
    if (!u) {
      const n = this.bounds.length + 1;
      u = {
        model,
        callsOk: 0,
        callsError: 0,
        rows: 0,
        bucketCounts: new Array<number>(n).fill(0),
        bucketSeconds: new Array<number>(n).fill(0),
      };
      this.byModel.set(model, u);
    }
    this.lastName = model;
    this.last = u;
    return u;
  }
}

/** The model name of a reference `'name'` or `'name@version'`. */
export function modelNameOf(ref: string): string {
  const at = ref.lastIndexOf('@');
  return at > 0 ? ref.slice(0, at) : ref;
}

/**
 * Scores one row with {@link evaluateRow} and records the run (or the failure) in `usage`.
 * @throws whatever {@link evaluateRow} throws, after counting it as an error of the model.
 */
export function evaluateRowCounted(
  usage: PredictUsage,
  model: PreparedModel,
  kind: PredictKind,
  features: readonly unknown[],
): SqlValue {
  const start = performance.now();
  let value: SqlValue;
  try {
    value = evaluateRow(model, kind, features);
  } catch (err) {
    usage.error(model.name);
    throw err;
  }
  usage.ok(model.name, 1, (performance.now() - start) / 1000);
  return value;
}
