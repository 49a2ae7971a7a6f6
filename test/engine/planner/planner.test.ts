import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { shardForValue } from '../../../engine/distributed/index.js';
import { DistributedPlanner, isInfrabaseError } from '../../../engine/index.js';
import { type FakeCluster, fakeCluster, SHARDS } from './fake-cluster.js';

const cluster: FakeCluster = fakeCluster(2000);
const planner = new DistributedPlanner();
afterAll(() => {
  planner.close();
  cluster.close();
});
beforeEach(() => {
  cluster.reader.calls.length = 0;
});

function oracle(sql: string, params: unknown[] = []): unknown[][] {
  return cluster.oracle
    .prepare(sql)
    .raw(true)
    .all(...params) as unknown[][];
}

async function run(sql: string, params: unknown[] = []): Promise<unknown[][]> {
  const r = await planner.run(sql, params, cluster.reader);
  if (!r) throw new Error(`not planned: ${sql}`);
  return r.rows;
}

describe('routing', () => {
  it('WHERE shard_key = ? reads only the shard that holds the value', async () => {
    const sql = 'SELECT count(*), sum(age) FROM adult WHERE cid = ?';
    expect(await run(sql, [42])).toEqual(oracle(sql, [42]));
    expect(cluster.reader.calls.map((c) => c.shard)).toEqual([shardForValue(42, SHARDS)]);
  });

  it('a TEXT literal on an INTEGER shard key routes like the number it is compared as', async () => {
    const sql = "SELECT count(*) FROM adult WHERE cid = '42'";
    expect(await run(sql)).toEqual(oracle(sql));
    expect(cluster.reader.calls.map((c) => c.shard)).toEqual([shardForValue(42, SHARDS)]);
  });

  it('WHERE shard_key IN (…) reads only the shards of those values', async () => {
    const values = [5, 6, 7, 8, 9];
    const sql = `SELECT cid, age FROM adult WHERE cid IN (${values.join(', ')}) ORDER BY 1, 2`;
    expect(await run(sql)).toEqual(oracle(sql));
    const expected = [...new Set(values.map((v) => shardForValue(v, SHARDS)))].sort();
    expect(cluster.reader.calls.map((c) => c.shard)).toEqual(expected);
  });

  it('a statement over reference tables only goes to one placement, in its own order', async () => {
    const sql = 'SELECT job, jid FROM jobs ORDER BY jid DESC LIMIT 4';
    expect(await run(sql)).toEqual(oracle(sql));
    expect(cluster.reader.calls).toHaveLength(1);
  });

  it('a subquery over reference tables only also goes to one placement', async () => {
    const sql = 'SELECT count(*), max(jid) FROM (SELECT * FROM jobs WHERE manual = 1) j';
    expect(await run(sql)).toEqual(oracle(sql));
    expect(cluster.reader.calls).toHaveLength(1);
  });

  it('a statement that names no distributed or reference table is not the planner’s', () => {
    expect(planner.plan('SELECT * FROM sys_nodes', [], cluster.tables)).toBeUndefined();
  });
});

describe('exactness', () => {
  it('integer sums stay integers, total() is REAL, avg is the REAL sum over the count', async () => {
    const sql =
      'SELECT sum(age) / count(*), typeof(sum(age)), typeof(total(age)), avg(age), typeof(max(ratio)) FROM adult';
    const rows = await run(sql);
    expect(rows).toEqual(oracle(sql));
    expect(rows[0][1]).toBe('integer');
    expect(rows[0][2]).toBe('real');
  });

  it('aggregates over no rows keep their NULL semantics (count 0, sum NULL, total 0.0, avg NULL)', async () => {
    const sql =
      'SELECT count(*), count(age), sum(age), total(age), avg(age), min(age), max(age) FROM adult WHERE age < 0';
    expect(await run(sql)).toEqual([[0, 0, null, 0, null, null, null]]);
    expect(await run(sql)).toEqual(oracle(sql));
  });

  it('a GROUP BY key keeps its column affinity for comparisons above the merge', async () => {
    const sql =
      "SELECT * FROM (SELECT age, count(*) AS c FROM adult GROUP BY age) WHERE age > '60' ORDER BY 1";
    expect(await run(sql)).toEqual(oracle(sql));
  });

  it("the README's hold-out accuracy is one statement, scored on the shards", async () => {
    const sql = "SELECT avg(PREDICT('adult_income', age, hours) = (Y = '>50K')) FROM adult WHERE cid % 5 = 0";
    const rows = await run(sql);
    expect(rows[0][0] as number).toBeCloseTo(oracle(sql)[0][0] as number, 12);
    expect(cluster.reader.calls).toHaveLength(SHARDS);
    expect(cluster.reader.calls.every((c) => c.sql.includes('PREDICT('))).toBe(true);
  });

  it('a subquery grouped by the shard key joins its co-located table on the nodes', async () => {
    const sql =
      'SELECT count(*), sum(s.c), max(s.d) FROM adult a JOIN (SELECT cid, count(*) AS c, max(duration) AS d FROM bank GROUP BY cid) s ON a.cid = s.cid';
    expect(await run(sql)).toEqual(oracle(sql));
    expect(cluster.reader.calls).toHaveLength(SHARDS);
  });

  it('a window function runs over a merged subquery on the control plane', async () => {
    const sql =
      'SELECT g, n, rank() OVER (ORDER BY n DESC) FROM (SELECT education AS g, count(*) AS n FROM adult GROUP BY education) ORDER BY 3, 1';
    expect(await run(sql)).toEqual(oracle(sql));
  });
});

describe('common table expressions', () => {
  it('a CTE named once runs as the subquery in FROM it stands for, parameters in place', async () => {
    const sql =
      'WITH old AS (SELECT cid, age, education FROM adult WHERE age > ?) SELECT education, count(*), max(age) FROM old WHERE cid % ? = 0 GROUP BY education ORDER BY 2 DESC, 1 LIMIT 4';
    expect(await run(sql, [50, 3])).toEqual(oracle(sql, [50, 3]));
    expect(cluster.reader.calls).toHaveLength(SHARDS);
  });

  it('CTEs that read earlier ones and a co-located join are inlined exactly', async () => {
    const sql = `WITH young AS (SELECT cid, age FROM adult WHERE age < 40),
      g AS (SELECT cid, count(*) AS c FROM bank GROUP BY cid),
      j AS (SELECT a.age, g.c FROM young a JOIN g ON a.cid = g.cid)
      SELECT count(*), sum(c), min(age) FROM j`;
    expect(await run(sql)).toEqual(oracle(sql));
  });

  it('a compound keeps its WITH for every branch, and EXPLAIN shows the inlined subquery', async () => {
    const sql =
      'WITH y AS (SELECT cid FROM bank WHERE duration > 300) SELECT count(*) FROM y UNION ALL SELECT count(*) FROM adult ORDER BY 1';
    expect(await run(sql)).toEqual(oracle(sql));
    const plan = await run(`EXPLAIN ${sql}`);
    expect(String(plan[0][2])).toContain('FROM (SELECT cid FROM bank WHERE duration > 300) AS "y"');
  });
});

describe('EXPLAIN', () => {
  it('shows the per-shard SQL, the shards targeted and the merge steps, without reading a shard', async () => {
    const r = await planner.run(
      'EXPLAIN SELECT sex, avg(age) FROM adult WHERE cid IN (1, 100) GROUP BY sex ORDER BY 2 DESC LIMIT 1',
      [],
      cluster.reader,
    );
    expect(r?.columns).toEqual(['step', 'target', 'detail']);
    const steps = r!.rows.map((row) => row[0]);
    expect(steps[0]).toBe('shard');
    expect(steps).toContain('merge');
    expect(steps[steps.length - 1]).toBe('final');
    const shards = [...new Set([1, 100].map((v) => shardForValue(v, SHARDS)))].sort().join(',');
    expect(r!.rows[0][1]).toContain(`shards ${shards}`);
    expect(r!.rows[0][2]).toMatch(/total\(age\).*count\(age\).*GROUP BY sex/);
    expect(String(r!.rows.at(-1)![2])).toMatch(/ORDER BY 2 DESC LIMIT 1$/);
    expect(cluster.reader.calls).toHaveLength(0);
  });
});

describe('unsupported shapes answer a clear error and read nothing', () => {
  const shapes: [string, RegExp][] = [
    ['SELECT count(*) FROM adult a JOIN iris i ON a.cid = i.cid', /different colocation groups/],
    ['SELECT count(*) FROM adult a JOIN bank b ON a.age = b.age', /not an equality of their shard keys/],
    ['SELECT count(*) FROM adult a, bank b', /not an equality of their shard keys/],
    [
      'SELECT a.cid FROM adult a WHERE a.age > (SELECT avg(b.age) FROM bank b WHERE b.cid = a.cid)',
      /subquery in an expression that reads the distributed table bank/,
    ],
    ['SELECT age, rank() OVER (ORDER BY age) FROM adult', /window function over a distributed table/],
    ['SELECT a.age FROM adult a JOIN sys_nodes n ON n.id = a.cid', /control-plane table sys_nodes/],
    [
      'SELECT * FROM jobs j LEFT JOIN bank b ON b.job = j.job',
      /LEFT JOIN that keeps the unmatched rows of a reference table/,
    ],
    ['SELECT group_concat(sex) FROM adult', /aggregate group_concat/],
    ['WITH RECURSIVE x AS (SELECT cid FROM adult) SELECT count(*) FROM x', /WITH RECURSIVE/],
    ['WITH x(a) AS (SELECT cid FROM adult) SELECT count(*) FROM x', /with a column list \(x\(a\)\)/],
    [
      'WITH x AS (SELECT cid FROM adult) SELECT count(*) FROM x a JOIN x b ON a.cid = b.cid',
      /common table expression named more than once \(x\)/,
    ],
    ['SELECT count(*) FROM (WITH x AS (SELECT cid FROM adult) SELECT * FROM x)', /WITH inside a subquery/],
    [
      'SELECT count(DISTINCT sex), count(DISTINCT education) FROM adult',
      /DISTINCT aggregates over different arguments/,
    ],
    ['SELECT age, count(*) FROM adult', /column age outside an aggregate/],
    [
      'SELECT count(*) FROM adult a JOIN (SELECT job, count(*) AS c FROM bank GROUP BY job) s ON a.occupation = s.job',
      /must be merged first/,
    ],
    ['SELECT * FROM adult WHERE cid = :id', /named parameters/],
  ];
  for (const [sql, message] of shapes) {
    it(sql, async () => {
      const err = await planner.run(sql, sql.includes('?') ? [1] : [], cluster.reader).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isInfrabaseError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toMatch(message);
      if (!/named/.test(sql)) expect((err as Error).message).toMatch(/supported over distributed tables/);
      expect(cluster.reader.calls).toHaveLength(0);
    });
  }
});

describe('failures', () => {
  it('a shard without placement fails the statement with UNAVAILABLE, never a partial answer', async () => {
    const err = await planner.run('SELECT count(*) FROM iris', [], cluster.reader).catch((e: unknown) => e);
    expect(isInfrabaseError(err, 'UNAVAILABLE')).toBe(true);
    // One error naming every shard without a placement, not just the first read to fail.
    const shards = [...Array(cluster.tables.get('iris')!.shardCount).keys()];
    expect((err as Error).message).toBe(
      `table iris: shards ${shards.join(', ')} have no available in-sync placement`,
    );
  });

  it('a parameter count other than the statement’s is refused before any shard is read', async () => {
    for (const params of [[], [1, 2]]) {
      const err = await planner
        .run('SELECT count(*) FROM adult WHERE cid = ?', params, cluster.reader)
        .catch((e: unknown) => e);
      expect(isInfrabaseError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toMatch(/takes 1 parameter; got/);
    }
    expect(cluster.reader.calls).toHaveLength(0);
  });

  it('more rows than maxMergeRows are refused instead of pulled', async () => {
    const small = new DistributedPlanner({ maxMergeRows: 100 });
    const err = await small.run('SELECT * FROM adult', [], cluster.reader).catch((e: unknown) => e);
    small.close();
    expect(isInfrabaseError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/over the limit of 100/);
  });
});

describe('compounds', () => {
  it('UNION ALL … ORDER BY <position> LIMIT k asks each shard for its top k only', async () => {
    const sql =
      'SELECT education, age FROM adult WHERE age > 30 UNION ALL SELECT education, age FROM bank ORDER BY 2 DESC, 1 LIMIT 5 OFFSET 1';
    expect(await run(sql)).toEqual(oracle(sql));
    expect(cluster.reader.calls).toHaveLength(2 * SHARDS);
    expect(cluster.reader.calls.every((c) => /ORDER BY "_c2" DESC, "_c1" LIMIT 6$/.test(c.sql))).toBe(true);
  });
});
