import {
  createStrategy,
  localShardClient,
  type RoundRecord,
  runFederated,
  type ShardClient,
  type StrategyName,
  type StrategyOptions,
} from '../../../ml/federated/index.js';
import {
  evaluateModel,
  featureMoments,
  initialWeights,
  type ModelSpec,
  mergeMoments,
  parameterCount,
  type Rows,
  type Standardization,
  standardizationFromMoments,
  standardizeRows,
  trainLocal,
} from '../../../ml/training/index.js';
import { type LabelledData, take } from './tabular-data.js';

/** Local hyper-parameters shared by the federated runs and the centralized baseline. */
export const LOCAL = { epochs: 1, batchSize: 32, learningRate: 0.05, optimizer: 'sgd' as const };

export interface FederatedRun {
  weights: Float64Array;
  history: RoundRecord[];
  standardization: Standardization;
  testAccuracy: number;
}

/**
 * Federated logistic training over the given shards of `data`: federated standardisation from shard moments,
 * then `rounds` rounds of `strategy`, then accuracy on the (standardised) test rows.
 */
export async function runFederatedOn(
  data: LabelledData,
  model: ModelSpec,
  shardIndices: readonly (readonly number[])[],
  testIndices: readonly number[],
  strategy: StrategyName,
  rounds: number,
  extra: Partial<StrategyOptions> = {},
  corrupt: Map<number, (w: Float64Array) => Float64Array> = new Map(),
): Promise<FederatedRun> {
  const raw = shardIndices.map((idx) => take(data.rows, idx));
  const standardization = standardizationFromMoments(mergeMoments(raw.map(featureMoments)));
  const clients = new Map<string, ShardClient>();
  raw.forEach((rows, k) => {
    const client = localShardClient({ model, rows: standardizeRows(rows, standardization) });
    const bend = corrupt.get(k);
    clients.set(
      `shard-${k}`,
      bend
        ? {
            async train(i) {
              const r = await client.train(i);
              return { ...r, weights: bend(r.weights) };
            },
          }
        : client,
    );
  });
  const s = createStrategy(strategy, {
    parameterCount: parameterCount(model),
    train: LOCAL,
    seed: 7,
    ...extra,
  });
  const { weights, history } = await runFederated({
    strategy: s,
    clients,
    initialWeights: initialWeights(model, 1),
    rounds,
    evaluate: false,
  });
  const test = standardizeRows(take(data.rows, testIndices), standardization);
  return { weights, history, standardization, testAccuracy: evaluateModel(model, weights, test).accuracy! };
}

/** Centralized baseline: the same model trained on all training rows together (standardised with their own statistics). */
export function centralized(
  data: LabelledData,
  model: ModelSpec,
  trainIndices: readonly number[],
  testIndices: readonly number[],
  epochs: number,
): { weights: Float64Array; testAccuracy: number; standardization: Standardization; train: Rows } {
  const raw = take(data.rows, trainIndices);
  const standardization = standardizationFromMoments(featureMoments(raw));
  const train = standardizeRows(raw, standardization);
  const { weights } = trainLocal({
    model,
    weights: initialWeights(model, 1),
    rows: train,
    ...LOCAL,
    epochs,
    seed: 3,
  });
  const test = standardizeRows(take(data.rows, testIndices), standardization);
  return { weights, testAccuracy: evaluateModel(model, weights, test).accuracy!, standardization, train };
}
