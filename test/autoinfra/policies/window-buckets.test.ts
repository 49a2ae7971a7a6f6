import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scalingPoliciesExtension } from '../../../autoinfra/policies/index.js';
import { type Database, MIGRATIONS, migrate, openDatabase, seededRandom } from '../../../engine/index.js';
import { tempDir } from '../../support/tmp.js';
import { events, insertPolicy, policyDb } from './support.js';

let db: Database;
let path: string;
let cleanup: () => void;
beforeEach(() => {
  ({ db, path, cleanup } = policyDb());
});
afterEach(() => {
  db.close(); // a test may have reopened it
  cleanup();
});

const CPU = 'infrabase_node_cpu_utilization_ratio';
const AGGREGATES = ['avg', 'min', 'max', 'p95'] as const;
/** Not a multiple of the 1-second bucket, so both window edges cut a bucket. */
const WINDOW_MS = 7_333;

/** A policy per aggregate that breaches at every evaluation, so each evaluation leaves an event. */
function alwaysBreaching(labelMatch = '{}') {
  for (const aggregate of AGGREGATES) {
    insertPolicy(db, {
      name: `always-${aggregate}`,
      aggregate,
      label_match: labelMatch,
      window_ms: WINDOW_MS,
      comparison: '>',
      threshold: -1e9,
      action: 'scale_out',
      max_nodes: 2,
      cooldown_ms: 0,
    });
  }
}

/** The policy's aggregate computed directly over the raw samples of (ts - WINDOW_MS, ts], as the old trigger did. */
function direct(aggregate: string, ts: number, labelMatch = '{}'): number | null {
  const where = `name = ? AND ts > ? AND ts <= ?
    AND NOT EXISTS (SELECT 1 FROM json_each(?) lm WHERE json_extract(labels, '$."' || lm.key || '"') IS NOT lm.value)`;
  const sql =
    aggregate === 'p95'
      ? `SELECT min(v) FROM (SELECT value AS v, cume_dist() OVER (ORDER BY value) AS cd FROM sys_metrics
         WHERE ${where}) WHERE cd >= 0.95`
      : `SELECT ${aggregate}(value) FROM sys_metrics WHERE ${where}`;
  return db
    .prepare(sql)
    .pluck()
    .get(CPU, ts - WINDOW_MS, ts, labelMatch) as number | null;
}

/**
 * Inserts samples one statement at a time; after each, every new event's observed value is compared with the
 * direct aggregate over the raw samples as they stand at that moment (the evaluation's own view).
 * @returns the number of events compared.
 */
function insertAndCompare(
  samples: readonly { ts: number; labels: string; value: number }[],
  labelMatch = '{}',
): number {
  const insert = db.prepare(
    'INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, ?, ?, ?)',
  );
  const newEvents = db.prepare(
    'SELECT id, ts, policy, observed_value FROM sys_scaling_events WHERE id > ? ORDER BY id',
  );
  let seen = db.prepare('SELECT coalesce(max(id), 0) FROM sys_scaling_events').pluck().get() as number;
  let compared = 0;
  db.transaction(() => {
    for (const s of samples) {
      insert.run(s.ts, CPU, s.labels, s.value);
      for (const e of newEvents.all(seen) as {
        id: number;
        ts: number;
        policy: string;
        observed_value: number;
      }[]) {
        seen = e.id;
        if (!e.policy.startsWith('always-')) continue;
        const aggregate = e.policy.replace('always-', '');
        const expected = direct(aggregate, e.ts, labelMatch);
        if (aggregate === 'avg') expect(e.observed_value).toBeCloseTo(expected as number, 12);
        else expect(e.observed_value).toBe(expected);
        compared++;
      }
    }
  })();
  return compared;
}

/** Heartbeat-like traffic: rounds of 5 nodes ~700 ms apart with jitter, late samples and two label sets. */
function traffic(seed: number, count: number, startTs = 100_000) {
  const random = seededRandom(seed);
  const out: { ts: number; labels: string; value: number }[] = [];
  let ts = startTs;
  while (out.length < count) {
    ts += 400 + Math.floor(random() * 600);
    for (let node = 0; node < 5; node++) {
      const late = random() < 0.1 ? Math.floor(random() * 5_000) : 0;
      out.push({
        ts: ts - late + Math.floor(random() * 3),
        labels: random() < 0.5 ? '{"pool":"web"}' : '{"pool":"db"}',
        value: Math.round(random() * 1e6) / 1e4 - 20,
      });
    }
  }
  return out;
}

describe('incremental window buckets', () => {
  it('gives, for each aggregate, the observed value of a direct aggregate over the window’s raw samples', () => {
    alwaysBreaching();
    const compared = insertAndCompare(traffic(1, 3_000));
    expect(compared).toBeGreaterThan(1_000);
  });

  it('stays exact with a label_match that only part of the samples hold', () => {
    alwaysBreaching('{"pool":"web"}');
    expect(insertAndCompare(traffic(2, 2_000), '{"pool":"web"}')).toBeGreaterThan(500);
  });

  it('counts the samples written before the policy existed, from its first evaluation on', () => {
    insertAndCompare(traffic(3, 1_000));
    alwaysBreaching();
    const last = db.prepare('SELECT max(ts) FROM sys_metrics').pluck().get() as number;
    expect(insertAndCompare(traffic(4, 200, last))).toBeGreaterThan(50);
    const first = events(db)[0];
    expect(first.observed_value).not.toBeNull();
  });

  it('stays exact after samples in the window are deleted or updated', () => {
    alwaysBreaching();
    insertAndCompare(traffic(5, 1_000));
    const last = db.prepare('SELECT max(ts) FROM sys_metrics').pluck().get() as number;
    db.prepare('DELETE FROM sys_metrics WHERE rowid % 3 = 0 AND ts > ?').run(last - 5_000);
    db.prepare('UPDATE sys_metrics SET value = value * 2 WHERE rowid % 3 = 1 AND ts > ?').run(last - 5_000);
    db.prepare('UPDATE sys_metrics SET ts = ts - 1500 WHERE rowid % 7 = 2 AND ts > ?').run(last - 5_000);
    expect(insertAndCompare(traffic(6, 100, last))).toBeGreaterThan(20);
  });

  it('keeps one bucket per second and label set of watched metrics only', () => {
    insertPolicy(db, { name: 'cpu-high', threshold: 0.9, action: 'scale_out', max_nodes: 3 });
    const insert = db.prepare(
      "INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, ?, '{}', ?)",
    );
    db.transaction(() => {
      for (let i = 0; i < 100; i++) insert.run(5_000 + (i % 10), CPU, i / 100);
      for (let i = 0; i < 100; i++) insert.run(5_000, 'infrabase_node_load1', i);
    })();
    expect(
      db.prepare('SELECT name, start_ts, sample_count, value_min, value_max FROM sys_scaling_buckets').all(),
    ).toEqual([{ name: CPU, start_ts: 5_000, sample_count: 100, value_min: 0, value_max: 0.99 }]);
  });

  it('drops a metric’s buckets when its last enabled policy is disabled', () => {
    insertPolicy(db, { name: 'cpu-high', threshold: 0.9, action: 'scale_out', max_nodes: 3 });
    db.prepare(`INSERT INTO sys_metrics (ts, name, value) VALUES (1000, '${CPU}', 0.5)`).run();
    expect(db.prepare('SELECT count(*) FROM sys_scaling_buckets').pluck().get()).toBe(1);
    db.prepare("UPDATE sys_scaling_policies SET enabled = 0 WHERE name = 'cpu-high'").run();
    expect(db.prepare('SELECT count(*) FROM sys_scaling_buckets').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM sys_scaling_series').pluck().get()).toBe(0);
  });

  it('deletes buckets older than two windows once they are three windows old', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.9,
      action: 'scale_out',
      max_nodes: 3,
      window_ms: 10_000,
      cooldown_ms: 0,
    });
    const insert = db.prepare(`INSERT INTO sys_metrics (ts, name, value) VALUES (?, '${CPU}', 0.5)`);
    for (let ts = 0; ts <= 40_000; ts += 1_000) insert.run(ts);
    const oldest = db.prepare('SELECT min(start_ts) FROM sys_scaling_buckets').pluck().get() as number;
    expect(oldest).toBeGreaterThanOrEqual(40_000 - 30_000);
    expect(oldest).toBeLessThanOrEqual(40_000 - 20_000);
  });

  it('keeps buckets exact for samples written by the sqlite3 shell, which runs an older SQLite', () => {
    alwaysBreaching();
    const rows = traffic(7, 300)
      .map((s) => `(${s.ts}, '${CPU}', '${s.labels}', ${s.value})`)
      .join(',\n');
    execFileSync('sqlite3', [path, `INSERT INTO sys_metrics (ts, name, labels, value) VALUES ${rows};`]);
    const buckets = db
      .prepare(
        `SELECT b.sample_count AS n, b.value_min AS lo, b.value_max AS hi,
                (SELECT count(*) FROM sys_metrics m WHERE m.name = b.name AND m.labels = b.labels
                   AND m.ts >= b.start_ts AND m.ts < b.start_ts + 1000) AS rawN
         FROM sys_scaling_buckets b`,
      )
      .all() as { n: number; rawN: number }[];
    expect(buckets.length).toBeGreaterThan(20);
    for (const b of buckets) expect(b.n).toBe(b.rawN);
    const last = db.prepare('SELECT max(ts) FROM sys_metrics').pluck().get() as number;
    expect(insertAndCompare(traffic(8, 50, last))).toBeGreaterThan(10);
  });

  it('upgrades a version-4 database: one (ts) index, and buckets filled from the samples already there', () => {
    const tmp = tempDir('infrabase-upgrade-');
    try {
      const old = openDatabase(`${tmp.dir}/old.db`);
      migrate(old, MIGRATIONS.slice(0, 4));
      const insert = old.prepare(`INSERT INTO sys_metrics (ts, name, value) VALUES (?, '${CPU}', ?)`);
      for (let ts = 0; ts < 20_000; ts += 250) insert.run(ts, (ts % 7) / 10);
      insertPolicy(old, { name: 'cpu-high', threshold: 0.9, action: 'scale_out', max_nodes: 3 });
      old.close();
      const upgraded = openDatabase(`${tmp.dir}/old.db`, {
        migrate: true,
        extensions: [scalingPoliciesExtension],
      });
      try {
        const indexes = upgraded
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sys_metrics'")
          .pluck()
          .all();
        expect(indexes).toEqual(['sys_metrics_ts']);
        const buckets = upgraded.prepare('SELECT sum(sample_count) FROM sys_scaling_buckets').pluck().get();
        expect(buckets).toBe(80);
      } finally {
        upgraded.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

/**
 * Asserts that `sys_scaling_over_counts` holds, for every enabled p95 policy, the number of samples over its
 * threshold per bucket and label set, from its metric's `since` on, as a direct count over the raw samples.
 * @returns the number of samples it counts.
 */
function expectOverCountsExact(on: Database = db): number {
  const kept = on
    .prepare('SELECT policy, start_ts, labels, over_count FROM sys_scaling_over_counts ORDER BY 1, 2, 3')
    .all();
  const raw = on
    .prepare(
      `SELECT p.name AS policy, m.ts - m.ts % 1000 AS start_ts, m.labels, count(*) AS over_count
       FROM sys_scaling_policies p JOIN sys_scaling_series s ON s.name = p.metric
         JOIN sys_metrics m ON m.name = p.metric AND m.ts >= s.since
       WHERE p.enabled = 1 AND p.aggregate = 'p95'
         AND CASE WHEN p.comparison IN ('>', '<=') THEN m.value > p.threshold ELSE m.value >= p.threshold END
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    )
    .all();
  expect(kept).toEqual(raw);
  return (kept as { over_count: number }[]).reduce((n, r) => n + r.over_count, 0);
}

/** Traffic with integer values from -20 to 80, so that many samples equal a threshold of 75. */
const integerTraffic = (seed: number, count: number, startTs?: number) =>
  traffic(seed, count, startTs).map((s) => ({ ...s, value: Math.round(s.value) }));

describe('p95 decisions from counts over the threshold', () => {
  it('breach exactly when the p95 of the raw window does, for every comparison, ties and a label match included', () => {
    const policies = [
      { name: 'gt', comparison: '>', label_match: '{}' },
      { name: 'ge', comparison: '>=', label_match: '{}' },
      { name: 'lt', comparison: '<', label_match: '{}' },
      { name: 'le', comparison: '<=', label_match: '{}' },
      { name: 'gt-web', comparison: '>', label_match: '{"pool":"web"}' },
    ];
    for (const p of policies) {
      insertPolicy(db, {
        ...p,
        aggregate: 'p95',
        window_ms: WINDOW_MS,
        threshold: 75,
        action: 'scale_out',
        max_nodes: 1_000,
        cooldown_ms: 0,
      });
    }
    const insert = db.prepare(
      'INSERT INTO sys_metrics (ts, node_id, name, labels, value) VALUES (?, NULL, ?, ?, ?)',
    );
    const evaluatedAt = db.prepare('SELECT ts FROM sys_scaling_evaluated WHERE policy = ?').pluck();
    const event = db
      .prepare('SELECT observed_value FROM sys_scaling_events WHERE policy = ? AND ts = ?')
      .pluck();
    const compare = {
      '>': (v: number) => v > 75,
      '>=': (v: number) => v >= 75,
      '<': (v: number) => v < 75,
      '<=': (v: number) => v <= 75,
    };
    const outcomes = new Map<string, Set<boolean>>(policies.map((p) => [p.name, new Set()]));
    const lastEvaluated = new Map<string, number>();
    db.transaction(() => {
      for (const sample of integerTraffic(15, 3_000)) {
        insert.run(sample.ts, CPU, sample.labels, sample.value);
        for (const p of policies) {
          const at = evaluatedAt.get(p.name) as number | undefined;
          if (at === undefined || at === lastEvaluated.get(p.name)) continue;
          lastEvaluated.set(p.name, at);
          expect(at).toBe(sample.ts);
          const p95 = direct('p95', sample.ts, p.label_match) as number;
          const breach = compare[p.comparison as keyof typeof compare](p95);
          outcomes.get(p.name)!.add(breach);
          expect(event.get(p.name, sample.ts)).toBe(breach ? p95 : undefined);
        }
      }
    })();
    // every policy was seen both breaching and not
    for (const p of policies) expect([...outcomes.get(p.name)!].sort()).toEqual([false, true]);
  });

  it('stay exact through backfill, sample edits, a longer window, a new threshold, pruning and a restart', () => {
    insertAndCompare(traffic(9, 500));
    alwaysBreaching();
    insertPolicy(db, {
      name: 'p95-le',
      aggregate: 'p95',
      comparison: '<=',
      threshold: 50,
      action: 'scale_in',
      max_nodes: 5,
    });
    expect(expectOverCountsExact()).toBeGreaterThan(10);
    let last = db.prepare('SELECT max(ts) FROM sys_metrics').pluck().get() as number;
    insertAndCompare(traffic(10, 2_000, last));
    expect(expectOverCountsExact()).toBeGreaterThan(100);

    db.prepare('DELETE FROM sys_metrics WHERE rowid % 5 = 0').run();
    db.prepare('UPDATE sys_metrics SET value = value + 1 WHERE rowid % 5 = 1').run();
    db.prepare('UPDATE sys_metrics SET ts = ts - 2500 WHERE rowid % 5 = 2').run();
    expectOverCountsExact();
    db.prepare(
      "UPDATE sys_scaling_policies SET threshold = 10, comparison = '>=' WHERE name = 'p95-le'",
    ).run();
    expectOverCountsExact();
    // a longer window backfills buckets and counts; the comparisons below need the original one back
    const setWindow = db.prepare("UPDATE sys_scaling_policies SET window_ms = ? WHERE name = 'always-p95'");
    setWindow.run(3 * WINDOW_MS);
    expectOverCountsExact();
    setWindow.run(WINDOW_MS);

    last = db.prepare('SELECT max(ts) FROM sys_metrics').pluck().get() as number;
    const since = db.prepare('SELECT since FROM sys_scaling_series').pluck();
    const before = since.get() as number;
    insertAndCompare(traffic(11, 1_000, last));
    expect(since.get()).toBeGreaterThan(before);
    expectOverCountsExact();

    // rebuilt from the raw samples, for one window before the newest sample
    db.close();
    db = openDatabase(path, { migrate: true, extensions: [scalingPoliciesExtension] });
    expect(expectOverCountsExact()).toBeGreaterThan(10);
    last = db.prepare('SELECT max(ts) FROM sys_metrics').pluck().get() as number;
    expect(insertAndCompare(traffic(12, 200, last))).toBeGreaterThan(50);
  });

  it('are dropped when a policy stops being an enabled p95 one, and counted again when it is one again', () => {
    alwaysBreaching();
    insertAndCompare(traffic(13, 1_000));
    const counted = db
      .prepare("SELECT count(*) FROM sys_scaling_over_counts WHERE policy = 'always-p95'")
      .pluck();
    expect(counted.get()).toBeGreaterThan(0);
    db.prepare("UPDATE sys_scaling_policies SET aggregate = 'avg' WHERE name = 'always-p95'").run();
    expect(counted.get()).toBe(0);
    expect(db.prepare('SELECT count_over FROM sys_scaling_series').pluck().get()).toBe(0);

    db.prepare("UPDATE sys_scaling_policies SET aggregate = 'p95' WHERE name = 'always-p95'").run();
    expect(expectOverCountsExact()).toBeGreaterThan(100);
    const last = db.prepare('SELECT max(ts) FROM sys_metrics').pluck().get() as number;
    expect(insertAndCompare(traffic(14, 200, last))).toBeGreaterThan(50);

    db.prepare("UPDATE sys_scaling_policies SET enabled = 0 WHERE name = 'always-p95'").run();
    expect(counted.get()).toBe(0);
    db.prepare("DELETE FROM sys_scaling_policies WHERE name = 'always-p95'").run();
    expect(db.prepare('SELECT count(*) FROM sys_scaling_over_counts').pluck().get()).toBe(0);
  });
});
