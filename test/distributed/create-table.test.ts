import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Clock,
  createDistributedTable,
  DistributedStore,
  freeTableName,
  openDatabase,
  PerNodeTableStore,
  type TableCatalog,
} from '../../engine/index.js';

let db: Database;
let catalog: TableCatalog;
let now: number;
/** What the data layer does while a create waits (called on each of its sleeps). */
let onSleep: () => void;
const columns = [
  { name: 'k', type: 'TEXT' },
  { name: 'v', type: 'REAL' },
];

beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
  now = 1_000;
  onSleep = () => {};
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      onSleep();
    },
  };
  catalog = {
    distributed: new DistributedStore(db, clock),
    perNode: new PerNodeTableStore(db, clock),
    clock,
  };
  db.prepare("INSERT INTO sys_nodes (id, status) VALUES ('n-1', 'ready'), ('n-2', 'ready')").run();
});
afterEach(() => db.close());

const status = (name: string) =>
  (
    db.prepare('SELECT status FROM sys_distributed_tables WHERE name = ?').get(name) as
      | { status: string }
      | undefined
  )?.status;

/** The rebalancer's part of a create: every shard placed on both nodes, the table applied. */
function placeAll(name: string) {
  const t = catalog.distributed.tables().get(name)!;
  for (const s of catalog.distributed.shards(t.colocationGroup)) {
    if (catalog.distributed.placements(t.colocationGroup, s.shard).length === 0) {
      catalog.distributed.createInitialPlacements(t.colocationGroup, s.shard, ['n-1', 'n-2']);
    }
  }
  catalog.distributed.markSchemaApplied(name);
}

/** The rebalancer's part of a drop: the group's placements dropped, then the table's row removed. */
function finishDrop(name: string) {
  const t = catalog.distributed.tables().get(name);
  if (!t) return;
  catalog.distributed.dropGroup(t.colocationGroup);
  for (const p of catalog.distributed.placements(t.colocationGroup)) {
    catalog.distributed.dropPlacement(p.colocationGroup, p.shard, p.nodeId);
  }
  catalog.distributed.removeTable(name);
}

describe('createDistributedTable', () => {
  it('records the table and answers once every shard is placed and the table applied', async () => {
    onSleep = () => placeAll('t');
    const created = await createDistributedTable(catalog, 't', { columns, shardBy: 'k', shards: 4 });
    expect(created).toEqual({ shards: 4, replicationFactor: 2 });
    expect(catalog.distributed.tables().get('t')).toMatchObject({ shardKey: 'k', status: 'active' });
    expect(catalog.distributed.placementProgress('t')).toEqual({ schemaApplied: true, unavailableShards: 0 });
  });

  it('a table whose shards are not placed in time times out and is dropped again', async () => {
    await expect(
      createDistributedTable(catalog, 't', { columns, shards: 2, timeoutMs: 200 }),
    ).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/shards of t were not placed \(is a data node ready\?\) within 200 ms/),
    });
    expect(status('t')).toBe('dropping');
  });

  it('a definition the catalog refuses changes nothing', async () => {
    await expect(createDistributedTable(catalog, 't', { columns, shardBy: 'nope' })).rejects.toThrow(
      /shard_key must be NULL \(hash _row\) or one of the columns/,
    );
    expect(status('t')).toBeUndefined();
  });
});

describe('freeTableName', () => {
  it('refuses an existing per-node or distributed table without replace, naming --replace', async () => {
    catalog.perNode.recordCreate('p', ['n-1', 'n-2'], null, columns);
    await expect(freeTableName(catalog, 'p', false, 1000)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(
        /table p already exists \(a per-node table on 2 node\(s\)\); load with --replace/,
      ),
    });
    catalog.distributed.createTable({ name: 'd', columns });
    await expect(freeTableName(catalog, 'd', false, 1000)).rejects.toThrow(/a distributed table\)/);
    expect(catalog.perNode.nodeCount('p')).toBe(2);
    expect(status('d')).toBe('active');
    await freeTableName(catalog, 'free', false, 1000);
  });

  it('with replace, forgets a per-node table and waits until a distributed one is dropped', async () => {
    catalog.perNode.recordCreate('p', ['n-1'], 'k', columns);
    await freeTableName(catalog, 'p', true, 1000);
    expect(catalog.perNode.nodeCount('p')).toBe(0);

    catalog.distributed.createTable({ name: 'd', columns, shardCount: 2 });
    placeAll('d');
    onSleep = () => finishDrop('d');
    await freeTableName(catalog, 'd', true, 1000);
    expect(status('d')).toBeUndefined();
  });

  it('with replace, times out while the drop does not finish (the table stays dropping)', async () => {
    catalog.distributed.createTable({ name: 'd', columns });
    await expect(freeTableName(catalog, 'd', true, 300)).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/table d was not dropped/),
    });
    expect(status('d')).toBe('dropping');
  });
});
