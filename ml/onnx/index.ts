/** ONNX ModelProto decoding, validation (no external data, tensor inputs only), description and ZipMap rewrite. */
export { decodeModel } from './decode.js';
export type {
  Dim,
  ModelDescription,
  ModelTask,
  OutputDescription,
  TensorDescription,
  ValueKind,
} from './describe.js';
export { describeModel } from './describe.js';
export type { Dtype } from './dtypes.js';
export { dtypeName, NUMERIC_DTYPES } from './dtypes.js';
export {
  DEFAULT_MAX_TENSOR_BYTES,
  type ModelLimits,
  modelLimits,
  setModelLimits,
} from './model-limits.js';
export { ONNX_SCHEMA_VERSION } from './onnx-schema.js';
export { type OnnxTypes, onnx, toNumber } from './proto.js';
export { onnxSchema, schemaType } from './schema-root.js';
export { MAX_MESSAGE_DEPTH } from './strict-decode.js';
export { elementBytes, formatBytes } from './tensor-bytes.js';
export { findExternalTensor, findOversizedTensor, validateModel } from './validate.js';
export { exposeZipMapProbabilities } from './zipmap.js';
