import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/index.js';
import { dynamicConstantOfShapeModel } from '../ml/onnx/crafted-models.js';
import { call, startTestControlPlane } from '../support/control-plane.js';

const GiB = 1024 * 1024 * 1024;
let env: Awaited<ReturnType<typeof startTestControlPlane>>;
let cp: ControlPlane;
const sql = (statement: string, params: unknown[] = []) =>
  call(cp, '/v1/sql', { body: { sql: statement, params }, token: cp.tokens.admin });

beforeAll(async () => {
  // One worker, so every statement below runs on the worker that met the oversized output.
  env = await startTestControlPlane(
    { sql: { workers: 1 }, predict: { workerMemoryBytes: GiB } },
    { modules: [] },
  );
  cp = env.cp;
  const onnx = Buffer.from(dynamicConstantOfShapeModel()).toString('base64');
  expect(
    (await sql('INSERT INTO sys_models (name, onnx) VALUES (?, ?)', ['fill', { $base64: onnx }])).status,
  ).toBe(200);
});
afterAll(() => env.close());

describe('a PREDICT output larger than the SQL worker may allocate', () => {
  it('answers MODEL_ERROR (1.2 GB ConstantOfShape under a 1 GiB worker limit), and the same worker answers the next calls', async () => {
    const first = await sql("SELECT PREDICT_JSON('fill', '{\"shape\": [3]}') AS y");
    expect(first.body.rows).toEqual([['{"y":[0,0,0]}']]);
    const big = await sql("SELECT PREDICT_JSON('fill', '{\"shape\": [300000000]}')");
    expect(big.status).toBe(400);
    expect(big.body.error?.code).toBe('MODEL_ERROR');
    expect(big.body.error?.message).toMatch(
      /model 'fill': .*Failed to allocate memory for requested buffer of size 1200000000/,
    );
    const after = await sql("SELECT PREDICT_JSON('fill', '{\"shape\": [2]}') AS y");
    expect(after.status).toBe(200);
    expect(after.body.rows).toEqual([['{"y":[0,0]}']]);
  });
});
