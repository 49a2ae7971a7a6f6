import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ControlPlane } from '../../control-plane/index.js';
import { createDistributedModule } from '../../control-plane/modules/distributed.js';
import { createNodesModule } from '../../control-plane/nodes/index.js';
import { DataLayer } from '../../control-plane/tables/index.js';
import { ADULT_CSV, readDataFile } from '../support/data.js';
import { waitFor } from '../support/tmp.js';
import { startCluster } from '../training/cluster.js';

/**
 * The Postgres endpoint answers statements over distributed tables exactly as `POST /v1/sql` does (one shared
 * path, `UserStatements`): planned across the shards of real agents, EXPLAIN and refusals included.
 */
const records = parse(readDataFile(ADULT_CSV), { ltrim: true }) as string[][];
const header = records[0].map((h) => h.trim());
const numeric = header.map((_, j) => records.slice(1, 200).every((r) => Number.isFinite(Number(r[j]))));
const ROWS = 1200;
const rows = records.slice(1, 1 + ROWS).map((r) => r.map((v, j) => (numeric[j] ? Number(v) : v)));
const ageAt = header.indexOf('age');

let cp: ControlPlane;
let api: ApiClient;
let client: pg.Client;
let cleanup: () => Promise<void>;
const layer = new DataLayer({ intervalMs: 100, maxConcurrentMoves: 2 });

beforeAll(async () => {
  const cluster = await startCluster(2, {
    modules: [
      createNodesModule({ terminationGate: (row) => layer.mayTerminate(row.id) }),
      createDistributedModule(layer),
    ],
  });
  ({ cp, api } = cluster);
  cleanup = () => cluster.close();
  await api.sql(
    'INSERT INTO sys_distributed_tables (name, columns, shard_count, replication_factor) VALUES (?, ?, 4, 1)',
    ['adult', JSON.stringify(header.map((name, j) => ({ name, type: numeric[j] ? 'INTEGER' : 'TEXT' })))],
  );
  const db = cp.context.db;
  await waitFor(
    () =>
      db.prepare("SELECT count(*) FROM sys_shard_status WHERE status <> 'available'").pluck().get() === 0 &&
      db.prepare('SELECT schema_applied FROM sys_distributed_tables').pluck().get() === 1,
    30_000,
    50,
  );
  await api.request('POST', '/v1/tables/adult/insert', { columns: header, rows });
  client = new pg.Client({
    host: cp.postgres!.host,
    port: cp.postgres!.port,
    database: 'infrabase',
    user: 'admin',
    password: cp.tokens.admin,
  });
  client.on('error', () => undefined);
  await client.connect();
}, 90_000);
afterAll(async () => {
  await client?.end().catch(() => undefined);
  await cleanup?.();
});

/** node-postgres rows as arrays of text (int8 arrives as a string), for comparison with the HTTP answer. */
async function pgRows(sql: string, params: unknown[] = []): Promise<string[][]> {
  const r = await client.query({ text: sql, values: params, rowMode: 'array' });
  return r.rows.map((row: unknown[]) => row.map((v) => (v === null ? 'NULL' : String(v))));
}
async function httpRows(sql: string, params: unknown[] = []): Promise<string[][]> {
  const r = await api.sql(sql, params);
  return r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : String(v))));
}

describe('the Postgres endpoint over distributed tables', () => {
  it('answers a SELECT as one table, the same rows as POST /v1/sql', async () => {
    const ages = rows.map((r) => Number(r[ageAt]));
    expect(await pgRows('SELECT count(*), sum(age), max(age) FROM adult')).toEqual([
      [String(ROWS), String(ages.reduce((a, b) => a + b, 0)), String(Math.max(...ages))],
    ]);
    const grouped =
      'SELECT education, count(*) AS n, avg(age) FROM adult WHERE age > $1 GROUP BY education ORDER BY n DESC, education LIMIT 5';
    expect(await pgRows(grouped, [30])).toEqual(await httpRows(grouped.replace('$1', '?'), [30]));
    expect((await pgRows(grouped, [30])).length).toBe(5);
  }, 60_000);

  it('EXPLAIN shows the same plan over both protocols', async () => {
    const sql = 'EXPLAIN SELECT education, count(*) FROM adult GROUP BY education';
    // Merge tables are numbered per planned statement: compare the plans without their numbers.
    const unnumbered = (r: string[][]) => r.map((row) => row.map((v) => v.replace(/_merge\d+/g, '_merge')));
    const plan = await pgRows(sql);
    expect(unnumbered(plan)).toEqual(unnumbered(await httpRows(sql)));
    expect(plan.map((r) => r[0])).toEqual(['shard', 'merge', 'merge', 'final']);
  }, 60_000);

  it('refuses an unsupported shape with the planner message, SQLSTATE 22023, reading no shard', async () => {
    const sql = 'SELECT age, row_number() OVER (ORDER BY age) FROM adult';
    const err = await client.query(sql).then(
      () => undefined,
      (e: pg.DatabaseError) => e,
    );
    expect(err?.code).toBe('22023');
    expect(err?.message).toMatch(
      /^not supported over distributed tables: a window function over a distributed table;/,
    );
    const http = await api.sql(sql).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(http).toContain(err!.message);
  }, 60_000);

  it('routes an INSERT into a distributed table to its shard, as POST /v1/sql does', async () => {
    const values = rows[0].map((_, j) => `$${j + 1}`).join(', ');
    const cols = header.map((h) => `"${h}"`).join(', ');
    const r = await client.query(`INSERT INTO adult (${cols}) VALUES (${values})`, rows[0]);
    expect(r.rowCount).toBe(1);
    expect(await pgRows('SELECT count(*) FROM adult')).toEqual([[String(ROWS + 1)]]);
  }, 60_000);

  it('psql runs a planned statement too', async () => {
    const { host, port } = cp.postgres!;
    const { stdout } = await promisify(execFile)(
      'psql',
      [
        '-X',
        '-A',
        '-t',
        '-c',
        'SELECT count(*) FROM adult WHERE age >= 40',
        `host=${host} port=${port} user=admin dbname=infrabase`,
      ],
      { env: { ...process.env, PGPASSWORD: cp.tokens.admin, PGCONNECT_TIMEOUT: '10' } },
    );
    expect(stdout.trim()).toBe(
      String(rows.filter((r) => Number(r[ageAt]) >= 40).length + (Number(rows[0][ageAt]) >= 40 ? 1 : 0)),
    );
  }, 60_000);
});
