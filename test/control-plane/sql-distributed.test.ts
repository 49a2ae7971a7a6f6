import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/index.js';
import { type FakeCluster, fakeCluster } from '../engine/planner/fake-cluster.js';
import { call, startTestControlPlane } from '../support/control-plane.js';

let env: Awaited<ReturnType<typeof startTestControlPlane>>;
let cp: ControlPlane;
let cluster: FakeCluster;
beforeAll(async () => {
  cluster = fakeCluster(1000);
  env = await startTestControlPlane(
    { sql: { workers: 1, timeoutMs: 5_000, maxTimeoutMs: 10_000 } },
    { modules: [], shardReader: () => cluster.reader },
  );
  cp = env.cp;
});
afterAll(async () => {
  await env.close();
  cluster.close();
});

const sql = (body: unknown, token = cp.tokens.read) => call(cp, '/v1/sql', { body, token });

describe('POST /v1/sql over distributed tables', () => {
  it('answers a SELECT on a distributed table as one table', async () => {
    const statement = 'SELECT sex, count(*), avg(age) FROM adult GROUP BY sex ORDER BY 1';
    const res = await sql({ sql: statement });
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual(['sex', 'count(*)', 'avg(age)']);
    expect(res.body.rows).toEqual(cluster.oracle.prepare(statement).raw(true).all());
  });

  it('binds positional parameters and routes by the shard key', async () => {
    cluster.reader.calls.length = 0;
    const res = await sql({ sql: 'SELECT count(*) FROM adult WHERE cid = ?', params: [7] });
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual(
      cluster.oracle.prepare('SELECT count(*) FROM adult WHERE cid = 7').raw(true).all(),
    );
    expect(cluster.reader.calls).toHaveLength(1);
  });

  it('keeps the existing path for a statement that names no distributed table', async () => {
    const res = await sql({ sql: 'SELECT count(*) FROM sys_nodes' });
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual([[0]]);
  });

  it('leaves a write that names a distributed table to its own path', async () => {
    cluster.reader.calls.length = 0;
    const res = await call(cp, '/v1/sql', {
      body: { sql: 'INSERT INTO adult (cid) SELECT cid FROM adult' },
      token: cp.tokens.admin,
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/no such table: adult/);
    expect(cluster.reader.calls).toHaveLength(0);
  });

  it('answers EXPLAIN with the plan', async () => {
    const res = await sql({ sql: 'EXPLAIN SELECT count(*) FROM adult' });
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual(['step', 'target', 'detail']);
    expect(res.body.rows?.[0]?.[0]).toBe('shard');
  });

  it('answers 400 naming an unsupported shape', async () => {
    const res = await sql({ sql: 'SELECT count(*) FROM adult a JOIN bank b ON a.age = b.age' });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('INVALID_ARGUMENT');
    expect(res.body.error?.message).toMatch(/not an equality of their shard keys/);
  });

  it('answers 400 for named parameters', async () => {
    const res = await sql({ sql: 'SELECT count(*) FROM adult WHERE cid = :c', params: { c: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/positional parameters/);
  });

  it('answers 503 when a shard has no placement', async () => {
    const res = await sql({ sql: 'SELECT count(*) FROM iris' });
    expect(res.status).toBe(503);
    expect(res.body.error?.code).toBe('UNAVAILABLE');
  });
});
