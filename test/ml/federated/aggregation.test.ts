import { describe, expect, it } from 'vitest';
import {
  coordinateMedian,
  fedAdamStep,
  screenUpdates,
  trimmedMean,
  weightedAverage,
} from '../../../ml/federated/index.js';

const v = (...xs: number[]) => Float64Array.from(xs);

describe('weightedAverage (FedAvg)', () => {
  it('of identical updates is that update', () => {
    const w = v(0.1, -1.3, 3e-7);
    const avg = weightedAverage([
      { weights: w, examples: 10 },
      { weights: w, examples: 990 },
      { weights: w, examples: 1 },
    ]);
    w.forEach((x, p) => {
      expect(Math.abs(avg[p] - x)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(x));
    });
  });

  it('weights each update by its example count', () => {
    const avg = weightedAverage([
      { weights: v(0, 10), examples: 3 },
      { weights: v(4, 2), examples: 1 },
    ]);
    expect(Array.from(avg)).toEqual([1, 8]);
  });

  it('does not modify its inputs', () => {
    const a = v(1, 2);
    weightedAverage([
      { weights: a, examples: 1 },
      { weights: v(3, 4), examples: 1 },
    ]);
    expect(a).toEqual(v(1, 2));
  });

  it('rejects updates of different lengths', () => {
    expect(() =>
      weightedAverage([
        { weights: v(1), examples: 1 },
        { weights: v(1, 2), examples: 1 },
      ]),
    ).toThrow(/different lengths/);
  });

  it('rejects an empty list', () => {
    expect(() => weightedAverage([])).toThrow('weightedAverage needs at least one update');
  });
});

describe('coordinateMedian', () => {
  it('ignores one outlier among three per coordinate', () => {
    const m = coordinateMedian([{ weights: v(1, 5) }, { weights: v(2, 6) }, { weights: v(1000, -1000) }]);
    expect(Array.from(m)).toEqual([2, 5]);
  });

  it('averages the two middle values for an even count', () => {
    const m = coordinateMedian([
      { weights: v(1) },
      { weights: v(2) },
      { weights: v(4) },
      { weights: v(100) },
    ]);
    expect(Array.from(m)).toEqual([3]);
  });
});

describe('trimmedMean', () => {
  it('drops the largest and smallest beta fraction per coordinate', () => {
    const updates = [1, 2, 3, 4, 1000].map((x) => ({ weights: v(x, -x) }));
    expect(Array.from(trimmedMean(updates, 0.2))).toEqual([3, -3]);
  });

  it('is the plain mean at beta 0', () => {
    expect(Array.from(trimmedMean([{ weights: v(1) }, { weights: v(3) }], 0))).toEqual([2]);
  });

  it('trims nothing when beta times the count is below one', () => {
    const updates = [1, 2, 3, 10].map((x) => ({ weights: v(x) }));
    expect(Array.from(trimmedMean(updates, 0.2))).toEqual([4]);
  });

  it('rejects beta of 0.5 or more', () => {
    expect(() => trimmedMean([{ weights: v(1) }], 0.5)).toThrow(
      'trimmed mean beta must be in [0, 0.5), got 0.5',
    );
  });
});

describe('fedAdamStep', () => {
  it('moves the global weights in the direction of the mean client change', () => {
    const current = v(1, 1, 1);
    const { weights } = fedAdamStep(current, v(2, 1, 0), null);
    expect(weights[0]).toBeGreaterThan(1);
    expect(weights[1]).toBe(1);
    expect(weights[2]).toBeLessThan(1);
  });

  it('takes a first step of about eta·(1−β1)/√(1−β2) per coordinate, independent of the change size', () => {
    const params = { eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 };
    const small = fedAdamStep(v(0), v(0.01), null, params).weights[0];
    const large = fedAdamStep(v(0), v(1000), null, params).weights[0];
    const expected = (0.1 * 0.1) / Math.sqrt(0.01);
    expect(small).toBeCloseTo(expected, 6);
    expect(large).toBeCloseTo(expected, 6);
  });

  it('returns new moments and leaves the previous state untouched', () => {
    const first = fedAdamStep(v(0), v(1), null);
    const m = Float64Array.from(first.state.m);
    const second = fedAdamStep(first.weights, v(2), first.state);
    expect(first.state.m).toEqual(m);
    expect(second.state.m[0]).toBeGreaterThan(m[0]);
  });
});

describe('screenUpdates', () => {
  const ok = { shardId: 'a', weights: v(1, 2), examples: 5, metrics: { loss: 0.1, accuracy: 0.9 } };

  it('rejects NaN and infinite weights, naming the parameter', () => {
    const { accepted, rejected } = screenUpdates(
      [
        ok,
        { ...ok, shardId: 'b', weights: v(1, Number.NaN) },
        { ...ok, shardId: 'c', weights: v(Infinity, 0) },
      ],
      2,
    );
    expect(accepted.map((r) => r.shardId)).toEqual(['a']);
    expect(rejected).toEqual([
      { shardId: 'b', reason: 'update parameter 1 is NaN (not finite)' },
      { shardId: 'c', reason: 'update parameter 0 is Infinity (not finite)' },
    ]);
  });

  it('rejects updates of the wrong length and non-positive example counts', () => {
    const { rejected } = screenUpdates(
      [
        { ...ok, weights: v(1) },
        { ...ok, shardId: 'z', examples: 0 },
      ],
      2,
    );
    expect(rejected.map((r) => r.reason)).toEqual([
      'update has 1 parameters, expected 2',
      'example count 0 is not a positive integer',
    ]);
  });
});
