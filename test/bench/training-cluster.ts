/**
 * Benchmark of distributed federated training with real local agents (4 `infrabase agent` processes on
 * loopback, an in-process control plane): local training rows/s per node, time per round, and total time from
 * the job's INSERT to the accuracy target (centralized − 1 point) on UCI Adult; plus the accuracies of a
 * non-IID split (`--shard-by sex`) and of Bank Marketing against centralized logistic regression.
 * Run: `npx tsc -p . && node dist/test/bench/training-cluster.js`; writes the `training-cluster` section of
 * docs/benchmarks.md.
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NodeTokens } from '../../autoinfra/index.js';
import { loadCsv } from '../../control-plane/tables/index.js';
import { AgentClient, readyDataNodes } from '../../control-plane/training/index.js';
import {
  initialWeights,
  type MomentsReply,
  mergeMoments,
  modelSpec,
  standardizationFromMoments,
  type TrainReply,
  weightsToWire,
} from '../../ml/index.js';
import {
  ADULT_CSV,
  ADULT_FEATURES,
  ADULT_SQL,
  adultRows,
  startCluster,
  type TestCluster,
  waitForJob,
} from '../training/cluster.js';
import { BANK_CSV, BANK_FEATURES, BANK_SQL, bankRows, centralizedAccuracy } from '../training/datasets.js';
import { machineLine, writeSection } from './metrics-report.js';

const NODES = 4;
/** Epochs beyond the first in the timing request: enough rows (~650k) that training dominates the noise. */
const EXTRA_EPOCHS = 100;
const LOCAL = { local_epochs: 1, batch_size: 32, learning_rate: 0.05 };
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Loads a CSV over the nodes; rows per node and load rate (rows/s). */
async function load(cluster: TestCluster, table: string, file: string, shardBy?: string) {
  const t0 = performance.now();
  const r = await loadCsv(cluster.api, table, file, { shardBy });
  const s = (performance.now() - t0) / 1000;
  return { perNode: r.perNode, rows: r.rows, rowsPerSecond: r.rows / s };
}

/**
 * Local training speed of each node, through its real endpoint: the same train request with 1 and with
 * 1 + {@link EXTRA_EPOCHS} local epochs (best of 5 each). The difference is pure training (the shard query and
 * the reply cancel out): rows/s = EXTRA_EPOCHS·n / (t_many − t_1). The 1-epoch request time is the whole local
 * step of a round.
 */
async function localSpeed(cluster: TestCluster) {
  const agents = new AgentClient(NodeTokens.fromDataDir(resolve(cluster.dataDir)));
  const nodes = readyDataNodes(cluster.cp.context.db);
  const query = { sql: ADULT_SQL, label: 'y', features: ADULT_FEATURES };
  const moments = await Promise.all(
    nodes.map((n) => agents.post<MomentsReply>(n, '/v1/training/moments', query, 60_000)),
  );
  const standardization = standardizationFromMoments(mergeMoments(moments));
  const model = { type: 'logistic' as const, features: ADULT_FEATURES.length };
  const weights = weightsToWire(initialWeights(modelSpec(model), 1));
  const out = [];
  for (const node of nodes) {
    const time = async (epochs: number) => {
      let best = Number.POSITIVE_INFINITY;
      let examples = 0;
      for (let rep = 0; rep < 5; rep++) {
        const t0 = performance.now();
        const r = await agents.post<TrainReply>(
          node,
          '/v1/training/train',
          {
            ...query,
            model,
            weights,
            standardization,
            config: { epochs, batchSize: 32, learningRate: 0.05, optimizer: 'sgd', mu: 0, seed: rep },
          },
          60_000,
        );
        best = Math.min(best, performance.now() - t0);
        examples = r.examples;
      }
      return { ms: best, examples };
    };
    const one = await time(1);
    const many = await time(1 + EXTRA_EPOCHS);
    out.push({
      node: node.id,
      rows: one.examples,
      requestMs: one.ms,
      rowsPerSecond: (EXTRA_EPOCHS * one.examples) / ((many.ms - one.ms) / 1000),
    });
  }
  return out;
}

/** Runs a FedAvg logistic job to its end; its rounds with wall time since the INSERT. */
async function runJob(
  cluster: TestCluster,
  name: string,
  sql: string,
  features: string[],
  rounds: number,
  minShards = NODES,
) {
  const { rows } = await cluster.api.sql(
    `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns, model_type, strategy,
       rounds, local_epochs, batch_size, learning_rate, min_shards)
     VALUES (?, ?, 'y', ?, 'logistic', 'fedavg', ?, ?, ?, ?, ?) RETURNING id, created_at`,
    [
      name,
      sql,
      JSON.stringify(features),
      rounds,
      LOCAL.local_epochs,
      LOCAL.batch_size,
      LOCAL.learning_rate,
      minShards,
    ],
  );
  const [id, createdAt] = rows[0] as [number, number];
  const job = await waitForJob(cluster.cp, id, 600_000);
  if (job.status !== 'succeeded') throw new Error(`job ${name} ${job.status}: ${job.status_reason}`);
  const recorded = cluster.cp.context.db
    .prepare(
      'SELECT round, eval_accuracy, duration_ms, created_at FROM sys_training_rounds WHERE job_id = ? ORDER BY round',
    )
    .all(id) as { round: number; eval_accuracy: number; duration_ms: number; created_at: number }[];
  return {
    rounds: recorded.map((r) => ({ ...r, sinceInsertMs: r.created_at - createdAt })),
    totalMs: (job.finished_at as number) - createdAt,
  };
}

async function main() {
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const adultCentral = centralizedAccuracy(adultRows());
  const bankCentral = centralizedAccuracy(bankRows());
  const target = adultCentral - 0.01;
  const cluster = await startCluster(NODES);
  try {
    const adultLoad = await load(cluster, 'adult', ADULT_CSV);
    const sexLoad = await load(cluster, 'adult_sex', ADULT_CSV, 'sex');
    const bankLoad = await load(cluster, 'bank', BANK_CSV);
    const sexNodes = Object.values(sexLoad.perNode).filter((n) => n > 0).length;
    const speed = await localSpeed(cluster);
    const adult = await runJob(cluster, 'adult', ADULT_SQL, ADULT_FEATURES, 20);
    const nonIid = await runJob(
      cluster,
      'adult_sex',
      ADULT_SQL.replace(/FROM adult$/, 'FROM adult_sex'),
      ADULT_FEATURES,
      10,
      sexNodes,
    );
    const bank = await runJob(cluster, 'bank', BANK_SQL, BANK_FEATURES, 10);
    const loadAfter = loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');

    const busy = loadavg()[0] > cpus().length / 2 || Number(loadBefore.split(',')[0]) > cpus().length / 2;
    const reached = adult.rounds.find((r) => r.eval_accuracy >= target);
    const roundMs = adult.rounds.map((r) => r.duration_ms);
    const firstRoundAt = adult.rounds[0].sinceInsertMs - adult.rounds[0].duration_ms;
    const perNode = (p: Record<string, number>) =>
      Object.entries(p)
        .map(([n, k]) => `${n} ${k}`)
        .join(', ');
    const last = (j: typeof adult, round: number) => j.rounds[round - 1].eval_accuracy;
    const body = `
## Federated training over real local agents

${machineLine()} Load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after; the agents, the
control plane and this script share the ${cpus().length} cores.${busy ? ' The machine was not quiet (other test suites were running), so times are upper bounds.' : ''} ${NODES} data nodes (\`infrabase agent\` processes on
loopback, in-process control plane), logistic regression, FedAvg, 1 local epoch of SGD per round (batch 32,
learning rate 0.05), \`min_shards\` ${NODES} (non-IID: the ${sexNodes} nodes holding rows), accuracy on the fixed 20% hold-out (hash of \`_row\`), evaluated on the
nodes. Centralized: the same model trained in one process on all training rows (10 epochs). Run:
\`npx tsc -p . && node dist/test/bench/training-cluster.js\`.

**Loading** (\`loadCsv\`, the code behind \`infrabase load\`): Adult ${adultLoad.rows} rows round-robin at
${Math.round(adultLoad.rowsPerSecond)} rows/s (${perNode(adultLoad.perNode)}); by \`sex\` at
${Math.round(sexLoad.rowsPerSecond)} rows/s (${perNode(sexLoad.perNode)}); Bank Marketing ${bankLoad.rows} rows at
${Math.round(bankLoad.rowsPerSecond)} rows/s.

**Local training per node** (Adult, 7 features; rows/s = ${EXTRA_EPOCHS} epochs of rows over the time ${1 + EXTRA_EPOCHS} epochs take
beyond 1, best of 5; request = one 1-epoch \`/v1/training/train\` call: shard query, row building, training, reply):

| node | training rows | local training rows/s | 1-epoch request ms |
|---|---|---|---|
${speed.map((s) => `| ${s.node} | ${s.rows} | ${Math.round(s.rowsPerSecond).toLocaleString('en-US')} | ${s.requestMs.toFixed(1)} |`).join('\n')}

**Rounds** (Adult over ${NODES} nodes, 20 rounds): per round (train on every node + evaluate on every node +
checkpoint) median ${median(roundMs).toFixed(0)} ms, min ${Math.min(...roundMs)} ms, max ${Math.max(...roundMs)} ms;
federated standardisation and job pick-up before round 1: ${firstRoundAt} ms; whole job (20 rounds + ONNX export
into \`sys_models\`) ${(adult.totalMs / 1000).toFixed(2)} s.

**Time to target** (centralized ${pct(adultCentral)} − 1 point = ${pct(target)}): ${
      reached
        ? `reached in round ${reached.round} (${pct(reached.eval_accuracy)}), ${(reached.sinceInsertMs / 1000).toFixed(2)} s after the job's INSERT`
        : `not reached in 20 rounds (best ${pct(Math.max(...adult.rounds.map((r) => r.eval_accuracy)))})`
    }.

| data | split | centralized | federated (round 10) | difference |
|---|---|---|---|---|
| Adult | round-robin, ${NODES} nodes | ${pct(adultCentral)} | ${pct(last(adult, 10))} | ${(100 * (last(adult, 10) - adultCentral)).toFixed(2)} pt |
| Adult | non-IID: hash of \`sex\` (${perNode(sexLoad.perNode)}) | ${pct(adultCentral)} | ${pct(last(nonIid, 10))} | ${(100 * (last(nonIid, 10) - adultCentral)).toFixed(2)} pt |
| Bank Marketing (12 features) | round-robin, ${NODES} nodes | ${pct(bankCentral)} | ${pct(last(bank, 10))} | ${(100 * (last(bank, 10) - bankCentral)).toFixed(2)} pt |

Adult accuracy by round: ${adult.rounds.map((r) => pct(r.eval_accuracy)).join(', ')}.
`;
    writeSection('training-cluster', body);
  } finally {
    await cluster.close();
  }
}

await main();
