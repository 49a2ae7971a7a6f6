/**
 * Tensor element types by their ONNX `TensorProto.DataType` number (onnx.proto), which onnxruntime's native
 * binding uses too, named as onnxruntime-common names them.
 */
export type Dtype =
  | 'float32'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'string'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint32'
  | 'uint64'
  | 'complex64'
  | 'complex128'
  | 'bfloat16'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'uint4'
  | 'int4'
  | 'float4e2m1';

const BY_CODE: Record<number, Dtype> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

/** The dtype name for an ONNX element type code (onnx.proto 1.17 names), or `unknown(<code>)`. */
export function dtypeName(code: number): Dtype | `unknown(${number})` {
  return BY_CODE[code] ?? `unknown(${code})`;
}

/** Numeric dtypes that PREDICT can build from SQL numbers. */
export const NUMERIC_DTYPES: ReadonlySet<string> = new Set<Dtype>([
  'float32',
  'float16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
]);
