import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planSqlWrite, queryShards } from '../../engine/index.js';
import { Sim } from './simulation.js';

let sim: Sim;
beforeEach(async () => {
  sim = new Sim();
  sim.addNode('n-a');
  sim.addNode('n-b');
  sim.store.createTable({
    name: 'kv',
    columns: [
      { name: 'k', type: 'TEXT' },
      { name: 'v', type: 'INTEGER' },
    ],
    shardKey: 'k',
    shardCount: 4,
    replicationFactor: 1,
  });
  await sim.settle();
});
afterEach(() => sim.close());

describe('planSqlWrite', () => {
  it('leaves statements that write no distributed table to the SQL pool', () => {
    expect(planSqlWrite(sim.coordinator, 'SELECT * FROM kv', [])).toBeUndefined();
    expect(planSqlWrite(sim.coordinator, 'CREATE TABLE local_t (a)', [])).toBeUndefined();
  });

  it('routes an INSERT by shard key, then an UPDATE through the primaries; changes counts rows', async () => {
    const insert = planSqlWrite(sim.coordinator, "INSERT INTO kv (k, v) VALUES ('a', 1), ('b', 2), (?, ?)", [
      'c',
      3,
    ]);
    expect(insert).toMatchObject({ kind: 'insert', table: 'kv' });
    expect(await insert!.execute()).toEqual({ changes: 3 });
    const update = planSqlWrite(sim.coordinator, 'UPDATE kv SET v = v * 10 WHERE v >= ?', [2]);
    expect(await update!.execute()).toEqual({ changes: 2 });
    const all = await queryShards(sim.coordinator, 'kv', 'SELECT k, v FROM kv ORDER BY k', []);
    expect(all.columns).toEqual(['_shard', 'k', 'v']);
    expect(all.shards).toBe(4);
    expect(all.rows.map((r) => r.slice(1)).sort()).toEqual([
      ['a', 1],
      ['b', 20],
      ['c', 30],
    ]);
  });

  it('refuses named parameters for an UPDATE when run, changing nothing', async () => {
    await planSqlWrite(sim.coordinator, "INSERT INTO kv (k, v) VALUES ('a', 1)", [])!.execute();
    const update = planSqlWrite(sim.coordinator, 'UPDATE kv SET v = :v', { v: 5 });
    await expect(update!.execute()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const all = await queryShards(sim.coordinator, 'kv', 'SELECT v FROM kv', []);
    expect(all.rows.map((r) => r[1])).toEqual([1]);
  });

  it('DROP TABLE marks the table dropping', async () => {
    const drop = planSqlWrite(sim.coordinator, 'DROP TABLE kv', []);
    expect(await drop!.execute()).toEqual({ changes: 1 });
    expect(sim.store.tables().get('kv')?.status).toBe('dropping');
  });
});

describe('queryShards', () => {
  it('names the table and every shard without an available copy, never a partial answer', async () => {
    sim.transport.down('n-a');
    const shardsOnA = sim.store
      .placements('kv')
      .filter((p) => p.nodeId === 'n-a')
      .map((p) => p.shard);
    expect(shardsOnA.length).toBeGreaterThan(0);
    await expect(queryShards(sim.coordinator, 'kv', 'SELECT * FROM kv', [])).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(
        `table kv: shard${shardsOnA.length > 1 ? 's' : ''} ${shardsOnA.join(', ')}`,
      ),
    });
    await expect(queryShards(sim.coordinator, 'nope', 'SELECT 1', [])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
