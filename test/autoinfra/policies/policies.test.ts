import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../engine/index.js';
import {
  events,
  insertPolicy,
  insertSamples,
  livePolicyNodes,
  markReady,
  policyDb,
  policyNodes,
} from './support.js';

let db: Database;
let path: string;
let cleanup: () => void;
beforeEach(() => {
  ({ db, path, cleanup } = policyDb());
});
afterEach(() => cleanup());

const live = (policy: string) => livePolicyNodes(db, policy);

describe('scale-out policies', () => {
  it('creates node rows from the template in the transaction of the breaching samples', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 5,
      step: 2,
      node_template:
        '{"provider":"aws","region":"eu-west-1","instance_type":"t3.small","role":"compute","labels":{"pool":"web"}}',
    });
    const insert = db.prepare(
      "INSERT INTO sys_metrics (ts, name, labels, value) VALUES (?, 'infrabase_node_cpu_utilization_ratio', '{}', ?)",
    );
    const seenInside = db.transaction(() => {
      insert.run(1_000, 0.9);
      return policyNodes(db, 'cpu-high').length;
    })();
    expect(seenInside).toBe(2);
    const rows = db
      .prepare(
        "SELECT provider, region, instance_type, role, labels, status FROM sys_nodes WHERE created_by = 'policy:cpu-high'",
      )
      .all();
    expect(rows).toEqual([
      {
        provider: 'aws',
        region: 'eu-west-1',
        instance_type: 't3.small',
        role: 'compute',
        labels: '{"pool":"web"}',
        status: 'pending',
      },
      {
        provider: 'aws',
        region: 'eu-west-1',
        instance_type: 't3.small',
        role: 'compute',
        labels: '{"pool":"web"}',
        status: 'pending',
      },
    ]);
    const [event] = events(db);
    expect(event).toMatchObject({
      ts: 1_000,
      policy: 'cpu-high',
      action: 'scale_out',
      observed_value: 0.9,
      nodes_before: 0,
      nodes_after: 2,
    });
    expect(JSON.parse(event.node_ids).sort()).toEqual(
      policyNodes(db, 'cpu-high')
        .map((n) => n.id)
        .sort(),
    );
  });

  it('leaves no node rows or events when the sample transaction rolls back', () => {
    insertPolicy(db, { name: 'cpu-high', threshold: 0.8, action: 'scale_out', max_nodes: 5 });
    const insert = db.prepare(
      "INSERT INTO sys_metrics (ts, name, labels, value) VALUES (?, 'infrabase_node_cpu_utilization_ratio', '{}', ?)",
    );
    expect(() =>
      db.transaction(() => {
        insert.run(1_000, 0.95);
        throw new Error('batch failed');
      })(),
    ).toThrow('batch failed');
    expect(db.prepare('SELECT count(*) FROM sys_nodes').pluck().get()).toBe(0);
    expect(events(db)).toEqual([]);
  });

  it('does nothing while the window aggregate does not breach the threshold', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 5,
      window_ms: 60_000,
    });
    insertSamples(db, [
      [1_000, 0.5],
      [2_000, 0.6],
      [3_000, 0.95],
    ]);
    expect(live('cpu-high')).toHaveLength(0);
    expect(events(db)).toEqual([]);
  });

  it('takes no action during the cooldown that follows an action', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 10,
      cooldown_ms: 60_000,
    });
    insertSamples(db, [[0, 0.9]]);
    insertSamples(db, [
      [10_000, 0.9],
      [59_999, 0.99],
    ]);
    expect(live('cpu-high')).toHaveLength(1);
    insertSamples(db, [[60_000, 0.9]]);
    expect(live('cpu-high')).toHaveLength(2);
    expect(events(db).map((e) => e.ts)).toEqual([0, 60_000]);
  });

  it('never creates nodes above max_nodes, counting user-created nodes of the same pool', () => {
    db.prepare(`INSERT INTO sys_nodes (id, labels) VALUES ('user-1', '{"pool":"web"}')`).run();
    db.prepare(`INSERT INTO sys_nodes (id, labels) VALUES ('other-1', '{"pool":"db"}')`).run();
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 3,
      step: 5,
      cooldown_ms: 0,
    });
    insertSamples(db, [
      [1_000, 0.9],
      [2_000, 0.9],
      [3_000, 0.9],
    ]);
    expect(live('cpu-high')).toHaveLength(2);
    const evs = events(db);
    expect(evs[0]).toMatchObject({ action: 'scale_out', nodes_before: 1, nodes_after: 3 });
    expect(evs[1]).toMatchObject({ action: 'none', nodes_before: 3, nodes_after: 3 });
    expect(evs[1].reason).toContain('at max_nodes 3');
  });

  it('only evaluates samples whose labels hold every label of label_match', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.75,
      action: 'scale_out',
      max_nodes: 5,
      label_match: '{"role":"data"}',
    });
    insertSamples(db, [[1_000, 0.99]], 'infrabase_node_cpu_utilization_ratio', '{"role":"compute"}');
    expect(live('cpu-high')).toHaveLength(0);
    insertSamples(db, [[2_000, 0.5]], 'infrabase_node_cpu_utilization_ratio', '{"az":"a","role":"data"}');
    insertSamples(db, [[3_000, 0.9]], 'infrabase_node_cpu_utilization_ratio', '{"role":"data"}');
    // avg over the matching samples is 0.7; with the compute sample (0.99) it would be 0.797 > 0.75
    expect(live('cpu-high')).toHaveLength(0);
    insertSamples(db, [[4_000, 1]], 'infrabase_node_cpu_utilization_ratio', '{"role":"data"}');
    expect(live('cpu-high')).toHaveLength(1);
  });

  it('computes p95 as the nearest-rank percentile of the window', () => {
    insertPolicy(db, {
      name: 'lat-high',
      metric: 'infrabase_request_seconds',
      aggregate: 'p95',
      threshold: 0.5,
      action: 'scale_out',
      max_nodes: 5,
      window_ms: 1_000_000,
    });
    // 20 samples 0.01..0.20 then one of 0.6: nearest rank ceil(0.95*21)=20 → 0.20, no breach
    insertSamples(
      db,
      Array.from({ length: 20 }, (_, i) => [i + 1, (i + 1) / 100] as const),
      'infrabase_request_seconds',
    );
    insertSamples(db, [[100, 0.6]], 'infrabase_request_seconds');
    expect(live('lat-high')).toHaveLength(0);
    // a second high sample: rank 21 of 22 → 0.6 breaches
    insertSamples(db, [[101, 0.7]], 'infrabase_request_seconds');
    expect(live('lat-high')).toHaveLength(1);
    expect(events(db)[0].observed_value).toBe(0.6);
  });

  it('works from a connection that did not load the extension', () => {
    insertPolicy(db, { name: 'cpu-high', threshold: 0.8, action: 'scale_out', max_nodes: 5 });
    const plain = new BetterSqlite3(path);
    try {
      plain
        .prepare(
          "INSERT INTO sys_metrics (ts, name, value) VALUES (1, 'infrabase_node_cpu_utilization_ratio', 0.9)",
        )
        .run();
    } finally {
      plain.close();
    }
    expect(live('cpu-high')).toHaveLength(1);
  });

  it('ignores samples of metrics no policy watches and disabled policies', () => {
    insertPolicy(db, { name: 'cpu-high', threshold: 0.8, action: 'scale_out', max_nodes: 5 });
    db.prepare(`INSERT INTO sys_scaling_policies (name, metric, threshold, action, max_nodes, enabled)
                VALUES ('off', 'infrabase_node_cpu_utilization_ratio', 0.1, 'scale_out', 5, 0)`).run();
    insertSamples(db, [[1_000, 0.99]], 'infrabase_something_else');
    expect(db.prepare('SELECT count(*) FROM sys_nodes').pluck().get()).toBe(0);
    insertSamples(db, [[2_000, 0.9]]);
    expect(live('cpu-high')).toHaveLength(1);
    expect(live('off')).toHaveLength(0);
  });
});

describe('scale-in policies', () => {
  function scaleOutThree() {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 10,
      step: 3,
      cooldown_ms: 0,
    });
    insertSamples(db, [[0, 0.9]]);
    markReady(db);
    db.prepare("UPDATE sys_scaling_policies SET enabled = 0 WHERE name = 'cpu-high'").run();
  }

  it('retires the newest policy-created ready nodes through the DELETE finalizer', () => {
    db.prepare(
      `INSERT INTO sys_nodes (id, labels, status, idempotency_token) VALUES ('user-1', '{"pool":"web"}', 'ready', 't-user')`,
    ).run();
    scaleOutThree();
    const [oldest, middle, newest] = policyNodes(db, 'cpu-high').map((n) => n.id);
    insertPolicy(db, {
      name: 'cpu-low',
      threshold: 0.2,
      action: 'scale_in',
      max_nodes: 10,
      step: 2,
      cooldown_ms: 0,
    });
    insertSamples(db, [[600_000, 0.05]]);
    const states = Object.fromEntries(policyNodes(db, 'cpu-high').map((n) => [n.id, n.desired_state]));
    expect(states).toEqual({ [oldest]: 'running', [middle]: 'terminated', [newest]: 'terminated' });
    expect(db.prepare("SELECT desired_state FROM sys_nodes WHERE id = 'user-1'").pluck().get()).toBe(
      'running',
    );
    const scaleIn = events(db).find((e) => e.policy === 'cpu-low');
    expect(scaleIn).toMatchObject({ action: 'scale_in', nodes_before: 4, nodes_after: 2 });
    expect(JSON.parse(scaleIn!.node_ids)).toEqual([newest, middle]);
  });

  it('never retires below min_nodes', () => {
    scaleOutThree();
    insertPolicy(db, {
      name: 'cpu-low',
      threshold: 0.2,
      action: 'scale_in',
      max_nodes: 10,
      min_nodes: 2,
      step: 5,
      cooldown_ms: 0,
    });
    insertSamples(db, [
      [600_000, 0.05],
      [601_000, 0.05],
    ]);
    expect(live('cpu-high')).toHaveLength(2);
    const evs = events(db).filter((e) => e.policy === 'cpu-low');
    expect(evs.map((e) => [e.action, e.nodes_before, e.nodes_after])).toEqual([
      ['scale_in', 3, 2],
      ['none', 2, 2],
    ]);
    expect(evs[1].reason).toContain('at min_nodes 2');
  });

  it('never retires nodes that are not ready or were created by users', () => {
    db.prepare(
      `INSERT INTO sys_nodes (id, labels, status, idempotency_token) VALUES ('user-1', '{"pool":"web"}', 'ready', 't-user')`,
    ).run();
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 10,
      cooldown_ms: 0,
    });
    insertSamples(db, [[0, 0.9]]); // stays pending
    insertPolicy(db, { name: 'cpu-low', threshold: 0.2, action: 'scale_in', max_nodes: 10, cooldown_ms: 0 });
    db.prepare("UPDATE sys_scaling_policies SET enabled = 0 WHERE name = 'cpu-high'").run();
    insertSamples(db, [[600_000, 0.05]]);
    expect(db.prepare("SELECT count(*) FROM sys_nodes WHERE desired_state = 'running'").pluck().get()).toBe(
      2,
    );
    const [event] = events(db).filter((e) => e.policy === 'cpu-low');
    expect(event).toMatchObject({ action: 'none', node_ids: '[]' });
    expect(event.reason).toContain('no ready policy-created node to retire');
  });
});

describe('policy validation', () => {
  const invalid: [string, string, string][] = [
    [
      'a metric that is not a Prometheus name',
      `metric = 'cpu load'`,
      'metric must be a Prometheus metric name',
    ],
    ['label_match with a number value', `label_match = '{"role":1}'`, 'label_match must map label names'],
    ['an unknown template key', `node_template = '{"flavor":"big"}'`, 'node_template accepts only the keys'],
    [
      'an unknown provider',
      `node_template = '{"provider":"azure"}'`,
      'provider must be one of: local, aws, gcp',
    ],
    ['an unknown role', `node_template = '{"role":"gpu"}'`, 'role must be one of: data, compute'],
    [
      'template labels that are not strings',
      `node_template = '{"labels":{"pool":7}}'`,
      'labels must be an object of string values',
    ],
    ['a template spec that is not an object', `node_template = '{"spec":[1]}'`, 'spec must be a JSON object'],
    ['scale_out with max_nodes 0', `max_nodes = 0`, 'max_nodes must be >= 1 for a scale_out policy'],
    ['max_nodes below min_nodes', `min_nodes = 3`, 'max_nodes must be >= min_nodes'],
    ['an unknown aggregate', `aggregate = 'median'`, 'aggregate must be one of: avg, max, min, p95'],
  ];
  for (const [what, assignment, message] of invalid) {
    it(`rejects ${what} on insert and on update with a message saying what is accepted`, () => {
      const [column, value] = assignment.split(' = ');
      const base: Record<string, string> = {
        name: "'p'",
        metric: "'cpu'",
        threshold: '0.8',
        action: "'scale_out'",
        max_nodes: column === 'min_nodes' ? '2' : '5',
      };
      const cols = { ...base, [column]: value };
      const sql = `INSERT INTO sys_scaling_policies (${Object.keys(cols).join(', ')}) VALUES (${Object.values(cols).join(', ')})`;
      expect(() => db.prepare(sql).run()).toThrow(message);
      db.prepare(
        `INSERT INTO sys_scaling_policies (${Object.keys(base).join(', ')}) VALUES (${Object.values(base).join(', ')})`,
      ).run();
      expect(() =>
        db.prepare(`UPDATE sys_scaling_policies SET ${assignment} WHERE name = 'p'`).run(),
      ).toThrow(message);
    });
  }
});
