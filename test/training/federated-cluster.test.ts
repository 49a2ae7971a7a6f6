import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCsv } from '../../control-plane/tables/index.js';
import {
  decodeWeights,
  evaluateModel,
  featureMoments,
  initialWeights,
  modelSpec,
  predictOutputs,
  type Standardization,
  standardizationFromMoments,
  standardizeRows,
  trainLocal,
} from '../../ml/index.js';
import {
  ADULT_CSV,
  ADULT_FEATURES,
  ADULT_SQL,
  adultRows,
  startCluster,
  type TestCluster,
  waitForJob,
} from './cluster.js';

const LOCAL = { batch_size: 32, learning_rate: 0.05, local_epochs: 1 };
const model = modelSpec({ type: 'logistic', features: 7 });
// biome-ignore lint/suspicious/noExplicitAny: reply bodies are inspected as untyped JSON
const replies: { node: string; path: string; body: any }[] = [];
let cluster: TestCluster;
let centralizedAccuracy: number;

beforeAll(async () => {
  cluster = await startCluster(4, { recorder: (node, path, body) => replies.push({ node, path, body }) });
  const { train, test } = adultRows();
  const s = standardizationFromMoments(featureMoments(train));
  const c = trainLocal({
    model,
    weights: initialWeights(model, 1),
    rows: standardizeRows(train, s),
    epochs: 10,
    batchSize: 32,
    learningRate: 0.05,
    optimizer: 'sgd',
    seed: 1,
  });
  centralizedAccuracy = evaluateModel(model, c.weights, standardizeRows(test, s)).accuracy!;
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

describe('federated training across real local agents', () => {
  it('load spreads adult.csv over the 4 data nodes and sys_tables records the distribution', async () => {
    const result = await loadCsv(cluster.api, 'adult', ADULT_CSV);
    expect(result.rows).toBe(32_561);
    expect(Object.keys(result.perNode).sort()).toEqual(cluster.nodeIds);
    for (const n of Object.values(result.perNode)) expect(Math.abs(n - 32_561 / 4)).toBeLessThanOrEqual(1);
    const recorded = cluster.cp.context.db
      .prepare("SELECT node_id, rows, shard_by FROM sys_tables WHERE table_name = 'adult' ORDER BY node_id")
      .all() as { node_id: string; rows: number; shard_by: string | null }[];
    expect(recorded.map((r) => [r.node_id, r.rows])).toEqual(Object.entries(result.perNode).sort());
    const counts = await cluster.api.request<{ columns: string[]; rows: [string, number][] }>(
      'POST',
      '/v1/sql/cluster',
      { sql: 'SELECT count(*) AS n FROM adult' },
    );
    expect(counts.columns).toEqual(['_node', 'n']);
    expect(Object.fromEntries(counts.rows)).toEqual(result.perNode);
  });

  it('cluster SQL refuses a write on the data nodes', async () => {
    await expect(
      cluster.api.request('POST', '/v1/sql/cluster', { sql: 'DELETE FROM adult' }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('the agents refuse shard and training calls without the control credential', async () => {
    const endpoint = cluster.cp.context.db
      .prepare("SELECT endpoint FROM sys_nodes WHERE id = 'd1'")
      .pluck()
      .get();
    for (const path of ['/v1/shard/query', '/v1/training/moments']) {
      const res = await fetch(`http://${endpoint}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.cp.tokens.admin}` },
        body: JSON.stringify({ sql: 'SELECT * FROM adult', label: 'y', features: ['age'] }),
      });
      expect(res.status).toBe(401);
    }
  });

  it('federated logistic FedAvg reaches the centralized accuracy within 1 point and lands a model in sys_models', async () => {
    replies.length = 0;
    const { rows } = await cluster.api.sql(
      `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns, model_type, strategy,
         rounds, local_epochs, batch_size, learning_rate, min_shards)
       VALUES ('adult', ?, 'y', ?, 'logistic', 'fedavg', 10, ?, ?, ?, 3) RETURNING id`,
      [ADULT_SQL, JSON.stringify(ADULT_FEATURES), LOCAL.local_epochs, LOCAL.batch_size, LOCAL.learning_rate],
    );
    const job = await waitForJob(cluster.cp, rows[0][0] as number);
    expect(job.status_reason).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(job.model_version).toBe(1);
    const rounds = cluster.cp.context.db
      .prepare(
        'SELECT round, participants, eval_accuracy FROM sys_training_rounds WHERE job_id = ? ORDER BY round',
      )
      .all(job.id) as { round: number; participants: string; eval_accuracy: number }[];
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(JSON.parse(rounds[9].participants)).toEqual(cluster.nodeIds);
    const federated = rounds[9].eval_accuracy;
    console.log(
      `adult: centralized ${(100 * centralizedAccuracy).toFixed(2)}%, federated ${(100 * federated).toFixed(2)}%`,
    );
    expect(Math.abs(federated - centralizedAccuracy)).toBeLessThan(0.01);
    expect(centralizedAccuracy).toBeGreaterThan(0.82);
  });

  it('the exported model gives the trainer forward pass through PREDICT in SQL', async () => {
    const db = cluster.cp.context.db;
    const job = db
      .prepare("SELECT id, standardization FROM sys_training_jobs WHERE model_name = 'adult'")
      .get() as {
      id: number;
      standardization: string;
    };
    const blob = db
      .prepare('SELECT weights FROM sys_training_rounds WHERE job_id = ? ORDER BY round DESC LIMIT 1')
      .pluck()
      .get(job.id) as Buffer;
    const weights = decodeWeights(new Uint8Array(blob), 8);
    const s = JSON.parse(job.standardization) as Standardization;
    const { test } = adultRows();
    db.exec('CREATE TEMP TABLE holdout (age, edu, gain, loss, hours, male, married)');
    const ins = db.prepare('INSERT INTO holdout VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (let r = 0; r < test.n; r++) ins.run(...test.X.subarray(r * 7, r * 7 + 7));
    const sql = ADULT_FEATURES.join(', ');
    const got = db
      .prepare(
        `SELECT PREDICT('adult', ${sql}) AS label, PREDICT_PROBA('adult', ${sql}) AS p FROM holdout ORDER BY rowid`,
      )
      .all() as { label: number; p: number }[];
    const expected = predictOutputs(model, weights, standardizeRows(test, s));
    expect(got).toHaveLength(test.n);
    let maxDiff = 0;
    let flips = 0;
    got.forEach((g, r) => {
      maxDiff = Math.max(maxDiff, Math.abs(g.p - expected[r]));
      if (Number(g.label) !== (expected[r] >= 0.5 ? 1 : 0)) flips++;
    });
    expect(maxDiff).toBeLessThan(1e-5);
    expect(flips).toBeLessThanOrEqual(1); // float32 vs float64 exactly at p = 0.5
    db.exec('DROP TABLE holdout');
  });

  it('only weights, counts, metrics and moments crossed the network from the nodes', () => {
    expect(replies.length).toBeGreaterThan(0);
    const allowed: Record<string, string[]> = {
      '/v1/training/moments': ['count', 'holdout', 'sum', 'sumSquares'],
      '/v1/training/train': ['examples', 'metrics', 'weights'],
      '/v1/training/evaluate': ['examples', 'metrics'],
    };
    for (const r of replies) {
      expect(Object.keys(allowed)).toContain(r.path);
      expect(Object.keys(r.body).sort()).toEqual(allowed[r.path]);
      if (r.body.metrics) expect(Object.keys(r.body.metrics).sort()).toEqual(['accuracy', 'loss']);
      if (r.path === '/v1/training/moments') {
        expect(r.body.sum).toHaveLength(7);
        expect(r.body.sumSquares).toHaveLength(7);
      }
      if (r.body.weights) expect(Buffer.from(r.body.weights, 'base64').length).toBe(8 * 8);
    }
  });
});
