import { afterAll, describe, expect, it } from 'vitest';
import { DistributedPlanner } from '../../../engine/index.js';
import { type FakeCluster, fakeCluster } from './fake-cluster.js';
import { generator } from './generator.js';

const STATEMENTS = Number(process.env.PLANNER_DIFF_STATEMENTS ?? 600);
const SEED = Number(process.env.PLANNER_DIFF_SEED ?? 20261207);

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b)) return a === b;
    return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) || a === b;
  }
  return a === b || (a === null && b === undefined);
}

function sortKey(row: unknown[]): string {
  return JSON.stringify(
    row.map((v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(8)) : v)),
  );
}

function rowsEqual(got: unknown[][], want: unknown[][], ordered: boolean): string | undefined {
  if (got.length !== want.length) return `${got.length} rows, expected ${want.length}`;
  const g = ordered ? got : [...got].sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
  const w = ordered ? want : [...want].sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
  for (let i = 0; i < g.length; i++) {
    if (g[i].length !== w[i].length || g[i].some((v, j) => !same(v, w[i][j]))) {
      return `row ${i}: ${JSON.stringify(g[i])}, expected ${JSON.stringify(w[i])}`;
    }
  }
  return undefined;
}

describe('distributed SELECTs answer like one table (differential against one SQLite database)', () => {
  const cluster: FakeCluster = fakeCluster();
  const planner = new DistributedPlanner();
  afterAll(() => {
    planner.close();
    cluster.close();
  });

  it(`${STATEMENTS} seeded random statements over adult ⋈ bank (co-located) and jobs (reference) equal the oracle`, async () => {
    const next = generator(SEED);
    const failures: string[] = [];
    for (let i = 0; i < STATEMENTS; i++) {
      const { sql, params, ordered } = next();
      const stmt = cluster.oracle.prepare(sql);
      const want = stmt.raw(true).all(...params) as unknown[][];
      try {
        const got = await planner.run(sql, params, cluster.reader);
        const diff = got ? rowsEqual(got.rows, want, ordered) : 'not planned';
        if (!diff && got) expect(got.columns).toEqual(stmt.columns().map((c) => c.name));
        if (diff) failures.push(`seed ${SEED} #${i}: ${sql} ${JSON.stringify(params)} → ${diff}`);
      } catch (err) {
        failures.push(`seed ${SEED} #${i}: ${sql} ${JSON.stringify(params)} → ${(err as Error).message}`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });
});
