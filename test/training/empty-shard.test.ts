import { describe, expect, it } from 'vitest';
import { createStrategy, evaluateModel, initialWeights, modelSpec } from '../../ml/index.js';

// A table hash-sharded on a low-cardinality column (`--shard-by sex` over 4 nodes) leaves nodes with no rows.
const model = modelSpec({ type: 'logistic', features: 2 });
const empty = { X: new Float64Array(0), y: new Float64Array(0), n: 0, d: 2 };

describe('a data node holding no rows of the training table', () => {
  it.each(['fedavg', 'fedprox', 'fedadam', 'trimmed_mean', 'median'])(
    'does not void the evaluation metrics of a %s round',
    (name) => {
      const strategy = createStrategy(name, {
        parameterCount: 3,
        train: { epochs: 1, batchSize: 32, learningRate: 0.05, optimizer: 'sgd' },
      });
      const fromEmptyNode = evaluateModel(model, initialWeights(model, 1), empty);
      const aggregate = strategy.aggregateEvaluate(
        1,
        [
          { shardId: 'd1', examples: 300, metrics: { loss: 0.3, accuracy: 0.9 } },
          { shardId: 'd2', examples: 100, metrics: { loss: 0.7, accuracy: 0.5 } },
          { shardId: 'd3', examples: 0, metrics: fromEmptyNode },
        ],
        [],
      );
      expect(aggregate.examples).toBe(400);
      expect(aggregate.metrics.loss).toBeCloseTo(0.4, 12);
      expect(aggregate.metrics.accuracy).toBeCloseTo(0.8, 12);
    },
  );
});
