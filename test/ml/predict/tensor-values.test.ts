import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { importModel } from '../../../ml/index.js';
import { castModel, type ElemName, opModel } from './op-models.js';
import { openWithBatching, query } from './support.js';

let db: Database;
afterEach(() => db?.close());

const json = (sql: string, params: unknown[] = []) => JSON.parse(query(db, sql, params)[0][0] as string);

/** y = clip(x, min, max) with scalar (rank 0) bounds as inputs. */
const CLIP = opModel({
  inputs: [
    { name: 'x', type: 'float32', dims: ['N', 4] },
    { name: 'min', type: 'float32', dims: [] },
    { name: 'max', type: 'float32', dims: [] },
  ],
  outputs: [{ name: 'y', type: 'float32', dims: ['N', 4] }],
  nodes: [{ op: 'Clip', inputs: ['x', 'min', 'max'], outputs: ['y'] }],
});

/** Running sums of x along the axis given as the last input (a rank-0 int64). */
const CUMSUM = opModel({
  inputs: [
    { name: 'x', type: 'float32', dims: ['N', 5] },
    { name: 'axis', type: 'int64', dims: [] },
  ],
  outputs: [{ name: 'y', type: 'float32', dims: ['N', 5] }],
  nodes: [{ op: 'CumSum', inputs: ['x', 'axis'], outputs: ['y'] }],
});

/** 12 / x in int64, over a fixed batch of 3 rows: padding with zeros would divide by zero. */
const INT_DIV = opModel({
  inputs: [{ name: 'x', type: 'int64', dims: [3, 2] }],
  outputs: [{ name: 'y', type: 'int64', dims: [3, 2] }],
  nodes: [{ op: 'Div', inputs: ['twelve', 'x'], outputs: ['y'] }],
  constants: [{ name: 'twelve', dims: [1], ints: [12] }],
});

/** a · wᵀ + b with the weights `w` an input of its own (fixed [2, 3], not batched). */
const GEMM_WEIGHTS_INPUT = opModel({
  inputs: [
    { name: 'a', type: 'float32', dims: ['N', 3] },
    { name: 'w', type: 'float32', dims: [2, 3] },
  ],
  outputs: [{ name: 'y', type: 'float32', dims: ['N', 2] }],
  nodes: [{ op: 'Gemm', inputs: ['a', 'w', 'b'], outputs: ['y'], attributes: { transB: 1 } }],
  constants: [{ name: 'b', dims: [2], values: [0.5, -0.5] }],
});

/** The maximum of each column over the rows given (empty rows: -Infinity). */
const REDUCE_MAX_ROWS = opModel({
  inputs: [{ name: 'x', type: 'float32', dims: ['N', 3] }],
  outputs: [{ name: 'y', type: 'float32', dims: [3] }],
  nodes: [{ op: 'ReduceMax', inputs: ['x', 'axes'], outputs: ['y'], attributes: { keepdims: 0 } }],
  constants: [{ name: 'axes', dims: [1], ints: [0] }],
  opset: 18,
});

const identity = (type: ElemName, width = 1) =>
  opModel({
    inputs: [{ name: 'x', type, dims: ['N', width] }],
    outputs: [{ name: 'y', type, dims: ['N', width] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });

describe.each(['native', 'javascript'] as const)('tensor values in and out (%s batching)', (batching) => {
  const open = () => {
    db = openWithBatching(batching);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c REAL, d REAL, e REAL)');
    const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < 20; i++) insert.run(i, i - 10, i / 4, 2 - i, i % 3, 0.5);
  };

  describe('the batch size comes from the batched inputs', () => {
    it('scores Clip with scalar bounds per row: 4 values a row, not the padded batch', () => {
      open();
      importModel(db, { name: 'clip', bytes: CLIP });
      const rows = query(
        db,
        `SELECT PREDICT_JSON('clip', json_object('x', json_array(a, b, c, d), 'min', -1, 'max', 1)) FROM t ORDER BY id`,
      );
      expect(rows).toHaveLength(20);
      rows.forEach(([value], i) => {
        const row = [i - 10, i / 4, 2 - i, i % 3].map((v) => Math.min(1, Math.max(-1, v)));
        expect(JSON.parse(value as string)).toEqual({ y: row });
      });
    });

    it('scores CumSum with its axis input per row', () => {
      open();
      importModel(db, { name: 'cumsum', bytes: CUMSUM });
      const rows = query(
        db,
        `SELECT PREDICT_JSON('cumsum', json_object('x', json_array(a, b, c, d, e), 'axis', 1)) FROM t WHERE id IN (3, 4)`,
      );
      expect(rows.map(([v]) => JSON.parse(v as string).y)).toEqual([
        [-7, -6.25, -7.25, -7.25, -6.75],
        [-6, -5, -7, -6, -5.5],
      ]);
    });

    it('pads a fixed batch with copies of a real row, so integer Div never divides by zero', () => {
      open();
      importModel(db, { name: 'div', bytes: INT_DIV });
      db.exec('CREATE TABLE n (id INTEGER PRIMARY KEY, p INTEGER, q INTEGER)');
      db.exec('INSERT INTO n VALUES (1, 1, 2), (2, 3, 4), (3, 5, 6), (4, 7, 12)'); // 4 rows: chunks of 3 and 1
      expect(query(db, "SELECT id, PREDICT('div', p, q) FROM n ORDER BY id")).toEqual([
        [1, '[12,6]'],
        [2, '[4,3]'],
        [3, '[2,2]'],
        [4, '[1,1]'],
      ]);
      expect(json(`SELECT PREDICT_JSON('div', '{"x": [4, 3]}')`)).toEqual({ y: [3, 4] });
    });
  });

  describe('whole-tensor values', () => {
    it('passes an input that is not batched as given: nested arrays, flat, or shape and data', () => {
      open();
      importModel(db, { name: 'gemm', bytes: GEMM_WEIGHTS_INPUT });
      const w = [
        [1, 0, 0],
        [0, 2, 1],
      ];
      const expected = { y: [1.5, 4.5] };
      for (const given of [w, w.flat(), { shape: [2, 3], data: w.flat() }]) {
        expect(json(`SELECT PREDICT_JSON('gemm', ?)`, [JSON.stringify({ a: [1, 2, 1], w: given })])).toEqual(
          expected,
        );
      }
      const perRow = query(
        db,
        `SELECT PREDICT_JSON('gemm', json_object('a', json_array(a, b, c), 'w', json(?))) FROM t WHERE id < 3`,
        [JSON.stringify(w)],
      ).map(([v]) => JSON.parse(v as string).y);
      expect(perRow).toEqual([
        [-9.5, 1.5],
        [-8.5, 1],
        [-7.5, 0.5],
      ]);
    });

    it('scores a batched input given whole as one tensor and answers every output whole', () => {
      open();
      importModel(db, { name: 'clip', bytes: CLIP });
      const x = [
        [-2, 0.5, 3, 1],
        [0, 0, -0.25, 9],
        [7, -7, 0.75, 0],
      ];
      expect(json(`SELECT PREDICT_JSON('clip', ?)`, [JSON.stringify({ x, min: 0, max: 1 })])).toEqual({
        y: [
          [0, 0.5, 1, 1],
          [0, 0, 0, 1],
          [1, 0, 0.75, 0],
        ],
      });
      expect(
        json(`SELECT PREDICT_JSON('clip', ?)`, [
          JSON.stringify({ x: { shape: [2, 4], data: x.slice(0, 2).flat() }, min: 0, max: 1 }),
        ]),
      ).toEqual({
        y: [
          [0, 0.5, 1, 1],
          [0, 0, 0, 1],
        ],
      });
    });

    it('reduces over an empty set of rows given as shape [0, 3] to -Infinity', () => {
      open();
      importModel(db, { name: 'rmax', bytes: REDUCE_MAX_ROWS });
      expect(json(`SELECT PREDICT_JSON('rmax', '{"x": {"shape": [0, 3], "data": []}}')`)).toEqual({
        y: ['-Infinity', '-Infinity', '-Infinity'],
      });
      expect(json(`SELECT PREDICT_JSON('rmax', '{"x": [[1, 5, -2], [3, -1, 0]]}')`)).toEqual({
        y: [3, 5, 0],
      });
    });

    it('refuses a ragged array and a shape that does not match its data, by input name', () => {
      open();
      importModel(db, { name: 'clip', bytes: CLIP });
      expect(() =>
        query(db, `SELECT PREDICT_JSON('clip', '{"x": [[1, 2, 3, 4], [1]], "min": 0, "max": 1}')`),
      ).toThrow(/input 'x' is a ragged array/);
      expect(() =>
        query(
          db,
          `SELECT PREDICT_JSON('clip', '{"x": {"shape": [2, 4], "data": [1, 2]}, "min": 0, "max": 1}')`,
        ),
      ).toThrow(/input 'x' has shape \[2,4\] \(8 elements\) but 2 data elements/);
    });
  });

  describe('every ONNX numeric type round-trips', () => {
    it('decodes float16 outputs to numbers and encodes float16 inputs', () => {
      open();
      importModel(db, { name: 'to16', bytes: castModel('float32', 'float16') });
      importModel(db, { name: 'from16', bytes: castModel('float16', 'float32') });
      expect(json(`SELECT PREDICT_JSON('to16', '{"x": [1.5, 2, -3, 0.1]}')`)).toEqual({
        y: [1.5, 2, -3, 0.0999755859375],
      });
      expect(json(`SELECT PREDICT_JSON('from16', '{"x": [1.5, 2, -3, 0.1]}')`)).toEqual({
        y: [1.5, 2, -3, 0.0999755859375],
      });
      const rows = query(db, "SELECT PREDICT('from16', a, b, c, d) FROM t WHERE id IN (0, 1) ORDER BY id");
      expect(rows).toEqual([['[-10,0,2,0]'], ['[-9,0.25,1,1]']]);
    });

    it('keeps int64 and uint64 past 2^53 exact as text, and refuses them as JSON numbers', () => {
      open();
      importModel(db, { name: 'i64', bytes: identity('int64') });
      importModel(db, { name: 'u64', bytes: identity('uint64') });
      expect(json(`SELECT PREDICT_JSON('i64', '{"x": ["-9007199254740993"]}')`)).toEqual({
        y: ['-9007199254740993'],
      });
      expect(json(`SELECT PREDICT_JSON('u64', '{"x": ["18446744073709551615"]}')`)).toEqual({
        y: ['18446744073709551615'],
      });
      expect(json(`SELECT PREDICT_JSON('i64', '{"x": [42]}')`)).toEqual({ y: [42] });
      expect(query(db, "SELECT CAST(PREDICT('i64', '9007199254740993') AS TEXT)")).toEqual([
        ['9007199254740993'],
      ]);
      expect(query(db, "SELECT PREDICT('u64', '18446744073709551615')")).toEqual([['18446744073709551615']]);
      expect(() => query(db, `SELECT PREDICT_JSON('i64', '{"x": [9007199254740993]}')`)).toThrow(
        /int64 takes integers past ±\(2\^53 − 1\) as text/,
      );
      expect(() => query(db, `SELECT PREDICT_JSON('u64', '{"x": ["-1"]}')`)).toThrow(
        /uint64 takes integers in \[0, 18446744073709551615\]/,
      );
    });

    it.each([
      ['uint8', [0, 255]],
      ['int8', [-128, 127]],
      ['uint16', [0, 65535]],
      ['int16', [-32768, 32767]],
      ['uint32', [0, 4294967295]],
      ['int32', [-2147483648, 2147483647]],
      ['int64', ['-9223372036854775808', '9223372036854775807']],
      ['uint64', [0, '18446744073709551615']],
      ['float64', [0.1, -1.7976931348623157e308]],
      ['float32', [0.5, -3.4028234663852886e38]],
    ] as const)('round-trips the extremes of %s through PREDICT_JSON', (type, values) => {
      open();
      importModel(db, { name: 'id', bytes: identity(type, 2) });
      expect(json(`SELECT PREDICT_JSON('id', ?)`, [JSON.stringify({ x: values })])).toEqual({ y: values });
    });

    it('passes bool as true/false and small integers within their range', () => {
      open();
      importModel(db, { name: 'b', bytes: identity('bool', 3) });
      importModel(db, { name: 'i8', bytes: identity('int8', 2) });
      expect(json(`SELECT PREDICT_JSON('b', '{"x": [true, false, 2]}')`)).toEqual({ y: [true, false, true] });
      expect(json(`SELECT PREDICT_JSON('i8', '{"x": [-128, "127"]}')`)).toEqual({ y: [-128, 127] });
      expect(() => query(db, `SELECT PREDICT_JSON('i8', '{"x": [128, 0]}')`)).toThrow(
        /input 'x' element 0 is 128; int8 takes integers in \[-128, 127\]/,
      );
    });

    it('refuses at import a model whose input or output onnxruntime cannot pass, naming the type', () => {
      open();
      expect(() => importModel(db, { name: 'bf', bytes: castModel('bfloat16', 'float32') })).toThrow(
        /input 'x' is a bfloat16 tensor, which onnxruntime-node cannot feed/,
      );
      expect(() => importModel(db, { name: 'bf', bytes: castModel('float32', 'bfloat16') })).toThrow(
        /output 'y' is a bfloat16 tensor, which onnxruntime-node cannot return/,
      );
      expect(db.prepare('SELECT count(*) FROM sys_models').pluck().get()).toBe(0);
    });
  });

  describe('non-finite numbers', () => {
    it('are the strings "NaN", "Infinity", "-Infinity" in and out of JSON', () => {
      open();
      importModel(db, { name: 'id', bytes: identity('float32', 4) });
      expect(json(`SELECT PREDICT_JSON('id', '{"x": ["NaN", "Infinity", "-Infinity", 1]}')`)).toEqual({
        y: ['NaN', 'Infinity', '-Infinity', 1],
      });
      expect(query(db, `SELECT PREDICT('id', 1e999, -1e999, 0, 1)`)).toEqual([
        ['["Infinity","-Infinity",0,1]'],
      ]);
    });

    it('stay SQLite REAL infinities from positional PREDICT', () => {
      open();
      importModel(db, { name: 'id1', bytes: identity('float32') });
      db.exec('CREATE TABLE inf (v REAL)');
      db.exec('INSERT INTO inf VALUES (1e999), (-1e999), (2)');
      expect(query(db, "SELECT PREDICT('id1', v) FROM inf")).toEqual([
        [Number.POSITIVE_INFINITY],
        [Number.NEGATIVE_INFINITY],
        [2],
      ]);
    });
  });
});
