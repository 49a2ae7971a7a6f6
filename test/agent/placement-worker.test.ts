import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSqlPool } from '../../agent/index.js';
import { AGENT_SQL_TIMEOUTS } from '../../agent/run-agent.js';
import { compiledPath, PlacementFiles, type SqlPool } from '../../engine/index.js';
import { createRegistry } from '../../metrics/index.js';
import { insertModel, openMlDatabase, query } from '../ml/predict/support.js';
import { tempDir } from '../support/tmp.js';

/**
 * The agent's placement SQL worker: shard queries of distributed tables run in a worker process with PREDICT
 * (models from the agent's shard.db) and under the pool's time limit.
 */
let tmp: ReturnType<typeof tempDir>;
let pool: SqlPool;
const FLOWERS = [
  [1, 5.1, 3.5, 1.4, 0.2],
  [2, 7.0, 3.2, 4.7, 1.4],
  [3, 6.3, 3.3, 6.0, 2.5],
];

beforeAll(() => {
  tmp = tempDir('infrabase-placement-worker-');
  const shardDb = openMlDatabase(join(tmp.dir, 'shard.db'));
  insertModel(shardDb, 'iris_lr', 'sklearn_logreg_iris.onnx');
  const placements = new PlacementFiles(join(tmp.dir, 'shards'));
  placements.create('g', 0, 1);
  placements.get('g', 0).apply({
    epoch: 1,
    lsn: 1,
    ops: [
      {
        op: 'create_table',
        table: 'iris',
        columns: ['sl', 'sw', 'pl', 'pw'].map((name) => ({ name, type: 'REAL' })),
      },
      { op: 'upsert', table: 'iris', columns: ['_row', 'sl', 'sw', 'pl', 'pw'], rows: FLOWERS },
    ],
  });
  placements.close();
  shardDb.close();
  pool = agentSqlPool({
    dbPath: tmp.dir,
    registry: createRegistry(),
    size: 1,
    ...AGENT_SQL_TIMEOUTS,
    workerScript: compiledPath(import.meta.url, '../../agent/placement-worker-main.js'),
  });
});
afterAll(async () => {
  await pool?.close();
  tmp?.cleanup();
});

describe('placement SQL worker', () => {
  it('scores PREDICT on a placement with the models of the agent shard.db', async () => {
    // The oracle: the same model scored row by row on an ordinary ml connection.
    const shardDb = openMlDatabase(join(tmp.dir, 'shard.db'));
    const expected = FLOWERS.map((f) =>
      Number(query(shardDb, "SELECT PREDICT('iris_lr', ?, ?, ?, ?)", f.slice(1))[0][0]),
    );
    shardDb.close();
    const r = await pool.execute({
      sql: "SELECT _row, PREDICT('iris_lr', sl, sw, pl, pw) AS p FROM iris ORDER BY _row",
      readOnly: true,
      placement: { group: 'g', shard: 0 },
    });
    expect(r.columns).toEqual(['_row', 'p']);
    expect(r.rows.map((x) => Number(x[1]))).toEqual(expected);
    expect(new Set(expected).size).toBe(3); // three classes: not a constant answer
  });

  it('refuses a write, a missing placement and a request without a placement', async () => {
    await expect(
      pool.execute({ sql: 'DELETE FROM iris', placement: { group: 'g', shard: 0 } }),
    ).rejects.toThrow(/read-only statement/);
    await expect(
      pool.execute({ sql: 'SELECT 1', readOnly: true, placement: { group: 'g', shard: 9 } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pool.execute({ sql: 'SELECT 1', readOnly: true })).rejects.toThrow(/shard queries only/);
  });

  it('a runaway shard query ends at its time limit (TIMEOUT) and the next one runs', async () => {
    await expect(
      pool.execute({
        sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c, iris',
        readOnly: true,
        timeoutMs: 300,
        placement: { group: 'g', shard: 0 },
      }),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    const r = await pool.execute({
      sql: 'SELECT count(*) FROM iris',
      readOnly: true,
      placement: { group: 'g', shard: 0 },
    });
    expect(r.rows).toEqual([[3]]);
  });
});
