import BetterSqlite3, { type Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../engine/index.js';
import { importModel } from '../../../ml/index.js';
import { tempDir } from '../../support/tmp.js';
import { logisticRegressionModel } from '../onnx/build-models.js';
import { opModel } from './op-models.js';
import { openMlDatabase, query } from './support.js';

/** Softmax over the batch axis: each row's output depends on every other row of the batch. */
const SOFTMAX_OVER_ROWS = opModel({
  inputs: [{ name: 'x', type: 'float32', dims: ['N', 1] }],
  outputs: [{ name: 'y', type: 'float32', dims: ['N', 1] }],
  nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attributes: { axis: 0 } }],
});

let db: Database;
beforeEach(() => {
  db = openMlDatabase();
});
afterEach(() => db.close());

const flag = (name: string) =>
  db.prepare('SELECT row_independent FROM sys_models WHERE name = ?').pluck().get(name);

describe('sys_models.row_independent is decided by probing the model at import', () => {
  it('records 1 for a logistic regression and 0 for a softmax over the batch axis', () => {
    db.prepare('INSERT INTO sys_models (name, onnx) VALUES (?, ?)').run(
      'lr',
      Buffer.from(logisticRegressionModel([1, -1], 0)),
    );
    db.prepare('INSERT INTO sys_models (name, onnx, row_independent) VALUES (?, ?, 1)').run(
      'softmax',
      Buffer.from(SOFTMAX_OVER_ROWS),
    );
    expect(flag('lr')).toBe(1);
    expect(flag('softmax')).toBe(0); // the insert's claim is overwritten by the probe
    expect(importModel(db, { name: 'softmax', bytes: SOFTMAX_OVER_ROWS }).rowIndependent).toBe(false);
  });

  it('refuses an UPDATE that sets the flag to anything but the probe result', () => {
    importModel(db, { name: 'softmax', bytes: SOFTMAX_OVER_ROWS });
    expect(() =>
      db.prepare("UPDATE sys_models SET row_independent = 1 WHERE name = 'softmax'").run(),
    ).toThrow(/row_independent is decided by probing the model/);
    expect(flag('softmax')).toBe(0);
  });

  it('scores a row-mixing model one row at a time in a SELECT, as in CREATE TABLE … AS SELECT', () => {
    importModel(db, { name: 'softmax', bytes: SOFTMAX_OVER_ROWS });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v REAL)');
    db.exec('INSERT INTO t VALUES (1, 0.5), (2, 1.5), (3, -2)');
    // alone, a softmax over one row is 1 whatever the row
    expect(query(db, "SELECT id, PREDICT('softmax', v) FROM t ORDER BY id")).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    query(db, "CREATE TABLE s AS SELECT id, PREDICT('softmax', v) AS p FROM t");
    expect(db.prepare('SELECT id, p FROM s ORDER BY id').raw().all()).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('scores a row-mixing model over a whole tensor when PREDICT_JSON is given one', () => {
    importModel(db, { name: 'softmax', bytes: SOFTMAX_OVER_ROWS });
    const [[value]] = query(db, `SELECT PREDICT_JSON('softmax', '{"x": [[0], [0], [0], [0]]}')`);
    expect(JSON.parse(value as string)).toEqual({ y: [[0.25], [0.25], [0.25], [0.25]] });
  });

  it('probes a model stored before the column existed (NULL) when it loads it', () => {
    const tmp = tempDir();
    try {
      const path = `${tmp.dir}/old.db`;
      const old = new BetterSqlite3(path);
      migrate(
        old,
        MIGRATIONS.filter((m) => m.version < 8),
      );
      old
        .prepare("INSERT INTO sys_models (name, version, onnx) VALUES ('softmax', 1, ?)")
        .run(Buffer.from(SOFTMAX_OVER_ROWS));
      old.close();
      const upgraded = openMlDatabase(path);
      try {
        expect(upgraded.prepare('SELECT row_independent FROM sys_models').pluck().get()).toBeNull();
        upgraded.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v REAL)');
        upgraded.exec('INSERT INTO t VALUES (1, 0.5), (2, 1.5), (3, -2)');
        expect(query(upgraded, "SELECT PREDICT('softmax', v) FROM t ORDER BY id")).toEqual([[1], [1], [1]]);
      } finally {
        upgraded.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
