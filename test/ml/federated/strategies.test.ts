import { describe, expect, it } from 'vitest';
import { InfrabaseError, isInfrabaseError, seededRandom } from '../../../engine/index.js';
import {
  createStrategy,
  FedAdam,
  runFederated,
  type ShardClient,
  type StrategyOptions,
  sampleShards,
  type TrainResult,
} from '../../../ml/federated/index.js';

const train = { epochs: 1, batchSize: 32, learningRate: 0.1, optimizer: 'sgd' as const };
const options = (extra: Partial<StrategyOptions> = {}): StrategyOptions => ({
  parameterCount: 2,
  train,
  ...extra,
});
const shards = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10'];
const result = (shardId: string, weights: number[], examples = 10): TrainResult => ({
  shardId,
  weights: Float64Array.from(weights),
  examples,
  metrics: { loss: 0.5, accuracy: 0.8 },
});

describe('sampleShards', () => {
  it('samples the fraction of available shards, at least min_shards', () => {
    expect(sampleShards(shards, 0.3, 1, seededRandom(1))).toHaveLength(3);
    expect(sampleShards(shards, 0.1, 4, seededRandom(1))).toHaveLength(4);
    expect(sampleShards(shards, 1, 1, seededRandom(1))).toEqual(shards);
  });

  it('throws UNAVAILABLE when fewer shards than min_shards are available', () => {
    try {
      sampleShards(['a', 'b'], 1, 3, seededRandom(1));
      expect.unreachable();
    } catch (err) {
      expect(isInfrabaseError(err, 'UNAVAILABLE')).toBe(true);
      expect((err as Error).message).toBe('2 shard(s) available but min_shards is 3');
    }
  });

  it('is reproducible for a seed', () => {
    expect(sampleShards(shards, 0.5, 1, seededRandom(9))).toEqual(
      sampleShards(shards, 0.5, 1, seededRandom(9)),
    );
  });
});

describe('configureTrain', () => {
  it('sends the global weights and the local hyper-parameters with a distinct seed per shard', () => {
    const s = createStrategy('fedavg', options());
    const ins = s.configureTrain(1, Float64Array.from([1, 2]), ['a', 'b']);
    expect(ins.map((i) => i.shardId)).toEqual(['a', 'b']);
    expect(ins[0].config).toMatchObject({ ...train, mu: 0 });
    expect(ins[0].config.seed).not.toBe(ins[1].config.seed);
  });

  it('sends FedProx mu to the clients', () => {
    const s = createStrategy('fedprox', options({ mu: 0.2 }));
    expect(s.configureTrain(1, Float64Array.from([0, 0]), ['a'])[0].config.mu).toBe(0.2);
  });

  it('rejects an unknown strategy name, listing the accepted ones', () => {
    expect(() => createStrategy('fedsgd', options())).toThrow(
      "strategy 'fedsgd' is unknown; accepted: fedavg, fedprox, fedadam, trimmed_mean, median",
    );
  });
});

describe('aggregateTrain', () => {
  it('aggregates the results and passes the failures through', () => {
    const s = createStrategy('fedavg', options());
    s.configureTrain(1, Float64Array.from([0, 0]), ['a', 'b', 'c']);
    const out = s.aggregateTrain(
      1,
      [result('a', [1, 1], 1), result('b', [4, 4], 2)],
      [{ shardId: 'c', reason: 'timeout' }],
    );
    expect(Array.from(out.weights!)).toEqual([3, 3]);
    expect(out.participants).toEqual(['a', 'b']);
    expect(out.failures).toEqual([{ shardId: 'c', reason: 'timeout' }]);
    expect(out.examples).toBe(3);
    expect(out.metrics).toEqual({ loss: 0.5, accuracy: 0.8 });
  });

  it('produces no weights when a shard failed and failures are not accepted', () => {
    const s = createStrategy('fedavg', options({ acceptFailures: false }));
    const out = s.aggregateTrain(1, [result('a', [1, 1])], [{ shardId: 'b', reason: 'killed' }]);
    expect(out.weights).toBeNull();
    expect(out.reason).toBe('1 shard(s) failed and accept_failures is off');
  });

  it('produces no weights when fewer usable updates than min_shards remain', () => {
    const s = createStrategy('median', options({ minShards: 2 }));
    const out = s.aggregateTrain(1, [result('a', [1, 1]), result('b', [Number.NaN, 1])], []);
    expect(out.weights).toBeNull();
    expect(out.failures.map((f) => f.shardId)).toEqual(['b']);
  });

  it('FedAdam steps from the weights it sent and keeps its server moments', () => {
    const s = new FedAdam(options());
    s.configureTrain(1, Float64Array.from([0, 0]), ['a']);
    const out = s.aggregateTrain(1, [result('a', [1, -1])], []);
    expect(out.weights![0]).toBeGreaterThan(0);
    expect(out.weights![1]).toBeLessThan(0);
    expect(s.serverState!.m[0]).toBeCloseTo(0.1, 12);
  });
});

describe('runFederated', () => {
  const echo = (delta: number): ShardClient => ({
    async train({ shardId, weights }) {
      return result(
        shardId,
        Array.from(weights, (w) => w + delta),
      );
    },
    async evaluate({ shardId }) {
      return { shardId, examples: 10, metrics: { loss: 0.25, accuracy: 0.75 } };
    },
  });

  it('completes a round with the shards that answered when one throws', async () => {
    const slow = new InfrabaseError('TIMEOUT', 'node n4 did not answer /v1/shard/train within 100 ms');
    const clients = new Map<string, ShardClient>([
      ['a', echo(1)],
      ['b', echo(3)],
      ['dead', { train: async () => Promise.reject(new Error('connection reset')) }],
      ['slow', { train: async () => Promise.reject(slow) }],
    ]);
    const { weights, history } = await runFederated({
      strategy: createStrategy('fedavg', options()),
      clients,
      initialWeights: Float64Array.from([0, 0]),
      rounds: 2,
    });
    expect(Array.from(weights)).toEqual([4, 4]);
    expect(history[0].participants).toEqual(['a', 'b']);
    // An InfrabaseError's code travels with the failure (the round metrics count TIMEOUT by it).
    expect(history[0].failures).toStrictEqual([
      { shardId: 'dead', reason: 'connection reset' },
      { shardId: 'slow', reason: slow.message, code: 'TIMEOUT' },
    ]);
    expect(history[0].evaluation?.metrics).toEqual({ loss: 0.25, accuracy: 0.75 });
  });

  it('stops when onRound returns false', async () => {
    const { history } = await runFederated({
      strategy: createStrategy('fedavg', options()),
      clients: new Map([['a', echo(1)]]),
      initialWeights: Float64Array.from([0, 0]),
      rounds: 5,
      onRound: (r) => r.round < 2,
    });
    expect(history.map((r) => r.round)).toEqual([1, 2]);
  });

  it('carries only weights, counts and metrics in the messages it receives', async () => {
    const seen: unknown[] = [];
    const spy: ShardClient = {
      async train(i) {
        const r = await echo(1).train(i);
        seen.push(r);
        return r;
      },
    };
    await runFederated({
      strategy: createStrategy('fedavg', options()),
      clients: new Map([['a', spy]]),
      initialWeights: Float64Array.from([0, 0]),
      rounds: 1,
    });
    expect(Object.keys(seen[0] as object).sort()).toEqual(['examples', 'metrics', 'shardId', 'weights']);
  });
});

describe('sampling across a restart', () => {
  it('picks the same shards for a round in a fresh strategy as in one that ran the earlier rounds', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const w = Float64Array.from([0, 0]);
    const running = createStrategy('fedavg', options({ fraction: 0.3, seed: 5 }));
    const picks = [1, 2, 3].map((r) => running.configureTrain(r, w, ten).map((i) => i.shardId));
    const fresh = createStrategy('fedavg', options({ fraction: 0.3, seed: 5 }));
    expect(fresh.configureTrain(3, w, ten).map((i) => i.shardId)).toEqual(picks[2]);
    expect(new Set(picks.map((p) => p.join())).size).toBeGreaterThan(1);
  });
});
