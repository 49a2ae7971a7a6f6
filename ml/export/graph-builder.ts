import type { onnx as OnnxTypes } from 'onnx-proto';
import onnxProto from 'onnx-proto';

/**
 * Small helpers to build ONNX graph pieces with onnx-proto (ONNX v1.10.2 schema, protobufjs).
 * @internal
 */
export const onnx = onnxProto.onnx;
export type { OnnxTypes };

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

/** A float32 initializer with the given dims, from float64 values (rounded to float32). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTypes.ITensorProto {
  return { name, dataType: FLOAT, dims, floatData: Array.from(values, (v) => Math.fround(v)) };
}

/** A tensor value info; a string dim is symbolic (dim_param), a number is fixed (dim_value). */
export function tensorValue(
  name: string,
  elemType: number,
  dims: (string | number)[],
): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

type AttrValue = number | number[] | string;

/** A node; integer attributes become INT, fractional numbers FLOAT, arrays INTS, strings STRING. */
export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attributes: Record<string, AttrValue> = {},
): OnnxTypes.INodeProto {
  const T = onnx.AttributeProto.AttributeType;
  const attribute = Object.entries(attributes).map(([key, v]): OnnxTypes.IAttributeProto => {
    if (Array.isArray(v)) return { name: key, type: T.INTS, ints: v };
    if (typeof v === 'string') return { name: key, type: T.STRING, s: new TextEncoder().encode(v) };
    return Number.isInteger(v) ? { name: key, type: T.INT, i: v } : { name: key, type: T.FLOAT, f: v };
  });
  return { opType, input: inputs, output: outputs, name, attribute, domain: '' };
}
