import { afterEach, describe, expect, it } from 'vitest';
import plugin from '../../control-plane/modules/sql-worker-plugin.js';
import { isInfrabaseError } from '../../engine/index.js';
import { modelLimits, predictBatching, setModelLimits, setNativeBatching } from '../../ml/index.js';
import { insertModel, openMlDatabase, query } from '../ml/predict/support.js';

/** The control plane's SQL worker plug-in, applied in this process as a worker applies it. */
describe('the SQL worker plug-in', () => {
  afterEach(() => {
    setModelLimits({ maxTensorBytes: 256 * 1024 * 1024 });
    setNativeBatching(true);
  });

  it('applies the predict settings: the tensor limit and the native batching switch', () => {
    plugin.configure?.({
      predict: { maxTensorBytes: 1_048_576, workerMemoryBytes: 0, nativeBatching: false },
    });
    expect(modelLimits().maxTensorBytes).toBe(1_048_576);
    const db = openMlDatabase();
    expect(predictBatching(db)).toBe('javascript');
    db.close();
  });

  it('keeps ml defaults without predict settings, and refuses settings of another shape', () => {
    plugin.configure?.({});
    expect(modelLimits().maxTensorBytes).toBe(256 * 1024 * 1024);
    let err: unknown;
    try {
      plugin.configure?.('fast');
    } catch (e) {
      err = e;
    }
    expect(isInfrabaseError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/accepted: \{ predict\?/);
  });

  it('registers PREDICT, reports its usage by model once, and runs pg catalog statements', () => {
    const db = openMlDatabase();
    expect(plugin.extensions?.().map((e) => e.name)).toEqual(['ml']);
    insertModel(db, 'iris_lr', 'sklearn_logreg_iris.onnx');
    expect(plugin.takeUsage?.(db)).toBeUndefined();
    query(db, "SELECT PREDICT('iris_lr', 5.1, 3.5, 1.4, 0.2)");
    expect(plugin.takeUsage?.(db)).toMatchObject([{ model: 'iris_lr', callsOk: 1, rows: 1 }]);
    expect(plugin.takeUsage?.(db)).toBeUndefined();
    const catalog = plugin.handlers?.['pg-catalog'];
    const r = catalog?.(
      db,
      { sql: 'SELECT version()', params: [], mode: 'execute' },
      { user: 'u', settings: {} },
    );
    expect(String(r?.rows[0][0])).toMatch(/^PostgreSQL 15\.0 \(infrabase /);
    db.close();
  });
});
