import protobuf from 'protobufjs';
import { schemaType } from '../../../ml/index.js';

/**
 * Hostile models for the model fuzz test, built with the current ONNX schema (ml/onnx/onnx-schema.ts) as plain
 * objects, so fields newer than `onnx-proto` (function attribute defaults, training_info) can be placed.
 */

type Obj = Record<string, unknown>;
const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;
const EXTERNAL = 1;
const AT = { TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12 };

/** A uint8 [n] tensor whose bytes live in `location`, a file relative to the model's folder. */
export function externalTensor(name: string, location: string, n: number, withLocationFlag = true): Obj {
  return {
    name,
    dims: [n],
    dataType: UINT8,
    ...(withLocationFlag ? { dataLocation: EXTERNAL } : {}),
    externalData: [
      { key: 'location', value: location },
      { key: 'length', value: String(n) },
    ],
  };
}

export function valueInfo(name: string, dims: Array<number | string>, elemType = FLOAT): Obj {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const int64Tensor = (name: string, values: number[]): Obj => ({
  name,
  dims: [values.length],
  dataType: INT64,
  int64Data: values,
});

/** Encodes a ModelProto given as a plain object (opset 13 and IR 10 unless given). */
export function encodeModel(model: Obj): Uint8Array {
  const type = schemaType('ModelProto');
  return type
    .encode(type.fromObject({ irVersion: 10, opsetImport: [{ domain: '', version: 13 }], ...model }))
    .finish();
}

/** A graph ending in `y = Identity(w)` over an unused float input x, after the given nodes and pieces. */
function graph(extra: Obj): Obj {
  const nodes = (extra.node as Obj[] | undefined) ?? [];
  return {
    name: 'g',
    input: [valueInfo('x', [1])],
    output: [valueInfo('y', ['n'], UINT8)],
    ...extra,
    node: [...nodes, { opType: 'Identity', input: ['w'], output: ['y'] }],
  };
}

const constantNode = (attribute: Obj, output = 'w'): Obj => ({
  opType: 'Constant',
  name: 'const',
  output: [output],
  attribute: [attribute],
});
const ifNode = (branch: Obj): Obj => ({
  opType: 'If',
  name: 'branch',
  input: ['cond'],
  output: ['w'],
  attribute: [
    { name: 'then_branch', type: AT.GRAPH, g: branch },
    { name: 'else_branch', type: AT.GRAPH, g: branch },
  ],
});
const branchGraph = (extra: Obj): Obj => ({
  name: 'b',
  node: [{ opType: 'Identity', input: ['inner'], output: ['w'] }],
  output: [valueInfo('w', ['n'], UINT8)],
  ...extra,
});
const cond = { name: 'cond', dims: [], dataType: 9, int32Data: [1] };

/**
 * The model with an external-data tensor `t` placed at `place`. Every place is a position the ONNX schema lets
 * a tensor sit in; the key names it.
 */
export function externalAt(place: ExternalPlace, t: Obj): Uint8Array {
  const sparse = (values: Obj, indices: Obj): Obj => ({ values, indices, dims: [8] });
  const indices = int64Tensor('i', [0]);
  const values = { name: 'v', dims: [1], dataType: UINT8, rawData: new Uint8Array([1]) };
  const functionCall = {
    opType: 'Leak',
    domain: 'local',
    name: 'call',
    input: [],
    output: ['w'],
  };
  const fn = (extra: Obj): Obj => ({
    name: 'Leak',
    domain: 'local',
    output: ['out'],
    opsetImport: [{ domain: '', version: 13 }],
    ...extra,
  });
  switch (place) {
    case 'graph initializer':
      return encodeModel({ graph: graph({ initializer: [t] }) });
    case 'external_data entries without data_location':
      return encodeModel({ graph: graph({ initializer: [{ ...t, dataLocation: 0 }] }) });
    case 'sparse initializer values':
      return encodeModel({ graph: graph({ sparseInitializer: [sparse(t, indices)] }) });
    case 'sparse initializer indices':
      return encodeModel({
        graph: graph({ sparseInitializer: [sparse(values, { ...t, dataType: INT64 })] }),
      });
    case 'Constant node value (t)':
      return encodeModel({
        graph: graph({ node: [constantNode({ name: 'value', type: AT.TENSOR, t })] }),
      });
    case 'attribute tensors (list)':
      return encodeModel({
        graph: graph({
          node: [
            {
              opType: 'Identity',
              input: ['x'],
              output: ['w'],
              attribute: [{ name: 'ts', type: AT.TENSORS, tensors: [t] }],
            },
          ],
        }),
      });
    case 'attribute sparse_tensor':
      return encodeModel({
        graph: graph({
          node: [
            constantNode({ name: 'sparse_value', type: AT.SPARSE_TENSOR, sparseTensor: sparse(t, indices) }),
          ],
        }),
      });
    case 'attribute sparse_tensors (list)':
      return encodeModel({
        graph: graph({
          node: [
            {
              opType: 'Identity',
              input: ['x'],
              output: ['w'],
              attribute: [
                {
                  name: 'ss',
                  type: AT.SPARSE_TENSORS,
                  sparseTensors: [sparse(values, { ...t, dataType: INT64 })],
                },
              ],
            },
          ],
        }),
      });
    case 'If subgraph initializer (g)':
      return encodeModel({
        graph: graph({
          node: [ifNode(branchGraph({ initializer: [{ ...t, name: 'inner' }] }))],
          initializer: [cond],
        }),
      });
    case 'attribute graphs (list)':
      return encodeModel({
        graph: graph({
          node: [
            {
              opType: 'Identity',
              input: ['x'],
              output: ['w'],
              attribute: [
                {
                  name: 'gs',
                  type: AT.GRAPHS,
                  graphs: [branchGraph({ initializer: [{ ...t, name: 'inner' }] })],
                },
              ],
            },
          ],
        }),
      });
    case 'subgraph three levels deep':
      return encodeModel({
        graph: graph({
          node: [
            ifNode(
              branchGraph({
                node: [
                  ifNode(
                    branchGraph({
                      node: [ifNode(branchGraph({ initializer: [{ ...t, name: 'inner' }] }))],
                      initializer: [cond],
                    }),
                  ),
                ],
                initializer: [cond],
              }),
            ),
          ],
          initializer: [cond],
        }),
      });
    case 'function node attribute':
      return encodeModel({
        opsetImport: [
          { domain: '', version: 13 },
          { domain: 'local', version: 1 },
        ],
        functions: [fn({ node: [constantNode({ name: 'value', type: AT.TENSOR, t }, 'out')] })],
        graph: graph({ node: [functionCall] }),
      });
    case 'function attribute default (attribute_proto)':
      return encodeModel({
        opsetImport: [
          { domain: '', version: 13 },
          { domain: 'local', version: 1 },
        ],
        functions: [
          fn({
            attributeProto: [{ name: 'secret', type: AT.TENSOR, t }],
            node: [constantNode({ name: 'value', type: AT.TENSOR, refAttrName: 'secret' }, 'out')],
          }),
        ],
        graph: graph({ node: [functionCall] }),
      });
    case 'training_info initialization graph':
      return encodeModel({
        graph: graph({
          initializer: [{ name: 'w', dims: [1], dataType: UINT8, rawData: new Uint8Array([0]) }],
          node: [],
        }),
        trainingInfo: [
          {
            initialization: {
              name: 'init',
              initializer: [t],
              output: [valueInfo(String(t.name), [8], UINT8)],
            },
          },
        ],
      });
    case 'training_info algorithm graph':
      return encodeModel({
        graph: graph({
          initializer: [{ name: 'w', dims: [1], dataType: UINT8, rawData: new Uint8Array([0]) }],
          node: [],
        }),
        trainingInfo: [
          { algorithm: { name: 'step', initializer: [t] }, updateBinding: [{ key: 'w', value: 'w2' }] },
        ],
      });
  }
}

export const EXTERNAL_PLACES = [
  'graph initializer',
  'external_data entries without data_location',
  'sparse initializer values',
  'sparse initializer indices',
  'Constant node value (t)',
  'attribute tensors (list)',
  'attribute sparse_tensor',
  'attribute sparse_tensors (list)',
  'If subgraph initializer (g)',
  'attribute graphs (list)',
  'subgraph three levels deep',
  'function node attribute',
  'function attribute default (attribute_proto)',
  'training_info initialization graph',
  'training_info algorithm graph',
] as const;
export type ExternalPlace = (typeof EXTERNAL_PLACES)[number];

/** `message` bytes followed by one extra length-delimited field `fieldNumber` holding `payload`. */
export function withExtraField(
  message: Uint8Array,
  fieldNumber: number,
  payload: Uint8Array,
  wireType = 2,
): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((fieldNumber << 3) | wireType);
  if (wireType === 2) w.bytes(payload);
  else w.uint32(payload[0] ?? 0);
  const tail = w.finish();
  const out = new Uint8Array(message.length + tail.length);
  out.set(message);
  out.set(tail, message.length);
  return out;
}

/** Encodes one message of the schema (e.g. a FunctionProto) from a plain object. */
export function encodeMessage(typeName: string, value: Obj): Uint8Array {
  const type = schemaType(typeName);
  return type.encode(type.fromObject(value)).finish();
}

/**
 * A model whose graph nests `depth` subgraphs inside each other (graph → node → attribute `g` → graph …),
 * assembled as bytes level by level so that building it needs no deep recursion.
 */
export function deeplyNestedModel(depth: number): Uint8Array {
  let graph = encodeMessage('GraphProto', { name: 'leaf' });
  for (let i = 0; i < depth; i++) {
    const attribute = withExtraField(
      encodeMessage('AttributeProto', { name: 'then_branch', type: AT.GRAPH }),
      6,
      graph,
    );
    const node = withExtraField(
      encodeMessage('NodeProto', { opType: 'If', input: ['c'], output: ['w'] }),
      5,
      attribute,
    );
    graph = withExtraField(encodeMessage('GraphProto', { name: `level${i}` }), 1, node);
  }
  const top = withExtraField(
    encodeMessage('GraphProto', { name: 'top', input: [valueInfo('x', [1])], output: [valueInfo('w', [1])] }),
    1,
    withExtraField(
      encodeMessage('NodeProto', { opType: 'If', input: ['c'], output: ['w'] }),
      5,
      withExtraField(encodeMessage('AttributeProto', { name: 'then_branch', type: AT.GRAPH }), 6, graph),
    ),
  );
  return withExtraField(encodeModel({}), 7, top);
}

/** `ConstantOfShape` of a float tensor whose shape is the int64 [1] input `shape`: its size is the caller's. */
export function dynamicConstantOfShapeModel(): Uint8Array {
  return encodeModel({
    graph: {
      name: 'fill',
      node: [{ opType: 'ConstantOfShape', input: ['shape'], output: ['y'] }],
      input: [valueInfo('shape', [1], INT64)],
      output: [valueInfo('y', ['n'])],
    },
  });
}

/** Oversized models: each holds or declares a tensor of several GiB without carrying its bytes. */
export function oversizedModels(): Record<string, Uint8Array> {
  const base = { input: [valueInfo('x', [1])], output: [valueInfo('y', ['n'])] };
  return {
    'initializer of 4 GiB declared dims': encodeModel({
      graph: {
        ...base,
        name: 'g',
        node: [{ opType: 'Identity', input: ['w'], output: ['y'] }],
        initializer: [{ name: 'w', dims: [2 ** 30], dataType: FLOAT }],
      },
    }),
    'graph output declared as 16 GiB': encodeModel({
      graph: {
        name: 'g',
        node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
        input: [valueInfo('x', [1])],
        output: [valueInfo('y', [65536, 65536])],
      },
    }),
    'ConstantOfShape of an initializer shape (1e9 floats)': encodeModel({
      graph: {
        ...base,
        name: 'g',
        node: [{ opType: 'ConstantOfShape', input: ['s'], output: ['y'] }],
        initializer: [int64Tensor('s', [1_000_000_000])],
      },
    }),
    'ConstantOfShape of a Constant node shape (1e9 floats)': encodeModel({
      graph: {
        ...base,
        name: 'g',
        node: [
          constantNode(
            { name: 'value', type: AT.TENSOR, t: int64Tensor('shape_value', [1_000, 1_000_000]) },
            's',
          ),
          { opType: 'ConstantOfShape', input: ['s'], output: ['y'] },
        ],
      },
    }),
    'sparse initializer of 1e12 elements once dense': encodeModel({
      graph: {
        ...base,
        name: 'g',
        node: [{ opType: 'Identity', input: ['w'], output: ['y'] }],
        sparseInitializer: [
          {
            values: { name: 'w', dims: [1], dataType: FLOAT, floatData: [1] },
            indices: int64Tensor('i', [0]),
            dims: [1_000_000, 1_000_000],
          },
        ],
      },
    }),
  };
}
