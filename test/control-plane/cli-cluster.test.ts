import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { EXAMPLES } from '../support/data.js';
import { startCluster, type TestCluster } from '../training/cluster.js';

const IRIS = `${EXAMPLES}/tabular/iris.csv`;
const WDBC = `${EXAMPLES}/tabular/breast_cancer_wdbc.csv`;
const WDBC_SQL = `SELECT radius_mean AS radius, texture_mean AS texture, smoothness_mean AS smoothness,
  (diagnosis = 'M') AS malignant, ((_row * 2654435761) % 4294967296) % 100 < 20 AS _holdout FROM wdbc`;

let cluster: TestCluster;
/** Runs `infrabase …` against the in-process control plane with its admin token. */
const cli = (args: string[], timeoutMs = 60_000) =>
  runCli([...args, '--url', cluster.cp.url, '--token', cluster.cp.tokens.admin], { timeoutMs });

/** The `node │ rows` table `infrabase load` prints, as an object. */
function rowsPerNode(stdout: string): Record<string, number> {
  return Object.fromEntries(
    [...stdout.matchAll(/│ (d\d+) +│ (\d+) +│/g)].map((m) => [m[1], Number(m[2])] as const),
  );
}

/** `infrabase sql --cluster --json` parsed. */
async function clusterJson(sql: string) {
  const res = await cli(['sql', '--cluster', '--json', sql]);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as { columns: string[]; rows: unknown[][]; failures: unknown[] };
}

beforeAll(async () => {
  cluster = await startCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

describe('infrabase load', () => {
  it('hash-shards iris.csv by species, prints rows per node, and each species lives on exactly one node', async () => {
    const res = await cli(['load', 'iris', IRIS, '--shard-by', 'species']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('loaded 150 rows into iris (hash of species)');
    const printed = rowsPerNode(res.stdout);
    expect(Object.values(printed).reduce((a, b) => a + b, 0)).toBe(150);
    const counts = await clusterJson('SELECT count(*) AS n FROM iris');
    expect(counts.columns).toEqual(['_node', 'n']);
    expect(Object.fromEntries(counts.rows as [string, number][])).toEqual(printed);
    const bySpecies = await clusterJson('SELECT species, count(*) AS n FROM iris GROUP BY species');
    const homes = new Map<number, string[]>();
    for (const [node, species, n] of bySpecies.rows as [string, number, number][]) {
      expect(n).toBe(50);
      homes.set(species, [...(homes.get(species) ?? []), node]);
    }
    expect([...homes.keys()].sort()).toEqual([0, 1, 2]);
    for (const nodes of homes.values()) expect(nodes).toHaveLength(1);
  });

  it('spreads wdbc.csv round-robin over the three data nodes without --shard-by', async () => {
    const res = await cli(['load', 'wdbc', WDBC]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('loaded 569 rows into wdbc (round-robin)');
    expect(rowsPerNode(res.stdout)).toEqual({ d1: 190, d2: 190, d3: 189 });
    const counts = await clusterJson('SELECT count(*) AS n FROM wdbc');
    expect(Object.fromEntries(counts.rows as [string, number][])).toEqual({ d1: 190, d2: 190, d3: 189 });
  });

  it('refuses a --shard-by column that is not in the header, naming it and the columns, with exit code 1', async () => {
    const res = await cli(['load', 'iris_bad', IRIS, '--shard-by', 'genus']);
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain('loaded');
    expect(res.stderr).toContain(
      "INVALID_ARGUMENT: --shard-by column 'genus' is not in the header; columns: sepal_length, sepal_width, petal_length, petal_width, species",
    );
    const tables = await clusterJson("SELECT count(*) AS n FROM sqlite_master WHERE name = 'iris_bad'");
    for (const [, n] of tables.rows as [string, number][]) expect(n).toBe(0);
  });
});

describe('infrabase sql --cluster', () => {
  it('prints the rows of every data node with a leading _node column', async () => {
    const res = await cli(['sql', '--cluster', 'SELECT count(*) AS n, min(_row) AS first FROM wdbc']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/│ _node +│ n +│ first +│/);
    expect(res.stdout).toMatch(/│ d1 +│ 190 +│ 1 +│/);
    expect(res.stdout).toMatch(/│ d2 +│ 190 +│ 2 +│/);
    expect(res.stdout).toMatch(/│ d3 +│ 189 +│ 3 +│/);
    expect(res.stdout).toContain('(3 rows)');
  });

  it('refuses a write on the shards with exit code 1', async () => {
    const res = await cli(['sql', '--cluster', 'DELETE FROM wdbc']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^infrabase: PERMISSION_DENIED: /);
    const counts = await clusterJson('SELECT count(*) AS n FROM wdbc');
    expect((counts.rows as [string, number][]).map((r) => r[1])).toEqual([190, 190, 189]);
  });
});

describe('infrabase train', () => {
  it('prints every round and ends with the model version it landed in sys_models', async () => {
    const res = await cli([
      'train',
      '--model',
      'wdbc',
      '--sql',
      WDBC_SQL,
      '--label',
      'malignant',
      '--features',
      'radius,texture,smoothness',
      '--rounds',
      '3',
      '--learning-rate',
      '0.05',
      '--poll-ms',
      '100',
    ]);
    expect(res.stderr).not.toMatch(/infrabase: /);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^training job (\d+): 3 rounds of fedavg over the data nodes$/);
    const rounds = lines.filter((l) => l.startsWith('round '));
    expect(rounds.map((l) => Number(/^round (\d+):/.exec(l)![1]))).toEqual([1, 2, 3]);
    for (const l of rounds)
      expect(l).toMatch(/: 3 shard\(s\), 0 failure\(s\), loss \d+\.\d{4} acc [\d.]+% eval [\d.]+%, \d+ ms$/);
    expect(lines.at(-1)).toMatch(/^job \d+ succeeded: model wdbc version 1$/);
    const model = await cli([
      'sql',
      '--json',
      "SELECT version, created_by FROM sys_models WHERE name = 'wdbc'",
    ]);
    const jobId = /^training job (\d+)/.exec(lines[0])![1];
    expect(JSON.parse(model.stdout).rows).toEqual([[1, `training:${jobId}`]]);
  });

  it('exits 1 with the reason when the job fails', async () => {
    const res = await cli([
      'train',
      '--model',
      'wdbc_broken',
      '--sql',
      WDBC_SQL,
      '--label',
      'malignant',
      '--features',
      'radius,perimeter',
      '--rounds',
      '2',
      '--poll-ms',
      '100',
    ]);
    expect(res.code).toBe(1);
    expect(res.stdout).not.toMatch(/succeeded/);
    expect(res.stderr).toMatch(/^infrabase: CONFLICT: job \d+ failed: /);
    expect(res.stderr).toContain("training_sql returns no column 'perimeter'");
    const models = await cli(['sql', '--json', "SELECT count(*) FROM sys_models WHERE name = 'wdbc_broken'"]);
    expect(JSON.parse(models.stdout).rows).toEqual([[0]]);
  });
});
