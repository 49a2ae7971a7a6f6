import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudProvider, meteredProvider, reconcileActionClass } from '../../autoinfra/index.js';
import type { ControlPlane } from '../../control-plane/index.js';
import { InfrabaseError } from '../../engine/index.js';
import { cloudMetrics, LATENCY_BUCKETS_SECONDS } from '../../metrics/index.js';
import { PREDICT_DURATION_BUCKETS_SECONDS, PredictUsage } from '../../ml/index.js';
import { call, retireNodesAndClose, startTestControlPlane } from '../support/control-plane.js';
import { EXAMPLES } from '../support/data.js';
import { waitFor } from '../support/tmp.js';

/** One sample of an exposition page: name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parsePage(page: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of page.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

let cp: ControlPlane;
let close: () => Promise<void>;
let page: string;
let samples: Sample[];
const statuses: Record<string, number> = {};

async function sql(name: string, body: { sql: string; params?: unknown[]; timeoutMs?: number }) {
  const res = await call(cp, '/v1/sql', { token: cp.tokens.admin, body });
  statuses[name] = res.status;
  return res;
}

beforeAll(async () => {
  ({ cp, close } = await startTestControlPlane({
    reconciler: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 5_000, resyncIntervalMs: 500 },
  }));
  await sql('read', { sql: 'SELECT 1' });
  await sql('create', { sql: 'CREATE TABLE flowers (a REAL, b REAL, c REAL, d REAL)' });
  await sql('write', {
    sql: 'INSERT INTO flowers VALUES (5.1, 3.5, 1.4, 0.2), (6.7, 3.0, 5.2, 2.3), (5.9, 3.0, 4.2, 1.5)',
  });
  await sql('missing', { sql: 'SELECT * FROM no_such_table' });
  await sql('timeout', {
    sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
    timeoutMs: 300,
  });
  const onnx = readFileSync(`${EXAMPLES}/models/sklearn_randomforest_iris.onnx`).toString('base64');
  await sql('import', {
    sql: "INSERT INTO sys_models (name, onnx) VALUES ('iris_rf', ?)",
    params: [{ $base64: onnx }],
  });
  // batched: one session run over the three rows
  await sql('predict', { sql: "SELECT PREDICT('iris_rf', a, b, c, d) FROM flowers" });
  // a write: scored per row, one run per row
  await sql('predict-write', {
    sql: "CREATE TABLE scored AS SELECT PREDICT('iris_rf', a, b, c, d) AS label FROM flowers",
  });
  await sql('predict-arity', { sql: "SELECT PREDICT('iris_rf', a, b) FROM flowers" });

  await sql('node', { sql: "INSERT INTO sys_nodes (provider, role) VALUES ('local', 'data')" });
  const db = cp.context.db;
  await waitFor(() => db.prepare("SELECT 1 FROM sys_nodes WHERE status = 'ready'").get(), 60_000, 50);
  const res = await fetch(new URL('/metrics', cp.url));
  page = await res.text();
  samples = parsePage(page);
}, 120_000);

afterAll(async () => {
  if (cp) await retireNodesAndClose(cp, close);
}, 60_000);

describe('metrics wired into a running control plane', () => {
  it('ran the statements the checks rely on with the expected statuses', () => {
    expect(statuses).toMatchObject({ read: 200, create: 200, write: 200, import: 200, predict: 200 });
    expect(statuses.missing).toBeGreaterThanOrEqual(400);
    expect(statuses.timeout).toBeGreaterThanOrEqual(400);
    expect(statuses['predict-arity']).toBeGreaterThanOrEqual(400);
  });

  it('counts user statements by kind and outcome, timeouts included, and times them', () => {
    const n = (kind: string, outcome: string) =>
      sampleValue(samples, 'infrabase_sql_statements_total', { kind, outcome });
    expect(n('read', 'ok')).toBeGreaterThanOrEqual(2); // SELECT 1, the PREDICT select
    expect(n('write', 'ok')).toBeGreaterThanOrEqual(5); // create, insert, import, CREATE … AS, the node
    expect(n('read', 'error')).toBeGreaterThanOrEqual(2); // missing table, PREDICT arity
    expect(n('read', 'timeout')).toBe(1);
    expect(n('write', 'timeout')).toBe(0);
    const reads = sampleValue(samples, 'infrabase_sql_statement_duration_seconds_count', { kind: 'read' });
    expect(reads).toBe(n('read', 'ok') + n('read', 'error') + n('read', 'timeout'));
    // the timed-out statement alone spent at least its 300 ms limit
    expect(
      sampleValue(samples, 'infrabase_sql_statement_duration_seconds_sum', { kind: 'read' }),
    ).toBeGreaterThan(0.3);
  });

  it('counts PREDICT session runs by model and outcome, rows scored and run durations', () => {
    const model = 'iris_rf';
    // one batched run over 3 rows + 3 per-row runs for the write
    expect(sampleValue(samples, 'infrabase_predict_calls_total', { model, outcome: 'ok' })).toBe(4);
    expect(sampleValue(samples, 'infrabase_predict_rows_total', { model })).toBe(6);
    expect(
      sampleValue(samples, 'infrabase_predict_calls_total', { model, outcome: 'error' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'infrabase_predict_duration_seconds_count', { model })).toBe(4);
    expect(sampleValue(samples, 'infrabase_predict_duration_seconds_sum', { model })).toBeGreaterThan(0);
  });

  it('counts reconcile steps by action and result, and exposes the queue depth', () => {
    expect(
      sampleValue(samples, 'infrabase_reconcile_total', { action: 'create', result: 'ok' }),
    ).toBeGreaterThanOrEqual(2);
    // after the launch the heartbeats write the row, which queues it for a check (or the ready mark)
    const after =
      sampleValue(samples, 'infrabase_reconcile_total', { action: 'wait', result: 'ok' }) +
      sampleValue(samples, 'infrabase_reconcile_total', { action: 'mark', result: 'ok' });
    expect(after).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(samples, 'infrabase_reconcile_duration_seconds_count', { action: 'create' }),
    ).toBeGreaterThanOrEqual(2);
    expect(samples.some((s) => s.name === 'infrabase_reconcile_queue_depth')).toBe(true);
  });

  it('counts cloud API calls by provider, operation and outcome, and times them', () => {
    const labels = { provider: 'local', operation: 'create' };
    expect(sampleValue(samples, 'infrabase_cloud_api_calls_total', { ...labels, outcome: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'infrabase_cloud_api_call_duration_seconds_count', labels)).toBe(1);
  });

  it('counts the heartbeat samples the control plane stored for its node', () => {
    const stored = cp.context.db
      .prepare('SELECT count(*) FROM sys_metrics WHERE node_id IS NOT NULL')
      .pluck()
      .get() as number;
    const counted = sampleValue(samples, 'infrabase_metrics_samples_ingested_total', { source: 'heartbeat' });
    expect(counted).toBeGreaterThan(0);
    // the page was read after the heartbeats it counts were stored; later ones only add rows
    expect(counted).toBeLessThanOrEqual(stored);
  });

  it('serves a page that promtool check metrics accepts', () => {
    const result = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
    expect(result.stderr + result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('the pieces of the wiring', () => {
  it('buckets PREDICT durations with the bounds of the predict duration histogram', () => {
    expect(PREDICT_DURATION_BUCKETS_SECONDS).toEqual(LATENCY_BUCKETS_SECONDS);
  });

  it('drains PREDICT usage per model, bucketing each run and keeping per-bucket sums', () => {
    const usage = new PredictUsage();
    usage.ok('a', 100, 0.0002);
    usage.ok('a', 1, 0.0003);
    usage.ok('a', 1, 50);
    usage.error('b');
    const [a, b] = usage.take();
    expect(a).toMatchObject({ model: 'a', callsOk: 3, rows: 102, callsError: 0 });
    expect(a.bucketCounts[0]).toBe(2);
    expect(a.bucketSeconds[0]).toBeCloseTo(0.0005, 12);
    expect(a.bucketCounts.at(-1)).toBe(1);
    expect(b).toMatchObject({ model: 'b', callsOk: 0, callsError: 1 });
    expect(usage.take()).toEqual([]);
  });

  it('meters provider calls with the outcome of the InfrabaseError code they throw', async () => {
    const registry = new Registry();
    const errors = [new InfrabaseError('THROTTLED', 'slow down'), new InfrabaseError('NOT_FOUND', 'gone')];
    const inner: CloudProvider = {
      name: 'aws',
      create: async () => ({ id: 'i-1', state: 'pending' }),
      delete: async () => {
        throw errors.shift();
      },
      get: async () => {
        throw new Error('socket hang up');
      },
      listOwned: async () => [],
    };
    const p = meteredProvider(inner, cloudMetrics(registry));
    const signal = new AbortController().signal;
    await p.create({} as never, 't', signal);
    await expect(p.delete('i-1', signal)).rejects.toMatchObject({ code: 'THROTTLED' });
    await expect(p.delete('i-1', signal)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(p.get('i-1', signal)).rejects.toThrow('socket hang up');
    await p.listOwned(signal);
    const s = parsePage(await registry.metrics());
    const calls = (operation: string, outcome: string) =>
      sampleValue(s, 'infrabase_cloud_api_calls_total', { provider: 'aws', operation, outcome });
    expect(calls('create', 'ok')).toBe(1);
    expect(calls('delete', 'throttled')).toBe(1);
    expect(calls('delete', 'not_found')).toBe(1);
    expect(calls('get', 'error')).toBe(1);
    expect(calls('list_owned', 'ok')).toBe(1);
    expect(
      sampleValue(s, 'infrabase_cloud_api_call_duration_seconds_count', {
        provider: 'aws',
        operation: 'delete',
      }),
    ).toBe(2);
  });

  it('classifies reconcile step actions into the metric action label', () => {
    expect(
      ['token-written', 'created', 'booting', 'ready', 'terminating', 'removed', 'gone', 'odd'].map(
        reconcileActionClass,
      ),
    ).toEqual(['create', 'create', 'wait', 'mark', 'delete', 'finalize', 'none', 'none']);
  });
});
