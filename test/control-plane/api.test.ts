import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/index.js';
import { call, startTestControlPlane } from '../support/control-plane.js';

let env: Awaited<ReturnType<typeof startTestControlPlane>>;
let cp: ControlPlane;
beforeAll(async () => {
  // The bare SQL API: no reconciler acting on the rows these tests write.
  env = await startTestControlPlane(
    { sql: { workers: 2, timeoutMs: 5_000, maxTimeoutMs: 10_000 } },
    { modules: [] },
  );
  cp = env.cp;
});
afterAll(() => env.close());

describe('API authentication', () => {
  it('stores the generated tokens in the data dir with mode 0600', () => {
    const path = join(env.dataDir, 'tokens.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ admin: cp.tokens.admin, read: cp.tokens.read });
  });

  it('answers 401 without a token and with a wrong one', async () => {
    const none = await call(cp, '/v1/sql', { body: { sql: 'SELECT 1' } });
    expect(none.status).toBe(401);
    expect(none.body.error?.code).toBe('UNAUTHENTICATED');
    const wrong = await call(cp, '/v1/sql', { body: { sql: 'SELECT 1' }, token: 'nope' });
    expect(wrong.status).toBe(401);
  });

  it('answers 403 for a write with the read-only token, and lets it read', async () => {
    const write = await call(cp, '/v1/sql', {
      body: { sql: "INSERT INTO sys_nodes (id) VALUES ('n-ro')" },
      token: cp.tokens.read,
    });
    expect(write.status).toBe(403);
    expect(write.body.error?.code).toBe('PERMISSION_DENIED');
    const read = await call(cp, '/v1/sql', {
      body: { sql: "SELECT count(*) AS n FROM sys_nodes WHERE id = 'n-ro'" },
      token: cp.tokens.read,
    });
    expect(read.status).toBe(200);
    expect(read.body.rows).toEqual([[0]]);
  });

  it('keeps /healthz public', async () => {
    const res = await call(cp, '/healthz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });
});

describe('POST /v1/sql', () => {
  const admin = () => cp.tokens.admin;

  it('returns columns, rows and changes', async () => {
    const insert = await call(cp, '/v1/sql', {
      body: { sql: 'INSERT INTO sys_nodes (id, labels) VALUES (?, ?)', params: ['n-api', '{"team":"ml"}'] },
      token: admin(),
    });
    expect(insert.body).toEqual({ columns: [], rows: [], changes: 1 });
    const select = await call(cp, '/v1/sql', {
      body: {
        sql: 'SELECT id, json_extract(labels, $.team) AS team FROM sys_nodes WHERE id = :id'.replace(
          '$.team',
          "'$.team'",
        ),
        params: { id: 'n-api' },
      },
      token: admin(),
    });
    expect(select.body).toEqual({ columns: ['id', 'team'], rows: [['n-api', 'ml']], changes: 0 });
  });

  it('round-trips a BLOB parameter as {"$base64": ...}', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]).toString('base64');
    const res = await call(cp, '/v1/sql', {
      body: { sql: 'SELECT ? AS b, length(?) AS n', params: [{ $base64: bytes }, { $base64: bytes }] },
      token: admin(),
    });
    expect(res.body.rows).toEqual([[{ $base64: bytes }, 5]]);
  });

  it('answers 400 with the SQLite message for bad SQL', async () => {
    const res = await call(cp, '/v1/sql', { body: { sql: 'SELEC 1' }, token: admin() });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'SQL_ERROR', message: 'near "SELEC": syntax error' });
  });

  it('answers 400 naming the column and the accepted values for a bad catalog value', async () => {
    const res = await call(cp, '/v1/sql', {
      body: { sql: "INSERT INTO sys_nodes (provider) VALUES ('azure')" },
      token: admin(),
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('CONSTRAINT');
    expect(res.body.error?.message).toMatch(/provider must be one of: local, aws, gcp/);
  });

  it('answers 400 for a malformed request body and for two statements at once', async () => {
    const noSql = await call(cp, '/v1/sql', { body: { query: 'SELECT 1' }, token: admin() });
    expect(noSql.status).toBe(400);
    expect(noSql.body.error?.code).toBe('INVALID_ARGUMENT');
    const two = await call(cp, '/v1/sql', { body: { sql: 'SELECT 1; SELECT 2' }, token: admin() });
    expect(two.status).toBe(400);
    expect(two.body.error?.message).toMatch(/more than one statement/);
  });

  it('rejects a time limit above the configured maximum', async () => {
    const res = await call(cp, '/v1/sql', { body: { sql: 'SELECT 1', timeoutMs: 20_000 }, token: admin() });
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/accepted: an integer from 1 to 10000/);
  });

  it('applies DELETE on sys_nodes as a finalizer through the API', async () => {
    const token = admin();
    await call(cp, '/v1/sql', {
      body: {
        sql: "INSERT INTO sys_nodes (id, idempotency_token, status) VALUES ('n-fin', 't-fin', 'ready')",
      },
      token,
    });
    const del = await call(cp, '/v1/sql', {
      body: { sql: "DELETE FROM sys_nodes WHERE id = 'n-fin'" },
      token,
    });
    expect(del.body.changes).toBe(0);
    const row = await call(cp, '/v1/sql', {
      body: { sql: "SELECT desired_state FROM sys_nodes WHERE id = 'n-fin'" },
      token,
    });
    expect(row.body.rows).toEqual([['terminated']]);
  });
});
