import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../engine/index.js';
import { readTrace, replay, scaleActions } from './replay.js';
import { insertPolicy, policyDb } from './support.js';

let db: Database;
let cleanup: () => void;
beforeEach(() => {
  ({ db, cleanup } = policyDb());
  db.prepare(
    `INSERT INTO sys_nodes (id, labels, status, idempotency_token) VALUES ('seed-1', '{"pool":"web"}', 'ready', 'tok-seed')`,
  ).run();
});
afterEach(() => cleanup());

const COOLDOWN_MS = 15 * 60_000;
const MIN = 1;
const MAX = 6;

function installPolicies(high: number, low: number) {
  const common = { window_ms: 15 * 60_000, cooldown_ms: COOLDOWN_MS, min_nodes: MIN, max_nodes: MAX };
  insertPolicy(db, { name: 'cpu-high', threshold: high, action: 'scale_out', ...common });
  insertPolicy(db, { name: 'cpu-low', threshold: low, action: 'scale_in', ...common });
}

function assertBoundsAndCooldown(poolSizes: number[]) {
  expect(Math.max(...poolSizes)).toBeLessThanOrEqual(MAX);
  expect(Math.min(...poolSizes)).toBeGreaterThanOrEqual(MIN);
  const all = db
    .prepare('SELECT ts, policy, action, nodes_before, nodes_after FROM sys_scaling_events ORDER BY id')
    .all() as {
    ts: number;
    policy: string;
    action: string;
    nodes_before: number;
    nodes_after: number;
  }[];
  for (const e of all) {
    expect(e.nodes_after).toBeLessThanOrEqual(MAX);
    expect(e.nodes_after).toBeGreaterThanOrEqual(MIN);
  }
  for (const policy of ['cpu-high', 'cpu-low']) {
    const ts = all.filter((e) => e.policy === policy).map((e) => e.ts);
    for (let i = 1; i < ts.length; i++) expect(ts[i] - ts[i - 1]).toBeGreaterThanOrEqual(COOLDOWN_MS);
  }
}

describe('replaying real AWS CPU traces (NAB) through a scale-out and a scale-in policy', () => {
  it('keeps the pool within bounds and each policy outside its cooldown on the ASG misconfiguration trace', () => {
    installPolicies(0.6, 0.3);
    const trace = readTrace('nab_cpu_utilization_asg_misconfiguration.csv');
    const stats = replay(db, trace, { metric: 'infrabase_node_cpu_utilization_ratio', scale: 100, batch: 6 });
    expect(stats.samples).toBe(18_050);
    assertBoundsAndCooldown(stats.poolSizes);
    const actions = scaleActions(db);
    expect(actions.some((a) => a.action === 'scale_out')).toBe(true);
    expect(actions.some((a) => a.action === 'scale_in')).toBe(true);
  });

  it('scales out to max_nodes and no further on the high-baseline EC2 trace 825cc2', () => {
    installPolicies(0.8, 0.3);
    const trace = readTrace('nab_ec2_cpu_utilization_825cc2.csv');
    const stats = replay(db, trace, { metric: 'infrabase_node_cpu_utilization_ratio', scale: 100, batch: 6 });
    assertBoundsAndCooldown(stats.poolSizes);
    expect(Math.max(...stats.poolSizes)).toBe(MAX);
    const outs = scaleActions(db).filter((a) => a.action === 'scale_out');
    expect(outs.slice(0, MAX - 1).map((a) => a.nodes_after)).toEqual([2, 3, 4, 5, 6]);
    expect(
      db.prepare("SELECT count(*) FROM sys_scaling_events WHERE reason LIKE '%at max_nodes 6'").pluck().get(),
    ).toBeGreaterThan(0);
  });
});
