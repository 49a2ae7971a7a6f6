import onnxProto from 'onnx-proto';

/**
 * The ONNX protobuf schema as protobufjs-generated code (`onnx-proto` 8.0.1, ONNX v1.10.2 `onnx.proto`).
 * @internal
 */
export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** protobufjs decodes int64 fields as `Long` objects (or numbers); this turns either into a JS number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return 0;
  if (typeof (v as { toNumber?: unknown }).toNumber === 'function')
    return (v as { toNumber(): number }).toNumber();
  return Number(v);
}
