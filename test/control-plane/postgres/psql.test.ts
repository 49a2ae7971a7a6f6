import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../../control-plane/index.js';
import { call, startTestControlPlane } from '../../support/control-plane.js';
import { EXAMPLES } from '../../support/data.js';
import { waitFor } from '../../support/tmp.js';

let cp: ControlPlane;
let close: () => Promise<void>;

/** Debian's psql (postgresql-client) as user admin over sslmode=require; stdin is the script. */
function psql(
  script: string,
  args: string[] = [],
): {
  child: ChildProcess;
  stdout: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const { host, port } = cp.postgres!;
  const child = spawn(
    'psql',
    [
      '-X',
      '-v',
      'VERBOSITY=verbose',
      ...args,
      `host=${host} port=${port} user=admin dbname=infrabase sslmode=require`,
    ],
    {
      env: { ...process.env, PGPASSWORD: cp.tokens.admin, PGCONNECT_TIMEOUT: '10' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin!.end(script);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, stdout: () => stdout };
}

beforeAll(async () => {
  // The bare SQL API: sys_nodes rows stay rows (no reconciler launches them).
  ({ cp, close } = await startTestControlPlane({}, { modules: [] }));
  const onnx = readFileSync(`${EXAMPLES}/models/sklearn_logreg_iris.onnx`).toString('base64');
  const setup = [
    { sql: "INSERT INTO sys_models (name, onnx) VALUES ('iris_lr', ?)", params: [{ $base64: onnx }] },
    { sql: 'CREATE TABLE flowers (a REAL, b REAL, c REAL, d REAL)' },
    { sql: 'INSERT INTO flowers VALUES (5.1, 3.5, 1.4, 0.2), (6.7, 3.0, 5.2, 2.3), (5.9, 3.0, 4.2, 1.5)' },
  ];
  for (const body of setup) {
    const res = await call(cp, '/v1/sql', { token: cp.tokens.admin, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
});
afterAll(() => close());

describe('psql against infrabase', () => {
  it('runs a scripted session: \\dt, PREDICT, an INSERT INTO sys_nodes, errors with their SQLSTATE, \\q', async () => {
    const predictSql = "SELECT PREDICT('iris_lr', a, b, c, d) AS label FROM flowers ORDER BY rowid";
    const script = [
      '\\dt',
      `${predictSql};`,
      "INSERT INTO sys_nodes (id, provider, role) VALUES ('n-psql', 'local', 'data');",
      "SELECT id, provider, desired_state FROM sys_nodes WHERE id = 'n-psql';",
      'SELEC 1;',
      "INSERT INTO sys_nodes (id, provider) VALUES ('n-bad', 'nowhere');",
      '\\d flowers',
      '\\q',
      'SELECT 1 AS never_run;',
    ].join('\n');
    const { code, stdout, stderr } = await psql(script).done;
    expect(code, stderr).toBe(0);
    // \dt lists infrabase's tables, sys_* included.
    expect(stdout).toMatch(/ main\s+\| flowers\s+\| table \| admin/);
    expect(stdout).toMatch(/ main\s+\| sys_nodes\s+\| table \| admin/);
    // PREDICT's labels are those the HTTP API answers for the same statement.
    const http = await call(cp, '/v1/sql', { token: cp.tokens.admin, body: { sql: predictSql } });
    const labels = (http.body.rows as unknown[][]).map((r) => String(r[0]));
    expect(labels).toHaveLength(3);
    expect(stdout).toContain(
      ` label \n-------\n${labels.map((l) => ` ${l.padStart(5)}`).join('\n')}\n(3 rows)`,
    );
    expect(stdout).toContain('INSERT 0 1');
    expect(stdout).toMatch(/ n-psql \| local\s+\| running/);
    expect(stderr).toMatch(/ERROR: {2}42601: near "SELEC": syntax error/);
    expect(stderr).toMatch(/ERROR: {2}23514: CHECK constraint failed/);
    // \d shows the columns with their types; \q ends the session before the last statement.
    expect(stdout).toMatch(/Table "main\.flowers"/);
    expect(stdout).toMatch(/ a\s+\| double precision \|/);
    expect(stdout).not.toContain('never_run');
    const row = await call(cp, '/v1/sql', {
      token: cp.tokens.admin,
      body: { sql: "SELECT role FROM sys_nodes WHERE id = 'n-psql'" },
    });
    expect(row.body.rows).toEqual([['data']]);
  });

  it('lists the database with \\l', async () => {
    const { code, stdout, stderr } = await psql('\\l\n').done;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/ infrabase \| admin\s+\| UTF8/);
  });

  it("ends a running statement on psql's Ctrl-C (CancelRequest) with SQLSTATE 57014, and the pool runs the next one", async () => {
    const runaway = 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r';
    const started = performance.now();
    const { child, done, stdout } = psql('', ['-c', 'SELECT 1 AS connected', '-c', runaway]);
    // Once the first result is printed psql is connected and sends the runaway statement next; give it a moment
    // to reach a worker (the recursion then runs until cancelled, or for the 30 s time limit).
    await waitFor(() => stdout().includes('connected'), 20_000, 20);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const { code, stderr } = await done;
    expect(code).toBe(1);
    expect(stderr).toMatch(/ERROR: {2}57014: statement was cancelled at the client's request/);
    // Well before the 30 s default time limit.
    expect(performance.now() - started).toBeLessThan(20_000);
    const next = await psql('SELECT 41 + 1 AS answer;').done;
    expect(next.stdout).toMatch(/ answer \n--------\n +42\n/);
  });
});
