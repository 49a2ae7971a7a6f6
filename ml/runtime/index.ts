/** The synchronous onnxruntime adapter (native binding of onnxruntime-node, version pinned). */
export {
  assertBindingShape,
  createSession,
  ORT_NODE_VERSION,
  type OrtSession,
  type TensorData,
  type TensorValue,
  type ValueMetadata,
} from './ort-session.js';
