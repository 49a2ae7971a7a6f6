import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCsv } from '../../control-plane/tables/index.js';
import { EXAMPLES } from '../support/data.js';
import { startCluster, type TestCluster } from '../training/cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(2);
  await loadCsv(cluster.api, 'iris', `${EXAMPLES}/tabular/iris.csv`, {});
  const onnx = readFileSync(`${EXAMPLES}/models/sklearn_logreg_iris.onnx`).toString('base64');
  await cluster.api.sql("INSERT INTO sys_models (name, onnx) VALUES ('iris_lr', ?)", [{ $base64: onnx }]);
});
afterAll(() => cluster?.close());

/** Expected labels of a reference column by 1-based row number (`row` there is 0-based). */
function expectedLabels(column = 'sklearn_logreg_label'): Map<number, number> {
  const [header, ...lines] = readFileSync(`${EXAMPLES}/models/iris_expected_predictions.csv`, 'utf8')
    .trim()
    .split('\n');
  const cols = header.split(',');
  const row = cols.indexOf('row');
  const label = cols.indexOf(column);
  return new Map(lines.map((l) => l.split(',')).map((f) => [Number(f[row]) + 1, Number(f[label])]));
}

describe('PREDICT on every shard', () => {
  it('copies the model to the data nodes and scores each row where it lives, matching the reference', async () => {
    const res = await cluster.api.request<{ columns: string[]; rows: unknown[][]; nodes: string[] }>(
      'POST',
      '/v1/sql/cluster',
      {
        sql: "SELECT _row, PREDICT('iris_lr', sepal_length, sepal_width, petal_length, petal_width) AS label FROM iris",
      },
    );
    expect(res.columns).toEqual(['_node', '_row', 'label']);
    expect(new Set(res.rows.map((r) => r[0]))).toEqual(new Set(cluster.nodeIds));
    expect(res.rows).toHaveLength(150);
    const expected = expectedLabels();
    for (const [, row, label] of res.rows) expect(label).toBe(expected.get(row as number));
  });

  it('pushes a new version to the nodes before the next query names it', async () => {
    const onnx = readFileSync(`${EXAMPLES}/models/sklearn_randomforest_iris.onnx`).toString('base64');
    await cluster.api.sql("INSERT INTO sys_models (name, onnx) VALUES ('iris_lr', ?)", [{ $base64: onnx }]);
    const res = await cluster.api.request<{ rows: unknown[][] }>('POST', '/v1/sql/cluster', {
      sql: "SELECT count(*), sum(PREDICT('iris_lr@2', sepal_length, sepal_width, petal_length, petal_width) = species) FROM iris",
    });
    const total = res.rows.reduce((n, r) => n + (r[1] as number), 0);
    const correct = res.rows.reduce((n, r) => n + (r[2] as number), 0);
    expect(total).toBe(150);
    // The random forest's reference accuracy on iris is 0.987 (148 of 150).
    expect(correct).toBe(148);
  });

  it('scores with the newest version in the next statement when PREDICT names no version', async () => {
    // The first test scored 'iris_lr' (version 1) on every node; the second landed version 2, a random forest.
    const res = await cluster.api.request<{ rows: unknown[][] }>('POST', '/v1/sql/cluster', {
      sql: "SELECT _row, PREDICT('iris_lr', sepal_length, sepal_width, petal_length, petal_width) FROM iris",
    });
    const expected = expectedLabels('sklearn_rf_label');
    expect(res.rows).toHaveLength(150);
    for (const [, row, label] of res.rows) expect(label).toBe(expected.get(row as number));
  });
});
