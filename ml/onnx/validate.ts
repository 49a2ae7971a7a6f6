import { InfrabaseError } from '../../engine/index.js';
import { type OnnxTypes, onnx } from './proto.js';

type Graph = OnnxTypes.IGraphProto;
type Tensor = OnnxTypes.ITensorProto;

/**
 * Checks a decoded model is safe and usable for PREDICT:
 * - no tensor anywhere stores its data externally (`data_location = EXTERNAL` or `external_data` entries):
 *   initializers, sparse initializers, `Constant`/attribute tensors, subgraphs (If/Loop/Scan bodies) and
 *   model-local functions are all walked. A model with external data would make onnxruntime read files that
 *   sit beside the process.
 * - every graph input that is not an initializer is a tensor (no sequences, maps, optionals, sparse tensors).
 *
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the tensor or input and what is accepted.
 */
export function validateModel(model: OnnxTypes.IModelProto, label = 'model'): void {
  const external = findExternalTensor(model);
  if (external) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: tensor '${external}' references external data; only models with all tensor data embedded are accepted (external data could read files beside the process)`,
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

/** Returns a description of the first tensor with external data, or undefined. */
export function findExternalTensor(model: OnnxTypes.IModelProto): string | undefined {
  if (model.graph) {
    const hit = walkGraph(model.graph, 'graph');
    if (hit) return hit;
  }
  for (const fn of model.functions ?? []) {
    for (const node of fn.node ?? []) {
      const hit = walkNode(node, `function ${fn.name}`);
      if (hit) return hit;
    }
  }
  return undefined;
}

function isExternal(t: Tensor | null | undefined): boolean {
  if (!t) return false;
  return t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0;
}

function walkGraph(graph: Graph, where: string): string | undefined {
  for (const t of graph.initializer ?? []) if (isExternal(t)) return `${t.name} (initializer in ${where})`;
  for (const s of graph.sparseInitializer ?? []) {
    if (isExternal(s.values) || isExternal(s.indices)) {
      return `${s.values?.name ?? '?'} (sparse initializer in ${where})`;
    }
  }
  for (const node of graph.node ?? []) {
    const hit = walkNode(node, where);
    if (hit) return hit;
  }
  return undefined;
}

function walkNode(node: OnnxTypes.INodeProto, where: string): string | undefined {
  const nodeName = node.name || node.opType || '?';
  for (const attr of node.attribute ?? []) {
    const at = `attribute ${attr.name} of node ${nodeName} in ${where}`;
    const tensors = [attr.t, ...(attr.tensors ?? [])];
    for (const t of tensors) if (isExternal(t)) return `${t?.name || attr.name} (${at})`;
    const sparse = [attr.sparseTensor, ...(attr.sparseTensors ?? [])];
    for (const s of sparse)
      if (s && (isExternal(s.values) || isExternal(s.indices))) return `${attr.name} (${at})`;
    const graphs = [attr.g, ...(attr.graphs ?? [])];
    for (const g of graphs) {
      if (!g) continue;
      const hit = walkGraph(g, `subgraph ${attr.name} of node ${nodeName}`);
      if (hit) return hit;
    }
  }
  return undefined;
}
