import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../engine/index.js';
import { importModel, modelImportCommand, parseModelRef } from '../../../ml/index.js';
import { tempDir } from '../../support/tmp.js';
import { logisticRegressionModel } from '../onnx/build-models.js';
import { insertModel, MODELS_DIR, openMlDatabase, query } from './support.js';

let db: Database;
beforeEach(() => {
  db = openMlDatabase();
});
afterEach(() => db.close());

const ONE = logisticRegressionModel([1, 0], 0); // P = sigmoid(x1)
const TWO = logisticRegressionModel([-1, 0], 0); // P = sigmoid(-x1)
const p = (x: number) => 1 / (1 + Math.exp(-x));

describe('model references', () => {
  it("resolves 'name' to the newest active version and 'name@version' to that version", () => {
    importModel(db, { name: 'm', bytes: ONE });
    importModel(db, { name: 'm', bytes: TWO });
    const [[newest, v1, v2]] = query(
      db,
      "SELECT PREDICT_PROBA('m', 2, 0), PREDICT_PROBA('m@1', 2, 0), PREDICT_PROBA('m@2', 2, 0)",
    );
    expect(newest).toBeCloseTo(p(-2), 6);
    expect(v1).toBeCloseTo(p(2), 6);
    expect(v2).toBeCloseTo(p(-2), 6);
  });

  it('skips archived versions for a bare name and sees the change on the next statement', () => {
    importModel(db, { name: 'm', bytes: ONE });
    importModel(db, { name: 'm', bytes: TWO });
    expect(query(db, "SELECT PREDICT_PROBA('m', 2, 0)")[0][0]).toBeCloseTo(p(-2), 6);
    db.prepare("UPDATE sys_models SET status = 'archived' WHERE name = 'm' AND version = 2").run();
    expect(query(db, "SELECT PREDICT_PROBA('m', 2, 0)")[0][0]).toBeCloseTo(p(2), 6);
  });

  it('parses name@version and rejects other shapes', () => {
    expect(parseModelRef('fraud.v2@12')).toEqual({ name: 'fraud.v2', version: 12 });
    expect(parseModelRef('fraud')).toEqual({ name: 'fraud', version: null });
    expect(() => parseModelRef('fraud@x')).toThrow(/'fraud@x' is not 'name' or 'name@version'/);
  });
});

describe('errors name the model and what it expects', () => {
  beforeEach(() => insertModel(db, 'iris', 'sklearn_logreg_iris.onnx'));

  it.each([
    ["PREDICT('nope', 1, 2, 3, 4)", /model 'nope' is not in sys_models; active models: iris@1/],
    ["PREDICT('iris@9', 1, 2, 3, 4)", /model 'iris@9' has no version 9 \(versions: 1\)/],
    [
      "PREDICT('iris', 1, 2, 3)",
      /PREDICT\('iris@1', …\) got 3 features; the model expects 4 numeric features or one JSON object keyed by input name \(X: float32 \[N,4\]\)/,
    ],
    [
      "PREDICT('iris', 1, 'abc', 3, 4)",
      /model 'iris@1': feature 2 is "abc", not a number; expected 4 numeric features/,
    ],
    ["PREDICT('iris', 1, x'00ff', 3, 4)", /feature 2 is a 2-byte BLOB, not a number/],
    [
      "PREDICT_JSON('iris', '{\"X\": [1, 2]}')",
      /input 'X' got 2 values; expected one row of 4 values, or a whole tensor .* \(float32 \[,4\]\)/,
    ],
  ])('%s', (expr, message) => {
    expect(() => query(db, `SELECT ${expr}`)).toThrow(message);
  });

  it('returns NULL for any NULL feature and for a NULL model', () => {
    expect(query(db, "SELECT PREDICT('iris', 1, NULL, 3, 4), PREDICT(NULL, 1, 2, 3, 4)")).toEqual([
      [null, null],
    ]);
  });

  it('accepts integers and numeric text as features', () => {
    expect(query(db, "SELECT PREDICT('iris', 7, '3.2', 4.7, 1)")).toEqual([[1]]);
  });

  it('reports a stored model that onnxruntime cannot load as a model error naming it', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'db.sqlite');
      const plain = openDatabase(path, { migrate: true }); // no ml triggers: the corrupt blob gets in
      plain.prepare("INSERT INTO sys_models (name, onnx, sha256) VALUES ('broken', x'0801', 'x')").run();
      plain.close();
      const ml = openMlDatabase(path);
      try {
        expect(() => query(ml, "SELECT PREDICT('broken', 1)")).toThrow(/model 'broken@1': .*ONNX ModelProto/);
      } finally {
        ml.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe('the session cache follows sys_models in every connection', () => {
  it('a connection sees a model version inserted by another connection on its next statement', () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'db.sqlite');
    const a = openMlDatabase(path);
    const b = openMlDatabase(path);
    try {
      importModel(a, { name: 'm', bytes: ONE });
      expect(query(b, "SELECT PREDICT_PROBA('m', 1, 0)")[0][0]).toBeCloseTo(p(1), 6);
      importModel(a, { name: 'm', bytes: TWO });
      expect(query(b, "SELECT PREDICT_PROBA('m', 1, 0)")[0][0]).toBeCloseTo(p(-1), 6);
      a.prepare('DELETE FROM sys_models WHERE version = 2').run();
      expect(query(b, "SELECT PREDICT_PROBA('m', 1, 0)")[0][0]).toBeCloseTo(p(1), 6);
    } finally {
      a.close();
      b.close();
      cleanup();
    }
  });

  it('a file database loads a model inside a statement prepared directly on the connection', () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'db.sqlite');
    const a = openMlDatabase(path);
    try {
      importModel(a, { name: 'm', bytes: ONE });
      expect(a.prepare("SELECT PREDICT_PROBA('m', 1, 0)").pluck().get()).toBeCloseTo(p(1), 6);
    } finally {
      a.close();
      cleanup();
    }
  });
});

describe('importModel and the model import command', () => {
  it('imports a file with a version and feature names', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'lr.onnx');
      writeFileSync(file, ONE);
      const imported = modelImportCommand(db, { name: 'lr', file, version: '5', features: 'age, income' });
      expect(imported).toMatchObject({ name: 'lr', version: 5, featureNames: ['age', 'income'], opset: 13 });
      expect(importModel(db, { name: 'lr', bytes: TWO }).version).toBe(6);
    } finally {
      cleanup();
    }
  });

  it('rejects feature names that do not match the model and stores nothing', () => {
    expect(() => importModel(db, { name: 'lr', bytes: ONE, featureNames: ['a', 'b', 'c'] })).toThrow(
      /model 'lr': 3 feature names given \(a,b,c\) but the model takes 2 features/,
    );
    expect(() => modelImportCommand(db, { name: 'x', file: `${MODELS_DIR}/missing.onnx` })).toThrow(
      /cannot read .*missing.onnx/,
    );
    expect(db.prepare('SELECT count(*) FROM sys_models').pluck().get()).toBe(0);
  });

  it('keeps the original bytes (with the ZipMap) in sys_models', () => {
    const bytes = readFileSync(`${MODELS_DIR}/sklearn_randomforest_iris.onnx`);
    importModel(db, { name: 'rf', bytes });
    expect(Buffer.compare(db.prepare('SELECT onnx FROM sys_models').pluck().get() as Buffer, bytes)).toBe(0);
  });
});
