import { InfrabaseError } from '../../engine/index.js';
import { type ModelLimits, modelLimits } from './model-limits.js';
import type { OnnxTypes } from './proto.js';
import { toNumber } from './proto.js';
import { elementBytes, elementCount, formatBytes } from './tensor-bytes.js';
import { reachableMessages } from './walk.js';

type Tensor = OnnxTypes.ITensorProto;
const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL

/**
 * Checks a decoded model (see decodeModel) is safe and usable for PREDICT:
 * - no tensor anywhere stores its data externally (`data_location = EXTERNAL` or `external_data` entries).
 *   Every tensor reachable through the schema is checked (initializers, sparse initializers, attribute
 *   tensors, subgraphs, functions and their attribute defaults, training_info graphs): a model with external
 *   data would make onnxruntime read files that sit beside the process.
 * - no constant tensor, declared value (graph inputs, outputs, value_info with fixed dimensions; symbolic ones
 *   count as 1) or constant-shaped `ConstantOfShape`/`Expand` output exceeds `limits.maxTensorBytes`.
 * - every graph input that is not an initializer is a tensor (no sequences, maps, optionals, sparse tensors).
 *
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the tensor or input, where it sits and what is accepted.
 */
export function validateModel(
  model: OnnxTypes.IModelProto,
  label = 'model',
  limits: ModelLimits = modelLimits(),
): void {
  const external = findExternalTensor(model);
  if (external) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: tensor ${external} references external data; only models with all tensor data embedded are accepted (external data could read files beside the process)`,
    );
  }
  const oversized = findOversizedTensor(model, limits.maxTensorBytes);
  if (oversized) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: ${oversized}, more than the ${formatBytes(limits.maxTensorBytes)} a model tensor may take (predict.maxTensorBytes)`,
    );
  }
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  for (const input of graph.input ?? []) {
    if (initializers.has(input.name ?? '')) continue;
    const t = input.type;
    if (!t?.tensorType) {
      const kind = t?.sequenceType
        ? 'sequence'
        : t?.mapType
          ? 'map'
          : t?.optionalType
            ? 'optional'
            : t?.sparseTensorType
              ? 'sparse tensor'
              : 'value of unknown type';
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${label}: input '${input.name}' is a ${kind}; only tensor inputs are accepted`,
      );
    }
  }
}

/**
 * Describes the first tensor with external data (`'<name>' at <path>`), or undefined. Walks every tensor the
 * ONNX schema lets a model hold, at any depth.
 */
export function findExternalTensor(model: OnnxTypes.IModelProto): string | undefined {
  for (const { message, type, path } of reachableMessages(model)) {
    if (type.name !== 'TensorProto') continue;
    const t = message as Tensor;
    if (t.dataLocation === EXTERNAL || (t.externalData?.length ?? 0) > 0) {
      const location = t.externalData?.find((e) => e.key === 'location')?.value;
      return `'${t.name ?? ''}' at ${path}${location ? ` (location '${location}')` : ''}`;
    }
  }
  return undefined;
}

/** Describes the first tensor larger than `maxBytes` (what, where, how large), or undefined. */
export function findOversizedTensor(model: OnnxTypes.IModelProto, maxBytes: number): string | undefined {
  const constants = new Map<string, Tensor>();
  for (const { message, type, path } of reachableMessages(model)) {
    if (type.name === 'TensorProto') {
      const t = message as Tensor;
      const bytes =
        t.dataType === 8
          ? (t.stringData ?? []).reduce((sum, s) => sum + s.length + 8, 0)
          : elementCount(t.dims ?? []) * elementBytes(t.dataType);
      if (bytes > maxBytes) return `tensor '${t.name ?? ''}' at ${path} holds ${formatBytes(bytes)}`;
      if (t.name) constants.set(t.name, t);
    } else if (type.name === 'SparseTensorProto') {
      const s = message as OnnxTypes.ISparseTensorProto;
      const bytes = elementCount(s.dims ?? []) * elementBytes(s.values?.dataType);
      if (bytes > maxBytes) return `sparse tensor at ${path} is ${formatBytes(bytes)} once dense`;
    } else if (type.name === 'ValueInfoProto') {
      const v = message as OnnxTypes.IValueInfoProto;
      const tensor = v.type?.tensorType ?? v.type?.sparseTensorType;
      const dims = tensor?.shape?.dim;
      if (!tensor || !dims) continue;
      const bytes =
        elementCount(dims.map((d) => (d.dimParam ? undefined : d.dimValue))) * elementBytes(tensor.elemType);
      if (bytes > maxBytes) return `value '${v.name ?? ''}' at ${path} is declared as ${formatBytes(bytes)}`;
    } else if (type.name === 'NodeProto') {
      const node = message as OnnxTypes.INodeProto;
      const value = node.attribute?.find((a) => a.name === 'value')?.t;
      if (node.opType === 'Constant' && node.output?.[0] && value) constants.set(node.output[0], value);
    }
  }
  // Second pass: every constant is known now, wherever it sits relative to the node that uses it.
  for (const { message, type, path } of reachableMessages(model)) {
    if (type.name !== 'NodeProto') continue;
    const node = message as OnnxTypes.INodeProto;
    const hit = constantShapedOutput(node, constants);
    if (hit && hit.bytes > maxBytes) {
      return `${node.opType} at ${path} makes a tensor of ${formatBytes(hit.bytes)} (shape ${hit.shape})`;
    }
  }
  return undefined;
}

/**
 * The output size of a `ConstantOfShape` (or a lower bound for `Expand`) whose target shape is a constant seen
 * earlier in the walk (an initializer of that name, or the output of a Constant node).
 */
function constantShapedOutput(
  node: OnnxTypes.INodeProto,
  constants: ReadonlyMap<string, Tensor>,
): { bytes: number; shape: string } | undefined {
  const shapeInput =
    node.opType === 'ConstantOfShape'
      ? node.input?.[0]
      : node.opType === 'Expand'
        ? node.input?.[1]
        : undefined;
  if (!shapeInput) return undefined;
  const shapeTensor = constants.get(shapeInput);
  if (!shapeTensor) return undefined;
  const dims = int64Values(shapeTensor);
  if (!dims) return undefined;
  const value = node.attribute?.find((a) => a.name === 'value')?.t;
  const dataType = node.opType === 'ConstantOfShape' ? (value?.dataType ?? 1) : 1;
  return { bytes: elementCount(dims) * elementBytes(dataType), shape: `[${dims.join(', ')}]` };
}

/** The values of an int64 tensor (from `int64_data` or little-endian `raw_data`), or undefined. */
function int64Values(t: Tensor): number[] | undefined {
  if (t.dataType !== 7) return undefined;
  if (t.int64Data?.length) return t.int64Data.map((v) => toNumber(v));
  const raw = t.rawData;
  if (!raw || raw.length % 8 !== 0) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  for (let i = 0; i < raw.length; i += 8) out.push(Number(view.getBigInt64(i, true)));
  return out;
}
