import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../engine/index.js';
import {
  initialWeights,
  lossAndGradient,
  type ModelSpecOptions,
  modelSpec,
  parameterCount,
  type Regularization,
  type Rows,
} from '../../../ml/training/index.js';

/** Random rows for a spec: features ~ U(−2, 2), labels valid for the head. */
function randomRows(
  features: number,
  n: number,
  head: 'binary' | 'multiclass' | 'regression',
  classes: number,
  seed: number,
): Rows {
  const rand = seededRandom(seed);
  const X = Float64Array.from({ length: n * features }, () => 4 * rand() - 2);
  const y = Float64Array.from({ length: n }, () =>
    head === 'binary'
      ? Number(rand() < 0.5)
      : head === 'multiclass'
        ? Math.floor(rand() * classes)
        : 3 * rand() - 1,
  );
  return { X, y, n, d: features };
}

/** Largest |analytic − central difference| / max(1, |numeric|) over all parameters. */
function maxGradientError(options: ModelSpecOptions, reg: Regularization): number {
  const model = modelSpec(options);
  const rows = randomRows(model.features, 12, model.head, model.classes, 11);
  const w = initialWeights(model, 3);
  const rand = seededRandom(4);
  for (let p = 0; p < w.length; p++) w[p] += 0.3 * (rand() - 0.5); // move off zero so every path is exercised
  const anchor = Float64Array.from(w, (v) => v + 0.5 * (rand() - 0.5));
  const fullReg = { ...reg, anchor };
  const grad = new Float64Array(w.length);
  lossAndGradient(model, w, rows, grad, fullReg);
  const scratch = new Float64Array(w.length);
  const h = 1e-6;
  let worst = 0;
  for (let p = 0; p < w.length; p++) {
    const saved = w[p];
    w[p] = saved + h;
    const up = lossAndGradient(model, w, rows, scratch, fullReg);
    w[p] = saved - h;
    const down = lossAndGradient(model, w, rows, scratch, fullReg);
    w[p] = saved;
    const numeric = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(grad[p] - numeric) / Math.max(1, Math.abs(numeric)));
  }
  return worst;
}

const models: [string, ModelSpecOptions][] = [
  ['logistic', { type: 'logistic', features: 5 }],
  ['softmax', { type: 'softmax', features: 4, classes: 3 }],
  ['linear', { type: 'linear', features: 6 }],
  ['binary mlp (1 hidden layer)', { type: 'mlp', features: 4, hidden: [5], head: 'binary' }],
  [
    'multiclass mlp (2 hidden layers)',
    { type: 'mlp', features: 3, hidden: [6, 4], classes: 4, head: 'multiclass' },
  ],
  ['regression mlp (2 hidden layers)', { type: 'mlp', features: 3, hidden: [4, 3], head: 'regression' }],
];

describe('analytic gradients match central finite differences', () => {
  for (const [name, options] of models) {
    it(`for the ${name} loss`, () => {
      expect(maxGradientError(options, {})).toBeLessThan(1e-6);
    });
    it(`for the ${name} loss with L2 and the FedProx proximal term`, () => {
      expect(maxGradientError(options, { l2: 0.3, mu: 0.7 })).toBeLessThan(1e-6);
    });
  }
});

describe('the losses', () => {
  it('are log-loss for logistic: log 2 at zero weights', () => {
    const model = modelSpec({ type: 'logistic', features: 2 });
    const rows = randomRows(2, 10, 'binary', 2, 1);
    const loss = lossAndGradient(model, new Float64Array(3), rows, new Float64Array(3));
    expect(loss).toBeCloseTo(Math.log(2), 12);
  });

  it('are cross-entropy for softmax: log C at zero weights', () => {
    const model = modelSpec({ type: 'softmax', features: 2, classes: 5 });
    const rows = randomRows(2, 10, 'multiclass', 5, 1);
    const size = parameterCount(model);
    expect(lossAndGradient(model, new Float64Array(size), rows, new Float64Array(size))).toBeCloseTo(
      Math.log(5),
      12,
    );
  });

  it('add mu/2 times the squared distance to the global weights for FedProx', () => {
    const model = modelSpec({ type: 'linear', features: 1 });
    const rows: Rows = { X: new Float64Array([1]), y: new Float64Array([3]), n: 1, d: 1 };
    const w = new Float64Array([1, 2]); // prediction 3: zero data loss
    const loss = lossAndGradient(model, w, rows, new Float64Array(2), {
      mu: 2,
      anchor: new Float64Array([0, 0]),
    });
    expect(loss).toBeCloseTo(5, 12); // 2/2 · (1² + 2²)
  });

  it('penalise weight matrices but not biases with L2', () => {
    const model = modelSpec({ type: 'linear', features: 1 });
    const rows: Rows = { X: new Float64Array([1]), y: new Float64Array([3]), n: 1, d: 1 };
    const loss = lossAndGradient(model, new Float64Array([1, 2]), rows, new Float64Array(2), { l2: 4 });
    expect(loss).toBeCloseTo(2, 12); // 4/2 · 1², the bias 2 is free
  });
});
