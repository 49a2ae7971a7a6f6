import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../engine/index.js';
import { createSession, mlExtension, modelLimits, setModelLimits } from '../../../ml/index.js';
import { query } from '../predict/support.js';
import {
  deeplyNestedModel,
  dynamicConstantOfShapeModel,
  EXTERNAL_PLACES,
  encodeMessage,
  encodeModel,
  externalAt,
  externalTensor,
  oversizedModels,
  valueInfo,
  withExtraField,
} from './crafted-models.js';

// A file beside the process (in its working directory), as infrabase-data/tokens.json is in the default layout.
const SECRET_FILE = `infrabase-fuzz-secret-${process.pid}.bin`;
const SECRET = Buffer.from('admin-token-0123456789abcdef');
const leakTensor = () => externalTensor('w', SECRET_FILE, SECRET.length);

let db: Database;
beforeAll(() => writeFileSync(join(process.cwd(), SECRET_FILE), SECRET));
afterAll(() => unlinkSync(join(process.cwd(), SECRET_FILE)));
beforeEach(() => {
  db = openDatabase(':memory:', { migrate: true, extensions: [mlExtension] });
});
afterEach(() => db.close());

const insert = (name: string, bytes: Uint8Array) =>
  db.prepare('INSERT INTO sys_models (name, onnx) VALUES (?, ?)').run(name, Buffer.from(bytes));
const count = () => db.prepare('SELECT count(*) FROM sys_models').pluck().get();
const containsSecret = (data: unknown) =>
  Buffer.from(
    ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : [],
  ).includes(SECRET.subarray(0, 12));

/** Loads bytes with infrabase's session adapter (no validation) and reports whether any output holds the secret. */
function adapterLeaks(bytes: Uint8Array): boolean {
  let session: ReturnType<typeof createSession>;
  try {
    session = createSession(bytes, 'fuzz');
  } catch {
    return false;
  }
  try {
    const names = session.outputs.map((o) => o.name);
    const out = session.runSync({ x: { dtype: 'float32', dims: [1], data: new Float32Array([1]) } }, names);
    return Object.values(out).some((t) => containsSecret(t.data));
  } catch {
    return false;
  } finally {
    session.dispose();
  }
}

describe('external data (a model naming a file)', () => {
  it('is a real attack: onnxruntime with default options reads the file from the working directory', async () => {
    const session = await ort.InferenceSession.create(externalAt('graph initializer', leakTensor()));
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1]), [1]) });
    expect(Buffer.from(out.y.data as Uint8Array)).toEqual(SECRET);
    await session.release();
  });

  it('finds no file through the session adapter, which resolves external data in an empty folder', () => {
    expect(() => createSession(externalAt('graph initializer', leakTensor()), 'fuzz')).toThrow(
      /fuzz: onnxruntime cannot load it/,
    );
  });

  it.each(EXTERNAL_PLACES)('refuses at import a model with an external tensor in the %s', (place) => {
    const bytes = externalAt(place, leakTensor());
    expect(() => insert('leak', bytes)).toThrow(
      new RegExp(
        `model 'leak': tensor '.*' at model\\..* \\(location '${SECRET_FILE}'\\) references external data; only models with all tensor data embedded are accepted`,
      ),
    );
    expect(count()).toBe(0);
    expect(adapterLeaks(bytes)).toBe(false);
  });

  it('names the function and attribute default that holds the tensor', () => {
    expect(() =>
      insert('leak', externalAt('function attribute default (attribute_proto)', leakTensor())),
    ).toThrow(/at model\.functions\[0\] 'Leak'\.attributeProto\[0\] 'secret'\.t /);
  });
});

describe('fields the ONNX schema does not declare', () => {
  const plain = () =>
    encodeModel({
      graph: {
        name: 'g',
        node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
        input: [valueInfo('x', [1])],
        output: [valueInfo('y', [1])],
      },
    });

  it('accepts the plain model they are grafted on (its fixed [1] input is one whole tensor)', () => {
    insert('plain', plain());
    expect(query(db, `SELECT PREDICT_JSON('plain', '{"x": [2.5]}')`)).toEqual([['{"y":[2.5]}']]);
  });

  it('refuses an unknown field at the top level', () => {
    expect(() => insert('x', withExtraField(plain(), 99, Buffer.from('hidden')))).toThrow(
      /model 'x': model: field number 99 \(wire type 2\) is not a field of onnx\.ModelProto; only models made of the fields of the ONNX schema \(ONNX v1\.22\.0/,
    );
    expect(count()).toBe(0);
  });

  it('refuses an unknown field inside a function, naming where it sits', () => {
    const fn = withExtraField(
      encodeMessage('FunctionProto', { name: 'F', domain: 'local', output: ['o'] }),
      50,
      encodeMessage('TensorProto', leakTensor()),
    );
    expect(() => insert('x', withExtraField(plain(), 25, fn))).toThrow(
      /model\.functions\[0\]: field number 50 \(wire type 2\) is not a field of onnx\.FunctionProto/,
    );
  });

  it('refuses a reserved field number (AttributeProto 12, the removed `v`)', () => {
    const attribute = withExtraField(
      encodeMessage('AttributeProto', { name: 'a', type: 1, f: 1 }),
      12,
      Buffer.from('v'),
    );
    const node = withExtraField(
      encodeMessage('NodeProto', { opType: 'Identity', input: ['x'], output: ['y'] }),
      5,
      attribute,
    );
    const graph = withExtraField(
      encodeMessage('GraphProto', { name: 'g', input: [valueInfo('x', [1])], output: [valueInfo('y', [1])] }),
      1,
      node,
    );
    const model = withExtraField(encodeModel({}), 7, graph);
    expect(() => insert('x', model)).toThrow(
      /model\.graph\.node\[0\]\.attribute\[0\]: field number 12 \(wire type 2\) is not a field of onnx\.AttributeProto \(it is reserved\)/,
    );
  });

  it('refuses a message field sent with another wire type', () => {
    expect(() => insert('x', withExtraField(plain(), 26, new Uint8Array([1]), 0))).toThrow(
      /model 'x': (68 bytes do not decode as an ONNX ModelProto|model: configuration has wire type 0, expected a message)/,
    );
  });

  it.each([200, 5_000])('refuses messages nested %i levels deep without exhausting the stack', (depth) => {
    expect(() => insert('deep', deeplyNestedModel(depth))).toThrow(
      /model 'deep': .*(messages nest deeper than 100 levels|do not decode as an ONNX ModelProto)/,
    );
    expect(count()).toBe(0);
  });
});

describe('oversized tensors', () => {
  it.each(Object.entries(oversizedModels()))('refuses at import a model with a %s', (_what, bytes) => {
    expect(() => insert('big', bytes)).toThrow(
      /model 'big': .* (holds|is declared as|makes a tensor of|is) [0-9.]+ (GiB|TiB|PiB).*, more than the 256\.0 MiB a model tensor may take \(predict\.maxTensorBytes\)/,
    );
    expect(count()).toBe(0);
  });

  describe('with predict.maxTensorBytes = 16 MiB', () => {
    let saved = modelLimits();
    beforeEach(() => {
      saved = modelLimits();
      setModelLimits({ maxTensorBytes: 16 * 1024 * 1024 });
    });
    afterEach(() => {
      setModelLimits(saved);
    });

    it('answers an output that outgrows it at PREDICT time with MODEL_ERROR, and the next call works', () => {
      insert('fill', dynamicConstantOfShapeModel());
      expect(() => query(db, `SELECT PREDICT_JSON('fill', '{"shape": [8000000]}')`)).toThrow(
        /model 'fill': output 'y' is 30\.5 MiB \(dims \[8000000\]\), more than the 16\.0 MiB a model tensor may take/,
      );
      expect(query(db, `SELECT PREDICT_JSON('fill', '{"shape": [3]}')`)).toEqual([['{"y":[0,0,0]}']]);
    });

    it('refuses at import a constant over it', () => {
      const big = encodeModel({
        graph: {
          name: 'g',
          node: [{ opType: 'Identity', input: ['w'], output: ['y'] }],
          initializer: [{ name: 'w', dims: [5 * 1024 * 1024], dataType: 1 }],
          input: [valueInfo('x', [1])],
          output: [valueInfo('y', ['n'])],
        },
      });
      expect(() => insert('big', big)).toThrow(
        /tensor 'w' at model\.graph\.initializer\[0\] 'w' holds 20\.0 MiB, more than the 16\.0 MiB/,
      );
    });
  });
});
