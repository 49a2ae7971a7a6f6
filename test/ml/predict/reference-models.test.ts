import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertModel, loadIris, MODELS_DIR, openMlDatabase, query } from './support.js';

interface Feed {
  type: string;
  dims: number[];
  data: number[];
}
interface Run {
  feeds: Record<string, Feed>;
  outputs: Record<string, Feed> & { error?: string };
}
const runs = JSON.parse(readFileSync(`${MODELS_DIR}/sample_runs.json`, 'utf8')).runs as Record<string, Run>;

let db: Database;
beforeEach(() => {
  db = openMlDatabase();
});
afterEach(() => db.close());

/** Splits a flat feed into rows of the given dims (first dim = rows, except for a single-row multi-dim input). */
function rowsOf(feed: Feed): number[][] {
  const rows = feed.dims.length >= 2 && feed.dims[0] > 1 ? feed.dims[0] : 1;
  const size = feed.data.length / rows;
  return Array.from({ length: rows }, (_, i) => feed.data.slice(i * size, (i + 1) * size));
}

/** Float32 round-trips: the reference feeds were float32 already, so compare outputs to 6 significant digits. */
function close(actual: unknown, expected: number): void {
  expect(Number(actual)).toBeCloseTo(expected, 4);
}

describe('every model in examples/models imports and reproduces sample_runs.json through SQL', () => {
  const files = [...new Set(Object.keys(runs).map((k) => k.split(' ')[0]))];

  it.each(files)('%s imports with a plain SQL insert', (file) => {
    insertModel(db, 'm', file);
    const row = db.prepare('SELECT version, sha256, inputs, outputs FROM sys_models').get() as Record<
      string,
      string
    >;
    expect(row.version).toBe(1);
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(row.inputs).length).toBeGreaterThan(0);
  });

  const cases = Object.entries(runs).filter(([, r]) => !r.outputs.error);
  it.each(cases)('%s', (key, run) => {
    const file = key.split(' ')[0];
    insertModel(db, 'm', file);
    const inputNames = Object.keys(run.feeds);
    const [outName, expected] = Object.entries(run.outputs)[0] as [string, Feed];
    if (inputNames.length === 1 && rowsOf(run.feeds[inputNames[0]])[0].length <= 100) {
      // single input: PREDICT takes the features as arguments, one call per row
      const rows = rowsOf(run.feeds[inputNames[0]]);
      const perRow = expected.data.length / rows.length;
      rows.forEach((features, i) => {
        const args = features.map(() => '?').join(', ');
        const [[value]] = query(db, `SELECT PREDICT('m', ${args})`, features);
        const want = expected.data.slice(i * perRow, (i + 1) * perRow);
        if (perRow === 1) close(value, want[0]);
        else
          for (const [j, v] of (
            JSON.parse(value as string).flat(Number.POSITIVE_INFINITY) as number[]
          ).entries()) {
            close(v, want[j]);
          }
      });
    } else {
      // several inputs (or too many features for SQL arguments): one JSON object keyed by input name
      const json = Object.fromEntries(inputNames.map((n) => [n, run.feeds[n].data]));
      const [[value]] = query(db, `SELECT PREDICT_JSON('m', ?)`, [JSON.stringify(json)]);
      const out = JSON.parse(value as string)[outName];
      const flat = [out].flat(Number.POSITIVE_INFINITY) as number[];
      expect(flat).toHaveLength(expected.data.length);
      for (const [j, v] of flat.entries()) close(v, expected.data[j]);
    }
  });
});

describe('iris', () => {
  const expected = readFileSync(`${MODELS_DIR}/iris_expected_predictions.csv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));

  beforeEach(() => {
    loadIris(db);
    insertModel(db, 'iris_lr', 'sklearn_logreg_iris.onnx');
    insertModel(db, 'iris_rf', 'sklearn_randomforest_iris.onnx');
    insertModel(db, 'iris_xgb', 'xgboost_regressor_4f.onnx');
  });

  it('PREDICT with the logistic regression and the random forest matches iris_expected_predictions.csv row for row', () => {
    const rows = query(
      db,
      `SELECT id, PREDICT('iris_lr', sepal_length, sepal_width, petal_length, petal_width),
              PREDICT('iris_rf', sepal_length, sepal_width, petal_length, petal_width),
              PREDICT('iris_xgb', sepal_length, sepal_width, petal_length, petal_width)
       FROM iris ORDER BY id`,
    );
    expect(rows).toHaveLength(150);
    rows.forEach(([id, lr, rf, xgb], i) => {
      expect([id, lr, rf]).toEqual([expected[i][0], expected[i][6], expected[i][7]]);
      expect(xgb as number).toBeCloseTo(expected[i][8], 5);
    });
  });

  it('PREDICT_PROBA returns the three class probabilities as a JSON array summing to 1, argmax = PREDICT', () => {
    const rows = query(
      db,
      `SELECT PREDICT('iris_rf', sepal_length, sepal_width, petal_length, petal_width),
              PREDICT_PROBA('iris_rf', sepal_length, sepal_width, petal_length, petal_width) FROM iris`,
    );
    for (const [label, proba] of rows) {
      const p = JSON.parse(proba as string) as number[];
      expect(p).toHaveLength(3);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.indexOf(Math.max(...p))).toBe(label);
    }
  });

  it('a model with a fixed [3, 2] input is scored in chunks of 3, the last one padded', () => {
    insertModel(db, 'fixed', 'ort_example_logreg_iris.onnx');
    const rows = query(
      db,
      `SELECT PREDICT('fixed', sepal_length, sepal_width), PREDICT_PROBA('fixed', sepal_length, sepal_width)
       FROM iris WHERE id < 7 ORDER BY id`,
    );
    const perRow = db
      .prepare(
        `SELECT PREDICT('fixed', sepal_length, sepal_width), PREDICT_PROBA('fixed', sepal_length, sepal_width)
         FROM iris WHERE id < 7 ORDER BY id`,
      )
      .raw()
      .all();
    expect(rows).toHaveLength(7);
    expect(rows).toEqual(perRow);
    expect(rows[0][0]).toBe(0);
  });
});

describe('the 8-input one-hot model', () => {
  it('works through PREDICT_JSON with one JSON object keyed by input name', () => {
    insertModel(db, 'onehot', 'coreml_onehot_8inputs.onnx');
    const [[json]] = query(
      db,
      `SELECT PREDICT_JSON('onehot', json_object('1', 1, '2', 1, '3', 0, '4', 0, '5', 0, '6', 0, '7', 6, '8', 1))`,
    );
    const out = JSON.parse(json as string).transformed_features as number[];
    const expected = runs['coreml_onehot_8inputs.onnx fetch=ALL'].outputs.transformed_features.data;
    expect(out).toEqual(expected);
    const [[first]] = query(
      db,
      `SELECT PREDICT('onehot', json_object('1', 1, '2', 1, '3', 0, '4', 0, '5', 0, '6', 0, '7', 6, '8', 1))`,
    );
    expect(JSON.parse(first as string)).toEqual(expected);
  });

  it('says which key is missing', () => {
    insertModel(db, 'onehot', 'coreml_onehot_8inputs.onnx');
    expect(() => query(db, `SELECT PREDICT_JSON('onehot', json_object('1', 1))`)).toThrow(
      /model 'onehot@1': JSON has no key '3'; expected keys '1', '3', '2'/,
    );
  });
});
