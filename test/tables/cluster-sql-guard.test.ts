import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInfrabaseError } from '../../engine/index.js';
import { startCluster, type TestCluster } from '../training/cluster.js';

let cluster: TestCluster;
let nodes: string[];
beforeAll(async () => {
  cluster = await startCluster(1);
  // The per-node layout: the statements below run on the node's own database.
  const created = await cluster.api.request<{ nodes: string[] }>('POST', '/v1/tables/events/create', {
    layout: 'per-node',
    columns: [{ name: 'v', type: 'INTEGER' }],
  });
  nodes = created.nodes;
});
afterAll(() => cluster?.close());

const clusterSql = (sql: string) =>
  cluster.api.request<{ rows: unknown[][]; nodes: string[] }>('POST', '/v1/sql/cluster', { sql });
const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as Error,
  );

describe("cluster SQL on an agent's pooled worker", () => {
  it('refuses SAVEPOINT, BEGIN, state-changing PRAGMAs and ATTACH, and the next query sees a clean connection', async () => {
    const attacks: [string, RegExp][] = [
      ['SAVEPOINT s1', /^node d1: refused: SAVEPOINT s1 .*no token may run transaction control/],
      ['BEGIN', /^node d1: refused: BEGIN \(transaction control\)/],
      ['PRAGMA ignore_check_constraints = ON', /^node d1: refused: PRAGMA ignore_check_constraints = ON/],
      ['PRAGMA locking_mode = EXCLUSIVE', /^node d1: refused: PRAGMA locking_mode = EXCLUSIVE/],
      ['PRAGMA query_only = OFF', /^node d1: refused: PRAGMA query_only = OFF/],
      ["ATTACH 'shard-copy.db' AS c", /^node d1: refused: ATTACH shard-copy\.db/],
    ];
    for (const [sql, message] of attacks) {
      const err = await caught(clusterSql(sql));
      expect(isInfrabaseError(err, 'INVALID_ARGUMENT'), `${sql}: ${err?.message}`).toBe(true);
      expect(err?.message, sql).toMatch(message);
    }
    // Rows loaded after the attempts are visible: no transaction pins an old snapshot on the worker.
    await cluster.api.request('POST', '/v1/tables/events/rows', {
      columns: ['v'],
      rows: [[1], [2], [3]],
      nodes,
      offset: 0,
    });
    const seen = await clusterSql(
      `SELECT (SELECT count(*) FROM events),
              (SELECT * FROM pragma_ignore_check_constraints),
              (SELECT * FROM pragma_locking_mode),
              (SELECT count(*) FROM pragma_database_list WHERE name NOT IN ('main', 'temp'))`,
    );
    expect(seen.rows).toEqual([['d1', 3, 0, 'normal', 0]]);
  });

  it('refuses writes on the read-only path by what SQLite reports', async () => {
    const err = await caught(clusterSql('DELETE FROM events'));
    expect(isInfrabaseError(err, 'PERMISSION_DENIED')).toBe(true);
    expect(err?.message).toMatch(/^node d1: refused: DELETE from events \(a write\)/);
    expect((await clusterSql('SELECT count(*) FROM events')).rows).toEqual([['d1', 3]]);
  });
});
