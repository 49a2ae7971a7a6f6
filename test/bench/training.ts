/**
 * Benchmark of the federated training numerics, in-process (no nodes yet): local training rows/s, time per
 * FedAvg round over 4 shards of UCI Adult, and total time to reach the accuracy target (centralized − 1 point).
 * Run: `npx tsc -p . && node dist/test/bench/training.js`; writes the "Federated training" section of
 * docs/benchmarks.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  createStrategy,
  localShardClient,
  runFederated,
  type ShardClient,
} from '../../ml/federated/index.js';
import {
  evaluateModel,
  featureMoments,
  initialWeights,
  type ModelSpec,
  mergeMoments,
  modelSpec,
  parameterCount,
  standardizationFromMoments,
  standardizeRows,
  trainLocal,
} from '../../ml/training/index.js';
import { centralized, LOCAL, runFederatedOn } from '../ml/federated/federated-setup.js';
import { byGroup, holdOut, loadAdult, loadBank, roundRobin, take } from '../ml/federated/tabular-data.js';

const adult = loadAdult();
const split = holdOut(adult, 20);
const shardIdx = roundRobin(split.train, 4);
const logistic = modelSpec({ type: 'logistic', features: adult.featureNames.length });

function rowsPerSecond(model: ModelSpec, optimizer: 'sgd' | 'adam'): number {
  const raw = take(adult.rows, shardIdx[0]);
  const rows = standardizeRows(raw, standardizationFromMoments(featureMoments(raw)));
  const epochs = 3;
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    trainLocal({ ...LOCAL, model, optimizer, weights: initialWeights(model, rep), rows, epochs, seed: rep });
    const s = (performance.now() - t0) / 1000;
    best = Math.max(best, (rows.n * epochs) / s);
  }
  return best;
}

async function timeToTarget(target: number, maxRounds: number) {
  const t0 = performance.now();
  const raw = shardIdx.map((i) => take(adult.rows, i));
  const standardization = standardizationFromMoments(mergeMoments(raw.map(featureMoments)));
  const clients = new Map<string, ShardClient>(
    raw.map((r, k) => [
      `shard-${k}`,
      localShardClient({ model: logistic, rows: standardizeRows(r, standardization) }),
    ]),
  );
  const test = standardizeRows(take(adult.rows, split.test), standardization);
  let reached = -1;
  let accuracy = 0;
  const { history } = await runFederated({
    strategy: createStrategy('fedavg', { parameterCount: parameterCount(logistic), train: LOCAL, seed: 7 }),
    clients,
    initialWeights: initialWeights(logistic, 1),
    rounds: maxRounds,
    evaluate: false,
    onRound: (r) => {
      accuracy = evaluateModel(logistic, r.weights, test).accuracy!;
      if (accuracy >= target) {
        reached = r.round;
        return false;
      }
      return true;
    },
  });
  const roundMs = history.map((r) => r.durationMs);
  return {
    ms: performance.now() - t0,
    rounds: reached,
    accuracy,
    meanRoundMs: roundMs.reduce((a, b) => a + b, 0) / roundMs.length,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

const central = centralized(adult, logistic, split.train, split.test, 10);
const target = central.testAccuracy - 0.01;
const reach = await timeToTarget(target, 50);
const fed10 = await runFederatedOn(adult, logistic, shardIdx, split.test, 'fedavg', 10);
const nonIid = await runFederatedOn(
  adult,
  logistic,
  [...byGroup(adult, split.train).values()],
  split.test,
  'fedavg',
  10,
);
const bank = loadBank();
const bankSplit = holdOut(bank, 20);
const bankModel = modelSpec({ type: 'logistic', features: bank.featureNames.length });
const bankCentral = centralized(bank, bankModel, bankSplit.train, bankSplit.test, 20);
const bankFed = await runFederatedOn(
  bank,
  bankModel,
  roundRobin(bankSplit.train, 4),
  bankSplit.test,
  'fedavg',
  20,
);
const mlp = modelSpec({ type: 'mlp', features: adult.featureNames.length, hidden: [16], head: 'binary' });

const speed = [
  ['logistic, SGD', rowsPerSecond(logistic, 'sgd')],
  ['logistic, Adam', rowsPerSecond(logistic, 'adam')],
  ['mlp [16] binary, SGD', rowsPerSecond(mlp, 'sgd')],
  ['mlp [16] binary, Adam', rowsPerSecond(mlp, 'adam')],
] as const;

const cpuModel = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
const section = `<!-- training:start -->
## Federated training (in-process)

Machine: ${cpus().length} cores (nproc), ${cpuModel}; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.
Produced by \`node dist/test/bench/training.js\`. Data: UCI Adult (32,561 rows), 7 features standardised with
federated statistics, fixed 20% hold-out by a hash of the row id (${split.test.length} test rows), 4 round-robin
shards of the ${split.train.length} training rows. Local config: ${LOCAL.epochs} epoch, batch ${LOCAL.batchSize},
learning rate ${LOCAL.learningRate}, ${LOCAL.optimizer}. Shards run in one process, concurrently only in name
(one thread), so a round here costs the sum of the four shards' training.

| local training (one shard, ${shardIdx[0].length} rows, best of 5 × 3 epochs) | rows/s |
|---|---|
${speed.map(([name, r]) => `| ${name} | ${Math.round(r).toLocaleString('en-US')} |`).join('\n')}

| accuracy on the hold-out | test accuracy |
|---|---|
| Adult, centralized logistic regression (10 epochs on all training rows) | ${pct(central.testAccuracy)} |
| Adult, FedAvg, 4 IID shards, 10 rounds | ${pct(fed10.testAccuracy)} |
| Adult, FedAvg, non-IID split by \`sex\` (2 shards), 10 rounds | ${pct(nonIid.testAccuracy)} |
| Bank Marketing, centralized (20 epochs) | ${pct(bankCentral.testAccuracy)} |
| Bank Marketing, FedAvg, 4 shards, 20 rounds | ${pct(bankFed.testAccuracy)} |

| FedAvg on Adult, 4 shards | value |
|---|---|
| mean time per round (train 4 shards + aggregate) | ${reach.meanRoundMs.toFixed(1)} ms |
| accuracy target (centralized − 1 point) | ${pct(target)} |
| rounds to reach it | ${reach.rounds < 0 ? 'not reached in 50' : reach.rounds} |
| total time to reach it (standardisation statistics + rounds + evaluation) | ${reach.ms.toFixed(0)} ms |
<!-- training:end -->`;

const file = 'docs/benchmarks.md';
const before = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const pattern = /<!-- training:start -->[\s\S]*<!-- training:end -->/;
const after = pattern.test(before) ? before.replace(pattern, section) : `${before.trimEnd()}\n\n${section}\n`;
writeFileSync(file, after);
console.log(section);
