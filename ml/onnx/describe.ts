import { createHash } from 'node:crypto';
import { dtypeName } from './dtypes.js';
import { type OnnxTypes, toNumber } from './proto.js';

/** One dimension: a fixed size, a symbolic name (`dim_param`), or `'?'` when the model leaves it unknown. */
export type Dim = number | string;

export interface TensorDescription {
  readonly name: string;
  /** Element type, e.g. `float32`, `int64` (see {@link dtypeName}). */
  readonly dtype: string;
  /** Dimensions, or null when the model declares no shape. */
  readonly shape: Dim[] | null;
}

export type ValueKind = 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';

export interface OutputDescription {
  readonly name: string;
  readonly kind: ValueKind;
  /** Element type for tensors; for sequences/maps a readable type such as `seq(map(int64,float32))`. */
  readonly dtype: string;
  readonly shape: Dim[] | null;
  /**
   * For a ZipMap output (sklearn/onnxmltools class probabilities as a sequence of maps): the float32 tensor
   * `[N, classes]` feeding the ZipMap, which the session exposes as an output in its place.
   */
  readonly probabilityTensor?: string;
  /** Class labels of that ZipMap, in column order of `probabilityTensor`. */
  readonly classLabels?: Array<number | string>;
}

export type ModelTask = 'classification' | 'regression' | 'transform';

/** What sys_models records about a model (`inputs`, `outputs`, `opset`, `sha256`, `task`, `feature_names`). */
export interface ModelDescription {
  /** Hex SHA-256 of the stored bytes. */
  readonly sha256: string;
  readonly irVersion: number;
  readonly producer: { readonly name: string; readonly version: string };
  /** Version of the default (`ai.onnx`) opset, or null when only other domains are imported. */
  readonly opset: number | null;
  readonly opsetImports: Array<{ readonly domain: string; readonly version: number }>;
  /** Graph inputs that are not initializers, in graph order. */
  readonly inputs: TensorDescription[];
  readonly outputs: OutputDescription[];
  /** Inferred from the operators (…Classifier/ZipMap, …Regressor, ai.onnx.ml transforms), else null. */
  readonly task: ModelTask | null;
  /** From metadata_props `feature_names`, or the input names of a model with one scalar input per feature. */
  readonly featureNames: string[] | null;
}

/** Describes a decoded (and validated) model; `bytes` are the stored bytes the sha256 is taken over. */
export function describeModel(model: OnnxTypes.IModelProto, bytes: Uint8Array): ModelDescription {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? [])
    .filter((v) => !initializers.has(v.name ?? ''))
    .map((v) => {
      const t = describeType(v.type);
      return { name: v.name ?? '', dtype: t.dtype, shape: t.shape };
    });
  const zipmaps = zipMapOutputs(graph);
  const outputs = (graph.output ?? []).map((v): OutputDescription => {
    const t = describeType(v.type);
    const zip = zipmaps.get(v.name ?? '');
    return {
      name: v.name ?? '',
      kind: t.kind,
      dtype: t.dtype,
      shape: t.shape,
      ...(zip ? { probabilityTensor: zip.tensor, classLabels: zip.classLabels } : {}),
    };
  });
  const opsetImports = (model.opsetImport ?? []).map((o) => ({
    domain: o.domain ?? '',
    version: toNumber(o.version),
  }));
  const defaultOpset = opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    irVersion: toNumber(model.irVersion),
    producer: { name: model.producerName ?? '', version: model.producerVersion ?? '' },
    opset: defaultOpset ? defaultOpset.version : null,
    opsetImports,
    inputs,
    outputs,
    task: inferTask(graph),
    featureNames: inferFeatureNames(model, inputs),
  };
}

function describeType(type: OnnxTypes.ITypeProto | null | undefined): {
  kind: ValueKind;
  dtype: string;
  shape: Dim[] | null;
} {
  if (!type) return { kind: 'unknown', dtype: 'unknown', shape: null };
  if (type.tensorType) {
    return {
      kind: 'tensor',
      dtype: dtypeName(type.tensorType.elemType ?? 0),
      shape: type.tensorType.shape ? describeShape(type.tensorType.shape) : null,
    };
  }
  if (type.sparseTensorType) {
    return { kind: 'sparse_tensor', dtype: dtypeName(type.sparseTensorType.elemType ?? 0), shape: null };
  }
  return { kind: kindOf(type), dtype: typeString(type), shape: null };
}

function kindOf(type: OnnxTypes.ITypeProto): ValueKind {
  if (type.sequenceType) return 'sequence';
  if (type.mapType) return 'map';
  if (type.optionalType) return 'optional';
  return 'unknown';
}

function typeString(type: OnnxTypes.ITypeProto | null | undefined): string {
  if (!type) return '?';
  if (type.tensorType) return dtypeName(type.tensorType.elemType ?? 0);
  if (type.sequenceType) return `seq(${typeString(type.sequenceType.elemType)})`;
  if (type.mapType)
    return `map(${dtypeName(type.mapType.keyType ?? 0)},${typeString(type.mapType.valueType)})`;
  if (type.optionalType) return `optional(${typeString(type.optionalType.elemType)})`;
  return '?';
}

function describeShape(shape: OnnxTypes.ITensorShapeProto): Dim[] {
  return (shape.dim ?? []).map((d) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0)
      return toNumber(d.dimValue);
    return '?';
  });
}

function zipMapOutputs(
  graph: OnnxTypes.IGraphProto,
): Map<string, { tensor: string; classLabels: Array<number | string> }> {
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const found = new Map<string, { tensor: string; classLabels: Array<number | string> }>();
  for (const node of graph.node ?? []) {
    if (node.opType !== 'ZipMap' || !node.output?.[0] || !outputs.has(node.output[0])) continue;
    const ints = node.attribute?.find((a) => a.name === 'classlabels_int64s')?.ints ?? [];
    const strings = node.attribute?.find((a) => a.name === 'classlabels_strings')?.strings ?? [];
    const classLabels: Array<number | string> = ints.length
      ? ints.map(toNumber)
      : strings.map((s) => Buffer.from(s).toString('utf8'));
    found.set(node.output[0], { tensor: node.input?.[0] ?? '', classLabels });
  }
  return found;
}

function inferTask(graph: OnnxTypes.IGraphProto): ModelTask | null {
  const ops = (graph.node ?? []).map((n) => n.opType ?? '');
  if (ops.some((op) => op === 'ZipMap' || op.endsWith('Classifier'))) return 'classification';
  if (ops.some((op) => op.endsWith('Regressor'))) return 'regression';
  const ml = (graph.node ?? []).filter((n) => n.domain === 'ai.onnx.ml');
  if (ml.length && ml.length === ops.length) return 'transform';
  if (ml.length && ops.every((op) => TRANSFORM_OPS.has(op))) return 'transform';
  return null;
}

const TRANSFORM_OPS = new Set([
  'Scaler',
  'OneHotEncoder',
  'FeatureVectorizer',
  'ArrayFeatureExtractor',
  'Imputer',
  'Normalizer',
  'Binarizer',
  'LabelEncoder',
  'DictVectorizer',
  'CategoryMapper',
  'Identity',
  'Cast',
]);

function inferFeatureNames(model: OnnxTypes.IModelProto, inputs: TensorDescription[]): string[] | null {
  const prop = model.metadataProps?.find((p) => p.key === 'feature_names')?.value;
  if (prop) {
    try {
      const parsed = JSON.parse(prop);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
    } catch {
      // not JSON: a comma-separated list
    }
    return prop.split(',').map((s) => s.trim());
  }
  const scalar = (shape: Dim[] | null) => shape?.slice(1).every((d) => d === 1) ?? false;
  if (inputs.length > 1 && inputs.every((i) => scalar(i.shape))) return inputs.map((i) => i.name);
  return null;
}
