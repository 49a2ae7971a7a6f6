import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelVersions, type ShardModel, storeModelCopy } from '../../../ml/index.js';
import { MODELS_DIR, openMlDatabase } from '../predict/support.js';

let db: Database;
beforeEach(() => {
  db = openMlDatabase();
});
afterEach(() => db.close());

const copy = (file: string, version = 1): ShardModel => ({
  name: 'iris',
  version,
  sha256: 'as on the control plane',
  onnx: readFileSync(`${MODELS_DIR}/${file}`).toString('base64'),
  featureNames: ['a', 'b', 'c', 'd'],
  status: 'active',
});

describe('storeModelCopy', () => {
  it('stores a version checked by the insert triggers, and replaces that version on a second push', () => {
    storeModelCopy(db, copy('sklearn_logreg_iris.onnx'));
    const [first] = modelVersions(db);
    expect(first).toMatchObject({ name: 'iris', version: 1 });
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    storeModelCopy(db, copy('sklearn_randomforest_iris.onnx'));
    storeModelCopy(db, copy('sklearn_randomforest_iris.onnx', 2));
    const after = modelVersions(db);
    expect(after.map((m) => m.version)).toEqual([1, 2]);
    expect(after[0].sha256).not.toBe(first.sha256);
    expect(db.prepare('SELECT created_by, feature_names FROM sys_models WHERE version = 1').get()).toEqual({
      created_by: 'control-plane',
      feature_names: '["a","b","c","d"]',
    });
  });

  it('bytes that are not a model are refused and the held copy stays', () => {
    storeModelCopy(db, copy('sklearn_logreg_iris.onnx'));
    const held = modelVersions(db);
    expect(() =>
      storeModelCopy(db, {
        ...copy('sklearn_logreg_iris.onnx'),
        onnx: Buffer.from('not onnx').toString('base64'),
      }),
    ).toThrow();
    expect(modelVersions(db)).toEqual(held);
  });
});
