import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/index.js';
import { NODE_OBSERVED_COLUMNS } from '../../engine/index.js';
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
    // A launched node, as the reconciler records it (observed columns are not writable through the API).
    cp.context.db
      .prepare("INSERT INTO sys_nodes (id, idempotency_token, status) VALUES ('n-fin', 't-fin', 'ready')")
      .run();
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

describe('sys_nodes guards through POST /v1/sql', () => {
  const sql = (statement: string) =>
    call(cp, '/v1/sql', { body: { sql: statement }, token: cp.tokens.admin });
  const INTEGER_COLUMNS = new Set([
    'last_heartbeat_at',
    'launched_at',
    'attempts',
    'created_at',
    'agent_port',
    'wg_key_activate_at',
  ]);
  const valueFor = (c: string) =>
    c === 'status' ? "'unreachable'" : INTEGER_COLUMNS.has(c) ? '7' : "'10.0.0.9:1'";
  const snapshot = (id: string) => cp.context.db.prepare('SELECT * FROM sys_nodes WHERE id = ?').get(id);

  beforeAll(() => {
    cp.context.db
      .prepare(
        "INSERT INTO sys_nodes (id, idempotency_token, status, private_ip, endpoint, agent_port) VALUES ('n-g', 't-g', 'ready', '127.0.0.1', '127.0.0.1:9', 9)",
      )
      .run();
  });

  it.each(NODE_OBSERVED_COLUMNS)(
    'refuses an UPDATE of observed column %s, naming what users may write, and changes nothing',
    async (c) => {
      const before = snapshot('n-g');
      const res = await sql(`UPDATE sys_nodes SET ${c} = ${valueFor(c)} WHERE id = 'n-g'`);
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toBe(
        `sys_nodes.${c} is an observed column, written by the reconciler and the node agents, not by SQL; users may write id, provider, region, zone, instance_type, image, role, labels, spec, desired_state, created_by (DELETE terminates a node)`,
      );
      expect(snapshot('n-g')).toEqual(before);
    },
  );

  it.each(NODE_OBSERVED_COLUMNS.filter((c) => c !== 'created_at'))(
    'refuses an INSERT that sets observed column %s',
    async (c) => {
      const res = await sql(`INSERT INTO sys_nodes (id, ${c}) VALUES ('n-ins', ${valueFor(c)})`);
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toMatch(new RegExp(`^sys_nodes\\.${c} is an observed column`));
      expect(snapshot('n-ins')).toBeUndefined();
    },
  );

  it('still takes desired columns: an INSERT with defaults, an UPDATE of labels, a provider change before launch', async () => {
    expect(
      (await sql("INSERT INTO sys_nodes (id, role, labels) VALUES ('n-ok', 'data', '{\"a\":\"1\"}')")).status,
    ).toBe(200);
    expect(
      (await sql(`UPDATE sys_nodes SET labels = '{"a":"2"}', provider = 'aws' WHERE id = 'n-ok'`)).body
        .changes,
    ).toBe(1);
    expect(snapshot('n-ok')).toMatchObject({ provider: 'aws', status: 'pending', labels: '{"a":"2"}' });
  });

  it('refuses a provider change on a launched row and says what to do', async () => {
    const res = await sql("UPDATE sys_nodes SET provider = 'gcp' WHERE id = 'n-g'");
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toBe(
      'sys_nodes.provider cannot change once the node is launched: DELETE the row and INSERT a new one with the other provider',
    );
    expect(snapshot('n-g')).toMatchObject({ provider: 'local' });
  });

  it.each(['failed', 'terminated'])('deletes a stranded %s row at once', async (status) => {
    cp.context.db
      .prepare(
        `INSERT INTO sys_nodes (id, idempotency_token, status, desired_state) VALUES (?, ?, ?, 'terminated')`,
      )
      .run(`n-${status}`, `t-${status}`, status);
    const res = await sql(`DELETE FROM sys_nodes WHERE id = 'n-${status}'`);
    expect(res.body.changes).toBe(1);
    expect(snapshot(`n-${status}`)).toBeUndefined();
  });
});
