import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN_PATH, type ControlPlane } from '../../control-plane/index.js';
import { runCli } from '../support/cli.js';
import { call, startTestControlPlane } from '../support/control-plane.js';
import { EXAMPLES } from '../support/data.js';

const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const IRIS_MODEL = `${EXAMPLES}/models/sklearn_logreg_iris.onnx`;

// Each test runs several CLI processes (a Node start each, seconds apiece on a shared machine).
vi.setConfig({ testTimeout: 240_000 });

let cp: ControlPlane;
let close: () => Promise<void>;
/** `infrabase …` against the control plane (the bare SQL API: no reconciler launches the rows inserted here). */
const cli = (args: string[], input?: string) =>
  runCli([...args, '--url', cp.url, '--token', cp.tokens.admin], { input });

beforeAll(async () => {
  ({ cp, close } = await startTestControlPlane({}, { modules: [] }));
  // Two launched nodes (idempotency token set, as a launch does), one never launched, and a distributed table.
  cp.context.db.exec(`
    INSERT INTO sys_nodes (id, role, idempotency_token, status) VALUES
      ('n-data1', 'data', 't1', 'ready'), ('n-data2', 'data', 't2', 'ready');
    INSERT INTO sys_nodes (id, role) VALUES ('n-compute', 'compute');
    INSERT INTO sys_distributed_tables (name, columns, shard_key, shard_count, replication_factor, colocation_group)
      VALUES ('adult', '[{"name": "age", "type": "INTEGER"}, {"name": "education", "type": "TEXT"}]',
              'education', 8, 2, 'g_adult');`);
});
afterAll(async () => {
  await close?.();
});

describe('infrabase status', () => {
  it('answers the URL, version, nodes by role and status, tables with shard health and running jobs', async () => {
    const res = await cli(['status', '--json']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const status = JSON.parse(res.stdout);
    expect(status).toMatchObject({ url: cp.url, version: VERSION, cliVersion: VERSION, jobs: [] });
    expect(status.nodes).toEqual([
      { role: 'compute', status: 'pending', desired_state: 'running', count: 1 },
      { role: 'data', status: 'ready', desired_state: 'running', count: 2 },
    ]);
    expect(status.tables).toEqual([
      expect.objectContaining({
        name: 'adult',
        shard_key: 'education',
        shard_count: 8,
        replication_factor: 2,
      }),
    ]);
    const text = await cli(['status']);
    expect(text.stdout).toContain(`Control plane: ${cp.url} (version ${VERSION}, up `);
    expect(text.stdout).toMatch(
      /Nodes: 3\nROLE +STATUS +DESIRED +COUNT\ncompute +pending +running +1\ndata +ready +running +2\n/,
    );
    expect(text.stdout).toMatch(/Distributed tables: 1\nNAME .*\nadult +distributed +education +8 +2 /);
    expect(text.stdout).toContain('Training jobs running: 0');
  });
});

describe('infrabase nodes', () => {
  it('lists the nodes with kubectl-like columns, filtered by role', async () => {
    const res = await cli(['nodes']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATUS +ROLE +PROVIDER +ENDPOINT +AGE +REASON$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['n-data1', 'n-data2', 'n-compute']);
    const data = JSON.parse((await cli(['nodes', '--role', 'data', '--json'])).stdout);
    expect(data.map((n: { id: string }) => n.id)).toEqual(['n-data1', 'n-data2']);
    expect(data[0]).toMatchObject({
      provider: 'local',
      role: 'data',
      status: 'ready',
      desired_state: 'running',
    });
  });

  it('refuses a value outside an enum flag before any request, naming flag, value and choices', async () => {
    const res = await runCli(['nodes', '--role', 'worker', '--url', 'http://127.0.0.1:9']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      "option '--role <role>' argument 'worker' is invalid. Allowed choices are data, compute.",
    );
    const json = await runCli(['nodes', '--status', 'up', '--json', '--url', 'http://127.0.0.1:9']);
    expect(json).toMatchObject({ code: 2, stdout: '' });
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /^option '--status <status>' argument 'up' is invalid\. Allowed choices are pending, /,
        ),
      },
    });
  });
});

describe('DELETE on sys_nodes', () => {
  it('reports the nodes marked for termination, over HTTP and in the CLI', async () => {
    const http = await call(cp, '/v1/sql', {
      token: cp.tokens.admin,
      body: { sql: "DELETE FROM sys_nodes WHERE id = 'n-data1'" },
    });
    expect(http).toMatchObject({ status: 200, body: { changes: 0, markedForTermination: 1 } });
    const res = await cli(['sql', 'DELETE FROM sys_nodes']);
    // n-data2 is marked; n-data1 was already; n-compute never launched and is deleted outright.
    expect(res).toMatchObject({ code: 0, stdout: '1 node marked for termination; 1 row deleted\n' });
    const again = await cli(['sql', "DELETE FROM sys_nodes WHERE id = 'n-data2'"]);
    expect(again.stdout).toBe('OK, 0 rows changed\n');
    const nodes = JSON.parse((await cli(['nodes', '--json'])).stdout);
    expect(nodes.map((n: { desired_state: string }) => n.desired_state)).toEqual([
      'terminated',
      'terminated',
    ]);
    expect((await cli(['nodes'])).stdout).toMatch(/n-data1 +ready,terminating +data/);
  });
});

describe('infrabase model list and model rm', () => {
  it('lists versions and removes one or all, refusing an unknown version with the known ones', async () => {
    for (const v of ['1', '2']) {
      expect((await cli(['model', 'import', 'iris', IRIS_MODEL, '--version', v, '--json'])).code).toBe(0);
    }
    const listed = JSON.parse((await cli(['model', 'list', '--json'])).stdout);
    expect(listed.map((m: { name: string; version: number }) => [m.name, m.version])).toEqual([
      ['iris', 1],
      ['iris', 2],
    ]);
    expect(listed[0]).not.toHaveProperty('onnx');
    const text = await cli(['model', 'list']);
    expect(text.stdout).toMatch(
      /^NAME +VERSION +STATUS +TASK +OPSET +SHA256 +CREATED BY +AGE\niris +1 +active +classification /,
    );
    const missing = await cli(['model', 'rm', 'iris', '--version', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("infrabase: NOT_FOUND: model 'iris' has no version 9; versions: 1, 2\n");
    expect((await cli(['model', 'rm', 'iris', '--version', '1'])).stdout).toBe(
      'model iris: deleted version 1\n',
    );
    expect(JSON.parse((await cli(['model', 'rm', 'iris', '--json'])).stdout)).toEqual({
      name: 'iris',
      deleted: [2],
    });
    expect(JSON.parse((await cli(['model', 'list', '--json'])).stdout)).toEqual([]);
    const gone = await cli(['model', 'rm', 'iris', '--json']);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stderr)).toEqual({
      error: { code: 'NOT_FOUND', message: "no model named 'iris'" },
    });
  });
});

describe('--json and exit codes', () => {
  it('prints an API error as the HTTP error body on stderr and exits 1', async () => {
    const res = await cli(['sql', '--json', 'SELEC 1']);
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(res.stderr)).toEqual({
      error: { code: 'SQL_ERROR', message: 'near "SELEC": syntax error' },
    });
  });

  it('refuses mesh rotate-key on a dir that holds no node key, and creates nothing there', async () => {
    const dir = join(tmpdir(), `infrabase-no-node-${process.pid}`);
    const res = await runCli(['mesh', 'rotate-key', '--json', '--data-dir', dir]);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stderr).error).toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(dir)).toBe(false);
  });

  it('exits 3 when the control plane cannot be reached', async () => {
    const res = await runCli(['status', '--json', '--url', 'http://127.0.0.1:9', '--token', 'x']);
    expect(res.code).toBe(3);
    expect(JSON.parse(res.stderr).error.code).toBe('UNAVAILABLE');
  });
});

describe('the sql prompt', () => {
  it('runs several statements of one line, split by the parser, and goes on after a syntax error', async () => {
    const res = await cli(
      ['sql'],
      "SELECT 1 AS a; SELECT ';' AS b;\nSELECT 40 +\n 2 AS c; SELEC 2; SELECT 3;\n\\q\n",
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/│ a +│\n├[─┼]+┤\n│ 1 +│/);
    expect(res.stdout).toMatch(/│ b +│\n├[─┼]+┤\n│ ; +│/);
    expect(res.stdout).toMatch(/│ c +│\n├[─┼]+┤\n│ 42 +│/);
    expect(res.stdout).toContain('error: near "SELEC": syntax error');
  });

  it('lists tables with \\dt and describes a distributed table with \\d', async () => {
    const res = await cli(['sql'], '\\dt\n\\d adult\n\\d nope\n\\q\n');
    expect(res.stdout).toMatch(/│ adult +│ table +│ distributed +│/);
    expect(res.stdout).toMatch(/│ sys_nodes +│ table +│ system +│/);
    expect(res.stdout).toMatch(/│ sys_shard_status +│ view +│ system +│/);
    expect(res.stdout).toContain('distributed table "adult"');
    expect(res.stdout).toMatch(/│ _row +│ INTEGER +│ not null +│ +│ yes +│/);
    expect(res.stdout).toMatch(/│ education +│ TEXT +│/);
    expect(res.stdout).toContain('Shard key: education\nShards: 8\nReplication factor: 2\n');
    expect(res.stdout).toContain("error: no table or view named 'nope'; \\dt lists them");
    const json = await cli(['sql', '--json'], '\\d sys_models\n\\d nope\n');
    expect(JSON.parse(json.stderr).error.code).toBe('NOT_FOUND');
    const described = JSON.parse(json.stdout);
    expect(described.kind).toBe('system table');
    expect(described.columns.map((c: { name: string }) => c.name)).toContain('feature_names');
  });
});

describe('tables fit the terminal', () => {
  const wide = "SELECT 'n-0123456789abcdef' AS id, printf('%.80c', 'x') AS reason, 'ready' AS status";

  it('cuts cells with … to the width of a terminal', async () => {
    const { execFile } = await import('node:child_process');
    const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
    const args = [process.execPath, BIN_PATH, 'sql', '--url', cp.url, '--token', cp.tokens.admin, wide];
    const command = args.map(quote).join(' ');
    const out = await new Promise<string>((resolve, reject) =>
      execFile('script', ['-qec', `stty cols 60; ${command}`, '/dev/null'], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    const lines = out.replace(/\r/g, '').trimEnd().split('\n');
    expect(lines.some((l) => l.includes('…'))).toBe(true);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(out).toContain('ready');
  });

  it('prints the full width when stdout is not a terminal', async () => {
    const res = await cli(['sql', wide]);
    expect(res.stdout).toContain('x'.repeat(80));
    expect(res.stdout).not.toContain('…');
  });
});
