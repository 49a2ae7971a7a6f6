import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../engine/index.js';
import { writeSamples } from '../../../metrics/index.js';
import { events, insertPolicy, insertSamples, livePolicyNodes, policyDb } from './support.js';

let db: Database;
let cleanup: () => void;
beforeEach(() => {
  ({ db, cleanup } = policyDb());
});
afterEach(() => cleanup());

const CPU = 'infrabase_node_cpu_utilization_ratio';
const live = (policy: string) => livePolicyNodes(db, policy);
const round = (ts: number, values: readonly number[], labels = '{}') =>
  values.map((value, i) => ({ ts, nodeId: `n-${i}`, name: CPU, labels, value }));

describe('policy evaluation timing (at the first matching sample of each timestamp)', () => {
  it('evaluates once per timestamp, at its first sample, even with a zero cooldown', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 10,
      cooldown_ms: 0,
    });
    insertSamples(db, [
      [1_000, 0.9],
      [1_000, 0.9],
      [1_000, 0.9],
    ]);
    expect(events(db).map((e) => [e.ts, e.action])).toEqual([[1_000, 'scale_out']]);
    expect(live('cpu-high')).toHaveLength(1);
  });

  it('leaves samples of a timestamp written after its first one to the next timestamp’s window', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 10,
      aggregate: 'max',
    });
    // one heartbeat round in one transaction: the evaluation at its first sample sees only 0.1
    writeSamples(db, round(2_000, [0.1, 0.95, 0.95, 0.95]));
    expect(events(db)).toHaveLength(0);
    // the next round's first sample: window (3_000 - 60_000, 3_000] holds the late samples of ts 2_000
    writeSamples(db, round(3_000, [0.5, 0.5]));
    expect(events(db).map((e) => [e.ts, e.action, e.observed_value])).toEqual([[3_000, 'scale_out', 0.95]]);
  });

  it('does not evaluate at samples older than the last evaluated timestamp', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 10,
      cooldown_ms: 0,
      aggregate: 'max',
    });
    insertSamples(db, [[5_000, 0.5]]);
    insertSamples(db, [[4_000, 0.99]]); // late and breaching, but before the last evaluated ts
    expect(events(db)).toHaveLength(0);
    insertSamples(db, [[6_000, 0.5]]); // its window holds the late sample
    expect(events(db).map((e) => [e.ts, e.observed_value])).toEqual([[6_000, 0.99]]);
  });

  it('counts only samples that satisfy label_match as a timestamp’s first sample', () => {
    insertPolicy(db, {
      name: 'cpu-high',
      threshold: 0.8,
      action: 'scale_out',
      max_nodes: 10,
      label_match: '{"role":"data"}',
    });
    writeSamples(db, [
      ...round(1_000, [0.1], '{"role":"compute"}'),
      ...round(1_000, [0.9], '{"role":"data"}'),
    ]);
    expect(events(db).map((e) => [e.ts, e.observed_value])).toEqual([[1_000, 0.9]]);
  });

  it('forgets the evaluated timestamp of a deleted policy, so one re-created under its name evaluates again', () => {
    const policy = { name: 'cpu-high', threshold: 0.7, action: 'scale_out', max_nodes: 10 } as const;
    insertPolicy(db, policy);
    insertSamples(db, [[1_000, 0.5]]);
    db.prepare("DELETE FROM sys_scaling_policies WHERE name = 'cpu-high'").run();
    insertPolicy(db, policy);
    insertSamples(db, [[1_000, 0.99]]); // avg 0.745
    expect(events(db).map((e) => [e.ts, e.action])).toEqual([[1_000, 'scale_out']]);
  });
});
