import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { fromSqliteError, InfrabaseError } from '../../engine/index.js';
import type { ModelTask } from '../onnx/index.js';
import { planModel } from './model-plan.js';
import { loadCheckedModel } from './prepared-model.js';
import { describeForCatalog } from './triggers.js';

export interface ImportModelOptions {
  /** 1-128 characters of A-Z, a-z, 0-9, `_`, `-`, `.`. */
  name: string;
  /** ONNX ModelProto bytes. */
  bytes: Uint8Array;
  /** Defaults to max(version)+1 for the name. */
  version?: number;
  /** Column names, one per model feature (checked against the model's feature count when it is fixed). */
  featureNames?: string[];
  task?: ModelTask;
  /** Default `user`. */
  createdBy?: string;
  /** Free-form JSON-able evaluation metrics. */
  metrics?: Record<string, unknown>;
}

export interface ImportedModel {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
  readonly task: string | null;
  readonly opset: number | null;
  readonly featureNames: string[] | null;
  /** sys_models.row_independent: false when batching would change an answer (scored one row at a time). */
  readonly rowIndependent: boolean;
}

/**
 * Validates ONNX bytes and inserts them into sys_models (also correct on a connection without the ml
 * triggers: the recorded columns are computed here).
 *
 * @example importModel(db, { name: 'iris', bytes: readFileSync('iris.onnx') }) // → { name: 'iris', version: 1, … }
 * @throws InfrabaseError `INVALID_ARGUMENT` (bad bytes, feature names of the wrong length), `MODEL_ERROR`
 *   (onnxruntime cannot load it), `CONSTRAINT` (bad name, duplicate version).
 */
export function importModel(db: Database, options: ImportModelOptions): ImportedModel {
  const label = `model '${options.name}'`;
  const checked = loadCheckedModel(options.bytes, label);
  const plan = planModel(label, checked.session.inputs, checked.session.outputs, checked.description);
  const features = options.featureNames;
  if (features) {
    const expected = plan.inputs.length > 1 ? plan.inputs.length : plan.featureCount;
    if (expected !== null && features.length !== expected) {
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${label}: ${features.length} feature names given (${features.join(',')}) but the model takes ${expected} features`,
      );
    }
  }
  const d = JSON.parse(describeForCatalog(options.bytes, label));
  try {
    const row = db
      .prepare(
        `INSERT INTO sys_models (name, version, onnx, sha256, task, opset, inputs, outputs, feature_names, metrics, created_by, row_independent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(
        options.name,
        options.version ?? null,
        Buffer.from(options.bytes),
        d.sha256,
        options.task ?? d.task,
        d.opset,
        JSON.stringify(d.inputs),
        JSON.stringify(d.outputs),
        features ? JSON.stringify(features) : d.featureNames ? JSON.stringify(d.featureNames) : null,
        options.metrics ? JSON.stringify(options.metrics) : null,
        options.createdBy ?? 'user',
        checked.rowIndependent() ? 1 : 0,
      ) as { id: number };
    const stored = db
      .prepare(
        'SELECT id, name, version, sha256, task, opset, feature_names, row_independent FROM sys_models WHERE id = ?',
      )
      .get(row.id) as Record<string, unknown>;
    return {
      id: stored.id as number,
      name: stored.name as string,
      version: stored.version as number,
      sha256: stored.sha256 as string,
      task: (stored.task as string | null) ?? null,
      opset: (stored.opset as number | null) ?? null,
      featureNames: stored.feature_names ? JSON.parse(stored.feature_names as string) : null,
      rowIndependent: stored.row_independent === 1,
    };
  } catch (err) {
    throw fromSqliteError(err);
  }
}

/**
 * The action of `infrabase model import NAME FILE.onnx [--version N] [--features a,b,…]`.
 * @throws InfrabaseError `INVALID_ARGUMENT` for an unreadable file or a bad `--version`, and what
 *   {@link importModel} throws.
 */
export function modelImportCommand(
  db: Database,
  args: { name: string; file: string; version?: string | number; features?: string },
): ImportedModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(args.file);
  } catch (err) {
    throw new InfrabaseError('INVALID_ARGUMENT', `cannot read ${args.file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let version: number | undefined;
  if (args.version !== undefined) {
    version = Number(args.version);
    if (!Number.isInteger(version) || version < 1) {
      throw new InfrabaseError('INVALID_ARGUMENT', `--version ${args.version} is not a positive integer`);
    }
  }
  const featureNames = args.features
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return importModel(db, { name: args.name, bytes, version, featureNames });
}
