import { InfrabaseError } from '../../engine/index.js';
import { type OnnxTypes, onnx } from './graph-builder.js';

/**
 * A structural check of an ONNX model in the spirit of the ONNX checker (onnx/checker.cc), for graphs without
 * subgraphs: the python checker is not available here. It verifies that
 * - the bytes decode as a ModelProto with ir_version ≥ 3 and a graph;
 * - the default domain is imported in opset_import, and every node's domain is imported;
 * - every graph input, output, initializer and node output has a name, and no name is defined twice (SSA);
 * - every node input is defined before use (a graph input, an initializer or an earlier node's output);
 * - every graph output is produced;
 * - initializers hold as many values as their dims say, in the field their data type uses;
 * - element types agree: for the operators it knows (elementwise, Gemm, Relu, Sigmoid, Softmax, Concat,
 *   ArgMax, Cast, …) the inferred dtype of each output, and the declared dtype of each graph output.
 */
export interface ModelCheck {
  ok: boolean;
  /** One message per problem, naming the node/tensor. */
  errors: string[];
}

const SAME_AS_INPUTS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Concat', 'Max', 'Min', 'Sum', 'Mean']);
const SAME_AS_FIRST = new Set([
  'Relu',
  'Sigmoid',
  'Softmax',
  'LogSoftmax',
  'Tanh',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Sqrt',
  'Identity',
  'Gemm',
  'MatMul',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Transpose',
]);
const FLOAT_ONLY = new Set([
  'Relu',
  'Sigmoid',
  'Softmax',
  'LogSoftmax',
  'Tanh',
  'Exp',
  'Log',
  'Sqrt',
  'Gemm',
]);
const INT64_OUT = new Set(['ArgMax', 'ArgMin', 'Shape', 'Size']);
const BOOL_OUT = new Set(['Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or']);

const DT = onnx.TensorProto.DataType;

/** Values an initializer of `dataType` holds, from its typed field or raw_data. */
function valueCount(t: OnnxTypes.ITensorProto): number | null {
  const raw = t.rawData?.length ?? 0;
  const bytes: Record<number, number> = { [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT64]: 8, [DT.INT32]: 4 };
  if (raw > 0) return bytes[t.dataType ?? 0] ? raw / bytes[t.dataType ?? 0] : null;
  switch (t.dataType) {
    case DT.FLOAT:
      return t.floatData?.length ?? 0;
    case DT.DOUBLE:
      return t.doubleData?.length ?? 0;
    case DT.INT64:
      return t.int64Data?.length ?? 0;
    case DT.INT32:
      return t.int32Data?.length ?? 0;
    default:
      return null;
  }
}

function elemTypeOf(v: OnnxTypes.IValueInfoProto): number | undefined {
  return v.type?.tensorType?.elemType ?? undefined;
}

function attrInt(n: OnnxTypes.INodeProto, name: string): number | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
}

/** Checks serialized ONNX bytes; never throws (decode errors become an error entry). */
export function checkModel(bytes: Uint8Array): ModelCheck {
  const errors: string[] = [];
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    return { ok: false, errors: [`bytes do not decode as an ONNX ModelProto: ${(err as Error).message}`] };
  }
  if (!(Number(model.irVersion) >= 3)) errors.push(`ir_version is ${Number(model.irVersion)}, expected >= 3`);
  const domains = new Map<string, number>();
  for (const o of model.opsetImport ?? []) domains.set(o.domain ?? '', Number(o.version));
  if (!((domains.get('') ?? domains.get('ai.onnx') ?? 0) >= 1))
    errors.push('opset_import lacks the default domain');
  const graph = model.graph;
  if (!graph) return { ok: false, errors: [...errors, 'model has no graph'] };
  if (!graph.name) errors.push('graph has no name');

  const types = new Map<string, number | undefined>();
  const define = (name: string | null | undefined, type: number | undefined, what: string) => {
    if (!name) {
      errors.push(`${what} has no name`);
      return;
    }
    if (types.has(name)) errors.push(`'${name}' (${what}) is defined more than once`);
    types.set(name, type);
  };
  for (const t of graph.initializer ?? []) {
    define(t.name, t.dataType ?? undefined, 'initializer');
    const expected = (t.dims ?? []).reduce<number>((p, d) => p * Number(d), 1);
    const got = valueCount(t);
    if (got !== null && got !== expected) {
      errors.push(
        `initializer '${t.name}' has ${got} values but dims [${(t.dims ?? []).join(', ')}] need ${expected}`,
      );
    }
  }
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  for (const v of graph.input ?? []) {
    if (!v.type?.tensorType) errors.push(`graph input '${v.name}' is not a tensor`);
    if (v.name && initializerNames.has(v.name)) continue; // an initializer may also be listed as an input
    define(v.name, elemTypeOf(v), 'graph input');
  }
  (graph.node ?? []).forEach((n, k) => {
    const label = `node ${k} (${n.opType}${n.name ? ` '${n.name}'` : ''})`;
    if (!n.opType) errors.push(`node ${k} has no op_type`);
    if (!domains.has(n.domain ?? ''))
      errors.push(`${label} uses domain '${n.domain}' which is not in opset_import`);
    const inTypes: (number | undefined)[] = [];
    for (const input of n.input ?? []) {
      if (input === '') continue; // an omitted optional input
      if (!types.has(input)) errors.push(`${label} uses '${input}' before it is defined`);
      inTypes.push(types.get(input));
    }
    let outType: number | undefined;
    const op = n.opType ?? '';
    if (SAME_AS_INPUTS.has(op)) {
      const known = inTypes.filter((t) => t !== undefined);
      if (new Set(known).size > 1) errors.push(`${label} mixes element types ${known.join(', ')}`);
      outType = known[0];
    } else if (SAME_AS_FIRST.has(op)) {
      outType = inTypes[0];
      if (op === 'Gemm' || op === 'MatMul') {
        const known = inTypes.filter((t) => t !== undefined);
        if (new Set(known).size > 1) errors.push(`${label} mixes element types ${known.join(', ')}`);
      }
    } else if (INT64_OUT.has(op)) outType = DT.INT64;
    else if (BOOL_OUT.has(op)) outType = DT.BOOL;
    else if (op === 'Cast') outType = attrInt(n, 'to');
    if (
      FLOAT_ONLY.has(op) &&
      inTypes[0] !== undefined &&
      ![DT.FLOAT, DT.DOUBLE, DT.FLOAT16].includes(inTypes[0])
    ) {
      errors.push(`${label} needs a floating-point input, got element type ${inTypes[0]}`);
    }
    for (const out of n.output ?? []) if (out !== '') define(out, outType, `output of ${label}`);
  });
  for (const v of graph.output ?? []) {
    if (!v.name || !types.has(v.name)) {
      errors.push(`graph output '${v.name}' is not produced by any node`);
      continue;
    }
    const declared = elemTypeOf(v);
    const inferred = types.get(v.name);
    if (declared === undefined) errors.push(`graph output '${v.name}' has no element type`);
    else if (inferred !== undefined && inferred !== declared) {
      errors.push(
        `graph output '${v.name}' is declared as element type ${declared} but computed as ${inferred}`,
      );
    }
  }
  return { ok: errors.length === 0, errors };
}

/**
 * {@link checkModel} that throws.
 * @throws InfrabaseError('MODEL_ERROR') listing every problem found.
 */
export function assertValidModel(bytes: Uint8Array): void {
  const { ok, errors } = checkModel(bytes);
  if (!ok)
    throw new InfrabaseError('MODEL_ERROR', `invalid ONNX model: ${errors.join('; ')}`, {
      details: { errors },
    });
}
