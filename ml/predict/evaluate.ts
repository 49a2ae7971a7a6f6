import { InfrabaseError } from '../../engine/index.js';
import type { Dtype } from '../onnx/index.js';
import { describeExpected, type PredictPlan, type PreparedModel } from '../registry/index.js';
import type { TensorValue } from '../runtime/index.js';
import { inputDims, nest, type RowOutput, rowValue, scoreRows, toElements } from './tensors.js';

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
    result = readRow(session.runSync(feeds.feeds, outputs), feeds.batch);
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

function readRow(out: Record<string, TensorValue>, batch: number): Record<string, RowOutput> {
  const rows: Record<string, RowOutput> = {};
  for (const [name, t] of Object.entries(out)) {
    const perRow = t.dims.length > 0 && t.dims[0] === batch;
    const innerDims = perRow ? t.dims.slice(1) : [...t.dims];
    rows[name] = { data: t.data, rowSize: innerDims.reduce((a, b) => a * b, 1), innerDims };
  }
  return rows;
}

/**
 * Builds feeds from a JSON object keyed by input name; each value is a number or a (nested) array holding one
 * row of that input. Returns null when any value is JSON null.
 * @throws InfrabaseError `INVALID_ARGUMENT` for invalid JSON, a missing input, a non-numeric or miscounted value.
 */
function jsonFeeds(
  plan: PredictPlan,
  text: string,
): { feeds: Record<string, TensorValue>; batch: number } | null {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    obj = undefined;
  }
  const names = plan.inputs.map((i) => i.name);
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${plan.label}: ${JSON.stringify(text.slice(0, 80))} is not a JSON object; expected ${describeExpected(plan)}`,
    );
  }
  const feeds: Record<string, TensorValue> = {};
  let batch = 1;
  for (const input of plan.inputs) {
    const value = (obj as Record<string, unknown>)[input.name];
    if (value === undefined) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${plan.label}: JSON has no key '${input.name}'; expected keys ${names.map((n) => `'${n}'`).join(', ')}`,
      );
    }
    if (value === null) return null;
    const flat = [value].flat(Number.POSITIVE_INFINITY) as unknown[];
    if (flat.some((v) => v === null)) return null;
    const nums = flat.map((v, i) => {
      const n = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
      if (!Number.isFinite(n)) {
        throw new InfrabaseError(
          'INVALID_ARGUMENT',
          `${plan.label}: input '${input.name}' element ${i} is ${JSON.stringify(v)}, not a number`,
        );
      }
      return n;
    });
    if (input.rowSize !== null && nums.length !== input.rowSize) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${plan.label}: input '${input.name}' got ${nums.length} values; expected ${input.rowSize} (${input.dtype} [${input.shape.join(',')}])`,
      );
    }
    const rows = input.fixedBatch ?? 1;
    batch = rows;
    const values = new Float64Array(rows * nums.length);
    values.set(nums);
    feeds[input.name] = {
      dtype: input.dtype as Dtype,
      dims: inputDims(input, rows, nums.length, plan.label),
      data: toElements(values, input, plan.label),
    };
  }
  return { feeds, batch };
}
