import { InfrabaseError } from '../../engine/index.js';
import type { Dtype } from '../onnx/index.js';
import { describeExpected, type PredictPlan, type PreparedModel } from '../registry/index.js';
import { decodeOutput, parseElement, type TensorValue, tensorData } from '../runtime/index.js';
import { jsonFeeds } from './json-feeds.js';
import { inputDims, nest, nestWhole, type RowOutput, rowValue, scoreRows } from './tensors.js';

/** Which SQL function is asking: PREDICT, PREDICT_PROBA or PREDICT_JSON. */
export type PredictKind = 'predict' | 'proba' | 'json';

export const FUNCTION_NAMES: Record<PredictKind, string> = {
  predict: 'PREDICT',
  proba: 'PREDICT_PROBA',
  json: 'PREDICT_JSON',
};

export type SqlValue = number | bigint | string | null;

/**
 * Reads one SQL value as a number: REAL and INTEGER as they are, TEXT that parses as a finite number.
 * Returns undefined for NULL.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the model, the argument position and the value.
 */
export function toFeature(v: unknown, position: number, plan: PredictPlan): number | undefined {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  const shown = Buffer.isBuffer(v) ? `a ${v.length}-byte BLOB` : JSON.stringify(v);
  throw new InfrabaseError(
    'INVALID_ARGUMENT',
    `${plan.label}: feature ${position} is ${shown}, not a number; expected ${describeExpected(plan)}`,
  );
}

/** True when the call passes one JSON object instead of features. */
export function isJsonCall(plan: PredictPlan, features: readonly unknown[]): boolean {
  return (
    features.length === 1 &&
    typeof features[0] === 'string' &&
    (plan.inputs.length > 1 || features[0].trimStart().startsWith('{'))
  );
}

/**
 * Checks the feature count of a numeric call.
 * @throws InfrabaseError `INVALID_ARGUMENT` when the model needs a JSON object or a different number of features.
 */
export function checkArity(plan: PredictPlan, count: number, kind: PredictKind): void {
  if (plan.inputs.length > 1 || (plan.featureCount !== null && count !== plan.featureCount)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${FUNCTION_NAMES[kind]}(${plan.label.replace(/^model /, '')}, …) got ${count} feature${count === 1 ? '' : 's'}; the model expects ${describeExpected(plan)}`,
    );
  }
}

/**
 * Scores one row (the per-row path, used for writes, misses of the batch pass and multi-input models).
 * `features` are the SQL arguments after the model reference. NULL in any feature → NULL.
 */
export function evaluateRow(model: PreparedModel, kind: PredictKind, features: readonly unknown[]): SqlValue {
  const { plan, session } = model;
  const outputs = outputsFor(plan, kind);
  let result: Record<string, RowOutput>;
  if (isJsonCall(plan, features)) {
    const feeds = jsonFeeds(plan, features[0] as string);
    if (feeds === null) return null;
    const out = session.runSync(feeds.feeds, outputs);
    if (kind === 'json' && feeds.batch === null) return wholeAnswer(plan, out);
    result = readRow(out, feeds.batch);
  } else if (plan.inputs[0].dtype === 'int64' || plan.inputs[0].dtype === 'uint64') {
    checkArity(plan, features.length, kind);
    const elements = exactIntegers(plan, features);
    if (elements === null) return null;
    const input = plan.inputs[0];
    const rows = input.hasBatchDim ? (input.fixedBatch ?? 1) : 1;
    const feed: TensorValue = {
      dtype: input.dtype as Dtype,
      dims: input.hasBatchDim ? [rows, ...rowDims(plan, features.length)] : [],
      data: tensorData(input.dtype, Array.from({ length: rows }, () => elements).flat()),
    };
    result = readRow(session.runSync({ [input.name]: feed }, outputs), input.hasBatchDim ? rows : null);
  } else {
    checkArity(plan, features.length, kind);
    const values = new Float64Array(features.length);
    for (let i = 0; i < features.length; i++) {
      const v = toFeature(features[i], i + 1, plan);
      if (v === undefined) return null;
      values[i] = v;
    }
    result = scoreRows(session, plan, values, 1, features.length, outputs);
  }
  return answer(plan, kind, result, 0);
}

/** PREDICT_JSON of a call given whole tensors: every output whole, its first dimension included. */
function wholeAnswer(plan: PredictPlan, out: Record<string, TensorValue>): string {
  const obj: Record<string, unknown> = {};
  for (const name of plan.outputs) obj[name] = nestWhole(out[name]);
  return JSON.stringify(obj);
}

/**
 * The features of a call to a single-input int64/uint64 model, parsed exactly (INTEGER, BigInt, or integer
 * text past 2^53); null when one is NULL.
 */
function exactIntegers(plan: PredictPlan, features: readonly unknown[]): Array<number | bigint> | null {
  const input = plan.inputs[0];
  const out: Array<number | bigint> = [];
  for (let i = 0; i < features.length; i++) {
    const v = features[i];
    if (v === null || v === undefined) return null;
    out.push(parseElement(v, input.dtype, `${plan.label}: feature ${i + 1}`));
  }
  return out;
}

/** Dims of one row of the single input holding `count` features (a dynamic inner dim inferred). */
function rowDims(plan: PredictPlan, count: number): number[] {
  return inputDims(plan.inputs[0], 1, count, plan.label).slice(1);
}

/** The outputs a function needs from the session. */
export function outputsFor(plan: PredictPlan, kind: PredictKind): string[] {
  if (kind === 'json') return [...plan.outputs];
  if (kind === 'predict') return [plan.primaryOutput];
  if (plan.probabilityOutput === null) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `PREDICT_PROBA: ${plan.label} has no probability output (outputs: ${plan.outputs.join(', ')}); use PREDICT or PREDICT_JSON`,
    );
  }
  return [plan.probabilityOutput];
}

/**
 * The SQL value of row `row`: PREDICT → the primary output (a number, or a JSON array for a multi-element row);
 * PREDICT_PROBA → P(positive class) for two classes, else a JSON array of class probabilities;
 * PREDICT_JSON → a JSON object of every tensor output.
 */
export function answer(
  plan: PredictPlan,
  kind: PredictKind,
  out: Record<string, RowOutput>,
  row: number,
): SqlValue {
  if (kind === 'predict') return rowValue(out[plan.primaryOutput], row);
  if (kind === 'proba') {
    const p = out[plan.probabilityOutput!];
    if (p.rowSize === 2) return Number(p.data[row * 2 + 1]);
    return rowValue(p, row);
  }
  const obj: Record<string, unknown> = {};
  for (const name of plan.outputs) obj[name] = nest(out[name], row);
  return JSON.stringify(obj);
}

/**
 * The outputs of one call's session run: with `batch` rows (one row given, padded to a fixed batch if need
 * be), outputs whose first dimension is `batch` are answered by their first row; otherwise (a batched input
 * given whole, or an output without that first dimension) the whole output. float16 is decoded to numbers.
 */
function readRow(out: Record<string, TensorValue>, batch: number | null): Record<string, RowOutput> {
  const rows: Record<string, RowOutput> = {};
  for (const [name, t] of Object.entries(out)) {
    const perRow = batch !== null && t.dims.length > 0 && t.dims[0] === batch;
    const innerDims = perRow ? t.dims.slice(1) : [...t.dims];
    const data = decodeOutput(t);
    rows[name] = { data, rowSize: innerDims.reduce((a, b) => a * b, 1), innerDims, dtype: t.dtype };
  }
  return rows;
}
