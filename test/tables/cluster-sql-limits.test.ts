import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInfrabaseError } from '../../engine/index.js';
import { startCluster, type TestCluster } from '../training/cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(1);
});
afterAll(() => cluster?.close());

/** A statement that never ends on its own. */
const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';

const clusterSql = (body: { sql: string; timeoutMs?: number }) =>
  cluster.api.request<{ rows: unknown[][]; nodes: string[] }>('POST', '/v1/sql/cluster', body);

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

const lastHeartbeat = () =>
  cluster.cp.context.db
    .prepare("SELECT last_heartbeat_at FROM sys_nodes WHERE id = 'd1'")
    .pluck()
    .get() as number;

describe('time limits of cluster SQL on the data nodes', () => {
  it('kills a runaway statement at its limit while the node keeps heartbeating, then answers the next one', async () => {
    const before = lastHeartbeat();
    const err = await caught(clusterSql({ sql: RUNAWAY, timeoutMs: 2_000 }));
    expect(isInfrabaseError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toMatch(/time limit of 2000 ms/);
    // Heartbeats every 300 ms went on while the statement ran for 2 s (a blocked agent would have sent at most
    // the one already under way when it started).
    expect(lastHeartbeat()).toBeGreaterThanOrEqual(before + 700);
    expect(cluster.cp.context.db.prepare("SELECT status FROM sys_nodes WHERE id = 'd1'").pluck().get()).toBe(
      'ready',
    );
    const next = await clusterSql({ sql: 'SELECT 42' });
    expect(next.rows).toEqual([['d1', 42]]);
  });

  it('refuses a time limit above sql.maxTimeoutMs before reaching any node', async () => {
    const err = await caught(clusterSql({ sql: 'SELECT 1', timeoutMs: 300_001 }));
    expect(isInfrabaseError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/accepted: an integer from 1 to 300000/);
  });
});
