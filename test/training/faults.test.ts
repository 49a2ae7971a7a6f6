import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCsv } from '../../control-plane/tables/index.js';
import {
  ADULT_CSV,
  ADULT_FEATURES,
  ADULT_SQL,
  startCluster,
  type TestCluster,
  waitForJob,
} from './cluster.js';

// d1 is killed on its 3rd train request, d2 answers NaN weights, d3 answers its weights ×100 (agent test hook).
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(5, { faults: 'd1:crash@3,d2:nan,d3:x100' });
  await loadCsv(cluster.api, 'adult', ADULT_CSV);
}, 90_000);

afterAll(async () => {
  await cluster?.close();
});

async function train(strategy: string, params: object) {
  const { rows } = await cluster.api.sql(
    `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns, strategy, strategy_params,
       rounds, learning_rate, batch_size, min_shards, round_timeout_ms)
     VALUES (?, ?, 'y', ?, ?, ?, 8, 0.05, 32, 2, 20000) RETURNING id`,
    [`adult_${strategy}`, ADULT_SQL, JSON.stringify(ADULT_FEATURES), strategy, JSON.stringify(params)],
  );
  const job = await waitForJob(cluster.cp, rows[0][0] as number, 90_000);
  const rounds = cluster.cp.context.db
    .prepare(
      'SELECT round, participants, failures, eval_accuracy FROM sys_training_rounds WHERE job_id = ? ORDER BY round',
    )
    .all(job.id) as { round: number; participants: string; failures: string; eval_accuracy: number }[];
  return { job, rounds };
}

describe('training with faulty data nodes', () => {
  it('a node killed mid-round, a NaN node and a ×100 node: median completes every round and stays accurate', async () => {
    const { job, rounds } = await train('median', {});
    expect(job.status_reason).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(rounds).toHaveLength(8);
    const r3 = rounds[2];
    const failed3 = JSON.parse(r3.failures).map((f: { shardId: string }) => f.shardId);
    expect(failed3).toContain('d1'); // killed while training round 3
    expect(JSON.parse(r3.participants)).not.toContain('d1');
    for (const r of rounds) {
      const failures = JSON.parse(r.failures) as { shardId: string; reason: string }[];
      expect(failures.find((f) => f.shardId === 'd2')?.reason).toMatch(/NaN/);
    }
    // Centralized logistic on these features reaches ~84.5% (federated-cluster.test.ts); within 2 points.
    expect(rounds[7].eval_accuracy).toBeGreaterThan(0.825);
  });

  it('trimmed mean out-votes the ×100 node and stays within 2 points', async () => {
    const { job, rounds } = await train('trimmed_mean', { trimFraction: 0.34 });
    expect(job.status).toBe('succeeded');
    expect(rounds[7].eval_accuracy).toBeGreaterThan(0.825);
  });
});
