/** Export of trained models as ONNX (opset 13) with the standardisation baked in, and a structural checker. */
export { assertValidModel, checkModel, type ModelCheck } from './check-model.js';
export { EXPORT_IR_VERSION, EXPORT_OPSET, type ExportOnnxOptions, exportOnnx } from './export-onnx.js';
