import { InfrabaseError } from '../../engine/index.js';
import { type OnnxTypes, onnx, toNumber } from './proto.js';

/**
 * Decodes ONNX ModelProto bytes (onnx.proto, ONNX v1.10.2 schema).
 *
 * Protobuf decoding is permissive (many random byte strings decode to *something*), so a ModelProto must also
 * carry an `ir_version`, at least one opset import and a graph with at least one input and one output.
 *
 * @throws InfrabaseError `INVALID_ARGUMENT` when the bytes are not a BLOB, are truncated, or are not a ModelProto.
 */
export function decodeModel(bytes: Uint8Array, label = 'model'): OnnxTypes.ModelProto {
  if (!(bytes instanceof Uint8Array)) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: onnx must be a BLOB holding an ONNX ModelProto, got ${bytes === null ? 'NULL' : typeof bytes}`,
    );
  }
  if (bytes.byteLength === 0) {
    throw new InfrabaseError('INVALID_ARGUMENT', `${label}: onnx is empty; expected an ONNX ModelProto`);
  }
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: ${bytes.byteLength} bytes do not decode as an ONNX ModelProto (truncated or not ONNX: ${(err as Error).message})`,
      { cause: err },
    );
  }
  const problems: string[] = [];
  if (toNumber(model.irVersion) < 1) problems.push('no ir_version');
  if (!model.opsetImport?.length) problems.push('no opset_import');
  if (!model.graph) problems.push('no graph');
  else {
    if (!model.graph.input?.length) problems.push('graph has no inputs');
    if (!model.graph.output?.length) problems.push('graph has no outputs');
  }
  if (problems.length) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: ${bytes.byteLength} bytes are not an ONNX ModelProto (${problems.join(', ')}); expected a model file written by an ONNX exporter`,
    );
  }
  return model;
}
