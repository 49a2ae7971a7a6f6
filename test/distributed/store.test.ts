import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DistributedStore, openDatabase, shardStatus } from '../../engine/index.js';

let db: Database;
let store: DistributedStore;
const now = 1_000;
const clock = { now: () => now, sleep: async () => {} };
beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true });
  store = new DistributedStore(db, clock);
  db.prepare(
    `INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor)
     VALUES ('t', '[{"name":"k","type":"TEXT"}]', 'k', 2, 2)`,
  ).run();
});
afterEach(() => db.close());

const states = (shard = 0) => store.placements('t', shard).map((p) => `${p.nodeId}:${p.role}:${p.state}`);

describe('DistributedStore transitions', () => {
  it('createInitialPlacements makes empty in-sync placements, the first primary, under epoch 1', () => {
    expect(store.createInitialPlacements('t', 0, ['n-a', 'n-b'])).toBe(1);
    expect(states()).toEqual(['n-a:primary:in_sync', 'n-b:replica:in_sync']);
    expect(store.shard('t', 0).epoch).toBe(1);
    expect(() => store.createInitialPlacements('t', 0, ['n-c'])).toThrow(/already has placements/);
  });

  it('a move goes planned → copying → catching_up → done; the target takes over the primary role', () => {
    store.createInitialPlacements('t', 0, ['n-a', 'n-b']);
    store.recordWrite('t', 0, 5);
    const id = store.planMove('t', 0, 'move', 'n-c', 'n-a');
    expect(states()).toContain('n-c:replica:copying');
    store.startCopy(id, 'n-a');
    store.startCatchUp(id, 3, 4096);
    expect(store.move(id)).toMatchObject({ state: 'catching_up', snapshotLsn: 3, bytes: 4096 });
    expect(() => store.completeMove(id, 4)).toThrow(/target at lsn 4, shard at 5/);
    expect(store.completeMove(id, 5)).toBe(2);
    expect(states()).toEqual(['n-c:primary:in_sync', 'n-a:replica:dropping', 'n-b:replica:in_sync']);
    expect(store.move(id).state).toBe('done');
    store.dropPlacement('t', 0, 'n-a');
    expect(states()).toEqual(['n-c:primary:in_sync', 'n-b:replica:in_sync']);
  });

  it('one unfinished move per shard, never to a node that already holds it', () => {
    store.createInitialPlacements('t', 0, ['n-a', 'n-b']);
    expect(() => store.planMove('t', 0, 'replicate', 'n-b')).toThrow(/already holds/);
    store.planMove('t', 0, 'replicate', 'n-c');
    expect(() => store.planMove('t', 0, 'replicate', 'n-d')).toThrow(/already has a move/);
  });

  it('failMove records the reason and marks the target placement dropping', () => {
    store.createInitialPlacements('t', 0, ['n-a']);
    const id = store.planMove('t', 0, 'replicate', 'n-b');
    store.failMove(id, 'source n-a unreachable');
    expect(store.move(id)).toMatchObject({ state: 'failed', reason: 'source n-a unreachable' });
    expect(states()).toEqual(['n-a:primary:in_sync', 'n-b:replica:dropping']);
    expect(() => store.startCopy(id, 'n-a')).toThrow(/is failed/);
  });

  it('removeFromInSync bumps the epoch and promotes an in-sync replica when the primary leaves', () => {
    store.createInitialPlacements('t', 0, ['n-a', 'n-b']);
    expect(store.removeFromInSync('t', 0, ['n-a'], 'missed lsn 1')).toBe(2);
    expect(states()).toEqual(['n-b:primary:in_sync', 'n-a:replica:out_of_sync']);
    expect(store.removeFromInSync('t', 0, ['n-a'], 'again')).toBe(2);
    expect(store.removeFromInSync('t', 0, ['n-b'], 'node dead')).toBe(3);
    expect(
      db.prepare("SELECT status FROM sys_shard_status WHERE colocation_group='t' AND shard=0").get(),
    ).toEqual({
      status: 'unavailable',
    });
  });

  it('allocateRowIds hands out consecutive, never reused ids', () => {
    expect(store.allocateRowIds('t', 10)).toBe(1);
    expect(store.allocateRowIds('t', 5)).toBe(11);
    expect(store.allocateRowIds('t', 1)).toBe(16);
    expect(() => store.allocateRowIds('nope', 1)).toThrow(/does not exist/);
  });

  it('tables() reports _row first and the shard key (or _row)', () => {
    const t = store.tables().get('t')!;
    expect(t.columns[0]).toEqual({ name: '_row', type: 'INTEGER' });
    expect(t).toMatchObject({ shardKey: 'k', shardCount: 2, replicationFactor: 2, colocationGroup: 't' });
  });
});

describe('shardStatus', () => {
  it('is unavailable at 0 in-sync, under_replicated below the factor, available at or above it', () => {
    expect(shardStatus(0, 2)).toBe('unavailable');
    expect(shardStatus(1, 2)).toBe('under_replicated');
    expect(shardStatus(2, 2)).toBe('available');
    expect(shardStatus(3, 2)).toBe('available');
  });
});
