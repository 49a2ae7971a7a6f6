import { onnx } from '../../../ml/index.js';

/** ONNX element type codes (TensorProto.DataType) by the names the catalog uses. */
export const ELEM = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  complex64: 14,
  bfloat16: 16,
} as const;
export type ElemName = keyof typeof ELEM;

/** A graph input or output: name, element type and dims (numbers fixed, strings symbolic). */
export interface ValueSpec {
  readonly name: string;
  readonly type: ElemName;
  readonly dims: ReadonlyArray<number | string>;
}

/** One node: op type, inputs, outputs and attributes (numbers → INT, number[] → INTS, float via `{ f }`). */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Record<string, number | number[] | { f: number } | { floats: number[] }>;
}

/** An initializer: float32 (`values`) or int64 (`ints`) constant. */
export interface ConstantSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values?: readonly number[];
  readonly ints?: readonly number[];
}

function valueInfo(v: ValueSpec) {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: ELEM[v.type],
        shape: onnx.TensorShapeProto.create({
          dim: v.dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, v: NonNullable<NodeSpec['attributes']>[string]) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: T.INT, i: v });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.f });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v.floats });
}

/** Encodes a one-graph model (default opset 17) from specs; the graph is not checked here (onnxruntime does). */
export function opModel(spec: {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  constants?: ConstantSpec[];
  opset?: number;
}): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: 'g',
    node: spec.nodes.map((n) =>
      onnx.NodeProto.create({
        opType: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    ),
    initializer: (spec.constants ?? []).map((c) =>
      c.ints
        ? onnx.TensorProto.create({
            name: c.name,
            dims: [...c.dims],
            dataType: ELEM.int64,
            int64Data: [...c.ints],
          })
        : onnx.TensorProto.create({
            name: c.name,
            dims: [...c.dims],
            dataType: ELEM.float32,
            floatData: [...(c.values ?? [])],
          }),
    ),
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'infrabase-test',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: spec.opset ?? 17 })],
      graph,
    }),
  ).finish();
}

/** `y = x` cast to `to`: input `x` of `from` [N, width], output `y` of `to` [N, width]. */
export function castModel(from: ElemName, to: ElemName, width = 4): Uint8Array {
  return opModel({
    inputs: [{ name: 'x', type: from, dims: ['N', width] }],
    outputs: [{ name: 'y', type: to, dims: ['N', width] }],
    nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attributes: { to: ELEM[to] } }],
  });
}
