import { mkdtempSync, rmdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfrabaseError } from '../../engine/index.js';
import { type Dtype, dtypeName, formatBytes, modelLimits } from '../onnx/index.js';

/**
 * The one adapter over onnxruntime-node. Its public `InferenceSession.run()` only wraps the native synchronous
 * `run` in `setImmediate`; SQLite functions are synchronous, so this file talks to the native session of
 * `onnxruntime-node/dist/binding` directly. The binding is not a public API: the version is pinned and
 * {@link assertBindingShape} (run by a test and on first use) fails loudly if it changes.
 */
export const ORT_NODE_VERSION = '1.30.0';

/** Typed array holding a tensor's elements (BigInt64Array for int64, Uint8Array for bool, …). */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/** A dense tensor: row-major `data` with `dims.reduce(*)` elements. */
export interface TensorValue {
  readonly dtype: Dtype;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export interface ValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  /** Element type for tensors (undefined for sequences/maps). */
  readonly dtype?: string;
  /** Fixed sizes, or the symbolic name ('' when unnamed) of each dynamic dimension. */
  readonly shape: Array<number | string>;
}

/** A loaded model, run synchronously. Not thread-safe across worker threads; fine on one JS thread. */
export interface OrtSession {
  readonly inputs: readonly ValueMetadata[];
  readonly outputs: readonly ValueMetadata[];
  /**
   * Runs the model on `feeds` (by input name) and returns the requested tensor outputs.
   * @throws InfrabaseError `MODEL_ERROR` with onnxruntime's message (wrong shape, wrong dtype, failed
   *   allocation, …), or when an output is larger than `predict.maxTensorBytes` (see modelLimits).
   */
  runSync(feeds: Record<string, TensorValue>, outputNames: readonly string[]): Record<string, TensorValue>;
  dispose(): void;
}

interface NativeMetadata {
  name: string;
  isTensor: boolean;
  symbolicDimensions: string[];
  shape: number[];
  type: number;
}
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: NativeMetadata[];
  readonly outputMetadata: NativeMetadata[];
  run(feeds: object, fetches: Record<string, null>, options: object): Record<string, NativeTensor>;
  dispose(): void;
}
interface NativeTensor {
  type: Dtype;
  dims: readonly number[];
  data: TensorData;
}
interface NativeModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}
type TensorCtor = new (type: string, data: TensorData, dims: readonly number[]) => NativeTensor;

let loaded: { native: NativeModule; Tensor: TensorCtor } | undefined;

function load(): { native: NativeModule; Tensor: TensorCtor } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const version = (require('onnxruntime-node/package.json') as { version: string }).version;
  if (version !== ORT_NODE_VERSION) {
    throw new InfrabaseError(
      'INTERNAL',
      `onnxruntime-node ${version} is installed; ml/runtime/ort-session.ts wraps the native binding of ${ORT_NODE_VERSION} exactly (pin it or re-check the binding)`,
    );
  }
  const native = require('onnxruntime-node/dist/binding.js') as NativeModule;
  const common = createRequire(require.resolve('onnxruntime-node'))('onnxruntime-common') as {
    Tensor: TensorCtor;
  };
  assertBindingShape(native);
  native.initOrt();
  loaded = { native, Tensor: common.Tensor };
  return loaded;
}

/**
 * Checks the native binding still has the members this adapter calls.
 * @throws InfrabaseError `INTERNAL` naming what is missing.
 */
export function assertBindingShape(native?: unknown): void {
  const mod = (native ?? load().native) as Partial<NativeModule>;
  const missing: string[] = [];
  if (typeof mod.initOrt !== 'function') missing.push('initOrt()');
  const Session = mod.binding?.InferenceSession;
  if (typeof Session !== 'function') missing.push('binding.InferenceSession');
  else {
    const proto = Session.prototype as Record<string, unknown>;
    for (const m of ['loadModel', 'run', 'dispose'])
      if (typeof proto[m] !== 'function') missing.push(`${m}()`);
    for (const p of ['inputMetadata', 'outputMetadata']) if (!(p in proto)) missing.push(p);
  }
  if (missing.length) {
    throw new InfrabaseError(
      'INTERNAL',
      `onnxruntime-node native binding changed: missing ${missing.join(', ')}; ml/runtime/ort-session.ts needs updating`,
    );
  }
}

let emptyFolder: string | undefined;

/**
 * A folder of this process's own that stays empty (mode 0700, removed at exit): onnxruntime resolves a
 * tensor's external data relative to it, so even a model that slipped past validation finds no file.
 */
export function externalDataFolder(): string {
  if (emptyFolder) return emptyFolder;
  const dir = mkdtempSync(join(tmpdir(), 'infrabase-ort-'));
  process.once('exit', () => {
    try {
      rmdirSync(dir);
    } catch {
      // Already gone, or not empty because something wrote into it: leave it for the operator to see.
    }
  });
  emptyFolder = dir;
  return dir;
}

/**
 * Session options passed to the native loader: one thread per session (SQL runs one statement at a time);
 * external data resolved against an empty folder of the process's own (a model is loaded from bytes, and
 * onnxruntime would otherwise resolve relative locations against the working directory); constant folding
 * off, so loading a model never computes (and allocates) its constant subgraphs: a `ConstantOfShape` of
 * a gigabyte is then met at run time, where it is a `MODEL_ERROR` of one call rather than of the import.
 */
function sessionOptions(): object {
  return {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    extra: {
      'session.model_external_initializers_file_folder_path': externalDataFolder(),
      'optimization.disable_specified_optimizers': 'ConstantFolding',
    },
  };
}
const RUN_OPTIONS = {};

/**
 * Creates a session from ONNX bytes (never from a path).
 * @throws InfrabaseError `MODEL_ERROR` when onnxruntime cannot load the model (unsupported operator, corrupt graph).
 */
export function createSession(bytes: Uint8Array, label = 'model'): OrtSession {
  const { native, Tensor } = load();
  const session = new native.binding.InferenceSession();
  try {
    session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, sessionOptions());
  } catch (err) {
    throw new InfrabaseError(
      'MODEL_ERROR',
      `${label}: onnxruntime cannot load it: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const inputs = session.inputMetadata.map(toMetadata);
  const outputs = session.outputMetadata.map(toMetadata);
  return {
    inputs,
    outputs,
    runSync(feeds, outputNames) {
      const nativeFeeds: Record<string, NativeTensor> = {};
      for (const [name, t] of Object.entries(feeds)) nativeFeeds[name] = new Tensor(t.dtype, t.data, t.dims);
      const fetches: Record<string, null> = {};
      for (const name of outputNames) fetches[name] = null;
      let result: Record<string, NativeTensor>;
      try {
        result = session.run(nativeFeeds, fetches, RUN_OPTIONS);
      } catch (err) {
        throw new InfrabaseError('MODEL_ERROR', `${label}: ${(err as Error).message}`, { cause: err });
      }
      const maxBytes = modelLimits().maxTensorBytes;
      const out: Record<string, TensorValue> = {};
      for (const name of outputNames) {
        const t = result[name];
        const bytes = tensorBytes(t.data);
        if (bytes > maxBytes) {
          throw new InfrabaseError(
            'MODEL_ERROR',
            `${label}: output '${name}' is ${formatBytes(bytes)} (dims [${t.dims.join(', ')}]), more than the ${formatBytes(maxBytes)} a model tensor may take (predict.maxTensorBytes); score fewer rows per call or fix the model`,
          );
        }
        out[name] = { dtype: t.type, dims: t.dims, data: t.data };
      }
      return out;
    },
    dispose() {
      session.dispose();
    },
  };
}

function tensorBytes(data: TensorData): number {
  if (Array.isArray(data)) return data.reduce((n, s) => n + s.length + 8, 0);
  return data.byteLength;
}

function toMetadata(m: NativeMetadata): ValueMetadata {
  if (!m.isTensor) return { name: m.name, isTensor: false, shape: [] };
  return {
    name: m.name,
    isTensor: true,
    dtype: dtypeName(m.type),
    shape: m.shape.map((d, i) => (d >= 0 ? d : (m.symbolicDimensions[i] ?? ''))),
  };
}
