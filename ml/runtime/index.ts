/** The synchronous onnxruntime adapter (native binding of onnxruntime-node, version pinned). */

export {
  decodeOutput,
  FEEDABLE_DTYPES,
  isFloatDtype,
  jsonElement,
  parseElement,
  tensorData,
} from './elements.js';
export { fromFloat16Bits, toFloat16Bits } from './float16.js';
export { limitWorkerMemory } from './memory-limit.js';
export {
  assertBindingShape,
  createSession,
  ORT_NODE_VERSION,
  type OrtSession,
  type TensorData,
  type TensorValue,
  type ValueMetadata,
} from './ort-session.js';
