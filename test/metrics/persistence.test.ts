import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, isInfrabaseError, openDatabase } from '../../engine/index.js';
import {
  canonicalLabels,
  collectNodeMetrics,
  createRegistry,
  ingestMetrics,
  ingestNodeMetrics,
  MetricsSampler,
  NODE_METRICS,
  type OsReadings,
  RetentionJob,
  runRetention,
  sqlMetrics,
} from '../../metrics/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { tempDir, waitFor } from '../support/tmp.js';

let db: Database;
let cleanup: () => void;
beforeEach(() => {
  const tmp = tempDir('infrabase-metrics-');
  db = openDatabase(`${tmp.dir}/infrabase.db`, { migrate: true });
  cleanup = () => {
    db.close();
    tmp.cleanup();
  };
});
afterEach(() => cleanup());

const rows = (sql = 'SELECT ts, node_id, name, labels, value FROM sys_metrics ORDER BY name, labels') =>
  db.prepare(sql).all() as {
    ts: number;
    node_id: string | null;
    name: string;
    labels: string;
    value: number;
  }[];

describe('canonical labels', () => {
  it('sorts keys and stringifies values so equal label sets are equal strings', () => {
    expect(canonicalLabels({ zone: 'b', az: 1 })).toBe('{"az":"1","zone":"b"}');
    expect(canonicalLabels({})).toBe('{}');
    expect(canonicalLabels(undefined)).toBe('{}');
  });

  it('rejects a key that is not a label name, naming it', () => {
    expect(() => canonicalLabels({ 'bad-key': 'x' })).toThrow('label name "bad-key" is not valid');
  });
});

describe('node metrics from heartbeats', () => {
  it('stores the samples with the node id and the heartbeat time, and counts them', async () => {
    const registry = createRegistry({ processMetrics: false });
    const n = ingestNodeMetrics(
      db,
      'n-1',
      [
        { name: NODE_METRICS.cpuUtilization, value: 0.42 },
        { name: NODE_METRICS.load1, value: 1.5, labels: { window: '1m' } },
      ],
      1_000,
      ingestMetrics(registry),
    );
    expect(n).toBe(2);
    expect(await registry.metrics()).toContain(
      'infrabase_metrics_samples_ingested_total{source="heartbeat"} 2',
    );
    expect(rows()).toEqual([
      { ts: 1_000, node_id: 'n-1', name: 'infrabase_node_cpu_utilization_ratio', labels: '{}', value: 0.42 },
      { ts: 1_000, node_id: 'n-1', name: 'infrabase_node_load1', labels: '{"window":"1m"}', value: 1.5 },
    ]);
  });

  it('rejects a whole heartbeat with a ratio outside 0–1, naming the value', () => {
    let caught: unknown;
    try {
      ingestNodeMetrics(
        db,
        'n-1',
        [
          { name: NODE_METRICS.load1, value: 1 },
          { name: NODE_METRICS.cpuUtilization, value: 87 },
        ],
        1_000,
      );
    } catch (err) {
      caught = err;
    }
    expect(isInfrabaseError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toBe(
      'metric sample infrabase_node_cpu_utilization_ratio has value 87; accepted: a ratio between 0 and 1',
    );
    expect(rows()).toEqual([]);
  });

  it('rejects names that are not Prometheus metric names and non-finite values', () => {
    expect(() => ingestNodeMetrics(db, 'n-1', [{ name: 'cpu load', value: 1 }], 1)).toThrow(
      'has name "cpu load"',
    );
    expect(() => ingestNodeMetrics(db, 'n-1', [{ name: 'x', value: Number.NaN }], 1)).toThrow(
      'a finite number',
    );
  });

  it('computes CPU utilisation and the query rate over the interval between collections', () => {
    let busy = 1_000;
    let idle = 9_000;
    const os: OsReadings = {
      cpus: () => [
        { times: { user: busy / 2, nice: 0, sys: busy / 2, idle, irq: 0 } },
        { times: { user: busy / 2, nice: 0, sys: busy / 2, idle, irq: 0 } },
      ],
      totalmem: () => 8e9,
      freemem: () => 6e9,
      loadavg: () => [0.5, 0.4, 0.3],
      residentBytes: () => 1e8,
    };
    const first = collectNodeMetrics(undefined, { now: 0, queriesTotal: 100, os });
    expect(first.samples.find((s) => s.name === NODE_METRICS.cpuUtilization)?.value).toBeCloseTo(0.1);
    expect(first.samples.some((s) => s.name === NODE_METRICS.queryRate)).toBe(false);
    busy += 3_000; // per core: 3000 ms busy, 1000 ms idle in 2 s
    idle += 1_000;
    const second = collectNodeMetrics(first.snapshot, { now: 2_000, queriesTotal: 300, os });
    const byName = Object.fromEntries(second.samples.map((s) => [s.name, s.value]));
    expect(byName[NODE_METRICS.cpuUtilization]).toBeCloseTo(0.75);
    expect(byName[NODE_METRICS.queryRate]).toBe(100);
    expect(byName[NODE_METRICS.memoryUsedBytes]).toBe(2e9);
    expect(byName[NODE_METRICS.load1]).toBe(0.5);
  });

  it('reads real values from node:os by default', () => {
    const { samples } = collectNodeMetrics(undefined, { now: Date.now() });
    const cpu = samples.find((s) => s.name === NODE_METRICS.cpuUtilization)!.value;
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(cpu).toBeLessThanOrEqual(1);
    expect(samples.find((s) => s.name === NODE_METRICS.memoryTotalBytes)!.value).toBeGreaterThan(0);
  });
});

describe('the sampler', () => {
  it('writes the selected series of the registry every interval, stamped with the clock', async () => {
    const clock = new ManualClock(60_000);
    const registry = createRegistry();
    const sql = sqlMetrics(registry);
    sql.statements.inc({ kind: 'read', outcome: 'ok' }, 7);
    sql.duration.observe({ kind: 'read' }, 0.01);
    const sampler = new MetricsSampler({ db, registry, clock, intervalMs: 5_000 });
    sampler.start();
    try {
      await waitFor(() => clock.waiting === 1);
      expect(rows()).toEqual([]);
      clock.advance(5_000);
      await waitFor(() => rows().length > 0);
      const written = rows();
      expect(written).toContainEqual({
        ts: 65_000,
        node_id: null,
        name: 'infrabase_sql_statements_total',
        labels: '{"kind":"read","outcome":"ok"}',
        value: 7,
      });
      const names = new Set(written.map((r) => r.name));
      expect(names.has('infrabase_sql_statement_duration_seconds_count')).toBe(true);
      expect(names.has('infrabase_sql_statement_duration_seconds_bucket')).toBe(false);
      expect(names.has('process_resident_memory_bytes')).toBe(true);
      expect(names.has('nodejs_heap_size_used_bytes')).toBe(false);
      await waitFor(() => clock.waiting === 1);
      clock.advance(5_000);
      await waitFor(() => rows('SELECT DISTINCT ts FROM sys_metrics').length === 2);
    } finally {
      await sampler.stop();
    }
    expect(clock.waiting).toBe(0);
  });
});

describe('retention', () => {
  const insert = (ts: number, value: number, name = 'm', nodeId: string | null = 'n-1') =>
    db
      .prepare("INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, ?, ?, '{}', ?)")
      .run(ts, nodeId, name, value);

  it('rolls closed minutes up into min/avg/max/count and leaves open minutes raw', async () => {
    const clock = new ManualClock(10 * 60_000);
    for (const [ts, v] of [
      [60_000, 1],
      [70_000, 3],
      [119_999, 5],
      [120_000, 10],
      [9 * 60_000, 7],
    ]) {
      insert(ts, v);
    }
    const result = await runRetention(
      db,
      { rawRetentionMs: 86_400_000, rollupRetentionMs: 30 * 86_400_000 },
      clock,
    );
    expect(result.rolledUp).toBe(4);
    expect(
      db.prepare('SELECT ts, node_id, name, min, avg, max, count FROM sys_metrics_rollup ORDER BY ts').all(),
    ).toEqual([
      { ts: 60_000, node_id: 'n-1', name: 'm', min: 1, avg: 3, max: 5, count: 3 },
      { ts: 120_000, node_id: 'n-1', name: 'm', min: 10, avg: 10, max: 10, count: 1 },
    ]);
    const again = await runRetention(
      db,
      { rawRetentionMs: 86_400_000, rollupRetentionMs: 30 * 86_400_000 },
      clock,
    );
    expect(again.rolledUp).toBe(0);
  });

  it('deletes raw samples past raw retention and rollups past rollup retention, in small batches', async () => {
    const clock = new ManualClock(3 * 86_400_000);
    db.transaction(() => {
      for (let i = 0; i < 5_000; i++) insert(86_400_000 + i * 10, i);
    })();
    insert(3 * 86_400_000 - 1_000, 1);
    db.prepare(
      "INSERT INTO sys_metrics_rollup (ts, node_id, name, labels, min, avg, max, count) VALUES (0, NULL, 'old', '{}', 1, 1, 1, 1)",
    ).run();
    const result = await runRetention(
      db,
      { rawRetentionMs: 86_400_000, rollupRetentionMs: 2 * 86_400_000 + 1, deleteBatchSize: 1_000 },
      clock,
    );
    expect(result.deletedRaw).toBe(5_000);
    expect(result.deletedRollups).toBe(1);
    expect(rows().map((r) => r.ts)).toEqual([3 * 86_400_000 - 1_000]);
    expect(db.prepare('SELECT sum(count) FROM sys_metrics_rollup').pluck().get()).toBe(5_000);
  });

  it('runs as a job at start and every interval, counting rows in the retention metric', async () => {
    const clock = new ManualClock(10 * 60_000);
    const registry = createRegistry({ processMetrics: false });
    const passes: number[] = [];
    const job = new RetentionJob({
      db,
      rawRetentionMs: 86_400_000,
      rollupRetentionMs: 30 * 86_400_000,
      intervalMs: 60_000,
      clock,
      ingest: ingestMetrics(registry),
      onPass: (r) => passes.push(r.rolledUp),
    });
    insert(60_000, 1);
    job.start();
    try {
      await waitFor(() => passes.length === 1 && clock.waiting === 1);
      insert(3 * 60_000, 2);
      clock.advance(60_000);
      await waitFor(() => passes.length === 2);
    } finally {
      await job.stop();
    }
    expect(passes).toEqual([1, 1]);
    expect(await registry.metrics()).toContain(
      'infrabase_metrics_retention_rows_total{operation="rolled_up"} 2',
    );
  });

  it('never deletes raw samples that are not rolled up yet', async () => {
    const clock = new ManualClock(10 * 60_000);
    insert(9 * 60_000 + 30_000, 1);
    const result = await runRetention(db, { rawRetentionMs: 0, rollupRetentionMs: 0 }, clock);
    expect(result.deletedRaw).toBe(0);
    expect(rows()).toHaveLength(1);
  });
});

describe('sys_metrics_latest', () => {
  it('gives the newest sample per node, name and labels', () => {
    const insert = db.prepare(
      'INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, ?, ?, ?, ?)',
    );
    insert.run(1, 'n-1', 'cpu', '{}', 0.1);
    insert.run(3, 'n-1', 'cpu', '{}', 0.3);
    insert.run(2, 'n-1', 'cpu', '{}', 0.2);
    insert.run(1, 'n-2', 'cpu', '{}', 0.9);
    expect(
      db.prepare('SELECT node_id, name, value, ts FROM sys_metrics_latest ORDER BY node_id').all(),
    ).toEqual([
      { node_id: 'n-1', name: 'cpu', value: 0.3, ts: 3 },
      { node_id: 'n-2', name: 'cpu', value: 0.9, ts: 1 },
    ]);
  });
});
