import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shardHashRange } from '../../engine/distributed/index.js';
import { openDatabase } from '../../engine/index.js';

let db: Database;
beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
});
afterEach(() => db.close());

const cols = JSON.stringify([
  { name: 'id', type: 'INTEGER' },
  { name: 'region', type: 'TEXT' },
  { name: 'v', type: 'REAL' },
]);
const create = (sql: string, ...params: unknown[]) => db.prepare(sql).run(...params);
const table = (name: string) =>
  db.prepare('SELECT * FROM sys_distributed_tables WHERE name = ?').get(name) as Record<string, unknown>;
const shards = (group: string) =>
  db
    .prepare(
      'SELECT shard, region, hash_min, hash_max FROM sys_shards WHERE colocation_group = ? ORDER BY shard',
    )
    .all(group) as { shard: number; region: string | null; hash_min: number; hash_max: number }[];

describe('sys_distributed_tables', () => {
  it('an INSERT creates the table with 32 shards whose hash ranges tile 0 … 2^32 − 1 as shardHashRange says', () => {
    create("INSERT INTO sys_distributed_tables (name, columns, shard_key) VALUES ('t', ?, 'id')", cols);
    expect(table('t')).toMatchObject({ kind: 'distributed', shard_count: 32, colocation_group: 't' });
    const s = shards('t');
    expect(s).toHaveLength(32);
    expect(s[0].hash_min).toBe(0);
    expect(s[31].hash_max).toBe(2 ** 32 - 1);
    for (const [i, r] of s.entries()) {
      expect({ min: r.hash_min, max: r.hash_max }).toEqual(shardHashRange(i, 32));
      if (i > 0) expect(r.hash_min).toBe(s[i - 1].hash_max + 1);
    }
  });

  it('uneven shard counts still match shardHashRange exactly', () => {
    for (const n of [1, 3, 7, 100, 4096]) {
      create(
        'INSERT INTO sys_distributed_tables (name, columns, shard_count) VALUES (?, ?, ?)',
        `t${n}`,
        cols,
        n,
      );
      const s = shards(`t${n}`);
      expect(s).toHaveLength(n);
      for (const [i, r] of s.entries())
        expect({ min: r.hash_min, max: r.hash_max }).toEqual(shardHashRange(i, n));
    }
  });

  it('replication factor defaults to 1 with fewer than two data nodes and 2 with two or more', () => {
    create("INSERT INTO sys_distributed_tables (name, columns) VALUES ('a', ?)", cols);
    create("INSERT INTO sys_nodes (id) VALUES ('n-1'), ('n-2')");
    create("INSERT INTO sys_distributed_tables (name, columns) VALUES ('b', ?)", cols);
    create("INSERT INTO sys_distributed_tables (name, columns, replication_factor) VALUES ('c', ?, 3)", cols);
    expect(table('a').replication_factor).toBe(1);
    expect(table('b').replication_factor).toBe(2);
    expect(table('c').replication_factor).toBe(3);
  });

  it('a reference table has one shard in the group "reference"', () => {
    create("INSERT INTO sys_distributed_tables (name, kind, columns) VALUES ('r', 'reference', ?)", cols);
    expect(table('r')).toMatchObject({ shard_count: 1, colocation_group: 'reference' });
    expect(shards('reference')).toHaveLength(1);
  });

  it('a pinned table has shard_count shards per region, each naming its region', () => {
    create(
      `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, region_column, regions)
       VALUES ('p', ?, 'id', 4, 'region', '["eu-west","us-east"]')`,
      cols,
    );
    const s = shards('p');
    expect(s.map((r) => [r.shard, r.region])).toEqual([
      [0, 'eu-west'],
      [1, 'eu-west'],
      [2, 'eu-west'],
      [3, 'eu-west'],
      [4, 'us-east'],
      [5, 'us-east'],
      [6, 'us-east'],
      [7, 'us-east'],
    ]);
    expect({ min: s[5].hash_min, max: s[5].hash_max }).toEqual(shardHashRange(1, 4));
  });

  it('tables of one colocation group share its shards; another shard count is refused', () => {
    create("INSERT INTO sys_distributed_tables (name, columns, shard_count) VALUES ('a', ?, 8)", cols);
    create(
      "INSERT INTO sys_distributed_tables (name, columns, shard_count, colocation_group) VALUES ('b', ?, 8, 'a')",
      cols,
    );
    expect(shards('a')).toHaveLength(8);
    expect(() =>
      create(
        "INSERT INTO sys_distributed_tables (name, columns, shard_count, colocation_group) VALUES ('c', ?, 4, 'a')",
        cols,
      ),
    ).toThrow(/group has another shard count/);
  });

  it.each([
    ["shard_key 'nope'", ['t', cols, 'nope'], /shard_key must be NULL .* or one of the columns/],
    ['a _row column', ['t', '[{"name":"_row","type":"INTEGER"}]', null], /_row is reserved/],
    [
      'a bad type',
      ['t', '[{"name":"a","type":"VARCHAR"}]', null],
      /a type of INTEGER, REAL, TEXT, BLOB, NUMERIC/,
    ],
    ['duplicate columns', ['t', '[{"name":"a","type":"TEXT"},{"name":"A","type":"TEXT"}]', null], /unique/],
    ['a sys_ name', ['sys_x', cols, null], /not sys_/],
  ])('refuses %s with a message saying what is accepted, and creates nothing', (_what, values, message) => {
    const sql = 'INSERT INTO sys_distributed_tables (name, columns, shard_key) VALUES (?, ?, ?)';
    expect(() => db.prepare(sql).run(...values)).toThrow(message);
    expect(db.prepare('SELECT count(*) AS n FROM sys_shards').get()).toEqual({ n: 0 });
  });

  it('the definition is immutable but the replication factor may change', () => {
    create("INSERT INTO sys_distributed_tables (name, columns) VALUES ('t', ?)", cols);
    expect(() => create("UPDATE sys_distributed_tables SET shard_count = 8 WHERE name = 't'")).toThrow(
      /only replication_factor/,
    );
    create("UPDATE sys_distributed_tables SET replication_factor = 3 WHERE name = 't'");
    expect(table('t').replication_factor).toBe(3);
  });

  it('DELETE marks the table dropping; a second DELETE of a dropping table removes it and its shards', () => {
    create("INSERT INTO sys_distributed_tables (name, columns, shard_count) VALUES ('t', ?, 2)", cols);
    expect(create("DELETE FROM sys_distributed_tables WHERE name = 't'").changes).toBe(0);
    expect(table('t').status).toBe('dropping');
    create("DELETE FROM sys_distributed_tables WHERE name = 't'");
    expect(table('t')).toBeUndefined();
    expect(shards('t')).toEqual([]);
  });

  it('sys_shard_status says unavailable, under_replicated or available from in-sync placements on ready nodes', () => {
    create(
      "INSERT INTO sys_nodes (id, status) VALUES ('n-1', 'ready'), ('n-2', 'ready'), ('n-3', 'ready'), ('n-4', 'unreachable')",
    );
    create(
      "INSERT INTO sys_distributed_tables (name, columns, shard_count, replication_factor) VALUES ('t', ?, 4, 2)",
      cols,
    );
    create(`INSERT INTO sys_placements (colocation_group, shard, node_id, role, state) VALUES
      ('t', 1, 'n-1', 'primary', 'in_sync'),
      ('t', 2, 'n-1', 'primary', 'in_sync'), ('t', 2, 'n-2', 'replica', 'in_sync'), ('t', 2, 'n-3', 'replica', 'copying'),
      ('t', 3, 'n-4', 'primary', 'in_sync')`);
    const status = db
      .prepare(
        "SELECT shard, in_sync, status FROM sys_shard_status WHERE colocation_group = 't' ORDER BY shard",
      )
      .all();
    expect(status).toEqual([
      { shard: 0, in_sync: 0, status: 'unavailable' },
      { shard: 1, in_sync: 1, status: 'under_replicated' },
      { shard: 2, in_sync: 2, status: 'available' },
      { shard: 3, in_sync: 0, status: 'unavailable' },
    ]);
  });

  it('a shard has at most one primary, and a primary is in_sync', () => {
    create("INSERT INTO sys_distributed_tables (name, columns, shard_count) VALUES ('t', ?, 1)", cols);
    create(
      "INSERT INTO sys_placements (colocation_group, shard, node_id, role, state) VALUES ('t', 0, 'n-1', 'primary', 'in_sync')",
    );
    expect(() =>
      create(
        "INSERT INTO sys_placements (colocation_group, shard, node_id, role, state) VALUES ('t', 0, 'n-2', 'primary', 'in_sync')",
      ),
    ).toThrow(/UNIQUE/);
    expect(() =>
      create(
        "INSERT INTO sys_placements (colocation_group, shard, node_id, role, state) VALUES ('t', 0, 'n-3', 'primary', 'copying')",
      ),
    ).toThrow(/primary placement must be in_sync/);
  });
});
