import { InfrabaseError } from '../../engine/index.js';
import {
  layerSlices,
  type ModelSpec,
  outputWidth,
  parameterCount,
  type Standardization,
} from '../training/index.js';
import { FLOAT, floatTensor, INT64, node, type OnnxTypes, onnx, tensorValue } from './graph-builder.js';

/** ONNX operator set the exported graphs use (default domain). */
export const EXPORT_OPSET = 13;
/** ONNX IR version written (IR 8 = ONNX 1.10; onnxruntime-node 1.30 reads it). */
export const EXPORT_IR_VERSION = 8;

export interface ExportOnnxOptions {
  model: ModelSpec;
  /** Trained weights in the flat layout of `layerSlices`. */
  weights: Float64Array;
  /** One name per input feature, in column order; recorded in doc_string and metadata_props. */
  featureNames: readonly string[];
  /** Baked into the graph as (x − mean) / std so the model takes raw feature values; omit for none. */
  standardization?: Standardization;
  /** Graph name (default `infrabase_<type>`). */
  graphName?: string;
  /** Extra metadata_props (string values), e.g. the training job id. */
  metadata?: Record<string, string>;
}

/**
 * Exports a trained model as a serialized ONNX ModelProto (opset 13, IR 8), built with onnx-proto.
 *
 * Graph input: `input` float32 [N, F] of raw feature values (F = model.features, N symbolic).
 * Standardisation (when given): `Sub(input, mean)` then `Div(·, std)`, mean/std float32 [F].
 * Each dense layer: `Gemm(x, W, b, transB=1)` with W float32 [out, in] and b [out]; hidden layers `Relu`.
 * Outputs:
 * - binary (logistic, mlp): `label` int64 [N] and `probabilities` float32 [N, 2] = [1 − σ(z), σ(z)];
 * - multiclass (softmax, mlp): `label` int64 [N] (arg-max) and `probabilities` float32 [N, C] (Softmax);
 * - regression (linear, mlp): `variable` float32 [N, 1].
 * metadata_props: `feature_names` (JSON array), `model_type`, `head`, `classes`, plus `metadata`.
 * @throws InfrabaseError('INVALID_ARGUMENT') when the weights, feature names or standardisation do not match the
 *   model's sizes, or a weight is not finite.
 */
export function exportOnnx(options: ExportOnnxOptions): Uint8Array {
  const { model, weights, featureNames, standardization } = options;
  const F = model.features;
  if (weights.length !== parameterCount(model)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `weights have ${weights.length} parameters but this ${model.type} model has ${parameterCount(model)}`,
    );
  }
  const bad = weights.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new InfrabaseError('INVALID_ARGUMENT', `weight ${bad} is ${weights[bad]}; weights must be finite`);
  if (featureNames.length !== F) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${featureNames.length} feature names given, the model takes ${F}`,
    );
  }
  if (standardization && (standardization.mean.length !== F || standardization.std.length !== F)) {
    throw new InfrabaseError('INVALID_ARGUMENT', `standardisation must have ${F} means and stds`);
  }
  const initializer: OnnxTypes.ITensorProto[] = [];
  const nodes: OnnxTypes.INodeProto[] = [];
  let x = 'input';
  if (standardization) {
    initializer.push(floatTensor('feature_mean', [F], standardization.mean));
    initializer.push(floatTensor('feature_std', [F], standardization.std));
    nodes.push(node('Sub', [x, 'feature_mean'], ['centered'], 'standardize_sub'));
    nodes.push(node('Div', ['centered', 'feature_std'], ['standardized'], 'standardize_div'));
    x = 'standardized';
  }
  const slices = layerSlices(model);
  slices.forEach(({ inputs, outputs, weightOffset, biasOffset }, l) => {
    const last = l === slices.length - 1;
    initializer.push(
      floatTensor(
        `W${l}`,
        [outputs, inputs],
        weights.subarray(weightOffset, weightOffset + inputs * outputs),
      ),
    );
    initializer.push(floatTensor(`b${l}`, [outputs], weights.subarray(biasOffset, biasOffset + outputs)));
    const out = last ? (model.head === 'regression' ? 'variable' : 'logits') : `dense${l}`;
    nodes.push(node('Gemm', [x, `W${l}`, `b${l}`], [out], `gemm${l}`, { transB: 1 }));
    x = out;
    if (!last) {
      nodes.push(node('Relu', [x], [`relu${l}`], `relu${l}`));
      x = `relu${l}`;
    }
  });
  const output: OnnxTypes.IValueInfoProto[] = [];
  if (model.head === 'regression') {
    output.push(tensorValue('variable', FLOAT, ['N', 1]));
  } else {
    if (model.head === 'binary') {
      initializer.push(floatTensor('one', [1], [1]));
      nodes.push(node('Sigmoid', ['logits'], ['p1'], 'sigmoid'));
      nodes.push(node('Sub', ['one', 'p1'], ['p0'], 'complement'));
      nodes.push(node('Concat', ['p0', 'p1'], ['probabilities'], 'concat', { axis: 1 }));
    } else {
      nodes.push(node('Softmax', ['logits'], ['probabilities'], 'softmax', { axis: 1 }));
    }
    nodes.push(node('ArgMax', ['probabilities'], ['label'], 'argmax', { axis: 1, keepdims: 0 }));
    output.push(tensorValue('label', INT64, ['N']));
    output.push(tensorValue('probabilities', FLOAT, ['N', outputWidth(model) === 1 ? 2 : model.classes]));
  }
  const metadata: Record<string, string> = {
    feature_names: JSON.stringify(featureNames),
    model_type: model.type,
    head: model.head,
    classes: String(model.classes),
    ...options.metadata,
  };
  const proto = onnx.ModelProto.create({
    irVersion: EXPORT_IR_VERSION,
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    producerName: 'infrabase',
    producerVersion: '0.1.0',
    docString: `infrabase ${model.type} model (${model.head}); input [N, ${F}] float32 raw features: ${featureNames.join(', ')}`,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName ?? `infrabase_${model.type}`,
      node: nodes,
      initializer,
      input: [tensorValue('input', FLOAT, ['N', F])],
      output,
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
