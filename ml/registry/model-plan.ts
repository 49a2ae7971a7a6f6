import { InfrabaseError } from '../../engine/index.js';
import type { ModelDescription } from '../onnx/index.js';
import { NUMERIC_DTYPES } from '../onnx/index.js';
import type { ValueMetadata } from '../runtime/index.js';

/** How one model input is laid out: `[batch, ...row]` where the row holds `rowSize` elements. */
export interface InputLayout {
  readonly name: string;
  readonly dtype: string;
  readonly shape: ReadonlyArray<number | string>;
  /** False for a rank-0 input (one value, no batch dimension). */
  readonly hasBatchDim: boolean;
  /**
   * True when the first dimension is dynamic (symbolic): the input takes one row per scored row, stacked
   * along it. Other inputs are passed as given (PREDICT_JSON) or, for a single-input model, in chunks of
   * `fixedBatch` rows.
   */
  readonly batched: boolean;
  /** Fixed batch size (e.g. 3 for `[3, 2]`), or null when the batch dimension is dynamic. */
  readonly fixedBatch: number | null;
  /** Elements per row (product of the non-batch dims), or null when an inner dimension is dynamic. */
  readonly rowSize: number | null;
}

/** What PREDICT needs to know about a model, derived from its session metadata and sys_models description. */
export interface PredictPlan {
  /** `model 'name@version'`, used in every error message. */
  readonly label: string;
  readonly inputs: readonly InputLayout[];
  /** Tensor outputs of the session, in order. */
  readonly outputs: readonly string[];
  /** PREDICT's output: the first tensor output (label for classifiers, value for regressors). */
  readonly primaryOutput: string;
  /** PREDICT_PROBA's output: the ZipMap's probability tensor or a float output named like `prob…`. */
  readonly probabilityOutput: string | null;
  /** Class labels for the probability columns, when the model names them. */
  readonly classLabels: ReadonlyArray<number | string> | null;
  /** Arguments PREDICT takes after the model (single-input models), or null when any count works. */
  readonly featureCount: number | null;
  /**
   * sys_models.row_independent: false when batching changes some row's outputs (the model mixes rows along
   * the first dimension); such a model is scored one row at a time, whatever the statement.
   */
  readonly rowIndependent: boolean;
}

/**
 * Builds the plan of a model.
 * @throws InfrabaseError `MODEL_ERROR` when the model has no tensor output or a non-numeric input PREDICT cannot feed.
 */
export function planModel(
  label: string,
  inputs: readonly ValueMetadata[],
  outputs: readonly ValueMetadata[],
  description: Pick<ModelDescription, 'outputs'> | null,
  rowIndependent = true,
): PredictPlan {
  const layouts = inputs.map((m): InputLayout => {
    const shape = m.shape;
    if (!NUMERIC_DTYPES.has(m.dtype ?? '')) {
      throw new InfrabaseError(
        'MODEL_ERROR',
        `${label}: input '${m.name}' has element type ${m.dtype}; PREDICT feeds numeric tensors only`,
      );
    }
    const hasBatchDim = shape.length >= 1;
    const inner = shape.slice(1);
    const rowSize = inner.every((d) => typeof d === 'number')
      ? (inner as number[]).reduce((a, b) => a * b, 1)
      : null;
    return {
      name: m.name,
      dtype: m.dtype!,
      shape,
      hasBatchDim,
      batched: hasBatchDim && typeof shape[0] !== 'number',
      fixedBatch: hasBatchDim ? (typeof shape[0] === 'number' ? (shape[0] as number) : null) : 1,
      rowSize,
    };
  });
  const tensorOutputs = outputs.filter((o) => o.isTensor).map((o) => o.name);
  if (tensorOutputs.length === 0) {
    throw new InfrabaseError('MODEL_ERROR', `${label}: has no tensor output onnxruntime can return`);
  }
  const described = description?.outputs ?? [];
  const zip = described.find((o) => o.probabilityTensor && tensorOutputs.includes(o.probabilityTensor));
  const primary =
    described.find((o) => o.kind === 'tensor' && tensorOutputs.includes(o.name))?.name ?? tensorOutputs[0];
  const probByName = outputs.find(
    (o) => o.isTensor && o.name !== primary && /prob/i.test(o.name) && /^float/.test(o.dtype ?? ''),
  );
  const single = layouts.length === 1 ? layouts[0] : undefined;
  return {
    label,
    inputs: layouts,
    outputs: tensorOutputs,
    primaryOutput: primary,
    probabilityOutput: zip?.probabilityTensor ?? probByName?.name ?? null,
    classLabels: zip?.classLabels?.length ? zip.classLabels : null,
    featureCount: single ? single.rowSize : null,
    rowIndependent,
  };
}

/**
 * True when rows can be scored many at a time: a row-independent model with one input of a known row size and
 * a usable batch dim.
 */
export function isBatchable(plan: PredictPlan): boolean {
  if (plan.inputs.length !== 1 || !plan.rowIndependent) return false;
  const input = plan.inputs[0];
  return input.hasBatchDim && input.rowSize !== null && input.fixedBatch !== 1;
}

/** Describes what a model expects, for error messages: `4 numeric features (X: float32 [N,4])`. */
export function describeExpected(plan: PredictPlan): string {
  const shapes = plan.inputs.map((i) => `${i.name}: ${i.dtype} [${i.shape.map((d) => d || 'N').join(',')}]`);
  if (plan.inputs.length > 1) {
    return `one JSON object keyed by input name (${shapes.join('; ')})`;
  }
  const n = plan.featureCount;
  return `${n === null ? 'a variable number of' : n} numeric feature${n === 1 ? '' : 's'} or one JSON object keyed by input name (${shapes[0]})`;
}
