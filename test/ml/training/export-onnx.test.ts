import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkModel, exportOnnx } from '../../../ml/export/index.js';
import {
  featureMoments,
  initialWeights,
  type ModelSpec,
  type ModelSpecOptions,
  modelSpec,
  predictOutputs,
  standardizationFromMoments,
  standardizeRows,
  trainLocal,
} from '../../../ml/training/index.js';
import { breastCancer, diabetes, iris, type SmallDataset } from './small-datasets.js';

const { onnx } = onnxProto;

function trainAndExport(data: SmallDataset, options: Omit<ModelSpecOptions, 'features'>) {
  const model = modelSpec({ ...options, features: data.rows.d });
  const standardization = standardizationFromMoments(featureMoments(data.rows));
  const { weights } = trainLocal({
    model,
    weights: initialWeights(model, 5),
    rows: data.rows,
    standardization,
    epochs: 20,
    batchSize: 16,
    learningRate: 0.01,
    optimizer: 'adam',
    seed: 9,
  });
  const bytes = exportOnnx({ model, weights, featureNames: data.featureNames, standardization });
  const expected = predictOutputs(model, weights, standardizeRows(data.rows, standardization));
  return { model, bytes, expected };
}

async function runOnnx(bytes: Uint8Array, data: SmallDataset) {
  const session = await ort.InferenceSession.create(bytes);
  const input = new ort.Tensor('float32', Float32Array.from(data.rows.X), [data.rows.n, data.rows.d]);
  const out = await session.run({ input });
  return { session, out };
}

async function expectSamePredictions(
  model: ModelSpec,
  bytes: Uint8Array,
  expected: Float64Array,
  data: SmallDataset,
) {
  const { session, out } = await runOnnx(bytes, data);
  const n = data.rows.n;
  if (model.head === 'regression') {
    expect(session.outputNames).toEqual(['variable']);
    expect(out.variable.dims).toEqual([n, 1]);
    const got = out.variable.data as Float32Array;
    for (let r = 0; r < n; r++)
      expect(Math.abs(got[r] - expected[r])).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected[r])));
    return;
  }
  expect(session.outputNames).toEqual(['label', 'probabilities']);
  const C = model.classes;
  expect(out.probabilities.dims).toEqual([n, C]);
  expect(out.label.dims).toEqual([n]);
  expect(out.label.type).toBe('int64');
  const probs = out.probabilities.data as Float32Array;
  const labels = out.label.data as BigInt64Array;
  let nearTies = 0;
  for (let r = 0; r < n; r++) {
    const p =
      model.head === 'binary'
        ? [1 - expected[r], expected[r]]
        : Array.from(expected.subarray(r * C, r * C + C));
    for (let c = 0; c < C; c++) expect(Math.abs(probs[r * C + c] - p[c])).toBeLessThan(1e-5);
    const best = p.indexOf(Math.max(...p));
    const sorted = [...p].sort((a, b) => b - a);
    if (sorted[0] - sorted[1] < 1e-5) nearTies++;
    else expect(Number(labels[r])).toBe(best);
  }
  expect(nearTies).toBeLessThan(3);
}

const cases: [string, () => SmallDataset, Omit<ModelSpecOptions, 'features'>][] = [
  ['logistic (Breast Cancer)', breastCancer, { type: 'logistic' }],
  ['softmax (Iris)', iris, { type: 'softmax', classes: 3 }],
  ['linear (Diabetes)', diabetes, { type: 'linear' }],
  [
    'binary mlp with one hidden layer (Breast Cancer)',
    breastCancer,
    { type: 'mlp', hidden: [8], head: 'binary' },
  ],
  [
    'multiclass mlp with two hidden layers (Iris)',
    iris,
    { type: 'mlp', hidden: [8, 4], classes: 3, head: 'multiclass' },
  ],
  ['regression mlp (Diabetes)', diabetes, { type: 'mlp', hidden: [8], head: 'regression' }],
];

describe('ONNX export', () => {
  for (const [name, load, options] of cases) {
    it(`gives the trainer's predictions in onnxruntime from raw features for ${name}`, async () => {
      const data = load();
      const { model, bytes, expected } = trainAndExport(data, options);
      expect(checkModel(bytes)).toEqual({ ok: true, errors: [] });
      await expectSamePredictions(model, bytes, expected, data);
    });
  }

  it('records opset 13, the input shape [N, F] and the feature names', () => {
    const data = iris();
    const { bytes } = trainAndExport(data, { type: 'softmax', classes: 3 });
    const m = onnx.ModelProto.decode(bytes);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const input = m.graph!.input![0];
    expect(input.name).toBe('input');
    expect(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual([
      'N',
      4,
    ]);
    const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(props.feature_names!)).toEqual(data.featureNames);
    expect(props.model_type).toBe('softmax');
    expect(m.docString).toContain('petal_width');
  });

  it('rejects weights of the wrong length with the count it expected', () => {
    const model = modelSpec({ type: 'logistic', features: 3 });
    expect(() => exportOnnx({ model, weights: new Float64Array(3), featureNames: ['a', 'b', 'c'] })).toThrow(
      /3 parameters .* has 4/,
    );
  });
});

describe('the structural ONNX check', () => {
  const model = modelSpec({ type: 'logistic', features: 2 });
  const valid = exportOnnx({ model, weights: new Float64Array([1, 2, 3]), featureNames: ['a', 'b'] });

  it('reports a node input used before it is defined', () => {
    const m = onnx.ModelProto.decode(valid);
    m.graph!.node!.reverse();
    const { ok, errors } = checkModel(onnx.ModelProto.encode(m).finish());
    expect(ok).toBe(false);
    expect(errors.some((e) => /uses '.*' before it is defined/.test(e))).toBe(true);
  });

  it('reports a graph output declared with another element type than computed', () => {
    const m = onnx.ModelProto.decode(valid);
    const label = m.graph!.output!.find((o) => o.name === 'label')!;
    label.type!.tensorType!.elemType = onnx.TensorProto.DataType.FLOAT;
    const { errors } = checkModel(onnx.ModelProto.encode(m).finish());
    expect(errors).toContain("graph output 'label' is declared as element type 1 but computed as 7");
  });

  it('reports a missing default-domain opset and an initializer whose size does not match its dims', () => {
    const m = onnx.ModelProto.decode(valid);
    m.opsetImport = [onnx.OperatorSetIdProto.create({ domain: 'ai.onnx.ml', version: 1 })];
    m.graph!.initializer![0].dims = [5, 5];
    const { errors } = checkModel(onnx.ModelProto.encode(m).finish());
    expect(errors).toContain('opset_import lacks the default domain');
    expect(errors.some((e) => /initializer 'W0' has 2 values but dims \[5, 5\] need 25/.test(e))).toBe(true);
  });

  it('reports bytes that are not a ModelProto', () => {
    expect(checkModel(new Uint8Array([0xff, 0xff, 0xff])).ok).toBe(false);
  });
});
