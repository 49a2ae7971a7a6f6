import { onnx } from '../../../ml/index.js';

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function floatTensor(name: string, dims: number[], values: number[]) {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, floatData: values });
}

function tensorInfo(name: string, dims: Array<number | string>, elemType = FLOAT) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

/**
 * A logistic regression as ONNX (opset 13): `x` float32 [N, F] → `probability` float32 [N, 1] =
 * sigmoid(x·w + b), and `label` int64 [N, 1] = probability > 0.5.
 */
export function logisticRegressionModel(weights: number[], bias: number): Uint8Array {
  const f = weights.length;
  const graph = onnx.GraphProto.create({
    name: 'logreg',
    node: [
      onnx.NodeProto.create({ opType: 'MatMul', input: ['x', 'w'], output: ['xw'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['xw', 'b'], output: ['z'] }),
      onnx.NodeProto.create({ opType: 'Sigmoid', input: ['z'], output: ['probability'] }),
      onnx.NodeProto.create({ opType: 'Greater', input: ['probability', 'half'], output: ['positive'] }),
      onnx.NodeProto.create({
        opType: 'Cast',
        input: ['positive'],
        output: ['label'],
        attribute: [
          onnx.AttributeProto.create({
            name: 'to',
            type: onnx.AttributeProto.AttributeType.INT,
            i: onnx.TensorProto.DataType.INT64,
          }),
        ],
      }),
    ],
    initializer: [
      floatTensor('w', [f, 1], weights),
      floatTensor('b', [1], [bias]),
      floatTensor('half', [1], [0.5]),
    ],
    input: [tensorInfo('x', ['N', f])],
    output: [
      tensorInfo('label', ['N', 1], onnx.TensorProto.DataType.INT64),
      tensorInfo('probability', ['N', 1]),
    ],
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'infrabase-test',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
      graph,
    }),
  ).finish();
}

/** Where the external-data reference sits in {@link externalDataModel}. */
export type ExternalPlace = 'initializer' | 'constant' | 'subgraph';

/**
 * A small valid-looking model (x + w) whose tensor `w` stores its data in a file `weights.bin` beside the model
 * (`data_location = EXTERNAL`), placed as an initializer, a Constant node's attribute, or inside an If branch.
 */
export function externalDataModel(place: ExternalPlace): Uint8Array {
  const w = onnx.TensorProto.create({
    name: 'w',
    dims: [1, 2],
    dataType: FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      onnx.StringStringEntryProto.create({ key: 'location', value: 'weights.bin' }),
      onnx.StringStringEntryProto.create({ key: 'length', value: '8' }),
    ],
  });
  const constant = (t: typeof w) =>
    onnx.NodeProto.create({
      opType: 'Constant',
      output: ['w'],
      attribute: [
        onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }),
      ],
    });
  const add = onnx.NodeProto.create({ opType: 'Add', input: ['x', 'w'], output: ['y'] });
  let nodes = [add];
  const initializer: (typeof w)[] = [];
  if (place === 'initializer') initializer.push(w);
  if (place === 'constant') nodes = [constant(w), add];
  if (place === 'subgraph') {
    const branch = onnx.GraphProto.create({
      name: 'then',
      node: [constant(w)],
      output: [tensorInfo('w', [1, 2])],
    });
    nodes = [
      onnx.NodeProto.create({
        opType: 'If',
        input: ['cond'],
        output: ['w'],
        attribute: [
          onnx.AttributeProto.create({
            name: 'then_branch',
            type: onnx.AttributeProto.AttributeType.GRAPH,
            g: branch,
          }),
          onnx.AttributeProto.create({
            name: 'else_branch',
            type: onnx.AttributeProto.AttributeType.GRAPH,
            g: branch,
          }),
        ],
      }),
      add,
    ];
    initializer.push(onnx.TensorProto.create({ name: 'cond', dims: [], dataType: 9, int32Data: [1] }));
  }
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
      graph: onnx.GraphProto.create({
        name: 'external',
        node: nodes,
        initializer,
        input: [tensorInfo('x', ['N', 2])],
        output: [tensorInfo('y', ['N', 2])],
      }),
    }),
  ).finish();
}

/** A model whose only input is a sequence of tensors (not accepted: PREDICT feeds tensors). */
export function sequenceInputModel(): Uint8Array {
  const seq = onnx.ValueInfoProto.create({
    name: 's',
    type: onnx.TypeProto.create({
      sequenceType: onnx.TypeProto.Sequence.create({
        elemType: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: FLOAT }) }),
      }),
    }),
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
      graph: onnx.GraphProto.create({
        name: 'seq',
        node: [onnx.NodeProto.create({ opType: 'SequenceLength', input: ['s'], output: ['n'] })],
        input: [seq],
        output: [tensorInfo('n', [], onnx.TensorProto.DataType.INT64)],
      }),
    }),
  ).finish();
}
