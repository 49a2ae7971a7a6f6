import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { assertBindingShape, createSession, ORT_NODE_VERSION } from '../../../ml/index.js';
import { logisticRegressionModel } from './build-models.js';

const require = createRequire(import.meta.url);

describe('onnxruntime-node native binding adapter', () => {
  it('runs against exactly the pinned onnxruntime-node version', () => {
    expect(require('onnxruntime-node/package.json').version).toBe(ORT_NODE_VERSION);
    expect(require('../../../package.json').dependencies['onnxruntime-node']).toBe(ORT_NODE_VERSION);
  });

  it('finds the native session members it calls (fails loudly if the binding changes)', () => {
    const native = require('onnxruntime-node/dist/binding.js');
    expect(() => assertBindingShape(native)).not.toThrow();
    expect(() => assertBindingShape({ binding: { InferenceSession: class {} }, initOrt() {} })).toThrow(
      /native binding changed: missing loadModel\(\), run\(\), dispose\(\), inputMetadata, outputMetadata/,
    );
  });

  it('runs a model synchronously and returns typed tensors with dims', () => {
    const session = createSession(logisticRegressionModel([1, -1], 0));
    expect(session.inputs).toEqual([{ name: 'x', isTensor: true, dtype: 'float32', shape: ['N', 2] }]);
    const out = session.runSync(
      { x: { dtype: 'float32', dims: [2, 2], data: new Float32Array([3, 1, 0, 2]) } },
      ['probability', 'label'],
    );
    expect(out.probability.dims).toEqual([2, 1]);
    expect(out.probability.data[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(out.label.dtype).toBe('int64');
    expect([...(out.label.data as BigInt64Array)]).toEqual([1n, 0n]);
    session.dispose();
  });

  it('turns an onnxruntime failure into a MODEL_ERROR', () => {
    const session = createSession(logisticRegressionModel([1, -1], 0), "model 'lr'");
    expect(() =>
      session.runSync({ x: { dtype: 'float32', dims: [1, 3], data: new Float32Array(3) } }, ['probability']),
    ).toThrow(
      expect.objectContaining({ code: 'MODEL_ERROR', message: expect.stringMatching(/^model 'lr': /) }),
    );
  });
});
