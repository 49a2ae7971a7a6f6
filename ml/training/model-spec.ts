import { InfrabaseError } from '../../engine/index.js';

/** The model types of `sys_training_jobs.model_type`. */
export const MODEL_TYPES = ['logistic', 'softmax', 'linear', 'mlp'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** What the last layer predicts: one probability, a distribution over classes, or a real value. */
export type ModelHead = 'binary' | 'multiclass' | 'regression';

/**
 * A dense network described by its layer widths. `logistic`, `softmax` and `linear` are networks without
 * hidden layers; `mlp` has 1–2 hidden ReLU layers and any head.
 */
export interface ModelSpec {
  readonly type: ModelType;
  readonly head: ModelHead;
  /** Number of input features F. */
  readonly features: number;
  /** Number of classes C (2 for binary, ≥ 2 for multiclass, 1 for regression). */
  readonly classes: number;
  /** Widths of the hidden ReLU layers (empty unless `type` is `mlp`). */
  readonly hidden: readonly number[];
}

/** One dense layer's place in the flat parameter vector. */
export interface LayerSlice {
  readonly inputs: number;
  readonly outputs: number;
  /** Offset of W, stored row-major as [outputs, inputs] (W[j·inputs + i] links input i to unit j). */
  readonly weightOffset: number;
  /** Offset of the bias b, [outputs]. */
  readonly biasOffset: number;
}

export interface ModelSpecOptions {
  type: ModelType;
  features: number;
  /** For `softmax` and classifier `mlp`: the class count; ignored otherwise. */
  classes?: number;
  /** For `mlp` only: 1–2 hidden widths. */
  hidden?: readonly number[];
  /** For `mlp` only: the head (default `binary` when classes is 2, `multiclass` when > 2, else `regression`). */
  head?: ModelHead;
}

function bad(message: string): InfrabaseError {
  return new InfrabaseError('INVALID_ARGUMENT', message);
}

/**
 * Builds and validates a {@link ModelSpec}.
 * @throws InfrabaseError('INVALID_ARGUMENT') for an unknown type, features < 1, classes < 2 for a multiclass
 *   head, or hidden widths that are not 1–2 positive integers for `mlp` (or present for the other types).
 * @example modelSpec({ type: 'mlp', features: 7, hidden: [16], head: 'binary' })
 */
export function modelSpec(options: ModelSpecOptions): ModelSpec {
  const { type, features } = options;
  if (!MODEL_TYPES.includes(type))
    throw bad(`model type '${type}' is unknown; accepted: ${MODEL_TYPES.join(', ')}`);
  if (!Number.isInteger(features) || features < 1) {
    throw bad(`features must be a positive integer, got ${features}`);
  }
  const hidden = options.hidden ?? [];
  if (type === 'mlp') {
    if (hidden.length < 1 || hidden.length > 2 || hidden.some((h) => !Number.isInteger(h) || h < 1)) {
      throw bad(`mlp needs 1-2 hidden layer widths (positive integers), got [${hidden.join(', ')}]`);
    }
  } else if (hidden.length > 0) {
    throw bad(`hidden layers are only accepted for mlp, got [${hidden.join(', ')}] for ${type}`);
  }
  let head: ModelHead;
  if (type === 'logistic') head = 'binary';
  else if (type === 'softmax') head = 'multiclass';
  else if (type === 'linear') head = 'regression';
  else if (options.head) head = options.head;
  else if (options.classes === 2) head = 'binary';
  else if ((options.classes ?? 0) > 2) head = 'multiclass';
  else head = 'regression';
  let classes = head === 'binary' ? 2 : head === 'regression' ? 1 : (options.classes ?? 0);
  if (head === 'multiclass' && (!Number.isInteger(classes) || classes < 2)) {
    throw bad(`a multiclass head needs classes >= 2, got ${options.classes}`);
  }
  classes = Math.trunc(classes);
  return { type, head, features, classes, hidden: [...hidden] };
}

/** Width of the last layer: 1 for binary (the logit of class 1) and regression, C for multiclass. */
export function outputWidth(spec: ModelSpec): number {
  return spec.head === 'multiclass' ? spec.classes : 1;
}

/**
 * The flat parameter layout: layers in order from input to output, each as W ([outputs, inputs], row-major)
 * followed by b ([outputs]). Aggregation treats the whole vector as one Float64Array.
 */
export function layerSlices(spec: ModelSpec): LayerSlice[] {
  const widths = [spec.features, ...spec.hidden, outputWidth(spec)];
  const slices: LayerSlice[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const inputs = widths[l];
    const outputs = widths[l + 1];
    slices.push({ inputs, outputs, weightOffset: offset, biasOffset: offset + inputs * outputs });
    offset += inputs * outputs + outputs;
  }
  return slices;
}

/** Length of the flat parameter vector. */
export function parameterCount(spec: ModelSpec): number {
  const last = layerSlices(spec).at(-1)!;
  return last.biasOffset + last.outputs;
}
