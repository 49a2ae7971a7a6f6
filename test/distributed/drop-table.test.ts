import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyWrite } from '../../engine/index.js';
import { Sim } from './simulation.js';

let sim: Sim;
beforeEach(() => {
  sim = new Sim({ maxConcurrentMoves: 2 });
  for (let i = 0; i < 3; i++) sim.addNode(`n-${i}`);
});
afterEach(() => sim.close());

const files = () =>
  [...sim.files.entries()].flatMap(([node, f]) =>
    f.list().map((p) => `${node}:${p.colocationGroup}/${p.shard}`),
  );
const count = (sql: string) => (sim.db.prepare(sql).get() as { n: number }).n;

async function create(name: string, group: string | null = null) {
  sim.db
    .prepare(
      `INSERT INTO sys_distributed_tables (name, columns, shard_count, replication_factor, colocation_group)
       VALUES (?, '[{"name":"k","type":"TEXT"},{"name":"v","type":"INTEGER"}]', 4, 2, ?)`,
    )
    .run(name, group);
  await sim.settle();
  await sim.coordinator.insert(
    name,
    ['k', 'v'],
    Array.from({ length: 40 }, (_, i) => [`k${i}`, i]),
  );
}

describe('DROP TABLE of a distributed table', () => {
  it('is recognised from SQLite: DROP TABLE names the table, IF EXISTS of another table is not ours', () => {
    const tables = [...sim.store.tables().values()];
    expect(classifyWrite(tables, 'DROP TABLE kv', [])).toBeUndefined(); // no distributed table yet
  });

  it('removes the placement files on the agents, then the rows', async () => {
    await create('kv');
    expect(files()).toHaveLength(8);
    const tables = [...sim.store.tables().values()];
    expect(classifyWrite(tables, 'DROP TABLE kv', [])).toEqual({ kind: 'drop', table: 'kv' });
    expect(classifyWrite(tables, 'DROP TABLE IF EXISTS other', [])).toBeUndefined();
    expect(sim.coordinator.dropTable('kv')).toBe(1);
    expect(sim.store.tables().get('kv')?.status).toBe('dropping');
    // Writes and the name are refused while it drops.
    await expect(sim.coordinator.insert('kv', ['k', 'v'], [['x', 1]])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await sim.settle();
    expect(files()).toEqual([]);
    expect(count('SELECT count(*) AS n FROM sys_distributed_tables')).toBe(0);
    expect(count('SELECT count(*) AS n FROM sys_shards')).toBe(0);
    expect(count('SELECT count(*) AS n FROM sys_placements')).toBe(0);
    // The name is free again.
    await create('kv');
    expect(files()).toHaveLength(8);
  });

  it('is crash-safe: an unreachable node keeps the table `dropping` until its files are gone', async () => {
    await create('kv');
    sim.transport.down('n-1'); // unreachable, but not yet judged dead: its files must be deleted first
    sim.db.prepare("DELETE FROM sys_distributed_tables WHERE name = 'kv'").run();
    for (let i = 0; i < 5; i++) await sim.rebalancer.pass();
    expect(sim.store.tables().get('kv')?.status).toBe('dropping');
    const left = sim.db.prepare('SELECT DISTINCT node_id, state FROM sys_placements').all();
    expect(left).toEqual([{ node_id: 'n-1', state: 'dropping' }]);
    expect(files().filter((f) => !f.startsWith('n-1:'))).toEqual([]);
    // The control plane restarts (in-memory state lost); the node answers again.
    sim.restart();
    sim.transport.down('n-1', false);
    await sim.settle();
    expect(files()).toEqual([]);
    expect(count('SELECT count(*) AS n FROM sys_distributed_tables')).toBe(0);
  });

  it('a table colocated with others is dropped from each shard; the others keep their rows', async () => {
    await create('a');
    await create('b', 'a');
    sim.coordinator.dropTable('b');
    await sim.settle();
    expect([...sim.store.tables().keys()]).toEqual(['a']);
    expect(files()).toHaveLength(8);
    let rows = 0;
    for (const s of sim.store.shards('a')) {
      const q = await sim.coordinator.query(
        { colocationGroup: 'a', shard: s.shard },
        'SELECT count(*) FROM a',
        [],
      );
      rows += Number(q.rows[0][0]);
      for (const p of sim.store.inSync('a', s.shard)) {
        const t = await sim.transport.query(
          p.nodeId,
          'a',
          s.shard,
          "SELECT name FROM sqlite_schema WHERE name = 'b'",
          [],
        );
        expect(t.rows).toEqual([]);
      }
    }
    expect(rows).toBe(40);
  });
});
