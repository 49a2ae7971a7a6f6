import type { Database } from 'better-sqlite3';
import { loadCheckedModel } from './prepared-model.js';

/**
 * Triggers that make plain `INSERT INTO sys_models (name, onnx) VALUES (?, ?)` safe: BEFORE INSERT (and
 * BEFORE UPDATE OF onnx) calls `ml_validate_onnx`, which throws so nothing is stored when the blob is not an
 * ONNX ModelProto, is truncated, has external-data tensors or non-tensor inputs, or onnxruntime cannot load it;
 * AFTER INSERT (and AFTER UPDATE OF onnx) fills sha256, opset, inputs, outputs, task and — when absent and the
 * model names its features — feature_names from `ml_describe_onnx`, and `row_independent` from
 * `ml_probe_onnx` (whatever the insert gave; an UPDATE that sets it to anything else is refused).
 *
 * These triggers call JS functions: connections without the ml extension (e.g. the `sqlite3` shell) cannot
 * write sys_models, which is intended (they could not validate).
 */
export const modelTriggersSchema = `
CREATE TRIGGER IF NOT EXISTS sys_models_validate_onnx BEFORE INSERT ON sys_models
BEGIN
  SELECT ml_validate_onnx(NEW.name, NEW.onnx);
END;

CREATE TRIGGER IF NOT EXISTS sys_models_validate_onnx_update BEFORE UPDATE OF onnx ON sys_models
BEGIN
  SELECT ml_validate_onnx(NEW.name, NEW.onnx);
END;

CREATE TRIGGER IF NOT EXISTS sys_models_describe_onnx AFTER INSERT ON sys_models
BEGIN
  UPDATE sys_models SET (sha256, opset, inputs, outputs, task, feature_names) = (
    SELECT json_extract(d, '$.sha256'), json_extract(d, '$.opset'), json_extract(d, '$.inputs'),
      json_extract(d, '$.outputs'), coalesce(NEW.task, json_extract(d, '$.task')),
      coalesce(NEW.feature_names, json_extract(d, '$.featureNames'))
    FROM (SELECT ml_describe_onnx(NEW.onnx) AS d))
  WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS sys_models_describe_onnx_update AFTER UPDATE OF onnx ON sys_models
BEGIN
  UPDATE sys_models SET (sha256, opset, inputs, outputs) = (
    SELECT json_extract(d, '$.sha256'), json_extract(d, '$.opset'), json_extract(d, '$.inputs'),
      json_extract(d, '$.outputs')
    FROM (SELECT ml_describe_onnx(NEW.onnx) AS d))
  WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS sys_models_row_independence AFTER INSERT ON sys_models
BEGIN
  UPDATE sys_models SET row_independent = ml_probe_onnx(NEW.onnx) WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS sys_models_row_independence_update AFTER UPDATE OF onnx ON sys_models
BEGIN
  UPDATE sys_models SET row_independent = ml_probe_onnx(NEW.onnx) WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS sys_models_row_independence_decided BEFORE UPDATE OF row_independent ON sys_models
WHEN NEW.row_independent IS NOT ml_probe_onnx(NEW.onnx)
BEGIN
  SELECT RAISE(ABORT, 'sys_models.row_independent is decided by probing the model at import and cannot be set');
END;
`;

/** The JSON `ml_describe_onnx` returns (the columns sys_models records). */
export function describeForCatalog(bytes: Uint8Array, label = 'model'): string {
  const d = loadCheckedModel(bytes, label).description;
  return JSON.stringify({
    sha256: d.sha256,
    opset: d.opset,
    inputs: d.inputs,
    outputs: d.outputs,
    task: d.task,
    featureNames: d.featureNames,
    producer: d.producer,
    opsetImports: d.opsetImports,
  });
}

/**
 * Registers `ml_validate_onnx(name, onnx)`, `ml_describe_onnx(onnx)` and `ml_probe_onnx(onnx)` (1 when the
 * model scores rows independently, else 0: see `probeRowIndependence`) used by {@link modelTriggersSchema}.
 */
export function registerModelTriggerFunctions(db: Database): void {
  db.function('ml_validate_onnx', { deterministic: true }, (name: unknown, onnx: unknown) => {
    loadCheckedModel(onnx as Uint8Array, `model '${String(name)}'`);
    return 1;
  });
  db.function('ml_describe_onnx', { deterministic: true }, (onnx: unknown) =>
    describeForCatalog(onnx as Uint8Array),
  );
  db.function('ml_probe_onnx', { deterministic: true }, (onnx: unknown) =>
    loadCheckedModel(onnx as Uint8Array).rowIndependent() ? 1 : 0,
  );
}
