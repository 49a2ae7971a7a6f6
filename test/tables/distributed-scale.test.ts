import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ControlPlane } from '../../control-plane/index.js';
import { createDistributedModule } from '../../control-plane/modules/distributed.js';
import { metricsModule } from '../../control-plane/modules/metrics.js';
import { createNodesModule } from '../../control-plane/nodes/index.js';
import { DataLayer } from '../../control-plane/tables/index.js';
import { ADULT_CSV, readDataFile } from '../support/data.js';
import { waitFor } from '../support/tmp.js';
import { startCluster } from '../training/cluster.js';

/**
 * Scaling the data nodes of a distributed table over real local agents: a 5th node joins and takes its share
 * while a fixed set of SELECTs keeps answering as before; a scale-in decided by an autoscaling policy drains
 * the retired node before it is terminated, losing no row.
 */
const records = parse(readDataFile(ADULT_CSV), { ltrim: true }) as string[][];
const header = records[0].map((h) => h.trim());
const numeric = header.map((_, j) => records.slice(1, 200).every((r) => Number.isFinite(Number(r[j]))));
const ROWS = 4000;
const rows = records.slice(1, 1 + ROWS).map((r) => r.map((v, j) => (numeric[j] ? Number(v) : v)));
const SHARDS = 12;

let cp: ControlPlane;
let api: ApiClient;
let cleanup: () => Promise<void>;
const layer = new DataLayer({ intervalMs: 100, maxConcurrentMoves: 2 });

beforeAll(async () => {
  const cluster = await startCluster(4, {
    modules: [
      metricsModule,
      createNodesModule({ terminationGate: (row) => layer.mayTerminate(row.id) }),
      createDistributedModule(layer),
    ],
  });
  ({ cp, api } = cluster);
  cleanup = () => cluster.close();
  await api.sql(
    'INSERT INTO sys_distributed_tables (name, columns, shard_count, replication_factor) VALUES (?, ?, ?, 2)',
    [
      'adult',
      JSON.stringify(header.map((name, j) => ({ name, type: numeric[j] ? 'INTEGER' : 'TEXT' }))),
      SHARDS,
    ],
  );
  await waitFor(
    () => settled() && db().prepare('SELECT schema_applied FROM sys_distributed_tables').pluck().get() === 1,
    60_000,
    50,
  );
  for (let i = 0; i < ROWS; i += 1000) {
    await api.request('POST', '/v1/tables/adult/insert', { columns: header, rows: rows.slice(i, i + 1000) });
  }
}, 120_000);
afterAll(async () => {
  await cleanup?.();
});

const db = () => cp.context.db;
const activeMoves = () =>
  Number(
    db().prepare("SELECT count(*) FROM sys_shard_moves WHERE state NOT IN ('done', 'failed')").pluck().get(),
  );
/** No move in flight, every shard with its replication factor in sync, nothing else in the catalog. */
const settled = () =>
  activeMoves() === 0 &&
  db().prepare("SELECT count(*) FROM sys_shard_status WHERE status <> 'available'").pluck().get() === 0 &&
  db().prepare("SELECT count(*) FROM sys_placements WHERE state <> 'in_sync'").pluck().get() === 0;
const perNode = () =>
  db()
    .prepare(
      `SELECT n.id, (SELECT count(*) FROM sys_placements p WHERE p.node_id = n.id AND p.state = 'in_sync') AS n
       FROM sys_nodes n WHERE n.role = 'data' AND n.desired_state = 'running' ORDER BY n.id`,
    )
    .all() as { id: string; n: number }[];

/** The fixed SELECTs run before, during and after a rebalance, planned across the shards. */
const QUERIES = [
  'SELECT count(*), sum(age), min(age), max(age) FROM adult',
  'SELECT education, count(*) AS n, sum("hours-per-week") FROM adult GROUP BY education ORDER BY education',
  "SELECT count(*) FROM adult WHERE age > 50 AND sex = 'Female'",
  'SELECT occupation, avg("capital-gain") AS g FROM adult GROUP BY occupation ORDER BY g DESC, occupation LIMIT 5',
];
const answers = async () => {
  const out: unknown[][][] = [];
  for (const q of QUERIES) out.push((await api.sql(q)).rows);
  return out;
};

describe('scaling the data nodes of a distributed table', () => {
  it('a 5th data node takes its share (counts within one) while the same SELECTs answer the same throughout', async () => {
    const before = await answers();
    expect(before[0][0][0]).toBe(ROWS);
    db().prepare("INSERT INTO sys_nodes (id, role) VALUES ('d5', 'data')").run();
    let duringMoves = 0;
    let rounds = 0;
    const started = Date.now();
    // Query until the rebalance is over; rounds that overlap a move in flight are the point of the test.
    for (;;) {
      const moving = activeMoves() > 0;
      expect(await answers()).toEqual(before);
      rounds++;
      if (moving) duringMoves++;
      const ready = db().prepare("SELECT status FROM sys_nodes WHERE id = 'd5'").pluck().get() === 'ready';
      const counts = perNode().map((r) => r.n);
      if (ready && settled() && counts.length === 5 && Math.max(...counts) - Math.min(...counts) <= 1) break;
      if (Date.now() - started > 180_000)
        throw new Error(`no balance after 180 s: ${JSON.stringify(perNode())}`);
    }
    expect(duringMoves).toBeGreaterThan(0);
    const counts = perNode();
    expect(counts.map((r) => r.id)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(counts.reduce((n, r) => n + r.n, 0)).toBe(SHARDS * 2);
    expect(Math.max(...counts.map((r) => r.n)) - Math.min(...counts.map((r) => r.n))).toBeLessThanOrEqual(1);
    expect(counts.find((r) => r.id === 'd5')!.n).toBeGreaterThanOrEqual(Math.floor((SHARDS * 2) / 5));
    expect(await answers()).toEqual(before);
    expect(rounds).toBeGreaterThan(duringMoves - 1);
  }, 240_000);

  it('a scale-in by an autoscaling policy drains the retired data node before it is terminated; no row is lost', async () => {
    const before = await answers();
    const policy = db().prepare(
      `INSERT INTO sys_scaling_policies (name, metric, label_match, aggregate, window_ms, comparison, threshold,
         action, step, min_nodes, max_nodes, cooldown_ms, node_template)
       VALUES (?, 'test_data_load', '{}', 'avg', 10000, ?, ?, ?, 1, 0, 1, 0, '{"role":"data","labels":{"pool":"elastic"}}')`,
    );
    policy.run('data-out', '>', 0.8, 'scale_out');
    policy.run('data-in', '<', 0.2, 'scale_in');
    const sample = db().prepare(
      "INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, 'test_data_load', '{}', ?)",
    );
    let ts = Date.now();
    sample.run(ts, 0.95);
    const added = db()
      .prepare("SELECT id FROM sys_nodes WHERE created_by = 'policy:data-out'")
      .pluck()
      .get() as string;
    expect(added).toBeDefined();
    // The policy's node joins and takes its share.
    await waitFor(
      () => {
        const c = perNode();
        const n = c.map((r) => r.n);
        return (
          settled() &&
          c.length === 6 &&
          c.find((r) => r.id === added)!.n > 0 &&
          Math.max(...n) - Math.min(...n) <= 1
        );
      },
      180_000,
      100,
    );
    const held = perNode().find((r) => r.id === added)!.n;
    // Low load: the scale-in policy retires the newest policy-created data node through its DELETE.
    ts += 20_000;
    sample.run(ts, 0.05);
    const event = db()
      .prepare(
        "SELECT action, node_ids FROM sys_scaling_events WHERE policy = 'data-in' ORDER BY ts DESC LIMIT 1",
      )
      .get() as { action: string; node_ids: string };
    expect(event.action).toBe('scale_in');
    expect(JSON.parse(event.node_ids)).toEqual([added]);
    const row = db().prepare('SELECT status, desired_state, status_reason FROM sys_nodes WHERE id = ?');
    const placed = db()
      .prepare("SELECT count(*) FROM sys_placements WHERE node_id = ? AND state = 'in_sync'")
      .pluck();
    const reasons = new Set<string>();
    // Until the row is gone: whenever the machine is being terminated, the node holds no in-sync copy.
    await waitFor(
      () => {
        const r = row.get(added) as
          | { status: string; desired_state: string; status_reason: string }
          | undefined;
        if (!r) return true;
        expect(r.desired_state).toBe('terminated');
        if (r.status_reason) reasons.add(r.status_reason);
        if (r.status === 'terminating' || r.status === 'terminated') expect(placed.get(added)).toBe(0);
        return false;
      },
      180_000,
      20,
    );
    expect([...reasons].some((r) => /^draining: moving \d+ of \d+ shards/.test(r))).toBe(true);
    const moved = db()
      .prepare(
        "SELECT count(*) FROM sys_shard_moves WHERE source_node = ? AND kind = 'move' AND state = 'done'",
      )
      .pluck()
      .get(added);
    expect(moved).toBeGreaterThanOrEqual(held);
    await waitFor(settled, 60_000, 100);
    expect(db().prepare('SELECT count(*) FROM sys_placements WHERE node_id = ?').pluck().get(added)).toBe(0);
    expect(await answers()).toEqual(before);
  }, 420_000);
});

describe('a distributed table at replication factor 1 over real agents', () => {
  it('a SIGKILLed agent: the queries fail naming the table and its shards, and answer in full once it is back', async () => {
    await api.sql(
      `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor)
       VALUES ('single', '[{"name":"k","type":"INTEGER"},{"name":"v","type":"TEXT"}]', 'k', 6, 1)`,
    );
    await waitFor(
      () =>
        settled() &&
        db()
          .prepare("SELECT schema_applied FROM sys_distributed_tables WHERE name = 'single'")
          .pluck()
          .get() === 1,
      60_000,
      50,
    );
    const values = Array.from({ length: 300 }, (_, i) => `(${i}, 'v${i}')`).join(', ');
    expect((await api.sql(`INSERT INTO single (k, v) VALUES ${values}`)).changes).toBe(300);
    const victim = db()
      .prepare(
        "SELECT node_id FROM sys_placements WHERE colocation_group = 'single' GROUP BY node_id ORDER BY count(*) DESC, node_id LIMIT 1",
      )
      .pluck()
      .get() as string;
    const lost = db()
      .prepare(
        "SELECT shard FROM sys_placements WHERE colocation_group = 'single' AND node_id = ? ORDER BY shard",
      )
      .pluck()
      .all(victim) as number[];
    expect(lost.length).toBeGreaterThan(0);
    const pidFile = join(cp.context.config.dataDir, 'nodes', victim, 'agent.pid');
    const pid = (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid;
    process.kill(pid, 'SIGKILL');
    // Never a partial answer: the error names the table and every shard of the statement whose only copy is
    // gone, for a statement on every shard (POST /v1/shards/query) and a planned SELECT alike.
    const all = new RegExp(
      `table single: shards? ${lost.join(', ')} (has|have) no available in-sync placement`,
    );
    await expect(
      api.request('POST', '/v1/shards/query', { table: 'single', sql: 'SELECT count(*) FROM single' }),
    ).rejects.toThrow(all);
    await expect(api.sql('SELECT count(*) FROM single')).rejects.toThrow(all);
    await expect(api.sql('SELECT k, v FROM single WHERE k < 1000 ORDER BY k')).rejects.toThrow(all);
    // The reconciler relaunches the agent on its data; the only copies were never dropped.
    await waitFor(
      async () => {
        const r = await api.sql('SELECT count(*), sum(k) FROM single').catch(() => undefined);
        return r && r.rows[0][0] === 300 ? r : undefined;
      },
      120_000,
      200,
    ).then((r) => expect(r.rows).toEqual([[300, (299 * 300) / 2]]));
  }, 240_000);
});
