import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startUp } from '../support/cli.js';
import { EXAMPLES } from '../support/data.js';
import { stopLocalAgents } from '../support/local-agents.js';
import { tempDir } from '../support/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let up: Awaited<ReturnType<typeof startUp>>;
beforeAll(async () => {
  tmp = tempDir();
  up = await startUp(['--port', '0', '--log-level', 'warn'], { cwd: tmp.dir });
});
afterAll(async () => {
  await up?.stop();
  // Agents are detached by design (a restarted control plane adopts them): stop the ones these tests launched.
  await stopLocalAgents(join(tmp.dir, 'infrabase-data'));
  tmp.cleanup();
});

describe('infrabase up', () => {
  it('starts on the embedded default in ./infrabase-data and names the tokens file without printing tokens', async () => {
    expect(up.stdout()).toContain(`data dir: ${tmp.dir}/infrabase-data`);
    expect(up.stdout()).toMatch(/stored in .*infrabase-data\/tokens\.json \(mode 0600\)/);
    expect(up.stdout()).not.toMatch(/ib_admin_|ib_read_/);
    // The hint carries the real URL (port 0 here) and runs as printed, from anywhere.
    const hint = /try: infrabase (sql --url (\S+) --data-dir (\S+)) "(.*)"\n/.exec(up.stdout());
    expect(hint?.[2]).toBe(up.url);
    const elsewhere = tempDir();
    const ran = await runCli(['sql', '--url', hint![2], '--data-dir', hint![3], hint![4]], {
      cwd: elsewhere.dir,
    });
    elsewhere.cleanup();
    expect(ran).toMatchObject({ code: 0, stdout: expect.stringContaining('(0 rows)') });
    const health = await fetch(`${up.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe('infrabase sql', () => {
  it('prints a table of the rows, finding the admin token in the data dir', async () => {
    const insert = await runCli(
      ['sql', '--url', up.url, "INSERT INTO sys_nodes (id, role) VALUES ('n-cli', 'compute')"],
      {
        cwd: tmp.dir,
      },
    );
    expect(insert).toMatchObject({ code: 0, stdout: 'OK, 1 row changed\n' });
    const select = await runCli(
      ['sql', '--url', up.url, "SELECT id, role FROM sys_nodes WHERE id = 'n-cli'"],
      { cwd: tmp.dir },
    );
    expect(select.code).toBe(0);
    expect(select.stdout).toMatch(/│ id +│ role +│/);
    expect(select.stdout).toMatch(/│ n-cli +│ compute +│/);
    expect(select.stdout).toContain('(1 row)');
  });

  it('prints JSON with --json', async () => {
    const res = await runCli(['sql', '--json', '--url', up.url, 'SELECT 1 AS one'], { cwd: tmp.dir });
    expect(JSON.parse(res.stdout)).toEqual({ columns: ['one'], rows: [[1]], changes: 0 });
  });

  it('reports an SQL error with its code and exits 1', async () => {
    const res = await runCli(['sql', '--url', up.url, 'SELEC 1'], { cwd: tmp.dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('infrabase: SQL_ERROR: near "SELEC": syntax error\n');
  });

  it('runs statements typed at the interactive prompt', async () => {
    const res = await runCli(['sql', '--url', up.url], {
      cwd: tmp.dir,
      input: 'SELECT 40 +\n 2 AS answer;\nSELEC;\n\\q\n',
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/│ 42 +│/);
    expect(res.stdout).toContain('error: near "SELEC": syntax error');
  });

  it('says where to find a token when there is none', async () => {
    const elsewhere = tempDir();
    const res = await runCli(['sql', '--url', up.url, 'SELECT 1'], {
      cwd: elsewhere.dir,
      env: { INFRABASE_TOKEN: '' },
    });
    elsewhere.cleanup();
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/UNAUTHENTICATED: no API token: pass --token, set INFRABASE_TOKEN/);
  });
});

describe('infrabase --version and model import --version', () => {
  it('prints the package version, and leaves --version after a subcommand to the subcommand', async () => {
    const version = await runCli(['--version'], { cwd: tmp.dir });
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const model = `${EXAMPLES}/models/sklearn_logreg_iris.onnx`;
    const imported = await runCli(['model', 'import', 'iris_cli', model, '--version', '7', '--url', up.url], {
      cwd: tmp.dir,
    });
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/row_independent/); // the probe's verdict is shown on import
    const stored = await runCli(
      [
        'sql',
        '--json',
        '--url',
        up.url,
        "SELECT version, row_independent FROM sys_models WHERE name = 'iris_cli'",
      ],
      { cwd: tmp.dir },
    );
    // onnxruntime's LinearClassifier is not bit-exact across batch sizes: scored one row at a time
    expect(JSON.parse(stored.stdout).rows).toEqual([[7, 0]]);
  });
});

describe('numeric flags are checked before any request', () => {
  it.each([
    [
      ['model', 'import', 'm', 'missing.onnx', '--version', 'abc'],
      "option '--version <n>' argument 'abc' is invalid",
    ],
    [['model', 'import', 'm', 'missing.onnx', '--version', '0'], 'Expected an integer >= 1.'],
    [
      ['train', '--model', 'm', '--sql', 'SELECT 1', '--label', 'y', '--features', 'a', '--rounds', 'abc'],
      "option '--rounds <n>' argument 'abc' is invalid. Expected an integer >= 1.",
    ],
    [
      ['train', '--model', 'm', '--sql', 'SELECT 1', '--label', 'y', '--features', 'a', '--fraction', '1.5'],
      "option '--fraction <x>' argument '1.5' is invalid. Expected a number > 0 and <= 1.",
    ],
    [['sql', '--timeout-ms', '2.5', 'SELECT 1'], "option '--timeout-ms <n>' argument '2.5' is invalid"],
    [
      ['up', '--port', '70000'],
      "option '--port <n>' argument '70000' is invalid. Expected an integer 0-65535.",
    ],
  ])('infrabase %j refuses', async (args, message) => {
    // An unreachable URL: had a request been made, the error would say "cannot reach".
    const res = await runCli([...args, ...(args[0] === 'up' ? [] : ['--url', 'http://127.0.0.1:9'])], {
      cwd: tmp.dir,
    });
    expect(res.code).toBe(2); // usage
    expect(res.stderr).toContain(message);
    expect(res.stderr).not.toContain('cannot reach');
  });
});
