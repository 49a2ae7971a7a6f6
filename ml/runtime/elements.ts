import { InfrabaseError } from '../../engine/index.js';
import { type Dtype, NUMERIC_DTYPES } from '../onnx/index.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import type { TensorData, TensorValue } from './ort-session.js';

/**
 * Element types onnxruntime-node 1.30 can feed and return: the numeric ones PREDICT builds from SQL, and string
 * (its binding refuses bfloat16, complex, float8 and 4-bit types with "Unsupported tensor type"). A model with
 * an input or output of another type is refused at import.
 */
export const FEEDABLE_DTYPES: ReadonlySet<string> = new Set([...NUMERIC_DTYPES, 'string']);

/** Integer ranges, inclusive, as BigInt so int64/uint64 are exact. */
const INT_RANGES: Partial<Record<Dtype, readonly [bigint, bigint]>> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** True for float32, float64 and float16. */
export function isFloatDtype(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

/**
 * One element for a tensor of `dtype`, from a JSON or SQL value:
 * - floats take numbers, numeric text, and the strings `"NaN"`, `"Infinity"`, `"-Infinity"`;
 * - integers take integral numbers, BigInts and integer text within the type's range; the result is a BigInt
 *   for int64/uint64, which take values past ±(2^53 − 1) only as text (`"9007199254740993"`) or BigInt, since
 *   a JS number that large may already have been rounded;
 * - bool takes true/false or a number (≠ 0 is true).
 *
 * @param what names the value in errors, e.g. `model 'm@1': input 'x' element 3`.
 * @throws InfrabaseError `INVALID_ARGUMENT` saying what was given and what `dtype` accepts.
 */
export function parseElement(v: unknown, dtype: string, what: string): number | bigint {
  if (dtype === 'bool') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : numericText(v);
    if (n !== undefined && !Number.isNaN(n)) return n !== 0 ? 1 : 0;
    throw invalid(what, v, 'bool', 'true, false or a number (≠ 0 is true)');
  }
  if (isFloatDtype(dtype)) {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string' && v in NON_FINITE) return NON_FINITE[v];
    const n = numericText(v);
    if (n !== undefined) return n;
    throw invalid(what, v, dtype, 'a number or "NaN", "Infinity", "-Infinity"');
  }
  const range = INT_RANGES[dtype as Dtype];
  if (!range) {
    throw new InfrabaseError('MODEL_ERROR', `${what}: element type ${dtype} cannot be fed by PREDICT`);
  }
  let big: bigint | undefined;
  if (typeof v === 'bigint') big = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) big = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v) && (dtype === 'int64' || dtype === 'uint64')) {
    // a JS number past 2^53 may already have been rounded (by JSON.parse or SQLite's REAL): refuse it
    throw invalid(
      what,
      v,
      dtype,
      'integers past ±(2^53 − 1) as text, e.g. "9007199254740993", to keep them exact',
    );
  } else if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
  else if (typeof v === 'boolean') big = v ? 1n : 0n;
  else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) big = BigInt(v.trim());
  else if (typeof v === 'string') {
    const n = numericText(v);
    if (n !== undefined && Number.isSafeInteger(n)) big = BigInt(n); // "3.0", "1e3"
  }
  if (big === undefined || big < range[0] || big > range[1]) {
    throw invalid(what, v, dtype, `integers in [${range[0]}, ${range[1]}]`);
  }
  return dtype === 'int64' || dtype === 'uint64' ? big : Number(big);
}

/** A typed array of `dtype` holding `elements` (as returned by {@link parseElement}). */
export function tensorData(dtype: string, elements: ReadonlyArray<number | bigint>): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(elements, Number);
    case 'float64':
      return Float64Array.from(elements, Number);
    case 'float16':
      return Uint16Array.from(elements, (v) => toFloat16Bits(Number(v)));
    case 'bool':
    case 'uint8':
      return Uint8Array.from(elements, Number);
    case 'int8':
      return Int8Array.from(elements, Number);
    case 'int16':
      return Int16Array.from(elements, Number);
    case 'uint16':
      return Uint16Array.from(elements, Number);
    case 'int32':
      return Int32Array.from(elements, Number);
    case 'uint32':
      return Uint32Array.from(elements, Number);
    case 'int64':
      return BigInt64Array.from(elements, (v) => BigInt(v));
    case 'uint64':
      return BigUint64Array.from(elements, (v) => BigInt(v));
    default:
      throw new InfrabaseError('MODEL_ERROR', `element type ${dtype} cannot be fed by PREDICT`);
  }
}

/**
 * An output tensor's elements as PREDICT reads them: float16 bit patterns decoded to numbers (a Float32Array,
 * which holds every float16 value exactly); every other type as onnxruntime returned it.
 */
export function decodeOutput(t: TensorValue): TensorData {
  if (t.dtype !== 'float16') return t.data;
  const bits = t.data as Uint16Array;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromFloat16Bits(bits[i]);
  return out;
}

/**
 * An element as JSON text sees it: non-finite numbers as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`;
 * int64/uint64 past ±(2^53 − 1) as decimal text (exact); bool as true/false; others as they are.
 */
export function jsonElement(v: unknown, dtype: string | undefined): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (typeof v === 'number') {
    if (dtype === 'bool') return v !== 0;
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  }
  return v;
}

function numericText(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function invalid(what: string, v: unknown, dtype: string, accepted: string): InfrabaseError {
  const shown =
    typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? `a ${v.length}-byte BLOB` : JSON.stringify(v);
  return new InfrabaseError('INVALID_ARGUMENT', `${what} is ${shown}; ${dtype} takes ${accepted}`);
}
