import { afterEach, describe, expect, it } from 'vitest';
import { planPrimaries, seededRandom } from '../../engine/index.js';
import { Sim } from './simulation.js';

describe('planPrimaries (pure)', () => {
  it('spreads primaries that sit on two of three nodes to within one per node, touching only what it must', () => {
    // RF 2 over 3 nodes, primary always the lowest node id: n-2 holds none.
    const pairs = [
      ['n-0', 'n-1'],
      ['n-0', 'n-2'],
      ['n-1', 'n-2'],
    ];
    const shards = Array.from({ length: 32 }, (_, i) => ({
      key: `t/${i}`,
      primary: pairs[i % 3][0],
      inSync: pairs[i % 3],
    }));
    const changes = planPrimaries(shards, ['n-0', 'n-1', 'n-2']);
    const final = new Map(shards.map((s) => [s.key, changes.get(s.key) ?? s.primary]));
    const counts = ['n-0', 'n-1', 'n-2'].map((n) => [...final.values()].filter((p) => p === n).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    for (const s of shards) expect(s.inSync).toContain(final.get(s.key));
    for (const [k, n] of changes) expect(shards.find((s) => s.key === k)!.primary).not.toBe(n);
    // Already balanced: nothing to change.
    const again = shards.map((s) => ({ ...s, primary: final.get(s.key)! }));
    expect(planPrimaries(again, ['n-0', 'n-1', 'n-2']).size).toBe(0);
  });

  it('moves primaries off nodes that are not eligible (draining) when another copy is in sync', () => {
    const changes = planPrimaries(
      [
        { key: 'a', primary: 'd', inSync: ['d', 'x'] },
        { key: 'b', primary: 'd', inSync: ['d'] },
      ],
      ['x', 'y'],
    );
    expect([...changes]).toEqual([['a', 'x']]);
  });

  it('random layouts: every node within one of the others when each node holds copies of every shard', () => {
    const rnd = seededRandom(7);
    for (let trial = 0; trial < 50; trial++) {
      const nodes = Array.from({ length: 2 + Math.floor(rnd() * 4) }, (_, i) => `n-${i}`);
      const shards = Array.from({ length: 1 + Math.floor(rnd() * 64) }, (_, i) => ({
        key: `g/${i}`,
        primary: nodes[Math.floor(rnd() * nodes.length)],
        inSync: nodes,
      }));
      const changes = planPrimaries(shards, nodes);
      const counts = nodes.map((n) => shards.filter((s) => (changes.get(s.key) ?? s.primary) === n).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });
});

describe('primary balance in the rebalancer', () => {
  let sim: Sim | undefined;
  afterEach(() => sim?.close());

  it('3 data nodes, RF 2, 32 shards: each node holds 10 or 11 primaries; reads still answer every row', async () => {
    sim = new Sim({ maxConcurrentMoves: 2 });
    for (let i = 0; i < 3; i++) sim.addNode(`n-${i}`);
    sim.db
      .prepare(
        `INSERT INTO sys_distributed_tables (name, columns, replication_factor)
         VALUES ('kv', '[{"name":"k","type":"TEXT"}]', 2)`,
      )
      .run();
    await sim.settle();
    await sim.coordinator.insert(
      'kv',
      ['k'],
      Array.from({ length: 500 }, (_, i) => [`k${i}`]),
    );
    await sim.settle();
    const counts = (
      sim.db
        .prepare(
          "SELECT node_id, count(*) AS n FROM sys_placements WHERE role = 'primary' GROUP BY node_id ORDER BY node_id",
        )
        .all() as { node_id: string; n: number }[]
    ).map((r) => r.n);
    expect(counts).toHaveLength(3);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(32);
    let rows = 0;
    for (const s of sim.store.shards('kv')) {
      const q = await sim.coordinator.query(
        { colocationGroup: 'kv', shard: s.shard },
        'SELECT count(*) FROM kv',
        [],
      );
      rows += Number(q.rows[0][0]);
    }
    expect(rows).toBe(500);
    await sim.coordinator.insert('kv', ['k'], [['after']]); // writes go on under the new primaries and epochs
    expect((await sim.digests()).size).toBe(32);
  });
});
