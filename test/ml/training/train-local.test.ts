import { describe, expect, it } from 'vitest';
import { isInfrabaseError } from '../../../engine/index.js';
import {
  evaluateModel,
  featureMoments,
  initialWeights,
  mergeMoments,
  modelSpec,
  standardizationFromMoments,
  standardizeRows,
  trainLocal,
} from '../../../ml/training/index.js';
import { breastCancer, iris } from './small-datasets.js';

const cancer = breastCancer();
const logistic = modelSpec({ type: 'logistic', features: cancer.rows.d });
const base = {
  model: logistic,
  weights: initialWeights(logistic, 1),
  epochs: 5,
  batchSize: 32,
  learningRate: 0.05,
  optimizer: 'sgd' as const,
  seed: 1,
};

describe('trainLocal', () => {
  const standardization = standardizationFromMoments(featureMoments(cancer.rows));

  it('fits Breast Cancer with SGD to over 95% training accuracy', () => {
    const r = trainLocal({ ...base, rows: cancer.rows, standardization });
    expect(r.examples).toBe(569);
    expect(r.metrics.accuracy).toBeGreaterThan(0.95);
  });

  it('fits Iris with softmax and Adam to over 90% training accuracy', () => {
    const data = iris();
    const model = modelSpec({ type: 'softmax', features: 4, classes: 3 });
    const s = standardizationFromMoments(featureMoments(data.rows));
    const r = trainLocal({
      ...base,
      model,
      weights: initialWeights(model, 1),
      rows: data.rows,
      standardization: s,
      optimizer: 'adam',
      epochs: 30,
    });
    expect(r.metrics.accuracy).toBeGreaterThan(0.9);
  });

  it('is reproducible for a seed and differs for another seed', () => {
    const a = trainLocal({ ...base, rows: cancer.rows, standardization });
    const b = trainLocal({ ...base, rows: cancer.rows, standardization });
    const c = trainLocal({ ...base, rows: cancer.rows, standardization, seed: 2 });
    expect(a.weights).toEqual(b.weights);
    expect(a.weights).not.toEqual(c.weights);
  });

  it('does not modify the weights it starts from', () => {
    const start = Float64Array.from(base.weights);
    trainLocal({ ...base, rows: cancer.rows, standardization });
    expect(base.weights).toEqual(start);
  });

  it('stays closer to the global weights with a larger FedProx mu', () => {
    const dist = (w: Float64Array) => Math.hypot(...w.map((v, i) => v - base.weights[i]));
    const free = trainLocal({ ...base, rows: cancer.rows, standardization });
    const prox = trainLocal({ ...base, rows: cancer.rows, standardization, mu: 1 });
    expect(dist(prox.weights)).toBeLessThan(0.8 * dist(free.weights));
  });

  it('converges faster with momentum than plain SGD at a small learning rate', () => {
    const rows = standardizeRows(cancer.rows, standardization);
    const plain = trainLocal({ ...base, rows, learningRate: 0.001, epochs: 2 });
    const heavy = trainLocal({ ...base, rows, learningRate: 0.001, epochs: 2, momentum: 0.9 });
    expect(heavy.metrics.loss).toBeLessThan(plain.metrics.loss);
  });

  it('rejects a label that is not 0 or 1 for a binary model, naming the row', () => {
    const y = Float64Array.from(cancer.rows.y);
    y[7] = 2;
    try {
      trainLocal({ ...base, rows: { ...cancer.rows, y } });
      expect.unreachable();
    } catch (err) {
      expect(isInfrabaseError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toBe('label of row 7 is 2; accepted: 0 or 1');
    }
  });

  it('rejects weights of the wrong length', () => {
    expect(() => trainLocal({ ...base, rows: cancer.rows, weights: new Float64Array(3) })).toThrow(
      'weights have 3 parameters but this logistic model has 31',
    );
  });
});

describe('federated standardisation statistics', () => {
  it('merged shard moments give the same mean and std as the pooled rows', () => {
    const { X, y, n, d } = cancer.rows;
    const cut = 200;
    const a = { X: X.subarray(0, cut * d), y: y.subarray(0, cut), n: cut, d };
    const b = { X: X.subarray(cut * d), y: y.subarray(cut), n: n - cut, d };
    const merged = standardizationFromMoments(mergeMoments([featureMoments(a), featureMoments(b)]));
    const pooled = standardizationFromMoments(featureMoments(cancer.rows));
    for (let j = 0; j < pooled.mean.length; j++) {
      expect(merged.mean[j]).toBeCloseTo(pooled.mean[j], 9);
      expect(merged.std[j]).toBeCloseTo(pooled.std[j], 9);
    }
  });

  it('standardised features have mean 0 and std 1', () => {
    const s = standardizationFromMoments(featureMoments(cancer.rows));
    const after = standardizationFromMoments(featureMoments(standardizeRows(cancer.rows, s)));
    expect(Math.max(...after.mean.map(Math.abs))).toBeLessThan(1e-9);
    for (const v of after.std) expect(v).toBeCloseTo(1, 9);
  });

  it('maps a constant feature to 0 instead of dividing by zero', () => {
    const s = standardizationFromMoments({ count: 3, sum: [6], sumSquares: [12] });
    expect(s).toEqual({ mean: [2], std: [1] });
  });

  it('reject an empty shard list', () => {
    expect(() => mergeMoments([])).toThrow('mergeMoments needs at least one shard');
  });
});

describe('model metrics', () => {
  it('report no accuracy for regression', () => {
    const model = modelSpec({ type: 'linear', features: 1 });
    const m = evaluateModel(model, new Float64Array([0, 0]), {
      X: new Float64Array([1]),
      y: new Float64Array([2]),
      n: 1,
      d: 1,
    });
    expect(m).toEqual({ loss: 4, accuracy: null });
  });
});
