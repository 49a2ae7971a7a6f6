import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assignShards, fnv1a, openDatabase, PerNodeTableStore } from '../../engine/index.js';

let db: Database;
let store: PerNodeTableStore;
let now = 1_000;
beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
  store = new PerNodeTableStore(db, { now: () => now, sleep: async () => {} });
});
afterEach(() => db.close());

const rows = (name: string) =>
  db
    .prepare(
      'SELECT node_id, rows, shard_by, columns, updated_at FROM sys_tables WHERE table_name = ? ORDER BY node_id',
    )
    .all(name);

describe('PerNodeTableStore', () => {
  it('recordCreate records one empty row per node, replacing an earlier table of that name', () => {
    store.recordCreate('t', ['n-1', 'n-2', 'n-3'], null, [{ name: 'a', type: 'TEXT' }]);
    now = 2_000;
    store.recordCreate('t', ['n-2', 'n-4'], 'a', [{ name: 'a', type: 'INTEGER' }]);
    expect(rows('t')).toEqual([
      {
        node_id: 'n-2',
        rows: 0,
        shard_by: 'a',
        columns: '[{"name":"a","type":"INTEGER"}]',
        updated_at: 2_000,
      },
      {
        node_id: 'n-4',
        rows: 0,
        shard_by: 'a',
        columns: '[{"name":"a","type":"INTEGER"}]',
        updated_at: 2_000,
      },
    ]);
    expect(store.nodeCount('t')).toBe(2);
  });

  it('addRows adds each node its count; forget removes the table', () => {
    store.recordCreate('t', ['n-1', 'n-2'], null, []);
    store.addRows('t', new Map([['n-1', 3]]));
    store.addRows(
      't',
      new Map([
        ['n-1', 2],
        ['n-2', 7],
      ]),
    );
    expect(rows('t').map((r) => (r as { rows: number }).rows)).toEqual([5, 7]);
    store.forget('t');
    expect(store.nodeCount('t')).toBe(0);
  });

  it('a negative count is refused by the catalog and changes nothing', () => {
    store.recordCreate('t', ['n-1', 'n-2'], null, []);
    expect(() =>
      store.addRows(
        't',
        new Map([
          ['n-1', 4],
          ['n-2', -1],
        ]),
      ),
    ).toThrow(/sys_tables.rows must be >= 0/);
    expect(rows('t').map((r) => (r as { rows: number }).rows)).toEqual([0, 0]);
  });
});

describe('assignShards', () => {
  it('hashes the key column with FNV-1a (equal values together), or goes round-robin from the offset', () => {
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a(null)).toBe(fnv1a(''));
    const batch = [['x'], ['y'], ['x'], [null]];
    const byKey = assignShards(batch, 3, 0, 0);
    expect(byKey[0]).toBe(byKey[2]);
    expect(byKey).toEqual(batch.map((r) => fnv1a(r[0]) % 3));
    expect(assignShards(batch, 3, 5)).toEqual([2, 0, 1, 2]);
  });
});
