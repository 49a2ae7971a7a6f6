import { InfrabaseError } from '../../engine/index.js';
import type { Dtype } from '../onnx/index.js';
import type { InputLayout, PredictPlan } from '../registry/index.js';
import {
  decodeOutput,
  jsonElement,
  type OrtSession,
  type TensorData,
  type TensorValue,
  toFloat16Bits,
} from '../runtime/index.js';

/** Largest batch handed to onnxruntime at once for a model with a dynamic batch dimension (rows). */
export const MAX_CHUNK_ROWS = 65_536;

/**
 * One output over scored rows: `data` holds `rows × rowSize` elements (float16 already decoded to numbers);
 * each row has shape `innerDims`.
 */
export interface RowOutput {
  readonly data: TensorData;
  readonly rowSize: number;
  readonly innerDims: readonly number[];
  /** The output's element type (bool answers JSON true/false). */
  readonly dtype?: string;
}

/** Thrown (internally) when a model's outputs do not have one row per input row, so it cannot be batched. */
export class NotBatchableError extends Error {}

const INT_RANGES: Partial<Record<Dtype, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Converts SQL numbers to the input's element type (float32/float64 as is, integers exactly, bool as ≠ 0).
 * @throws InfrabaseError `INVALID_ARGUMENT` for a fractional or out-of-range value fed to an integer input.
 */
export function toElements(values: Float64Array, input: InputLayout, label: string): TensorData {
  const dtype = input.dtype as Dtype;
  switch (dtype) {
    case 'float32':
      return new Float32Array(values);
    case 'float64':
      return values;
    case 'float16':
      return Uint16Array.from(values, toFloat16Bits);
    case 'bool':
      return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    default: {
      const range = INT_RANGES[dtype];
      if (!range) {
        throw new InfrabaseError(
          'MODEL_ERROR',
          `${label}: input '${input.name}' has unsupported type ${dtype}`,
        );
      }
      for (const v of values) {
        if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
          throw new InfrabaseError(
            'INVALID_ARGUMENT',
            `${label}: input '${input.name}' is ${dtype} and cannot take ${v}; expected integers in [${range[0]}, ${range[1]}]`,
          );
        }
      }
      switch (dtype) {
        case 'int8':
          return Int8Array.from(values);
        case 'uint8':
          return Uint8Array.from(values);
        case 'int16':
          return Int16Array.from(values);
        case 'uint16':
          return Uint16Array.from(values);
        case 'int32':
          return Int32Array.from(values);
        case 'uint32':
          return Uint32Array.from(values);
        case 'int64':
          return BigInt64Array.from(values, (v) => BigInt(v));
        default:
          return BigUint64Array.from(values, (v) => BigInt(v));
      }
    }
  }
}

/** Tensor dims for `rows` rows of `rowSize` elements of this input (dynamic inner dims resolved). */
export function inputDims(input: InputLayout, rows: number, rowSize: number, label: string): number[] {
  if (!input.hasBatchDim) return [];
  const inner = input.shape.slice(1);
  const dynamic = inner.filter((d) => typeof d !== 'number').length;
  if (dynamic === 0) return [rows, ...(inner as number[])];
  const fixed = (inner.filter((d) => typeof d === 'number') as number[]).reduce((a, b) => a * b, 1);
  if (dynamic > 1 || rowSize % fixed !== 0) {
    throw new InfrabaseError(
      'MODEL_ERROR',
      `${label}: input '${input.name}' has shape [${input.shape.join(',')}] with dynamic inner dimensions PREDICT cannot infer from ${rowSize} values`,
    );
  }
  return [rows, ...inner.map((d) => (typeof d === 'number' ? d : rowSize / fixed))];
}

/**
 * Scores `rows` rows of a single-input model: `values` is row-major `[rows, rowSize]` in SQL numbers.
 * Fixed batch sizes are respected (a `[3, 2]` input runs in chunks of 3, the last padded with copies of its
 * last real row, so padding never feeds values the data does not hold, such as a zero divisor); dynamic ones
 * run in chunks of at most {@link MAX_CHUNK_ROWS}.
 *
 * @throws NotBatchableError when an output has no leading dimension of one entry per row (rows > 1 only).
 * @throws InfrabaseError `MODEL_ERROR` from onnxruntime, `INVALID_ARGUMENT` from dtype conversion.
 */
export function scoreRows(
  session: OrtSession,
  plan: PredictPlan,
  values: Float64Array,
  rows: number,
  rowSize: number,
  outputNames: readonly string[],
): Record<string, RowOutput> {
  const input = plan.inputs[0];
  const chunk = input.fixedBatch ?? Math.min(Math.max(rows, 1), MAX_CHUNK_ROWS);
  const result: Record<string, { data: TensorData; rowSize: number; innerDims: number[]; dtype: string }> =
    {};
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const feedRows = input.fixedBatch ?? n;
    let slice = values.subarray(start * rowSize, (start + n) * rowSize);
    if (feedRows > n) slice = padWithCopies(slice, n, feedRows, rowSize);
    const feed: TensorValue = {
      dtype: input.dtype as Dtype,
      dims: inputDims(input, feedRows, rowSize, plan.label),
      data: toElements(slice, input, plan.label),
    };
    const out = session.runSync({ [input.name]: feed }, outputNames);
    for (const name of outputNames) {
      const t = out[name];
      const perRow = t.dims.length > 0 && t.dims[0] === feedRows;
      if (!perRow && rows > 1) throw new NotBatchableError(`${name} has dims [${t.dims.join(',')}]`);
      const innerDims = perRow ? t.dims.slice(1) : [...t.dims];
      const outRowSize = innerDims.reduce((a, b) => a * b, 1);
      const data = decodeOutput(t);
      let target = result[name];
      if (!target) {
        if (rows === 1 && n === feedRows) {
          result[name] = { data, rowSize: outRowSize, innerDims, dtype: t.dtype };
          continue;
        }
        const Ctor = (data as unknown as { constructor: new (n: number) => TensorData }).constructor;
        target = { data: new Ctor(rows * outRowSize), rowSize: outRowSize, innerDims, dtype: t.dtype };
        result[name] = target;
      }
      copyRows(data, target.data, start * outRowSize, n * outRowSize);
    }
  }
  return result;
}

/** `slice` (n rows of rowSize) followed by copies of its last row up to `rows` rows. */
export function padWithCopies(slice: Float64Array, n: number, rows: number, rowSize: number): Float64Array {
  const padded = new Float64Array(rows * rowSize);
  padded.set(slice);
  const last = slice.subarray((n - 1) * rowSize, n * rowSize);
  for (let r = n; r < rows; r++) padded.set(last, r * rowSize);
  return padded;
}

function copyRows(from: TensorData, to: TensorData, offset: number, count: number): void {
  if (Array.isArray(from)) {
    for (let i = 0; i < count; i++) (to as string[])[offset + i] = from[i];
    return;
  }
  (to as Float32Array).set((from as Float32Array).subarray(0, count), offset);
}

/**
 * A row's value as SQL sees it: one element as a number (REAL infinities kept; bool as 0/1; int64/uint64 as an
 * INTEGER, or as text past SQLite's 64-bit range), else a JSON array (see {@link nest}).
 */
export function rowValue(out: RowOutput, row: number): number | bigint | string | null {
  if (out.rowSize === 1) return scalar(out.data[row]);
  return JSON.stringify(nest(out, row));
}

/**
 * The row as a JSON-ready value: a scalar, or nested arrays following `innerDims`. Elements follow
 * `jsonElement`: non-finite numbers as "NaN"/"Infinity"/"-Infinity", 64-bit integers past 2^53 as text, bool
 * as true/false.
 */
export function nest(out: RowOutput, row: number): unknown {
  if (out.rowSize === 1 && out.innerDims.length === 0) return jsonElement(out.data[row], out.dtype);
  const flat: unknown[] = [];
  for (let i = 0; i < out.rowSize; i++) flat.push(jsonElement(out.data[row * out.rowSize + i], out.dtype));
  const dims = out.innerDims.filter((d, i) => d !== 1 || i === out.innerDims.length - 1);
  return reshape(flat, dims.length ? dims : [out.rowSize]);
}

/** A whole output (all its dims, the first included) as nested arrays of JSON elements. */
export function nestWhole(t: TensorValue): unknown {
  const data = decodeOutput(t);
  const flat: unknown[] = [];
  for (let i = 0; i < data.length; i++) flat.push(jsonElement(data[i], t.dtype));
  return t.dims.length === 0 ? flat[0] : reshape(flat, t.dims);
}

function reshape(flat: unknown[], dims: readonly number[]): unknown {
  if (dims.length <= 1) return flat;
  const outer: unknown[] = [];
  const step = dims[0] === 0 ? 0 : flat.length / dims[0];
  for (let i = 0; i < dims[0]; i++) outer.push(reshape(flat.slice(i * step, (i + 1) * step), dims.slice(1)));
  return outer;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function scalar(v: unknown): number | bigint | string | null {
  if (typeof v === 'bigint') {
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    return v >= INT64_MIN && v <= INT64_MAX ? v : v.toString(); // uint64 past 2^63 - 1: no SQLite INTEGER holds it
  }
  if (typeof v === 'number' || typeof v === 'string') return v;
  return v === undefined ? null : String(v);
}
