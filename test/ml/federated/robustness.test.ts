import { describe, expect, it } from 'vitest';
import { modelSpec } from '../../../ml/training/index.js';
import { runFederatedOn } from './federated-setup.js';
import { holdOut, loadAdult, roundRobin } from './tabular-data.js';

const adult = loadAdult();
const split = holdOut(adult, 20);
const shards = roundRobin(split.train, 4);
const model = modelSpec({ type: 'logistic', features: adult.featureNames.length });
const ROUNDS = 6;
const clean = await runFederatedOn(adult, model, shards, split.test, 'fedavg', ROUNDS);
const nanShard = new Map([[2, (w: Float64Array) => w.map((v, i) => (i === 0 ? Number.NaN : v))]]);
const scaledShard = new Map([[2, (w: Float64Array) => w.map((v) => v * 100)]]);
const norm = (w: Float64Array) => Math.hypot(...w);

describe('robust aggregation on UCI Adult with one faulty shard of four', () => {
  it('rejects a NaN update as a failure and still aggregates the other three (FedAvg)', async () => {
    const run = await runFederatedOn(adult, model, shards, split.test, 'fedavg', ROUNDS, {}, nanShard);
    for (const r of run.history) {
      expect(r.participants).toEqual(['shard-0', 'shard-1', 'shard-3']);
      expect(r.failures).toEqual([{ shardId: 'shard-2', reason: expect.stringMatching(/NaN/) }]);
    }
    expect(Math.abs(run.testAccuracy - clean.testAccuracy)).toBeLessThan(0.02);
  });

  it('out-votes weights scaled by 100 with the coordinate-wise median', async () => {
    const run = await runFederatedOn(adult, model, shards, split.test, 'median', ROUNDS, {}, scaledShard);
    expect(Math.abs(run.testAccuracy - clean.testAccuracy)).toBeLessThan(0.02);
    expect(norm(run.weights)).toBeLessThan(2 * norm(clean.weights));
  });

  it('out-votes weights scaled by 100 with the trimmed mean (beta 0.25)', async () => {
    const run = await runFederatedOn(
      adult,
      model,
      shards,
      split.test,
      'trimmed_mean',
      ROUNDS,
      { trimFraction: 0.25 },
      scaledShard,
    );
    expect(Math.abs(run.testAccuracy - clean.testAccuracy)).toBeLessThan(0.02);
    expect(norm(run.weights)).toBeLessThan(2 * norm(clean.weights));
  });

  it('lets weights scaled by 100 drag the FedAvg model, which is why the robust strategies exist', async () => {
    const run = await runFederatedOn(adult, model, shards, split.test, 'fedavg', ROUNDS, {}, scaledShard);
    expect(norm(run.weights)).toBeGreaterThan(10 * norm(clean.weights));
  });

  it('reaches the FedAvg accuracy with FedProx and FedAdam (server rate 0.3, 15 rounds) on clean shards', async () => {
    const prox = await runFederatedOn(adult, model, shards, split.test, 'fedprox', ROUNDS, { mu: 0.01 });
    const adam = await runFederatedOn(adult, model, shards, split.test, 'fedadam', 15, {
      fedAdam: { eta: 0.3 },
    });
    console.log(
      `adult fedavg ${(clean.testAccuracy * 100).toFixed(2)}%, fedprox ${(prox.testAccuracy * 100).toFixed(2)}%, fedadam ${(adam.testAccuracy * 100).toFixed(2)}%`,
    );
    expect(Math.abs(prox.testAccuracy - clean.testAccuracy)).toBeLessThan(0.01);
    expect(Math.abs(adam.testAccuracy - clean.testAccuracy)).toBeLessThan(0.01);
  });
});
