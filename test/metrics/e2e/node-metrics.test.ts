import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeRow } from '../../../autoinfra/index.js';
import type { ControlPlane } from '../../../control-plane/index.js';
import { NODE_METRICS } from '../../../metrics/index.js';
import { insertPolicy } from '../../autoinfra/policies/support.js';
import { retireNodesAndClose, startTestControlPlane } from '../../support/control-plane.js';
import { waitFor } from '../../support/tmp.js';

/**
 * End to end with the local provider on a real `infrabase up`: a scaling policy over `sys_metrics`, samples
 * over its threshold, and the agent it brings up pushing its node metrics with every heartbeat.
 */
let cp: ControlPlane;
let close: () => Promise<void>;
let node: NodeRow;

const METRIC = 'infrabase_test_queue_depth';

beforeAll(async () => {
  ({ cp, close } = await startTestControlPlane({
    reconciler: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 5_000, resyncIntervalMs: 500 },
  }));
  const db = cp.context.db;
  insertPolicy(db, {
    name: 'queue',
    metric: METRIC,
    threshold: 5,
    action: 'scale_out',
    max_nodes: 1,
    cooldown_ms: 600_000,
    node_template: JSON.stringify({ provider: 'local', labels: { pool: 'queue' } }),
  });
  const now = Date.now();
  const insert = db.prepare(
    `INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, ?, '{}', ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < 5; i++) insert.run(now - i * 1000, METRIC, 12);
  })();
  // The agent process imports the cloud SDKs; on a loaded 2-core machine it takes seconds to start.
  node = await waitFor(
    () =>
      db.prepare(`SELECT * FROM sys_nodes WHERE created_by = 'policy:queue' AND status = 'ready'`).get() as
        | NodeRow
        | undefined,
    60_000,
    50,
  );
}, 90_000);

afterAll(async () => {
  if (cp) await retireNodesAndClose(cp, close);
}, 60_000);

function promtool(page: string) {
  return spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
}

describe('node metrics end to end (local provider)', () => {
  it('brings up one ready agent for a policy breached by samples inserted into sys_metrics', () => {
    const rows = cp.context.db.prepare('SELECT * FROM sys_nodes').all() as NodeRow[];
    expect(rows).toHaveLength(1);
    expect(node).toMatchObject({ provider: 'local', status: 'ready', created_by: 'policy:queue' });
    expect(JSON.parse(node.labels)).toMatchObject({ pool: 'queue' });
  });

  it("stores the agent's CPU utilisation, memory and load with its node id on every heartbeat", async () => {
    const db = cp.context.db;
    const latest = (name: string) =>
      db
        .prepare('SELECT value, ts FROM sys_metrics WHERE node_id = ? AND name = ? ORDER BY ts DESC LIMIT 1')
        .get(node.id, name) as { value: number; ts: number } | undefined;
    await waitFor(() => latest(NODE_METRICS.queryRate), 10_000, 50);
    const cpu = latest(NODE_METRICS.cpuUtilization)!;
    expect(cpu.value).toBeGreaterThanOrEqual(0);
    expect(cpu.value).toBeLessThanOrEqual(1);
    expect(latest(NODE_METRICS.memoryUsedBytes)!.value).toBeGreaterThan(0);
    expect(latest(NODE_METRICS.memoryTotalBytes)!.value).toBeGreaterThan(
      latest(NODE_METRICS.memoryUsedBytes)!.value,
    );
    expect(latest(NODE_METRICS.load1)!.value).toBeGreaterThanOrEqual(0);
    expect(latest(NODE_METRICS.queryRate)!.value).toBe(0);
    // Several heartbeats, several samples of the same series.
    const before = db
      .prepare('SELECT count(*) FROM sys_metrics WHERE node_id = ? AND name = ?')
      .pluck()
      .get(node.id, NODE_METRICS.cpuUtilization) as number;
    await waitFor(
      () =>
        (db
          .prepare('SELECT count(*) FROM sys_metrics WHERE node_id = ? AND name = ?')
          .pluck()
          .get(node.id, NODE_METRICS.cpuUtilization) as number) > before,
      10_000,
      50,
    );
  });

  it("serves the agent's /metrics without a node_id label of its own, and promtool check metrics accepts it", async () => {
    const res = await fetch(`http://${node.endpoint}/metrics`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).not.toContain('node_id=');
    expect(page).toContain('infrabase_sql_statements_total');
    const r = promtool(page);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lists the control plane and the ready node for Prometheus http_sd, with the read-only token only', async () => {
    const url = new URL('/v1/prometheus/targets', cp.url);
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${cp.tokens.read}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual([
      { targets: [new URL(cp.url).host], labels: { role: 'control-plane' } },
      { targets: [node.endpoint], labels: { node_id: node.id, role: 'data', provider: 'local' } },
    ]);
  });

  it("passes promtool check metrics on the control plane's /metrics", async () => {
    const page = await fetch(new URL('/metrics', cp.url)).then((res) => res.text());
    expect(page).toContain('infrabase_nodes');
    const r = promtool(page);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
