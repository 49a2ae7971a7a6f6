import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDistributedModule } from '../../control-plane/modules/distributed.js';
import { createTrainingModule } from '../../control-plane/modules/training.js';
import { createNodesModule } from '../../control-plane/nodes/index.js';
import { DataLayer } from '../../control-plane/tables/index.js';
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

const layer = new DataLayer({ intervalMs: 100 });

beforeAll(async () => {
  cluster = await startCluster(3, {
    modules: [
      createNodesModule({ terminationGate: (row) => layer.mayTerminate(row.id) }),
      createDistributedModule(layer),
      createTrainingModule({}, () => layer.coordinator),
    ],
  });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

describe('infrabase load', () => {
  it('creates a distributed table by default: 32 shards, 2 copies each over 3 nodes, every species in one shard', async () => {
    const res = await cli(['load', 'iris', IRIS, '--shard-by', 'species']);
    expect(res.stderr).not.toMatch(/infrabase: /);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('loaded 150 rows into iris: 32 shards by hash of species, 2 copies each');
    const table = await cli([
      'sql',
      '--json',
      "SELECT shard_count, replication_factor FROM sys_distributed_tables WHERE name = 'iris'",
    ]);
    expect(JSON.parse(table.stdout).rows).toEqual([[32, 2]]);
    const counts = await clusterJson('SELECT count(*) AS n FROM iris');
    expect(counts.columns).toEqual(['_shard', 'n']);
    expect(counts.rows).toHaveLength(32);
    expect((counts.rows as [number, number][]).reduce((a, r) => a + r[1], 0)).toBe(150);
    const bySpecies = await clusterJson('SELECT species, count(*) AS n FROM iris GROUP BY species');
    const homes = new Map<number, number[]>();
    for (const [shard, species, n] of bySpecies.rows as [number, number, number][]) {
      expect(n).toBe(50);
      homes.set(species, [...(homes.get(species) ?? []), shard]);
    }
    expect([...homes.keys()].sort()).toEqual([0, 1, 2]);
    for (const shards of homes.values()) expect(shards).toHaveLength(1);
  }, 180_000);

  it('refuses to load over an existing table without --replace, and replaces it with --replace', async () => {
    const again = await cli(['load', 'iris', IRIS]);
    expect(again.code).toBe(1);
    expect(again.stdout).not.toContain('loaded');
    expect(again.stderr).toContain(
      'CONFLICT: table iris already exists (a distributed table); load with --replace',
    );
    const kept = await clusterJson('SELECT count(*) AS n FROM iris');
    expect((kept.rows as [number, number][]).reduce((a, r) => a + r[1], 0)).toBe(150);
    const replaced = await cli(['load', 'iris', WDBC, '--replace', '--shards', '4', '--replicas', '1']);
    expect(replaced.stderr).not.toMatch(/infrabase: /);
    expect(replaced.stdout).toContain('loaded 569 rows into iris: 4 shards by hash of _row, 1 copy each');
    const now = await clusterJson('SELECT count(*) AS n FROM iris');
    expect(now.rows).toHaveLength(4);
    expect((now.rows as [number, number][]).reduce((a, r) => a + r[1], 0)).toBe(569);
    // The old table's 32 shards were deleted on the agents: only the new table's placements are listed.
    const placements = await cli(['sql', '--json', 'SELECT count(*) FROM sys_placements']);
    expect(JSON.parse(placements.stdout).rows).toEqual([[4]]);
    // …and on the agents themselves only the new table's 4 placement files are left.
    let files = 0;
    for (const node of cluster.nodeIds) files += (await layer.transport!.list(node)).length;
    expect(files).toBe(4);
  }, 180_000);

  it('--per-node keeps the older layout: wdbc.csv round-robin, one table per data node', async () => {
    const res = await cli(['load', 'wdbc', WDBC, '--per-node']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('loaded 569 rows into wdbc (round-robin)');
    expect(rowsPerNode(res.stdout)).toEqual({ d1: 190, d2: 190, d3: 189 });
    const counts = await clusterJson('SELECT count(*) AS n FROM wdbc');
    expect(Object.fromEntries(counts.rows as [string, number][])).toEqual({ d1: 190, d2: 190, d3: 189 });
    const again = await cli(['load', 'wdbc', WDBC, '--per-node']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CONFLICT: table wdbc already exists (a per-node table on 3 node(s))');
  }, 120_000);

  it('refuses a --shard-by column that is not in the header, naming it and the columns, with exit code 1', async () => {
    const res = await cli(['load', 'iris_bad', IRIS, '--shard-by', 'genus']);
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain('loaded');
    expect(res.stderr).toContain(
      "INVALID_ARGUMENT: --shard-by column 'genus' is not in the header; columns: sepal_length, sepal_width, petal_length, petal_width, species",
    );
    const tables = await cli([
      'sql',
      '--json',
      "SELECT count(*) FROM sys_distributed_tables WHERE name = 'iris_bad'",
    ]);
    expect(JSON.parse(tables.stdout).rows).toEqual([[0]]);
  });
});

describe('infrabase sql --cluster', () => {
  it('prints the rows of every data node with a leading _node column (per-node table)', async () => {
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
