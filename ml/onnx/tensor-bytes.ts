import { toNumber } from './proto.js';

/**
 * Bytes per element by ONNX `TensorProto.DataType` (onnx.proto3, v1.22.0): 4-bit and 2-bit types count as a
 * fraction of a byte; strings count their pointer (the bytes of a string tensor's data are counted separately).
 */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4, // FLOAT
  2: 1, // UINT8
  3: 1, // INT8
  4: 2, // UINT16
  5: 2, // INT16
  6: 4, // INT32
  7: 8, // INT64
  8: 8, // STRING
  9: 1, // BOOL
  10: 2, // FLOAT16
  11: 8, // DOUBLE
  12: 4, // UINT32
  13: 8, // UINT64
  14: 8, // COMPLEX64
  15: 16, // COMPLEX128
  16: 2, // BFLOAT16
  17: 1, // FLOAT8E4M3FN
  18: 1, // FLOAT8E4M3FNUZ
  19: 1, // FLOAT8E5M2
  20: 1, // FLOAT8E5M2FNUZ
  21: 0.5, // UINT4
  22: 0.5, // INT4
  23: 0.5, // FLOAT4E2M1
  24: 1, // FLOAT8E8M0
  25: 0.25, // UINT2
  26: 0.25, // INT2
};

/** Bytes per element of an ONNX element type; an unknown type counts as 16 (the widest). */
export function elementBytes(dataType: number | null | undefined): number {
  return ELEMENT_BYTES[dataType ?? 0] ?? 16;
}

/**
 * The element count of a shape, as a float (products past 2^53 only need to compare as "too large").
 * Negative sizes count as 0; `unknown` stands for a symbolic or missing dimension.
 */
export function elementCount(dims: ReadonlyArray<unknown>, unknown = 1): number {
  let n = 1;
  for (const d of dims) {
    const v = d === undefined || d === null ? unknown : toNumber(d);
    n *= Number.isFinite(v) && v >= 0 ? v : 0;
  }
  return n;
}

/** `n` bytes as a short readable figure, e.g. `1.0 GiB`, `300 B`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}
