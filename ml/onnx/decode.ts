import { InfrabaseError } from '../../engine/index.js';
import { ONNX_SCHEMA_VERSION } from './onnx-schema.js';
import type { OnnxTypes } from './proto.js';
import { toNumber } from './proto.js';
import { schemaType } from './schema-root.js';
import { assertKnownFields } from './strict-decode.js';

/**
 * Decodes ONNX ModelProto bytes against the current ONNX schema (onnx-schema.ts, ONNX v1.22.0) and refuses any
 * field that schema does not declare, at any depth (strict-decode.ts): a field unknown to the decoder would be
 * skipped by validation yet could still be read by onnxruntime.
 *
 * Protobuf decoding is permissive (many random byte strings decode to *something*), so a ModelProto must also
 * carry an `ir_version`, at least one opset import and a graph with at least one input and one output.
 *
 * The result has the shape of `onnx-proto`'s generated ModelProto plus the fields added since (for example
 * `FunctionProto.attributeProto`, `NodeProto.metadataProps`).
 *
 * @throws InfrabaseError `INVALID_ARGUMENT` when the bytes are not a BLOB, are truncated, are not a ModelProto,
 *   carry a field the schema does not declare, or nest messages deeper than 100 levels.
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
    model = schemaType('ModelProto').decode(bytes) as unknown as OnnxTypes.ModelProto;
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
  try {
    assertKnownFields(bytes, schemaType('ModelProto'), label, 'model');
  } catch (err) {
    if (err instanceof InfrabaseError) throw err;
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: ${bytes.byteLength} bytes do not follow the ONNX schema (${ONNX_SCHEMA_VERSION}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return model;
}
