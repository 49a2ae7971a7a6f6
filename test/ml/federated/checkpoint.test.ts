import { describe, expect, it } from 'vitest';
import {
  createStrategy,
  decodeFedAdamCheckpoint,
  decodeWeights,
  encodeFedAdamCheckpoint,
  encodeWeights,
  FedAdam,
  runFederated,
  type ShardClient,
} from '../../../ml/federated/index.js';

const train = { epochs: 1, batchSize: 32, learningRate: 0.1, optimizer: 'sgd' as const };
const drift: ShardClient = {
  async train({ shardId, weights }) {
    return {
      shardId,
      weights: weights.map((w, i) => w + i + 1),
      examples: 5,
      metrics: { loss: 1, accuracy: 0.5 },
    };
  },
};

describe('weight checkpoints', () => {
  it('round-trip every float64 exactly, including negative zero and subnormals', () => {
    const w = Float64Array.from([0.1, -0, 5e-324, -1.7976931348623157e308, 42]);
    expect(Object.is(decodeWeights(encodeWeights(w))[1], -0)).toBe(true);
    expect(decodeWeights(encodeWeights(w), 5)).toEqual(w);
  });

  it('reject a blob of the wrong size for the model, saying what was expected', () => {
    expect(() => decodeWeights(new Uint8Array(16), 3)).toThrow(
      'weights checkpoint has 16 bytes; expected 24 (3 float64 parameters)',
    );
  });

  it('let a FedAvg run resumed after round 2 end where an uninterrupted run ends', async () => {
    const clients = new Map([['a', drift]]);
    const strategy = () => createStrategy('fedavg', { parameterCount: 2, train });
    const init = Float64Array.from([0, 0]);
    const straight = await runFederated({ strategy: strategy(), clients, initialWeights: init, rounds: 4 });
    const first = await runFederated({ strategy: strategy(), clients, initialWeights: init, rounds: 2 });
    const blob = encodeWeights(first.weights);
    const resumed = await runFederated({
      strategy: strategy(),
      clients,
      initialWeights: decodeWeights(blob, 2),
      rounds: 2,
      firstRound: 3,
    });
    expect(resumed.history.map((r) => r.round)).toEqual([3, 4]);
    expect(resumed.weights).toEqual(straight.weights);
  });

  it('let FedAdam resume with its server moments and end where an uninterrupted run ends', async () => {
    const clients = new Map([['a', drift]]);
    const init = Float64Array.from([0, 0]);
    const straight = await runFederated({
      strategy: new FedAdam({ parameterCount: 2, train }),
      clients,
      initialWeights: init,
      rounds: 4,
    });
    const firstStrategy = new FedAdam({ parameterCount: 2, train });
    const first = await runFederated({ strategy: firstStrategy, clients, initialWeights: init, rounds: 2 });
    const saved = decodeFedAdamCheckpoint(
      encodeFedAdamCheckpoint(first.weights, firstStrategy.serverState!),
      2,
    );
    const resumed = await runFederated({
      strategy: new FedAdam({ parameterCount: 2, train, fedAdamState: saved.state }),
      clients,
      initialWeights: saved.weights,
      rounds: 2,
      firstRound: 3,
    });
    expect(resumed.weights).toEqual(straight.weights);
  });
});
