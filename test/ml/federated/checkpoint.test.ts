import { describe, expect, it } from 'vitest';
import {
  createStrategy,
  decodeWeights,
  encodeCheckpoint,
  encodeWeights,
  FedAdam,
  restoreCheckpoint,
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

  it("save and restore every strategy's state through one checkpoint, so each resumes exactly", async () => {
    const clients = new Map([['a', drift]]);
    const init = Float64Array.from([0, 0]);
    for (const name of ['fedavg', 'fedprox', 'fedadam', 'trimmed_mean', 'median']) {
      const straight = await runFederated({
        strategy: createStrategy(name, { parameterCount: 2, train }),
        clients,
        initialWeights: init,
        rounds: 4,
      });
      const firstStrategy = createStrategy(name, { parameterCount: 2, train });
      const first = await runFederated({ strategy: firstStrategy, clients, initialWeights: init, rounds: 2 });
      const blob = encodeCheckpoint(first.weights, firstStrategy);
      expect(blob.length).toBe(name === 'fedadam' ? 3 * 16 : 16); // FedAdam adds m and v
      const strategy = createStrategy(name, { parameterCount: 2, train });
      const resumed = await runFederated({
        strategy,
        clients,
        initialWeights: restoreCheckpoint(blob, 2, strategy),
        rounds: 2,
        firstRound: 3,
      });
      expect(resumed.weights, name).toEqual(straight.weights);
    }
  });

  it('write a FedAdam checkpoint in the same bytes as before, zero moments before its first round', () => {
    const s = new FedAdam({ parameterCount: 2, train });
    const w = Float64Array.from([1, 2]);
    // Weights, then m, then v: the layout checkpoints of earlier versions were written in.
    expect(encodeCheckpoint(w, s)).toEqual(encodeWeights(Float64Array.from([1, 2, 0, 0, 0, 0])));
  });

  it("refuse another strategy's checkpoint, naming what it expected", () => {
    const adam = encodeCheckpoint(Float64Array.from([1, 2]), new FedAdam({ parameterCount: 2, train }));
    expect(() => restoreCheckpoint(adam, 2, createStrategy('fedavg', { parameterCount: 2, train }))).toThrow(
      'fedavg checkpoint state has 2 vector(s) of lengths [2, 2]; expected 0 of 2',
    );
    expect(() => restoreCheckpoint(new Uint8Array(24), 2, new FedAdam({ parameterCount: 2, train }))).toThrow(
      'checkpoint has 3 float64 values; expected a multiple of 2 parameters',
    );
  });
});

describe('the round loop', () => {
  it('asks for the clients every round and stops before a round once aborted', async () => {
    const abort = new AbortController();
    const asked: number[] = [];
    const run = await runFederated({
      strategy: createStrategy('fedavg', { parameterCount: 2, train }),
      clients: async (round) => {
        asked.push(round);
        if (round === 3) abort.abort();
        return new Map([['a', drift]]);
      },
      initialWeights: Float64Array.from([0, 0]),
      rounds: 5,
      signal: abort.signal,
    });
    expect(asked).toEqual([1, 2, 3]);
    // round 3 was aborted midway: dropped, and the weights are round 2's
    expect(run.history.map((r) => r.round)).toEqual([1, 2]);
    expect(run.weights).toEqual(run.history[1].weights);
  });
});
