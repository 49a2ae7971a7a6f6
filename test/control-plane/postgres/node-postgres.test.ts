import { readFileSync, statSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../../control-plane/index.js';
import { call, startTestControlPlane } from '../../support/control-plane.js';
import { waitFor } from '../../support/tmp.js';

let cp: ControlPlane;
let close: () => Promise<void>;
let ca: Buffer;
const clients: pg.Client[] = [];

/** Ends `client` after the tests; a refused connection's late 'error' event is expected, not a failure. */
function track(client: pg.Client): pg.Client {
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** A connected node-postgres client; TLS verified against the control plane's generated certificate. */
async function connect(user: 'admin' | 'read', password?: string, ssl: pg.ClientConfig['ssl'] = { ca }) {
  const client = new pg.Client({
    host: cp.postgres!.host,
    port: cp.postgres!.port,
    database: 'infrabase',
    user,
    password: password ?? (user === 'admin' ? cp.tokens.admin : cp.tokens.read),
    ssl,
  });
  track(client);
  await client.connect();
  return client;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await p;
  } catch (err) {
    return err as pg.DatabaseError;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  // All modules, for /metrics; no sys_nodes row is ever inserted, so no node is launched.
  ({ cp, close } = await startTestControlPlane());
  ca = readFileSync(cp.postgres!.tls.certFile);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await close();
});

describe('node-postgres against infrabase', () => {
  it('connects over TLS verified by the generated self-signed certificate, whose key file is mode 0600', async () => {
    const client = await connect('admin');
    const { rows } = await client.query('SELECT 1 AS one');
    expect(rows).toEqual([{ one: '1' }]); // int8 arrives as a string in node-postgres, as from Postgres
    expect(cp.postgres!.tls.generated).toBe(true);
    const keyFile = cp.postgres!.tls.certFile.replace(/server\.crt$/, 'server.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  // Parameters of unspecified type arrive as text and SQLite's column affinity converts them, so a boolean is
  // passed as 1/0 (node-postgres would send true as the text 'true').
  it('runs parameterised statements with $n parameters and reports row counts per command', async () => {
    const client = await connect('admin');
    await client.query(
      'CREATE TABLE gadgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, ok BOOL)',
    );
    const insert = await client.query(
      'INSERT INTO gadgets (id, name, price, ok) VALUES ($1, $2, $3, $4), ($5, $6, NULL, $7)',
      [1, 'bolt', 2.5, 1, 2, 'nut', 0],
    );
    expect([insert.command, insert.rowCount]).toEqual(['INSERT', 2]);
    const select = await client.query(
      'SELECT id, name, price, ok FROM gadgets WHERE name = $1 OR id = $2 ORDER BY id',
      ['bolt', 2],
    );
    expect([select.command, select.rowCount]).toEqual(['SELECT', 2]);
    expect(select.rows).toEqual([
      { id: '1', name: 'bolt', price: 2.5, ok: true },
      { id: '2', name: 'nut', price: null, ok: false },
    ]);
    expect(select.fields.map((f) => f.dataTypeID)).toEqual([20, 25, 701, 16]); // int8, text, float8, bool
    const update = await client.query('UPDATE gadgets SET price = $1 WHERE id = $2', [3.25, 2]);
    expect([update.command, update.rowCount]).toEqual(['UPDATE', 1]);
    const del = await client.query('DELETE FROM gadgets WHERE id > $1', [0]);
    expect([del.command, del.rowCount]).toEqual(['DELETE', 2]);
  });

  it('reuses a named prepared statement across executions', async () => {
    const client = await connect('admin');
    await client.query('CREATE TABLE counters (k TEXT, n INTEGER)');
    for (let i = 1; i <= 3; i++) {
      await client.query({
        name: 'add-counter',
        text: 'INSERT INTO counters VALUES ($1, $2)',
        values: [`k${i}`, i],
      });
    }
    const sum = await client.query({
      name: 'sum-counters',
      text: 'SELECT sum(n) AS total, count(*) AS rows FROM counters',
    });
    expect(sum.rows).toEqual([{ total: '6', rows: '3' }]);
    const again = await client.query({
      name: 'sum-counters',
      text: 'SELECT sum(n) AS total, count(*) AS rows FROM counters',
    });
    expect(again.rows).toEqual(sum.rows);
  });

  it('round-trips a BLOB as bytea, NULL included', async () => {
    const client = await connect('admin');
    await client.query('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x5c, 0x78]);
    await client.query('INSERT INTO blobs VALUES ($1, $2), ($3, $4)', [1, bytes, 2, null]);
    const { rows, fields } = await client.query('SELECT data FROM blobs ORDER BY id');
    expect(fields[0].dataTypeID).toBe(17);
    expect(Buffer.isBuffer(rows[0].data)).toBe(true);
    expect(rows[0].data.equals(bytes)).toBe(true);
    expect(rows[1].data).toBeNull();
    const http = await call(cp, '/v1/sql', {
      token: cp.tokens.admin,
      body: { sql: 'SELECT data FROM blobs WHERE id = 1' },
    });
    expect(http.body.rows).toEqual([[{ $base64: bytes.toString('base64') }]]);
  });

  it('refuses a write by the read role with SQLSTATE 42501 and the API message, and lets it read', async () => {
    const client = await connect('read');
    const err = await failure(client.query("INSERT INTO sys_nodes (id) VALUES ('n-read')"));
    expect(err.code).toBe('42501');
    const http = await call(cp, '/v1/sql', {
      token: cp.tokens.read,
      body: { sql: "INSERT INTO sys_nodes (id) VALUES ('n-read')" },
    });
    expect(err.message).toBe(http.body.error?.message);
    const { rows } = await client.query('SELECT count(*) AS n FROM sys_nodes');
    expect(rows).toEqual([{ n: '0' }]);
  });

  it('answers errors with SQLSTATEs mapped from infrabase codes and the message unchanged', async () => {
    const client = await connect('admin');
    await client.query('CREATE TABLE uniq (k TEXT PRIMARY KEY, n INTEGER CHECK (n > 0))');
    await client.query("INSERT INTO uniq VALUES ('a', 1)");
    const cases: [string, string][] = [
      ['SELEC 1', '42601'],
      ['SELECT * FROM no_such_table', '42P01'],
      ["INSERT INTO uniq VALUES ('a', 2)", '23505'],
      ["INSERT INTO uniq VALUES ('b', -1)", '23514'],
      ['INSERT INTO uniq VALUES (NULL, 1) RETURNING nope', '42703'],
    ];
    for (const [sql, state] of cases) {
      const err = await failure(client.query(sql));
      const http = await call(cp, '/v1/sql', { token: cp.tokens.admin, body: { sql } });
      expect({ sql, code: err.code, message: err.message }).toEqual({
        sql,
        code: state,
        message: http.body.error?.message,
      });
    }
    // The connection stays usable after errors in the extended protocol.
    expect((await client.query('SELECT $1 AS echo', ['still here'])).rows).toEqual([{ echo: 'still here' }]);
  });

  it('answers what drivers send at connect: SET, SHOW, version(), BEGIN/COMMIT', async () => {
    const client = await connect('admin');
    await client.query("SET application_name = 'tests'");
    expect((await client.query('SHOW application_name')).rows).toEqual([{ application_name: 'tests' }]);
    expect((await client.query('SHOW server_version')).rows[0].server_version).toMatch(/^15\./);
    expect((await client.query('SELECT version()')).rows[0].version).toMatch(
      /^PostgreSQL 15\.0 \(infrabase /,
    );
    expect((await client.query('SELECT current_user, current_database()')).rows).toEqual([
      { current_user: 'admin', current_database: 'infrabase' },
    ]);
    await client.query('BEGIN');
    await client.query('CREATE TABLE tx (a INTEGER)');
    await client.query('COMMIT');
    await client.query('BEGIN');
    await client.query('INSERT INTO tx VALUES (1)');
    const rollback = await failure(client.query('ROLLBACK'));
    expect(rollback.code).toBe('40001');
    expect((await client.query('SELECT count(*) AS n FROM tx')).rows).toEqual([{ n: '1' }]);
  });

  it('ends a runaway catalog query at the statement_timeout the session SET, in a worker', async () => {
    const client = await connect('read');
    await client.query("SET statement_timeout = '1s'");
    const err = await failure(
      client.query(
        'SELECT count(*) FROM pg_catalog.pg_attribute a, pg_catalog.pg_attribute b, pg_catalog.pg_attribute c, pg_catalog.pg_attribute d',
      ),
    );
    expect([err.code, err.message]).toEqual([
      '57014',
      'statement exceeded its time limit of 1000 ms and was cancelled',
    ]);
    // The control plane kept answering, and the session runs the next catalog query (under a looser limit: the
    // cancelled worker's replacement starts meanwhile, which on a loaded machine can itself take a second).
    expect((await call(cp, '/healthz')).status).toBe(200);
    await client.query("SET statement_timeout = '30s'");
    const { rows } = await client.query(
      "SELECT count(*) AS n FROM pg_catalog.pg_class WHERE relname = 'sys_nodes'",
    );
    expect(rows).toEqual([{ n: '1' }]);
  });

  it("answers Grafana's table and column lists and a time-series query over sys_metrics", async () => {
    const client = await connect('read');
    // The PostgreSQL data source's table list, as Grafana sends it (search_path arrays, generate_series).
    const tables = await client.query(`SELECT
    CASE WHEN
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN 0 ELSE 1 END, 1`);
    expect(tables.rows.map((r) => r.table)).toEqual(
      expect.arrayContaining(['sys_metrics', 'sys_nodes', 'sys_models']),
    );
    const columns = await client.query(
      `SELECT quote_ident(column_name) AS "column", data_type AS "type" FROM information_schema.columns WHERE quote_ident(table_name) = 'sys_metrics'`,
    );
    expect(columns.rows).toEqual(
      expect.arrayContaining([
        { column: 'ts', type: 'bigint' },
        { column: 'value', type: 'double precision' },
      ]),
    );
    // A time-series panel over the sampler's rows: epoch seconds, one series per metric name.
    await waitFor(
      async () => (await client.query('SELECT count(*) AS n FROM sys_metrics')).rows[0].n !== '0',
      20_000,
      200,
    );
    const series = await client.query(
      'SELECT ts / 1000 AS "time", name AS metric, value FROM sys_metrics WHERE name = \'process_resident_memory_bytes\' AND ts BETWEEN 0 AND 9999999999999 ORDER BY 1',
    );
    expect(series.rows.length).toBeGreaterThan(0);
    expect(series.fields.map((f) => f.dataTypeID)).toEqual([20, 25, 701]);
    expect(Number(series.rows[0].time)).toBeGreaterThan(1_600_000_000);
    expect(series.rows[0].value).toBeGreaterThan(0);
  });

  it('refuses a wrong password and an unknown user', async () => {
    const wrong = await failure(connect('admin', cp.tokens.read));
    expect(wrong.message).toMatch(/password authentication failed for user "admin"/);
    const client = new pg.Client({
      host: cp.postgres!.host,
      port: cp.postgres!.port,
      user: 'postgres',
      password: cp.tokens.admin,
      ssl: { ca },
    });
    track(client);
    expect((await failure(client.connect())).message).toMatch(
      /password authentication failed for user "postgres"/,
    );
  });

  it('counts connections, statements and their durations in /metrics', async () => {
    const client = await connect('admin');
    await client.query('SELECT 1');
    const res = await fetch(new URL('/metrics', cp.url));
    const page = await res.text();
    const value = (line: RegExp) => Number(line.exec(page)?.[1] ?? Number.NaN);
    expect(value(/^infrabase_pg_connections (\S+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^infrabase_pg_connections_total\{outcome="ok"\} (\S+)$/m)).toBeGreaterThanOrEqual(8);
    expect(value(/^infrabase_pg_connections_total\{outcome="auth_failed"\} (\S+)$/m)).toBeGreaterThanOrEqual(
      2,
    );
    expect(value(/^infrabase_pg_statements_total\{outcome="ok"\} (\S+)$/m)).toBeGreaterThanOrEqual(20);
    expect(value(/^infrabase_pg_statements_total\{outcome="error"\} (\S+)$/m)).toBeGreaterThanOrEqual(5);
    expect(value(/^infrabase_pg_statement_duration_seconds_count (\S+)$/m)).toBeGreaterThanOrEqual(25);
  });
});

describe('a control plane with postgres.tls.required', () => {
  let strict: Awaited<ReturnType<typeof startTestControlPlane>>;
  beforeAll(async () => {
    strict = await startTestControlPlane({ postgres: { tls: { required: true } } }, { modules: [] });
  });
  afterAll(() => strict.close());

  it('refuses a plaintext connection and accepts TLS', async () => {
    const base = {
      host: strict.cp.postgres!.host,
      port: strict.cp.postgres!.port,
      user: 'admin',
      password: strict.cp.tokens.admin,
    };
    const plain = new pg.Client({ ...base, ssl: false });
    track(plain);
    expect((await failure(plain.connect())).message).toMatch(/SSL connection is required/);
    const tls = new pg.Client({ ...base, ssl: { ca: readFileSync(strict.cp.postgres!.tls.certFile) } });
    track(tls);
    await tls.connect();
    expect((await tls.query('SELECT 2 AS two')).rows).toEqual([{ two: '2' }]);
  });
});
