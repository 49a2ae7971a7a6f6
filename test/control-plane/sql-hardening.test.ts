import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBody, call, startTestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/tmp.js';

let env: Awaited<ReturnType<typeof startTestControlPlane>>;
beforeAll(async () => {
  env = await startTestControlPlane({ sql: { workers: 2 } }, { modules: [] });
  await admin('CREATE TABLE kept (id INTEGER PRIMARY KEY)');
});
afterAll(() => env?.close());

const admin = (sql: string, params?: unknown) =>
  call(env.cp, '/v1/sql', { body: { sql, params }, token: env.cp.tokens.admin });
const reader = (sql: string, timeoutMs?: number) =>
  call(env.cp, '/v1/sql', { body: { sql, timeoutMs }, token: env.cp.tokens.read });
/** POST /v1/sql with a raw JSON text (numbers a JS value cannot hold). */
async function raw(text: string, token = env.cp.tokens.admin): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(new URL('/v1/sql', env.cp.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}
const keptRows = () => env.cp.context.db.prepare('SELECT count(*) FROM kept').pluck().get();

describe('the SQL API refuses what would change a pooled connection', () => {
  it('SAVEPOINT and BEGIN with either token are refused, and admin INSERTs after them are kept', async () => {
    for (let round = 0; round < 4; round++) {
      const savepoint = await reader('SAVEPOINT s1');
      expect(savepoint.status).toBe(400);
      expect(savepoint.body.error?.message).toMatch(
        /^refused: SAVEPOINT s1 .*no token may run transaction control/,
      );
      const begin = await admin('BEGIN IMMEDIATE');
      expect(begin.status).toBe(400);
      expect(begin.body.error?.message).toMatch(/^refused: BEGIN \(transaction control\)/);
      const insert = await admin('INSERT INTO kept DEFAULT VALUES');
      expect(insert.body.changes).toBe(1);
    }
    // Every acknowledged insert is committed (with an open transaction on a worker they would have vanished).
    expect(keptRows()).toBe(4);
  });

  it('PRAGMA ignore_check_constraints = ON is refused, so the catalog CHECKs still hold for the admin', async () => {
    for (const send of [reader, admin]) {
      const pragma = await send('PRAGMA ignore_check_constraints = ON');
      expect(pragma.status).toBe(400);
      expect(pragma.body.error?.code).toBe('INVALID_ARGUMENT');
      expect(pragma.body.error?.message).toMatch(/^refused: PRAGMA ignore_check_constraints = ON/);
    }
    for (let i = 0; i < 2; i++) {
      const azure = await admin(
        "INSERT INTO sys_nodes (id, provider, role) VALUES ('n-az', 'azure', 'data')",
      );
      expect(azure.status).toBe(400);
      expect(azure.body.error?.code).toBe('CONSTRAINT');
    }
    const state = await reader('SELECT * FROM pragma_ignore_check_constraints');
    expect(state.body.rows).toEqual([[0]]);
  });

  it('ATTACH is refused to both tokens and creates no file', async () => {
    const target = join(env.dataDir, 'attached.db');
    for (const send of [reader, admin]) {
      const attach = await send(`ATTACH '${target}' AS a`);
      expect(attach.status).toBe(400);
      expect(attach.body.error?.message).toMatch(/^refused: ATTACH .*attached\.db/);
    }
    expect(existsSync(target)).toBe(false);
    const list = await reader("SELECT name FROM pragma_database_list WHERE name NOT IN ('main', 'temp')");
    expect(list.body.rows).toEqual([]);
  });
});

describe('fair share of the SQL workers', () => {
  it('two runaway reads with the read token do not hold up an admin SELECT 1', async () => {
    const runaway = 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r';
    let pending = 2;
    const reads = [reader(runaway, 10_000), reader(runaway, 10_000)].map((p) =>
      p.finally(() => {
        pending--;
      }),
    );
    const answer = await admin('SELECT 1');
    expect(answer.body.rows).toEqual([[1]]);
    // Answered while both reads were still running (they end only at their 10 s limit).
    expect(pending).toBe(2);
    for (const r of await Promise.all(reads)) expect(r.body.error?.code).toBe('TIMEOUT');
  }, 60_000);
});

describe('parameters', () => {
  it('refuses 10,000 nested arrays with a clear 400, not a 500', async () => {
    const answer = await raw(`{"sql": "SELECT ?", "params": [${'['.repeat(10_000)}${']'.repeat(10_000)}]}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toMatch(
      /^parameter 1 is an array of 1 items; accepted: string, finite number/,
    );
  });

  it('keeps integers beyond 2^53 exact in both directions, and refuses those beyond 64 bits', async () => {
    await admin('CREATE TABLE ints (v INTEGER)');
    const put = await raw(
      '{"sql": "INSERT INTO ints VALUES (?), (?)", "params": [9007199254740993, -9223372036854775808]}',
    );
    expect(put.body.changes).toBe(2);
    const got = await admin('SELECT v, v = 9007199254740993 FROM ints ORDER BY v DESC');
    expect(got.body.rows).toEqual([
      ['9007199254740993', 1],
      ['-9223372036854775808', 0],
    ]);
    const tooBig = await raw('{"sql": "SELECT ?", "params": [9223372036854775808]}');
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error?.message).toMatch(
      /parameter 1 is the integer 9223372036854775808, outside SQLite's 64-bit range/,
    );
  });

  it('refuses non-finite numbers and bad base64 by name, and keeps good base64', async () => {
    const inf = await raw('{"sql": "SELECT ?", "params": {"x": 1e400}}');
    expect(inf.status).toBe(400);
    expect(inf.body.error?.message).toMatch(
      /^parameter x is a number beyond the range of a double \(e\.g\. 1e400/,
    );
    const bad = await admin('SELECT ?', [{ $base64: 'not base64!' }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/^parameter 1 has a \$base64 that is not valid base64/);
    const good = await admin('SELECT hex(?)', [{ $base64: Buffer.from([0, 1, 254]).toString('base64') }]);
    expect(good.body.rows).toEqual([['0001FE']]);
  });

  it('refuses a body over the 16 MiB default', async () => {
    const answer = await admin('SELECT length(?)', ['x'.repeat(16 * 1024 * 1024)]);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toMatch(/body is too large/i);
    expect((await admin('SELECT length(?)', ['x'.repeat(1024 * 1024)])).body.rows).toEqual([[1024 * 1024]]);
  });
});

describe('the WAL', () => {
  it('is truncated after a write that grew it past 64 MiB', async () => {
    await admin('CREATE TABLE blobs (b BLOB)');
    const write = await admin(
      'INSERT INTO blobs SELECT randomblob(1048576) FROM (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 80) SELECT n FROM r)',
    );
    expect(write.body.changes).toBe(80);
    const wal = join(env.dataDir, 'infrabase.db-wal');
    // The worker checkpoints with TRUNCATE right after answering (journal_size_limit alone would wait for the next write).
    await waitFor(() => statSync(wal).size < 64 * 1024 * 1024, 10_000, 50);
    await admin('DROP TABLE blobs');
  }, 60_000);
});
