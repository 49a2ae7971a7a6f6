import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCsv } from '../../control-plane/tables/index.js';
import { createStrategy, evaluateModel, initialWeights, modelSpec } from '../../ml/index.js';
import {
  ADULT_CSV,
  ADULT_FEATURES,
  ADULT_SQL,
  startCluster,
  type TestCluster,
  waitForJob,
} from './cluster.js';

// A table hash-sharded on a low-cardinality column (`--shard-by sex` over 4 nodes) leaves nodes with no rows.
const model = modelSpec({ type: 'logistic', features: 2 });
const empty = { X: new Float64Array(0), y: new Float64Array(0), n: 0, d: 2 };

describe('a data node holding no rows of the training table', () => {
  it.each(['fedavg', 'fedprox', 'fedadam', 'trimmed_mean', 'median'])(
    'does not void the evaluation metrics of a %s round',
    (name) => {
      const strategy = createStrategy(name, {
        parameterCount: 3,
        train: { epochs: 1, batchSize: 32, learningRate: 0.05, optimizer: 'sgd' },
      });
      const fromEmptyNode = evaluateModel(model, initialWeights(model, 1), empty);
      const aggregate = strategy.aggregateEvaluate(
        1,
        [
          { shardId: 'd1', examples: 300, metrics: { loss: 0.3, accuracy: 0.9 } },
          { shardId: 'd2', examples: 100, metrics: { loss: 0.7, accuracy: 0.5 } },
          { shardId: 'd3', examples: 0, metrics: fromEmptyNode },
        ],
        [],
      );
      expect(aggregate.examples).toBe(400);
      expect(aggregate.metrics.loss).toBeCloseTo(0.4, 12);
      expect(aggregate.metrics.accuracy).toBeCloseTo(0.8, 12);
    },
  );
});

describe('a training job over a table that leaves data nodes empty', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(4);
    await loadCsv(cluster.api, 'adult', ADULT_CSV, { shardBy: 'sex' });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('trains on the nodes holding rows only: empty ones neither fail rounds nor count for min_shards', async () => {
    const db = cluster.cp.context.db;
    const holding = db
      .prepare("SELECT node_id FROM sys_tables WHERE table_name = 'adult' AND rows > 0 ORDER BY node_id")
      .pluck()
      .all() as string[];
    expect(holding.length).toBeGreaterThan(0);
    expect(holding.length).toBeLessThan(4); // two values of sex hashed over 4 nodes
    const { rows } = await cluster.api.sql(
      `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns, rounds, min_shards)
       VALUES ('adult_by_sex', ?, 'y', ?, 3, ?) RETURNING id`,
      [ADULT_SQL, JSON.stringify(ADULT_FEATURES), holding.length],
    );
    const job = await waitForJob(cluster.cp, rows[0][0] as number, 90_000);
    expect(job.status_reason).toBeNull();
    expect(job.status).toBe('succeeded');
    const rounds = db
      .prepare('SELECT participants, failures FROM sys_training_rounds WHERE job_id = ? ORDER BY round')
      .all(job.id) as { participants: string; failures: string }[];
    expect(rounds).toHaveLength(3);
    for (const r of rounds) {
      expect(JSON.parse(r.participants)).toEqual(holding);
      expect(JSON.parse(r.failures)).toEqual([]);
    }
  }, 120_000);
});
