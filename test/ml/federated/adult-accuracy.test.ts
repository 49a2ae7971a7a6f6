import { describe, expect, it } from 'vitest';
import { modelSpec } from '../../../ml/training/index.js';
import { centralized, runFederatedOn } from './federated-setup.js';
import { byGroup, holdOut, loadAdult, roundRobin } from './tabular-data.js';

const adult = loadAdult();
const split = holdOut(adult, 20);
const model = modelSpec({ type: 'logistic', features: adult.featureNames.length });
const central = centralized(adult, model, split.train, split.test, 10);

describe('federated logistic regression on UCI Adult', () => {
  it('holds out about 20% of the 32,561 rows by a hash of the row id', () => {
    expect(adult.rows.n).toBe(32561);
    expect(split.test.length / adult.rows.n).toBeGreaterThan(0.18);
    expect(split.test.length / adult.rows.n).toBeLessThan(0.22);
  });

  it('reaches about 84% centrally on the 7 standardised features', () => {
    console.log(`adult centralized test accuracy ${(central.testAccuracy * 100).toFixed(2)}%`);
    expect(central.testAccuracy).toBeGreaterThan(0.83);
    expect(central.testAccuracy).toBeLessThan(0.86);
  });

  it('with FedAvg over 4 IID shards is within 1 point of the centralized model', async () => {
    const run = await runFederatedOn(adult, model, roundRobin(split.train, 4), split.test, 'fedavg', 10);
    console.log(`adult fedavg 4 shards test accuracy ${(run.testAccuracy * 100).toFixed(2)}%`);
    expect(Math.abs(run.testAccuracy - central.testAccuracy)).toBeLessThan(0.01);
    expect(run.history.every((r) => r.participants.length === 4)).toBe(true);
  });

  it('with FedAvg over a non-IID split by sex stays within 1 point of the centralized model', async () => {
    const shards = [...byGroup(adult, split.train).values()];
    const run = await runFederatedOn(adult, model, shards, split.test, 'fedavg', 10);
    console.log(`adult fedavg non-IID (by sex) test accuracy ${(run.testAccuracy * 100).toFixed(2)}%`);
    expect(Math.abs(run.testAccuracy - central.testAccuracy)).toBeLessThan(0.01);
  });
});
