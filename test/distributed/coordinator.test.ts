import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfrabaseError, shardForValue } from '../../engine/index.js';
import { Sim } from './simulation.js';

let sim: Sim;
beforeEach(() => {
  sim = new Sim();
});
afterEach(() => sim.close());

const createTable = (rf: number, shards = 8) =>
  sim.db
    .prepare(
      `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor)
       VALUES ('kv', '[{"name":"k","type":"TEXT"},{"name":"v","type":"INTEGER"}]', 'k', ?, ?)`,
    )
    .run(shards, rf);

const count = async () => {
  let n = 0;
  for (const s of sim.store.shards('kv')) {
    n += Number(
      (await sim.coordinator.query({ colocationGroup: 'kv', shard: s.shard }, 'SELECT count(*) FROM kv', []))
        .rows[0][0],
    );
  }
  return n;
};

describe('ShardCoordinator writes', () => {
  it('a new table is placed at its replication factor, and inserted rows land on every copy of their shard', async () => {
    for (const id of ['n-a', 'n-b', 'n-c']) sim.addNode(id);
    createTable(2);
    await sim.settle();
    expect(
      sim.db.prepare("SELECT count(*) AS n FROM sys_shard_status WHERE status <> 'available'").get(),
    ).toEqual({ n: 0 });
    const rows = Array.from({ length: 50 }, (_, i) => [`key-${i}`, i]);
    expect(await sim.coordinator.insert('kv', ['k', 'v'], rows)).toMatchObject({ rows: 50, evicted: [] });
    const digests = await sim.digests();
    expect([...digests.values()].every((d) => d.copies === 2)).toBe(true);
    expect([...digests.values()].reduce((n, d) => n + d.rows, 0)).toBe(50);
    expect(await count()).toBe(50);
  });

  it('a copy that misses a write leaves the in-sync set (epoch bumped) before the write is acknowledged', async () => {
    for (const id of ['n-a', 'n-b']) sim.addNode(id);
    createTable(2, 1);
    await sim.settle();
    const epoch = sim.store.shard('kv', 0).epoch;
    sim.transport.down('n-b');
    const r = await sim.coordinator.insert('kv', ['k', 'v'], [['x', 1]]);
    expect(r.evicted).toEqual(['kv/0@n-b']);
    expect(sim.store.inSync('kv', 0).map((p) => p.nodeId)).toEqual(['n-a']);
    expect(sim.store.shard('kv', 0)).toMatchObject({ epoch: epoch + 1, lsn: 2 });
  });

  it('a write no copy acknowledges fails; after recovery the unacknowledged batch is on every copy or on none', async () => {
    for (const id of ['n-a', 'n-b']) sim.addNode(id);
    createTable(2, 1);
    await sim.settle();
    sim.transport.failNext('n-a', 1);
    sim.transport.failNext('n-b', 1);
    await expect(sim.coordinator.insert('kv', ['k', 'v'], [['x', 1]])).rejects.toThrow(
      /not acknowledged by any in-sync placement/,
    );
    await sim.coordinator.insert('kv', ['k', 'v'], [['y', 2]]);
    await sim.digests(); // throws if the copies differ
    expect(await count()).toBe(1);
  });

  it('UPDATE and DELETE are evaluated once on the primary and their row images reach every copy', async () => {
    for (const id of ['n-a', 'n-b', 'n-c']) sim.addNode(id);
    createTable(3, 4);
    await sim.settle();
    await sim.coordinator.insert(
      'kv',
      ['k', 'v'],
      Array.from({ length: 20 }, (_, i) => [`k${i}`, i]),
    );
    expect(
      (await sim.coordinator.modify('kv', 'UPDATE kv SET v = -1 - abs(random() % 1000) WHERE v < ?', [10]))
        .rows,
    ).toBe(10);
    expect((await sim.coordinator.modify('kv', 'DELETE FROM kv WHERE v >= 15')).rows).toBe(5);
    await sim.digests();
    expect(await count()).toBe(15);
    await expect(sim.coordinator.modify('kv', "UPDATE kv SET k = 'other'")).rejects.toThrow(
      /changing the shard key k/,
    );
  });

  it('a stale coordinator (older epoch) cannot write to a copy that has seen a newer epoch', async () => {
    for (const id of ['n-a', 'n-b']) sim.addNode(id);
    createTable(2, 1);
    await sim.settle();
    const f = sim.files.get('n-a')!.get('kv', 0);
    f.fence(sim.store.shard('kv', 0).epoch + 5);
    await expect(sim.coordinator.insert('kv', ['k', 'v'], [['x', 1]])).rejects.toThrow(/stale epoch/);
    expect(sim.store.inSync('kv', 0)).toHaveLength(2);
  });

  it('a read whose placement moved away under it reads the shard again from the current in-sync set', async () => {
    for (const id of ['n-a', 'n-b']) sim.addNode(id);
    createTable(1, 1);
    await sim.settle();
    await sim.coordinator.insert(
      'kv',
      ['k', 'v'],
      [
        ['x', 1],
        ['y', 2],
      ],
    );
    // The node answers as an agent whose placement file a move just dropped.
    const query = sim.transport.query.bind(sim.transport);
    let gone = 1;
    sim.transport.query = async (...args: Parameters<typeof query>) => {
      if (gone-- > 0) throw new InfrabaseError('NOT_FOUND', `this node holds no placement of kv/0`);
      return query(...args);
    };
    expect(await count()).toBe(2);
  });

  it('replication factor 1 and a dead node: queries and writes fail naming the table and shards', async () => {
    for (const id of ['n-a', 'n-b']) sim.addNode(id);
    createTable(1, 4);
    await sim.settle();
    await sim.coordinator.insert(
      'kv',
      ['k', 'v'],
      Array.from({ length: 40 }, (_, i) => [`k${i}`, i]),
    );
    const lost = sim.store
      .placements('kv')
      .filter((p) => p.nodeId === 'n-a')
      .map((p) => p.shard);
    expect(lost.length).toBe(2);
    sim.killNode('n-a');
    await sim.settle();
    const down = sim.db
      .prepare("SELECT shard FROM sys_shard_status WHERE status = 'unavailable' ORDER BY shard")
      .all();
    expect(down.map((r) => (r as { shard: number }).shard)).toEqual(lost);
    await expect(
      sim.coordinator.query({ colocationGroup: 'kv', shard: lost[0] }, 'SELECT 1', []),
    ).rejects.toThrow(`table kv: shard ${lost[0]} has no available in-sync placement`);
    const keys = Array.from({ length: 200 }, (_, i) => `z${i * 7919}`);
    const touched = lost.filter((s) => keys.some((k) => shardForValue(k, 4) === s));
    expect(touched).toEqual(lost);
    await expect(
      sim.coordinator.insert(
        'kv',
        ['k', 'v'],
        keys.map((k) => [k, 1]),
      ),
    ).rejects.toThrow(new RegExp(`table kv: shards ${lost.join(', ')} have no available in-sync placement`));
  });

  it('rows pinned to a region are refused when their region is not one of the table', async () => {
    sim.addNode('n-a', { region: 'eu-west' });
    sim.db
      .prepare(
        `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor, region_column, regions)
         VALUES ('p', '[{"name":"k","type":"TEXT"},{"name":"region","type":"TEXT"}]', 'k', 2, 1, 'region', '["eu-west"]')`,
      )
      .run();
    await sim.settle();
    await expect(sim.coordinator.insert('p', ['k', 'region'], [['a', 'mars']])).rejects.toThrow(
      /p.region = "mars" is not a region of the table; accepted: eu-west/,
    );
    expect(sim.db.prepare("SELECT next_row FROM sys_distributed_tables WHERE name = 'p'").get()).toEqual({
      next_row: 1,
    });
  });
});
