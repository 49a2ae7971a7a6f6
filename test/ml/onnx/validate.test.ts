import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../engine/index.js';
import {
  decodeModel,
  describeModel,
  exposeZipMapProbabilities,
  mlExtension,
  onnx,
} from '../../../ml/index.js';
import { EXAMPLES } from '../../support/data.js';
import { externalDataModel, logisticRegressionModel, sequenceInputModel } from './build-models.js';

const MODELS = `${EXAMPLES}/models`;
let db: Database;
beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true, extensions: [mlExtension] });
});
afterEach(() => db.close());

const insert = (name: string, bytes: Uint8Array) =>
  db.prepare('INSERT INTO sys_models (name, onnx) VALUES (?, ?)').run(name, Buffer.from(bytes));
const count = () => db.prepare('SELECT count(*) FROM sys_models').pluck().get();

describe('sys_models insert validation', () => {
  it.each(['initializer', 'constant', 'subgraph'] as const)(
    'rejects a model with an external-data tensor in a %s and stores nothing',
    (place) => {
      expect(() => insert('ext', externalDataModel(place))).toThrow(
        /model 'ext': tensor 'w.*references external data; only models with all tensor data embedded are accepted/,
      );
      expect(count()).toBe(0);
    },
  );

  it('rejects a truncated model file and stores nothing', () => {
    const bytes = readFileSync(`${MODELS}/sklearn_logreg_iris.onnx`);
    expect(() => insert('cut', bytes.subarray(0, bytes.length - 40))).toThrow(
      /model 'cut': 636 bytes do not decode as an ONNX ModelProto \(truncated or not ONNX/,
    );
    expect(count()).toBe(0);
  });

  it('rejects a blob that is not ONNX and stores nothing', () => {
    expect(() => insert('png', Buffer.from('\x89PNG\r\n\x1a\n not a model at all'))).toThrow(
      /model 'png': .* (do not decode as|are not) an ONNX ModelProto/,
    );
    expect(() => insert('text', Buffer.from('{"weights": [1, 2, 3]}'))).toThrow(
      /not ONNX|not an ONNX ModelProto/,
    );
    expect(count()).toBe(0);
  });

  it('rejects a model whose input is a sequence rather than a tensor', () => {
    expect(() => insert('seq', sequenceInputModel())).toThrow(
      /model 'seq': input 's' is a sequence; only tensor inputs are accepted/,
    );
    expect(count()).toBe(0);
  });

  it('rejects an update that replaces the onnx of a model with a broken blob', () => {
    insert('lr', logisticRegressionModel([1, 2], 0));
    expect(() => db.prepare("UPDATE sys_models SET onnx = x'0102' WHERE name = 'lr'").run()).toThrow(
      /ModelProto/,
    );
    expect(db.prepare('SELECT length(onnx) > 2 FROM sys_models').pluck().get()).toBe(1);
  });

  it('fills sha256, opset, inputs, outputs, task and feature names (in graph input order) on a plain SQL insert', () => {
    const bytes = readFileSync(`${MODELS}/coreml_onehot_8inputs.onnx`);
    insert('onehot', bytes);
    const row = db.prepare('SELECT * FROM sys_models').get() as Record<string, string | number>;
    expect(row.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(row.version).toBe(1);
    expect(row.task).toBe('transform');
    expect(JSON.parse(row.feature_names as string)).toEqual(['1', '3', '2', '5', '4', '7', '6', '8']);
    const inputs = JSON.parse(row.inputs as string);
    expect(inputs).toHaveLength(8);
    expect(inputs[0]).toEqual({ name: '1', dtype: 'int64', shape: [1] });
    expect(JSON.parse(row.outputs as string)[0]).toMatchObject({
      name: 'transformed_features',
      kind: 'tensor',
      dtype: 'float32',
    });
  });

  it('keeps feature names given by the user', () => {
    db.prepare('INSERT INTO sys_models (name, onnx, feature_names) VALUES (?, ?, ?)').run(
      'lr',
      Buffer.from(logisticRegressionModel([1, 2], 0)),
      '["age","income"]',
    );
    expect(db.prepare('SELECT feature_names, task, opset FROM sys_models').raw().get()).toEqual([
      '["age","income"]',
      null,
      13,
    ]);
  });
});

describe('describeModel', () => {
  it('reports dtypes, dynamic dims, the opsets, the producer and the ZipMap probability tensor', () => {
    const bytes = readFileSync(`${MODELS}/sklearn_randomforest_iris.onnx`);
    const d = describeModel(decodeModel(bytes), bytes);
    expect(d.inputs).toEqual([{ name: 'X', dtype: 'float32', shape: ['?', 4] }]);
    expect(d.producer.name).toBe('skl2onnx');
    expect(d.opsetImports.map((o) => o.domain).sort()).toEqual(['', 'ai.onnx.ml']);
    expect(d.task).toBe('classification');
    const probs = d.outputs.find((o) => o.name === 'output_probability');
    expect(probs).toMatchObject({
      kind: 'sequence',
      dtype: 'seq(map(int64,float32))',
      classLabels: [0, 1, 2],
    });
    expect(probs?.probabilityTensor).toBeTruthy();
  });

  it('rewrites a ZipMap output into its probability tensor and leaves other graphs alone', () => {
    const bytes = readFileSync(`${MODELS}/sklearn_logreg_iris.onnx`);
    const rewritten = exposeZipMapProbabilities(bytes);
    expect(rewritten).not.toBeNull();
    const graph = onnx.ModelProto.decode(rewritten!).graph!;
    expect(graph.output!.map((o) => o.name)).toEqual(['output_label', 'probabilities']);
    expect(graph.node!.some((n) => n.opType === 'ZipMap')).toBe(false);
    expect(exposeZipMapProbabilities(logisticRegressionModel([1], 0))).toBeNull();
  });
});
