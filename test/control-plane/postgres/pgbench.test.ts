import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestControlPlane } from '../../support/control-plane.js';

let env: Awaited<ReturnType<typeof startTestControlPlane>>;
beforeAll(async () => {
  env = await startTestControlPlane({}, { modules: [] });
  for (const sql of [
    'CREATE TABLE bench_kv (id INTEGER, v TEXT)',
    'CREATE INDEX bench_kv_id ON bench_kv (id)',
  ]) {
    expect((await call(env.cp, '/v1/sql', { token: env.cp.tokens.admin, body: { sql } })).status).toBe(200);
  }
});
afterAll(() => env.close());

describe('pgbench against infrabase', () => {
  // About 35 s on an idle 2-core machine (300 transactions/s: every INSERT is a durable SQLite commit).
  it('runs 10,000 transactions of a custom script (an INSERT and a SELECT) at 8 clients with 0 failures', {
    timeout: 240_000,
  }, async () => {
    const script = join(env.dataDir, 'bench.sql');
    writeFileSync(
      script,
      [
        '\\set id random(1, 1000000)',
        "INSERT INTO bench_kv (id, v) VALUES (:id, 'pgbench');",
        'SELECT count(*) FROM bench_kv WHERE id = :id;',
        '',
      ].join('\n'),
    );
    const { host, port } = env.cp.postgres!;
    const { stdout } = await promisify(execFile)(
      'pgbench',
      [
        '-n',
        '-f',
        script,
        '-c',
        '8',
        '-j',
        '2',
        '-t',
        '1250',
        `host=${host} port=${port} user=admin dbname=infrabase sslmode=require`,
      ],
      { env: { ...process.env, PGPASSWORD: env.cp.tokens.admin }, timeout: 230_000 },
    );
    expect(stdout).toMatch(/number of transactions actually processed: 10000\/10000/);
    expect(stdout).toMatch(/number of failed transactions: 0 \(0\.000%\)/);
    const count = await call(env.cp, '/v1/sql', {
      token: env.cp.tokens.admin,
      body: { sql: 'SELECT count(*) FROM bench_kv' },
    });
    expect(count.body.rows).toEqual([[10_000]]);
  });
});
