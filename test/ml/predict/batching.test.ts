import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../engine/index.js';
import {
  importModel,
  predictBatching,
  predictStats,
  setNativeBatching,
  syncModels,
} from '../../../ml/index.js';
import { EXAMPLES } from '../../support/data.js';
import { logisticRegressionModel } from '../onnx/build-models.js';
import { openMlDatabase, query } from './support.js';

const ROWS = 2000;
const F = 'f1, f2, f3, f4, f5, f6, f7, f8';
let db: Database;

/** Opens the test database with PREDICT batching in the native extension or in JavaScript. */
function open(batching: 'native' | 'javascript'): void {
  setNativeBatching(batching === 'native');
  try {
    db = openMlDatabase();
  } finally {
    setNativeBatching(true);
  }
  expect(predictBatching(db)).toBe(batching);
  const random = seededRandom(7);
  importModel(db, {
    name: 'lr',
    bytes: logisticRegressionModel([0.8, -1.2, 0.5, 0.3, -0.7, 1.1, -0.4, 0.2], -0.1),
  });
  db.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, f1 REAL, f2 REAL, f3 REAL, f4 REAL, f5 REAL, f6 REAL, f7 REAL, f8 REAL, grp INTEGER)',
  );
  db.exec('CREATE TABLE u (id INTEGER PRIMARY KEY, tid INTEGER, w REAL)');
  const insertT = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertU = db.prepare('INSERT INTO u VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const f = Array.from({ length: 8 }, () => random() * 4 - 2);
      if (i % 97 === 0) f[3] = null as unknown as number; // some NULL features
      insertT.run(i, ...f, i % 5);
      insertU.run(i, Math.floor(random() * ROWS), random() * 2 - 1);
    }
  })();
}
afterEach(() => db.close());

/** The statement evaluated one row at a time (prepared directly: no batching interceptor). */
function perRow(sql: string, params: unknown[] = []): unknown[][] {
  syncModels(db, sql);
  return db
    .prepare(sql)
    .raw()
    .all(...params) as unknown[][];
}

const STATEMENTS: Array<[string, string, 'native' | 'javascript']> = [
  ['a select list', `SELECT id, PREDICT('lr', ${F}), PREDICT_PROBA('lr', ${F}) FROM t`, 'native'],
  [
    'WHERE PREDICT(...) > 0.5',
    `SELECT id, PREDICT_PROBA('lr', ${F}) FROM t WHERE PREDICT('lr', ${F}) > 0.5`,
    'native',
  ],
  [
    'WHERE PREDICT_PROBA(...) > 0.5 with the probability also selected',
    `SELECT id, PREDICT_PROBA('lr', ${F}) FROM t WHERE PREDICT_PROBA('lr', ${F}) > 0.5 AND grp <> 2`,
    'native',
  ],
  [
    'ORDER BY PREDICT(...) DESC LIMIT 10',
    `SELECT id, PREDICT_PROBA('lr', ${F}) AS p FROM t ORDER BY PREDICT_PROBA('lr', ${F}) DESC, id LIMIT 10`,
    'native',
  ],
  [
    'a join feeding features from both tables',
    `SELECT t.id, u.id, PREDICT_PROBA('lr', f1, f2, f3, f4, f5, f6, f7, u.w) FROM t JOIN u ON u.tid = t.id
     WHERE PREDICT('lr', f1, f2, f3, f4, f5, f6, f7, u.w) = 1 ORDER BY u.id`,
    'native',
  ],
  [
    'an IN subquery and a scalar subquery',
    `SELECT id, (SELECT max(PREDICT_PROBA('lr', ${F})) FROM t AS t2 WHERE t2.grp = 1)
     FROM t WHERE id IN (SELECT id FROM t WHERE PREDICT_PROBA('lr', ${F}) < 0.3) ORDER BY id`,
    'native',
  ],
  [
    'GROUP BY with aggregates',
    `SELECT grp, avg(PREDICT_PROBA('lr', ${F})), sum(PREDICT('lr', ${F})) FROM t GROUP BY grp`,
    'native',
  ],
  [
    'CASE whose second PREDICT only runs when the first is high',
    `SELECT id, CASE WHEN PREDICT_PROBA('lr', ${F}) > 0.6 THEN PREDICT_PROBA('lr', f8, f7, f6, f5, f4, f3, f2, f1) ELSE -1 END FROM t`,
    'native',
  ],
  [
    'nested PREDICT',
    `SELECT id, PREDICT_PROBA('lr', PREDICT_PROBA('lr', ${F}), f2, f3, f4, f5, f6, f7, f8) FROM t`,
    'native',
  ],
  [
    'COALESCE that skips the second call when the first is not NULL',
    `SELECT id, coalesce(PREDICT_PROBA('lr', ${F}), PREDICT_PROBA('lr', f1, f2, f3, 0, f5, f6, f7, f8)) FROM t`,
    'native',
  ],
  [
    'bare result columns of two functions with a WHERE on columns',
    `SELECT id, PREDICT('lr', ${F}), PREDICT_PROBA('lr', ${F}) FROM t WHERE grp = 1 AND f1 > 0`,
    'native',
  ],
  ['a result column that compares PREDICT', `SELECT id, PREDICT_PROBA('lr', ${F}) > 0.5 FROM t`, 'native'],
  [
    'a CTE whose PREDICT column is filtered by its quoted name',
    `WITH s AS (SELECT id, PREDICT_PROBA('lr', ${F}) FROM t) SELECT id FROM s WHERE "PREDICT_PROBA('lr', ${F})" > 0.7`,
    'javascript', // the rewritten call no longer has the name the outer query quotes
  ],
  ['LIMIT/OFFSET without ORDER BY', `SELECT id, PREDICT('lr', ${F}) FROM t LIMIT 25 OFFSET 100`, 'native'],
  [
    'a CTE and a window function',
    `WITH s AS (SELECT id, PREDICT_PROBA('lr', ${F}) AS p FROM t) SELECT id, p, rank() OVER (ORDER BY p DESC) FROM s WHERE p IS NOT NULL ORDER BY id`,
    'native',
  ],
];

describe.each(['native', 'javascript'] as const)(
  'batched PREDICT (%s) gives exactly the rows of per-row evaluation',
  (batching) => {
    beforeEach(() => open(batching));

    it.each(STATEMENTS)('%s', (_what, sql, native) => {
      const expected = perRow(sql);
      expect(expected.length).toBeGreaterThan(0);
      const before = predictStats(db);
      expect(query(db, sql)).toEqual(expected);
      const after = predictStats(db);
      expect(after.batchedStatements).toBe(before.batchedStatements + 1);
      const answeredNatively = batching === 'native' && native === 'native';
      expect(after.nativeStatements - before.nativeStatements).toBe(answeredNatively ? 1 : 0);
    });

    it('answers a plain select list entirely from the batch, with no per-row call', () => {
      const before = predictStats(db);
      const rows = query(db, `SELECT PREDICT_PROBA('lr', ${F}) FROM t`);
      const after = predictStats(db);
      const nonNull = rows.filter(([p]) => p !== null).length;
      expect(nonNull).toBe(ROWS - Math.ceil(ROWS / 97));
      expect(after.batchedCalls - before.batchedCalls).toBe(nonNull);
      expect(after.perRowCalls).toBe(before.perRowCalls);
    });

    it('answers WHERE and select-list calls with the same features from one batch', () => {
      const before = predictStats(db);
      query(db, `SELECT PREDICT_PROBA('lr', ${F}) FROM t WHERE PREDICT_PROBA('lr', ${F}) > 0.5`);
      expect(predictStats(db).perRowCalls).toBe(before.perRowCalls);
    });

    it('runs a statement whose PREDICT calls are bare result columns only once', () => {
      let calls = 0;
      db.function('tick', () => ++calls);
      const rows = query(db, `SELECT tick(), PREDICT_PROBA('lr', ${F}) FROM t WHERE grp = 0`);
      expect(calls).toBe(rows.length);
      calls = 0;
      query(db, `SELECT tick(), PREDICT_PROBA('lr', ${F}) FROM t WHERE grp = 0 ORDER BY 2`);
      expect(calls).toBe(2 * rows.length);
    });

    it('falls back to per-row evaluation for a model that cannot be batched', () => {
      db.prepare('INSERT INTO sys_models (name, onnx) VALUES (?, ?)').run(
        'lgbm',
        readFileSync(`${EXAMPLES}/models/lightgbm_classifier_2f.onnx`),
      );
      const sql = "SELECT id, PREDICT('lgbm', f1 + 5, f2 + 3) FROM t LIMIT 20";
      expect(query(db, sql)).toEqual(perRow(sql));
    });

    it('binds parameters in both passes', () => {
      const sql = `SELECT id, PREDICT_PROBA('lr', ${F}) FROM t WHERE grp = ? AND PREDICT_PROBA('lr', ${F}) > ?`;
      expect(query(db, sql, [3, 0.4])).toEqual(perRow(sql, [3, 0.4]));
    });

    it('stays correct when the features change between passes (random())', () => {
      const rows = query(
        db,
        `SELECT PREDICT('lr', random() % 2, 0, 0, 0, 0, 0, 0, 0) IN (0, 1) FROM t LIMIT 50`,
      );
      expect(rows.every(([ok]) => ok === 1)).toBe(true);
    });

    it('scores rows in statements that write, per row', () => {
      db.exec('CREATE TABLE scores (id INTEGER, p REAL)');
      query(db, `INSERT INTO scores SELECT id, PREDICT_PROBA('lr', ${F}) FROM t`);
      const written = db.prepare('SELECT id, p FROM scores ORDER BY id').raw().all();
      expect(written).toEqual(perRow(`SELECT id, PREDICT_PROBA('lr', ${F}) FROM t ORDER BY id`));
    });
  },
);

describe('the native batch extension', () => {
  beforeEach(() => open('native'));

  it('takes TEXT features on the JavaScript path, with the same rows', () => {
    const sql = `SELECT id, PREDICT_PROBA('lr', CAST(f1 AS TEXT), f2, f3, f4, f5, f6, f7, f8) FROM t WHERE f2 > 0`;
    const before = predictStats(db);
    expect(query(db, sql)).toEqual(perRow(sql));
    expect(predictStats(db).nativeStatements).toBe(before.nativeStatements);
  });

  it('answers a WHERE on PREDICT and a nested call in three passes, never per row', () => {
    const sql = `SELECT id, PREDICT_PROBA('lr', PREDICT_PROBA('lr', ${F}), f2, f3, f4, f5, f6, f7, f8) FROM t
      WHERE PREDICT('lr', ${F}) = 1`;
    const expected = perRow(sql);
    const before = predictStats(db);
    expect(query(db, sql)).toEqual(expected);
    const after = predictStats(db);
    expect(after.nativeStatements).toBe(before.nativeStatements + 1);
    expect(after.perRowCalls).toBe(before.perRowCalls);
  });

  it('reports an unknown model and a wrong feature count as the per-row path does', () => {
    expect(() => query(db, `SELECT PREDICT('nope', ${F}) FROM t`)).toThrow(
      /model 'nope' is not in sys_models/,
    );
    expect(() => query(db, "SELECT sum(PREDICT('lr', f1, f2)) FROM t")).toThrow(
      /got 2 features; the model expects 8/,
    );
  });

  it('cannot be reached from SQL: no load_extension(), no batch functions in views', () => {
    expect(() => db.prepare(`SELECT load_extension('x')`).get()).toThrow(/not authorized/);
    db.exec("CREATE VIEW v AS SELECT ib_batch('streams') AS n");
    expect(() => db.prepare('SELECT n FROM v').get()).toThrow(/unsafe use of ib_batch/);
  });
});
