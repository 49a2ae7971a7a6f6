import protobuf from 'protobufjs';
import { ONNX_PROTO } from './onnx-schema.js';

/**
 * The current ONNX schema ({@link ONNX_PROTO}) as protobufjs reflection types, resolved once per process.
 * Messages decode with camelCase field names, int64 as `Long`, enums as numbers (as `onnx-proto` does).
 * @internal
 */
export const onnxSchema: protobuf.Root = (() => {
  const root = protobuf.parse(ONNX_PROTO).root;
  root.resolveAll();
  return root;
})();

/** The reflection type of a message of package `onnx`, e.g. `schemaType('ModelProto')`. @internal */
export function schemaType(name: string): protobuf.Type {
  return onnxSchema.lookupType(`onnx.${name}`);
}
