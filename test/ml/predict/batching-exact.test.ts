import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type Random, seededRandom } from '../../../engine/index.js';
import { importModel, predictStats } from '../../../ml/index.js';
import { type NodeSpec, opModel } from './op-models.js';
import { openWithBatching, query } from './support.js';

/**
 * Property: for random models, row-independent or not, every statement shape gives exactly the answers of
 * scoring each row alone, on the native and the JavaScript batch paths.
 */

const ROWS = 120;
const F = 4;
const FEATURES = Array.from({ length: F }, (_, i) => `f${i + 1}`).join(', ');

interface GeneratedModel {
  readonly kind: string;
  readonly bytes: Uint8Array;
  readonly mixesRows: boolean;
}

const x = { name: 'x', type: 'float32', dims: ['N', F] } as const;
const weights = (random: Random, n: number) =>
  Array.from({ length: n }, () => Math.round((random() * 4 - 2) * 64) / 64);
const sumRow = (input: string): NodeSpec => ({
  op: 'ReduceSum',
  inputs: [input, 'axis1'],
  outputs: ['y'],
  attributes: { keepdims: 0 },
});
const axis1 = { name: 'axis1', dims: [1], ints: [1] };

/** A row-independent model drawn from: elementwise, MatMul by a constant, Gemm, a small MLP. */
function independentModel(random: Random): GeneratedModel {
  const kind = ['elementwise', 'matmul', 'gemm', 'mlp'][Math.floor(random() * 4)];
  const y = (dims: Array<number | string>) => [{ name: 'y', type: 'float32' as const, dims }];
  switch (kind) {
    case 'elementwise':
      return {
        kind,
        mixesRows: false,
        bytes: opModel({
          inputs: [x],
          outputs: y(['N']),
          nodes: [
            { op: 'Mul', inputs: ['x', 'scale'], outputs: ['xs'] },
            { op: 'Tanh', inputs: ['xs'], outputs: ['t'] },
            { op: 'Add', inputs: ['t', 'shift'], outputs: ['a'] },
            sumRow('a'),
          ],
          constants: [
            { name: 'scale', dims: [F], values: weights(random, F) },
            { name: 'shift', dims: [F], values: weights(random, F) },
            axis1,
          ],
        }),
      };
    case 'matmul':
      return {
        kind,
        mixesRows: false,
        bytes: opModel({
          inputs: [x],
          outputs: y(['N', 1]),
          nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
          constants: [{ name: 'w', dims: [F, 1], values: weights(random, F) }],
        }),
      };
    case 'gemm':
      return {
        kind,
        mixesRows: false,
        bytes: opModel({
          inputs: [x],
          outputs: y(['N', 1]),
          nodes: [
            {
              op: 'Gemm',
              inputs: ['x', 'w', 'b'],
              outputs: ['y'],
              attributes: { transB: 1, alpha: { f: 0.5 } },
            },
          ],
          constants: [
            { name: 'w', dims: [1, F], values: weights(random, F) },
            { name: 'b', dims: [1], values: weights(random, 1) },
          ],
        }),
      };
    default: {
      const h = 2 + Math.floor(random() * 6);
      return {
        kind,
        mixesRows: false,
        bytes: opModel({
          inputs: [x],
          outputs: y(['N', 1]),
          nodes: [
            { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'] },
            { op: 'Add', inputs: ['h', 'b1'], outputs: ['hb'] },
            { op: 'Relu', inputs: ['hb'], outputs: ['r'] },
            { op: 'MatMul', inputs: ['r', 'w2'], outputs: ['z'] },
            { op: 'Sigmoid', inputs: ['z'], outputs: ['y'] },
          ],
          constants: [
            { name: 'w1', dims: [F, h], values: weights(random, F * h) },
            { name: 'b1', dims: [h], values: weights(random, h) },
            { name: 'w2', dims: [h, 1], values: weights(random, h) },
          ],
        }),
      };
    }
  }
}

/** A model whose rows depend on the other rows: softmax or centring over axis 0, ArgMax over 0, Concat along 0. */
function mixingModel(random: Random): GeneratedModel {
  const kind = ['softmax0', 'centre0', 'argmax0', 'concat0'][Math.floor(random() * 4)];
  const yN = [{ name: 'y', type: 'float32' as const, dims: ['N'] }];
  const nodes: NodeSpec[] = {
    softmax0: [{ op: 'Softmax', inputs: ['x'], outputs: ['s'], attributes: { axis: 0 } }, sumRow('s')],
    centre0: [
      { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attributes: { axes: [0], keepdims: 1 } },
      { op: 'Sub', inputs: ['x', 'm'], outputs: ['c'] },
      sumRow('c'),
    ],
    argmax0: [
      { op: 'ArgMax', inputs: ['x'], outputs: ['i'], attributes: { axis: 0, keepdims: 1 } },
      { op: 'Cast', inputs: ['i'], outputs: ['fi'], attributes: { to: 1 } },
      { op: 'Add', inputs: ['x', 'fi'], outputs: ['a'] },
      sumRow('a'),
    ],
    concat0: [
      { op: 'Concat', inputs: ['x', 'extra'], outputs: ['c'], attributes: { axis: 0 } },
      { op: 'ReduceMax', inputs: ['c'], outputs: ['m'], attributes: { axes: [0], keepdims: 1 } },
      { op: 'Add', inputs: ['x', 'm'], outputs: ['a'] },
      sumRow('a'),
    ],
  }[kind]!;
  return {
    kind,
    mixesRows: true,
    bytes: opModel({
      inputs: [x],
      outputs: yN,
      nodes,
      constants: [axis1, { name: 'extra', dims: [1, F], values: weights(random, F) }],
      opset: 13,
    }),
  };
}

let db: Database;
afterEach(() => db?.close());

function loadTable(random: Random): number[][] {
  db.exec(
    `CREATE TABLE t (id INTEGER PRIMARY KEY, ${FEATURES.split(', ')
      .map((f) => `${f} REAL`)
      .join(', ')})`,
  );
  const insert = db.prepare(`INSERT INTO t VALUES (?, ${FEATURES.replace(/f\d/g, '?')})`);
  const rows: number[][] = [];
  for (let id = 0; id < ROWS; id++) {
    const f = Array.from({ length: F }, () => Math.round((random() * 6 - 3) * 1000) / 1000);
    if (id % 31 === 7) f[2] = null as unknown as number;
    insert.run(id, ...f);
    rows.push(f);
  }
  return rows;
}

describe.each(['native', 'javascript'] as const)(
  'PREDICT answers do not depend on the statement (%s)',
  (batching) => {
    it.each([1, 2, 3, 4, 5, 6])(
      'random models of seed %i agree with per-row scoring in every statement',
      (seed) => {
        const random = seededRandom(seed * 7919);
        db = openWithBatching(batching);
        const table = loadTable(random);
        const models = [
          independentModel(random),
          independentModel(random),
          mixingModel(random),
          mixingModel(random),
        ];
        models.forEach((m, i) => {
          const imported = importModel(db, { name: `m${i}`, bytes: m.bytes });
          expect(
            imported.rowIndependent,
            `${m.kind} is decided ${m.mixesRows ? 'row-mixing' : 'independent'}`,
          ).toBe(!m.mixesRows);
        });
        models.forEach((m, i) => {
          const call = `PREDICT('m${i}', ${FEATURES})`;
          // the reference: each row scored alone in its own statement
          const reference = new Map<number, unknown>();
          table.forEach((f, id) => {
            reference.set(id, query(db, `SELECT PREDICT('m${i}', ?, ?, ?, ?)`, f)[0][0]);
          });
          const what = `${m.kind} (m${i})`;
          const before = predictStats(db);
          const select = query(db, `SELECT id, ${call} FROM t ORDER BY id`);
          expect(new Map(select as Array<[number, unknown]>), `${what}: SELECT`).toEqual(reference);
          if (batching === 'native' && !m.mixesRows) {
            expect(predictStats(db).nativeStatements, `${what} is batched natively`).toBe(
              before.nativeStatements + 1,
            );
          }
          const bare = query(db, `SELECT id, ${call} FROM t`);
          expect(new Map(bare as Array<[number, unknown]>), `${what}: bare select`).toEqual(reference);

          const numbers = [...reference.values()]
            .filter((v): v is number => typeof v === 'number')
            .sort((a, b) => a - b);
          const threshold = numbers[Math.floor(numbers.length / 2)] ?? 0;
          const where = query(db, `SELECT id FROM t WHERE ${call} > ? ORDER BY id`, [threshold]).map(
            ([id]) => id,
          );
          const expectedWhere = [...reference]
            .filter(([, v]) => v !== null && (v as number) > threshold)
            .map(([id]) => id);
          expect(where, `${what}: WHERE`).toEqual(expectedWhere);

          const top = query(
            db,
            `SELECT id, ${call} AS p FROM t WHERE p IS NOT NULL ORDER BY p DESC, id LIMIT 7`,
          );
          const expectedTop = [...reference]
            .filter(([, v]) => v !== null)
            .sort((a, b) => (b[1] as number) - (a[1] as number) || a[0] - b[0])
            .slice(0, 7);
          expect(top, `${what}: ORDER BY … LIMIT`).toEqual(expectedTop);

          const sub = query(
            db,
            `SELECT id, p FROM (SELECT id, ${call} AS p FROM t) WHERE id % 3 = 0 ORDER BY id`,
          );
          expect(sub, `${what}: subquery`).toEqual([...reference].filter(([id]) => id % 3 === 0));

          query(db, `CREATE TABLE ctas${i} AS SELECT id, ${call} AS p FROM t`);
          const ctas = db.prepare(`SELECT id, p FROM ctas${i} ORDER BY id`).raw().all();
          expect(ctas, `${what}: CREATE TABLE … AS SELECT`).toEqual([...reference]);

          db.exec(`CREATE TABLE ins${i} (id INTEGER, p)`);
          query(db, `INSERT INTO ins${i} SELECT id, ${call} FROM t`);
          const inserted = db.prepare(`SELECT id, p FROM ins${i} ORDER BY id`).raw().all();
          expect(inserted, `${what}: INSERT … SELECT`).toEqual([...reference]);
        });
      },
    );
  },
);
