import { describe, expect, it } from 'vitest';
import { modelSpec } from '../../../ml/training/index.js';
import { centralized, runFederatedOn } from './federated-setup.js';
import { holdOut, loadBank, roundRobin } from './tabular-data.js';

const bank = loadBank();
const split = holdOut(bank, 20);
const model = modelSpec({ type: 'logistic', features: bank.featureNames.length });

describe('federated logistic regression on UCI Bank Marketing', () => {
  it('with FedAvg over 4 shards is within 1 point of the centralized model and beats the majority class', async () => {
    const central = centralized(bank, model, split.train, split.test, 20);
    const run = await runFederatedOn(bank, model, roundRobin(split.train, 4), split.test, 'fedavg', 20);
    const majority = 1 - split.test.reduce((s, r) => s + bank.rows.y[r], 0) / split.test.length;
    console.log(
      `bank centralized ${(central.testAccuracy * 100).toFixed(2)}%, fedavg ${(run.testAccuracy * 100).toFixed(2)}%, majority ${(majority * 100).toFixed(2)}%`,
    );
    expect(bank.rows.n).toBe(4119);
    expect(Math.abs(run.testAccuracy - central.testAccuracy)).toBeLessThan(0.01);
    expect(run.testAccuracy).toBeGreaterThan(majority + 0.01);
  });
});
