import { spawnSync } from 'node:child_process';
import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../engine/index.js';
import {
  cloudMetrics,
  createRegistry,
  ingestMetrics,
  metricsRoute,
  nodesMetrics,
  predictMetrics,
  reconcileMetrics,
  shardsMetrics,
  sqlMetrics,
  trainingMetrics,
} from '../../metrics/index.js';

/** A registry with every declared metric, each with at least one observed series. */
function fullRegistry() {
  const registry = createRegistry();
  const db = openDatabase(':memory:', { migrate: true });
  db.prepare(
    "INSERT INTO sys_nodes (id, provider, status) VALUES ('n-1', 'aws', 'ready'), ('n-2', 'local', 'pending')",
  ).run();
  const sql = sqlMetrics(registry);
  sql.statements.inc({ kind: 'read', outcome: 'ok' });
  sql.duration.observe({ kind: 'read' }, 0.002);
  const predict = predictMetrics(registry);
  predict.calls.inc({ model: 'fraud', outcome: 'ok' });
  predict.rows.inc({ model: 'fraud' }, 512);
  predict.duration.observe({ model: 'fraud' }, 0.0001);
  const reconcile = reconcileMetrics(registry);
  reconcile.reconciles.inc({ action: 'create', result: 'ok' });
  reconcile.duration.observe({ action: 'create' }, 0.05);
  reconcile.queueDepth.set(3);
  reconcile.orphansTerminated.inc({ provider: 'aws' });
  const cloud = cloudMetrics(registry);
  cloud.calls.inc({ provider: 'aws', operation: 'create', outcome: 'throttled' });
  cloud.duration.observe({ provider: 'aws', operation: 'create' }, 0.2);
  nodesMetrics(registry, db);
  db.prepare(
    "INSERT INTO sys_shards (colocation_group, shard, hash_min, hash_max) VALUES ('t', 0, 0, 4294967295)",
  ).run();
  db.prepare(
    `INSERT INTO sys_placements (colocation_group, shard, node_id, role, state)
     VALUES ('t', 0, 'n-1', 'primary', 'in_sync'), ('t', 0, 'n-2', 'replica', 'copying')`,
  ).run();
  db.prepare(
    "INSERT INTO sys_shard_moves (colocation_group, shard, kind, target_node, state) VALUES ('t', 0, 'replicate', 'n-2', 'copying')",
  ).run();
  shardsMetrics(registry, db);
  const training = trainingMetrics(registry);
  training.rounds.inc({ strategy: 'fedavg', outcome: 'ok' });
  training.duration.observe({ strategy: 'fedavg' }, 4);
  training.shardUpdates.inc({ outcome: 'ok' }, 3);
  training.examples.inc(1000);
  const ingest = ingestMetrics(registry);
  ingest.samples.inc({ source: 'heartbeat' }, 6);
  ingest.batchDuration.observe({ source: 'heartbeat' }, 0.0004);
  ingest.errors.inc({ source: 'sampler' }, 0);
  ingest.retentionRows.inc({ operation: 'rolled_up' }, 10);
  return { registry, db };
}

function promtool(page: string) {
  return spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
}

describe('the metrics registry', () => {
  it('exposes every declared metric and the process metrics in a page that passes promtool check metrics', async () => {
    const { registry, db } = fullRegistry();
    const page = await registry.metrics();
    db.close();
    for (const name of [
      'infrabase_sql_statements_total',
      'infrabase_sql_statement_duration_seconds_bucket',
      'infrabase_predict_rows_total',
      'infrabase_reconcile_total',
      'infrabase_cloud_api_calls_total',
      'infrabase_nodes',
      'infrabase_shard_placements',
      'infrabase_shard_moves',
      'infrabase_training_rounds_total',
      'infrabase_metrics_samples_ingested_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(page).toContain(`\n${name}`);
    }
    const result = promtool(page);
    expect(result.stderr + result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('drops the prom-client defaults that promtool rejects', async () => {
    const page = await createRegistry().metrics();
    expect(page).not.toContain('nodejs_active_handles_total');
    expect(promtool(page).status).toBe(0);
  });

  it('keeps registries independent of each other and of the global registry', async () => {
    const a = createRegistry({ processMetrics: false });
    const b = createRegistry({ processMetrics: false });
    sqlMetrics(a).statements.inc({ kind: 'write', outcome: 'error' });
    sqlMetrics(b);
    expect(await a.metrics()).toContain('infrabase_sql_statements_total{kind="write",outcome="error"} 1');
    expect(await b.metrics()).not.toContain('outcome="error"');
  });

  it('returns the same metrics when a module declares them twice on one registry', () => {
    const registry = createRegistry({ processMetrics: false });
    expect(sqlMetrics(registry)).toBe(sqlMetrics(registry));
    expect(ingestMetrics(registry).samples).toBe(ingestMetrics(registry).samples);
  });

  it('reads the shard placement and move gauges from the catalog at scrape time', async () => {
    const { registry, db } = fullRegistry();
    const before = await registry.metrics();
    expect(before).toContain('infrabase_shard_placements{role="replica",state="copying"} 1');
    expect(before).toContain('infrabase_shard_moves{kind="replicate",state="copying"} 1');
    db.prepare("UPDATE sys_placements SET state = 'in_sync' WHERE node_id = 'n-2'").run();
    db.prepare("UPDATE sys_shard_moves SET state = 'done'").run();
    const page = await registry.metrics();
    db.close();
    expect(page).toContain('infrabase_shard_placements{role="replica",state="in_sync"} 1');
    expect(page).toContain('infrabase_shard_moves{kind="replicate",state="done"} 1');
    expect(page).not.toContain('state="copying"');
  });

  it('reads infrabase_nodes from sys_nodes at scrape time', async () => {
    const { registry, db } = fullRegistry();
    expect(await registry.metrics()).toContain('infrabase_nodes{status="ready",provider="aws"} 1');
    db.prepare("UPDATE sys_nodes SET status = 'ready' WHERE id = 'n-2'").run();
    const page = await registry.metrics();
    db.close();
    expect(page).toContain('infrabase_nodes{status="ready",provider="local"} 1');
    expect(page).not.toContain('status="pending"');
  });
});

describe('the /metrics route', () => {
  it('serves the text exposition format with its content type', async () => {
    const { registry, db } = fullRegistry();
    const app = fastify();
    await app.register(metricsRoute(registry));
    try {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.body).toContain('# TYPE infrabase_cloud_api_calls_total counter');
      expect(promtool(res.body).status).toBe(0);
    } finally {
      await app.close();
      db.close();
    }
  });
});
