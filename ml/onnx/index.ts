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
export { type OnnxTypes, onnx, toNumber } from './proto.js';
export { findExternalTensor, validateModel } from './validate.js';
export { exposeZipMapProbabilities } from './zipmap.js';
