import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ControlPlane } from '../../control-plane/index.js';
import { createDistributedModule } from '../../control-plane/modules/distributed.js';
import { createTrainingModule } from '../../control-plane/modules/training.js';
import { createNodesModule } from '../../control-plane/nodes/index.js';
import { DataLayer, loadDistributedCsv, type ShardsQueryReply } from '../../control-plane/tables/index.js';
import { ADULT_CSV, readDataFile } from '../support/data.js';
import { waitFor } from '../support/tmp.js';
import { ADULT_FEATURES, ADULT_SQL, isHoldout, startCluster, waitForJob } from '../training/cluster.js';

/**
 * Distributed tables over real agent processes (local provider): Adult at replication factor 2 over three
 * data nodes; a DELETE drains its node before the machine goes; a new node takes its share.
 */
const records = parse(readDataFile(ADULT_CSV), { ltrim: true }) as string[][];
const header = records[0].map((h) => h.trim());
const numeric = header.map((_, j) => records.slice(1, 200).every((r) => Number.isFinite(Number(r[j]))));
const ROWS = 3000;
const rows = records.slice(1, 1 + ROWS).map((r) => r.map((v, j) => (numeric[j] ? Number(v) : v)));

let cp: ControlPlane;
let api: ApiClient;
let cleanup: () => Promise<void>;
const layer = new DataLayer({ intervalMs: 100, maxConcurrentMoves: 2 });

beforeAll(async () => {
  const cluster = await startCluster(3, {
    modules: [
      createNodesModule({ terminationGate: (row) => layer.mayTerminate(row.id) }),
      createDistributedModule(layer),
      createTrainingModule({}, () => layer.coordinator),
    ],
  });
  ({ cp, api } = cluster);
  cleanup = () => cluster.close();
}, 60_000);
afterAll(async () => {
  await cleanup?.();
});

const db = () => cp.context.db;
const unhealthy = () =>
  db().prepare("SELECT count(*) FROM sys_shard_status WHERE status <> 'available'").pluck().get();
const count = async () => {
  const r = await api.request<ShardsQueryReply>('POST', '/v1/shards/query', {
    table: 'adult',
    sql: 'SELECT count(*), total(age) FROM adult',
  });
  return [r.rows.reduce((n, x) => n + Number(x[1]), 0), r.rows.reduce((n, x) => n + Number(x[2]), 0)];
};
const expected = [ROWS, rows.reduce((n, r) => n + Number(r[0]), 0)];

describe('distributed tables over real agents', () => {
  it('an INSERT into sys_distributed_tables places the table; a load lands every row once at replication factor 2', async () => {
    await api.sql(
      'INSERT INTO sys_distributed_tables (name, columns, shard_count, replication_factor) VALUES (?, ?, 8, 2)',
      ['adult', JSON.stringify(header.map((name, j) => ({ name, type: numeric[j] ? 'INTEGER' : 'TEXT' })))],
    );
    await waitFor(
      () =>
        unhealthy() === 0 &&
        db().prepare('SELECT schema_applied FROM sys_distributed_tables').pluck().get() === 1,
      30_000,
      50,
    );
    for (let i = 0; i < ROWS; i += 1000) {
      const r = await api.request<{ rows: number }>('POST', '/v1/tables/adult/insert', {
        columns: header,
        rows: rows.slice(i, i + 1000),
      });
      expect(r.rows).toBe(Math.min(1000, ROWS - i));
    }
    expect(await count()).toEqual(expected);
    expect(db().prepare("SELECT count(*) FROM sys_placements WHERE state = 'in_sync'").pluck().get()).toBe(
      16,
    );
  }, 60_000);

  it('a DELETEd data node is drained (status_reason says so) before it is terminated; no row is lost', async () => {
    const reasons = new Set<string>();
    db().prepare("DELETE FROM sys_nodes WHERE id = 'd1'").run();
    // With two nodes left at replication factor 2 the DELETE must wait: add a node so the shards can move.
    db().prepare("INSERT INTO sys_nodes (id, role) VALUES ('d4', 'data')").run();
    const reason = db().prepare("SELECT status_reason FROM sys_nodes WHERE id = 'd1'").pluck();
    await waitFor(
      () => {
        const r = reason.get() as string | undefined;
        if (r) reasons.add(r);
        return r === undefined;
      },
      90_000,
      20,
    );
    expect([...reasons].some((r) => /^(draining: moving \d+ of \d+ shards|waiting: )/.test(r))).toBe(true);
    expect(await count()).toEqual(expected);
    const byNode = db().prepare(
      "SELECT node_id, count(*) AS n FROM sys_placements WHERE state = 'in_sync' GROUP BY node_id ORDER BY node_id",
    );
    const active = db()
      .prepare("SELECT count(*) FROM sys_shard_moves WHERE state NOT IN ('done', 'failed')")
      .pluck();
    // The new node keeps receiving its share after the drain: wait for the rebalance to settle.
    await waitFor(
      () => {
        const c = (byNode.all() as { n: number }[]).map((r) => r.n);
        return (
          unhealthy() === 0 && active.get() === 0 && c.length === 3 && Math.max(...c) - Math.min(...c) <= 1
        );
      },
      60_000,
      50,
    );
    expect(await count()).toEqual(expected);
    const perNode = byNode.all() as { node_id: string; n: number }[];
    expect(perNode.map((r) => r.node_id)).toEqual(['d2', 'd3', 'd4']);
    const counts = perNode.map((r) => r.n);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const moves = db()
      .prepare("SELECT count(*) FROM sys_shard_moves WHERE state = 'done' AND source_node = 'd1'")
      .pluck()
      .get();
    expect(moves).toBeGreaterThan(0);
  }, 120_000);

  it('UPDATE through the data layer reaches every copy (checksums per placement agree)', async () => {
    const r = await api.request<{ rows: number }>('POST', '/v1/tables/adult/modify', {
      sql: 'UPDATE adult SET "hours-per-week" = "hours-per-week" + 1 WHERE age > ?',
      params: [60],
    });
    expect(r.rows).toBe(rows.filter((x) => Number(x[0]) > 60).length);
    for (const s of db()
      .prepare("SELECT DISTINCT shard FROM sys_placements WHERE colocation_group = 'adult'")
      .pluck()
      .all() as number[]) {
      const copies = db()
        .prepare(
          "SELECT node_id FROM sys_placements WHERE colocation_group = 'adult' AND shard = ? AND state = 'in_sync'",
        )
        .pluck()
        .all(s) as string[];
      expect(copies).toHaveLength(2);
      const sums = new Set<string>();
      for (const n of copies) {
        const d = await layer.transport!.digest(n, 'adult', s);
        sums.add(d.checksum);
      }
      expect(sums.size).toBe(1);
    }
  }, 60_000);

  it('infrabase load --shard-by --replicas --shards loads all of Adult: every row once, each shard on 2 nodes', async () => {
    const r = await loadDistributedCsv(api, 'adult_full', ADULT_CSV, {
      shardBy: 'education',
      replicas: 2,
      shards: 6,
      batchSize: 5000,
    });
    expect(r).toMatchObject({ rows: records.length - 1, shards: 6, replicationFactor: 2 });
    const q = await api.request<ShardsQueryReply>('POST', '/v1/shards/query', {
      table: 'adult_full',
      sql: 'SELECT education, count(*) FROM adult_full GROUP BY education',
    });
    // Hashing by education puts each value in exactly one shard: no group appears twice.
    const groups = q.rows.map((x) => x[1]);
    expect(new Set(groups).size).toBe(groups.length);
    expect(q.rows.reduce((n, x) => n + Number(x[2]), 0)).toBe(records.length - 1);
    const copies = db()
      .prepare(
        "SELECT count(*) FROM sys_placements WHERE colocation_group = 'adult_full' AND state = 'in_sync'",
      )
      .pluck()
      .get();
    expect(copies).toBe(12);
  }, 120_000);

  it('a --cluster statement over a distributed table reads one in-sync copy per shard: each row once, by _shard', async () => {
    const r = await api.request<{ columns: string[]; rows: unknown[][] }>('POST', '/v1/sql/cluster', {
      sql: 'SELECT count(*) AS n FROM adult_full',
    });
    expect(r.columns).toEqual(['_shard', 'n']);
    expect(r.rows.map((x) => x[0])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.rows.reduce((n, x) => n + Number(x[1]), 0)).toBe(records.length - 1);
  }, 60_000);

  it('a plain SELECT over a distributed table answers as one table, planned across the shards', async () => {
    const adult = records.slice(1);
    const ageAt = header.indexOf('age');
    const eduAt = header.indexOf('education');
    const total = await api.sql('SELECT count(*), sum(age), min(age), max(age) FROM adult_full');
    expect(total.rows).toEqual([
      [
        adult.length,
        adult.reduce((n, r) => n + Number(r[ageAt]), 0),
        Math.min(...adult.map((r) => Number(r[ageAt]))),
        Math.max(...adult.map((r) => Number(r[ageAt]))),
      ],
    ]);
    const byEducation = new Map<string, number>();
    for (const r of adult) byEducation.set(r[eduAt], (byEducation.get(r[eduAt]) ?? 0) + 1);
    const top = [...byEducation].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    const grouped = await api.sql(
      'SELECT education, count(*) AS n FROM adult_full GROUP BY education ORDER BY n DESC, education LIMIT 3',
    );
    expect(grouped.rows).toEqual(top);
    const plan = await api.sql('EXPLAIN SELECT count(*) FROM adult_full');
    expect(JSON.stringify(plan.rows)).toContain('adult_full');
  }, 60_000);

  it('federated training over a distributed table reads each shard once: examples = the training rows', async () => {
    const sql = ADULT_SQL.replace('FROM adult', 'FROM adult_full');
    const { rows: job } = await api.sql(
      `INSERT INTO sys_training_jobs (model_name, training_sql, label_column, feature_columns, rounds, min_shards)
       VALUES ('adult_dist', ?, 'y', ?, 2, 1) RETURNING id`,
      [sql, JSON.stringify(ADULT_FEATURES)],
    );
    const done = await waitForJob(cp, job[0][0] as number, 120_000);
    expect(done.status_reason).toBeNull();
    expect(done.status).toBe('succeeded');
    let train = 0;
    for (let id = 1; id < records.length; id++) if (!isHoldout(id)) train++;
    const rounds = db()
      .prepare('SELECT examples, participants FROM sys_training_rounds WHERE job_id = ? ORDER BY round')
      .all(job[0][0]) as { examples: number; participants: string }[];
    expect(rounds).toHaveLength(2);
    for (const r of rounds) expect(r.examples).toBe(train);
  }, 150_000);

  // The model trained above scores on the shards: the planner pushes PREDICT down, the control plane copies
  // 'adult_dist' to each agent first, and each agent's placement query registers PREDICT.
  const FEATURES_SQL = `age, "education-num", "capital-gain", "capital-loss", "hours-per-week",
    sex = 'Male', "marital-status" = 'Married-civ-spouse'`;
  /** Each sampled row's PREDICT and label, scored one row at a time on the control plane's own connection. */
  const scoredHere = async () => {
    const { rows: sample } = await api.sql(
      `SELECT ${FEATURES_SQL}, Y = '>50K' FROM adult_full WHERE _row % 5 = 0 ORDER BY _row`,
    );
    const score = db().prepare(`SELECT PREDICT('adult_dist', ?, ?, ?, ?, ?, ?, ?)`).pluck();
    return sample.map((r) => ({ p: Number(score.get(...r.slice(0, 7))), y: Number(r[7]) }));
  };

  it('a plain SELECT scoring PREDICT over a distributed table equals PREDICT row by row', async () => {
    const local = await scoredHere();
    expect(local.length).toBeGreaterThan(1000);
    const accuracy = local.filter((x) => x.p === x.y).length / local.length;
    const r = await api.sql(
      `SELECT avg(PREDICT('adult_dist', ${FEATURES_SQL}) = (Y = '>50K')) AS accuracy, count(*) AS n
         FROM adult_full WHERE _row % 5 = 0`,
    );
    expect(r.columns).toEqual(['accuracy', 'n']);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0][1]).toBe(local.length);
    expect(r.rows[0][0] as number).toBeCloseTo(accuracy, 12);
    // A trained model, not a constant: it beats always answering the majority class.
    const positives = local.filter((x) => x.y === 1).length / local.length;
    expect(accuracy).toBeGreaterThan(Math.max(positives, 1 - positives));
  }, 120_000);

  it('PREDICT in a GROUP BY over a distributed table: the counts per predicted class', async () => {
    const local = await scoredHere();
    const byClass = new Map<number, number>();
    for (const x of local) byClass.set(x.p, (byClass.get(x.p) ?? 0) + 1);
    const r = await api.sql(
      `SELECT PREDICT('adult_dist', ${FEATURES_SQL}) AS predicted, count(*) AS n
         FROM adult_full WHERE _row % 5 = 0 GROUP BY predicted ORDER BY predicted`,
    );
    expect(r.rows.map((x) => [Number(x[0]), x[1]])).toEqual([...byClass].sort((a, b) => a[0] - b[0]));
    expect(r.rows.length).toBe(2);
  }, 120_000);

  it('POST /v1/sql INSERT, UPDATE and DELETE on a distributed table are replicated; reads count each row once', async () => {
    await api.sql(
      `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor)
       VALUES ('kv', '[{"name":"k","type":"TEXT"},{"name":"v","type":"REAL"}]', 'k', 4, 2)`,
    );
    await waitFor(
      () =>
        db().prepare("SELECT schema_applied FROM sys_distributed_tables WHERE name = 'kv'").pluck().get() ===
          1 && unhealthy() === 0,
      30_000,
      50,
    );
    expect(
      (await api.sql("INSERT INTO kv (k, v) VALUES ('a', 1), ('b', 2), (?, abs(random() % 100))", ['c']))
        .changes,
    ).toBe(3);
    expect((await api.sql('UPDATE kv SET v = v * 10 WHERE k IN (?, ?)', ['a', 'b'])).changes).toBe(2);
    expect((await api.sql("DELETE FROM kv WHERE k = 'c'")).changes).toBe(1);
    const q = await api.request<ShardsQueryReply>('POST', '/v1/shards/query', {
      table: 'kv',
      sql: 'SELECT k, v FROM kv',
    });
    expect(q.rows.map((r) => [r[1], r[2]]).sort()).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    for (const p of db()
      .prepare("SELECT shard, node_id FROM sys_placements WHERE colocation_group = 'kv'")
      .all() as { shard: number; node_id: string }[]) {
      const copies = db()
        .prepare("SELECT node_id FROM sys_placements WHERE colocation_group = 'kv' AND shard = ?")
        .pluck()
        .all(p.shard) as string[];
      const sums = new Set<string>();
      for (const n of copies) sums.add((await layer.transport!.digest(n, 'kv', p.shard)).checksum);
      expect(sums.size).toBe(1);
    }
    await expect(api.sql("UPDATE kv SET k = 'z'")).rejects.toThrow(/changing the shard key k/);
  }, 60_000);

  it('a SIGKILLed agent: writes go on, its shards re-replicate, and its returning copies are dropped as stale', async () => {
    const pid = JSON.parse(readFileSync(join(cp.context.config.dataDir, 'nodes', 'd2', 'agent.pid'), 'utf8'))
      .pid as number;
    const before = await count();
    process.kill(pid, 'SIGKILL');
    // Writes during the outage: acknowledged only once every in-sync copy has them (d2's copies leave first).
    const extra = rows.slice(0, 200);
    for (let i = 0; i < extra.length; i += 50) {
      const r = await api.request<{ rows: number }>('POST', '/v1/tables/adult/insert', {
        columns: header,
        rows: extra.slice(i, i + 50),
      });
      expect(r.rows).toBe(50);
    }
    const status = db().prepare("SELECT status FROM sys_nodes WHERE id = 'd2'").pluck();
    const active = db()
      .prepare("SELECT count(*) FROM sys_shard_moves WHERE state NOT IN ('done', 'failed')")
      .pluck();
    const replaced = db()
      .prepare("SELECT count(*) FROM sys_shard_moves WHERE kind = 'replicate' AND state = 'done'")
      .pluck();
    // Settled: d2 back, every shard available, no move running, and d2's stale copies gone from the catalog.
    const notInSync = db().prepare("SELECT count(*) FROM sys_placements WHERE state <> 'in_sync'").pluck();
    await waitFor(
      () =>
        status.get() === 'ready' &&
        unhealthy() === 0 &&
        active.get() === 0 &&
        notInSync.get() === 0 &&
        Number(replaced.get()) > 0,
      90_000,
      100,
    );
    expect(await count()).toEqual([
      before[0] + extra.length,
      before[1] + extra.reduce((n, r) => n + Number(r[0]), 0),
    ]);
    for (const s of db()
      .prepare("SELECT DISTINCT shard FROM sys_placements WHERE colocation_group = 'adult'")
      .pluck()
      .all() as number[]) {
      // Exactly the replication factor in sync; a balancing move that starts meanwhile adds a `copying` copy,
      // which joins the in-sync set only in the transaction that removes the copy it replaces.
      const copies = db()
        .prepare(
          "SELECT node_id FROM sys_placements WHERE colocation_group = 'adult' AND shard = ? AND state = 'in_sync'",
        )
        .pluck()
        .all(s) as string[];
      expect(copies).toHaveLength(2);
      const sums = new Set<string>();
      for (const n of copies) sums.add((await layer.transport!.digest(n, 'adult', s)).checksum);
      expect(sums.size).toBe(1);
    }
    // No orphan: what the returned agent holds is what the catalog lists for it (read each time: a balancing
    // move may give d2 a shard or take one meanwhile).
    const listed = db().prepare(
      "SELECT colocation_group || '/' || shard FROM sys_placements WHERE node_id = 'd2' ORDER BY 1",
    );
    await waitFor(
      async () => {
        const held = (await layer.transport!.list('d2')).map((p) => `${p.colocationGroup}/${p.shard}`).sort();
        return JSON.stringify(held) === JSON.stringify((listed.pluck().all() as string[]).sort());
      },
      30_000,
      100,
    );
  }, 150_000);
});
