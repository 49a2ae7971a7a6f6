import { InfrabaseError } from '../../engine/index.js';
import {
  decodeModel,
  describeModel,
  exposeZipMapProbabilities,
  type ModelDescription,
  validateModel,
} from '../onnx/index.js';
import { createSession, FEEDABLE_DTYPES, type OrtSession } from '../runtime/index.js';
import { type PredictPlan, planModel } from './model-plan.js';
import { probeRowIndependence } from './row-probe.js';

/** A model ready to score: its onnxruntime session (ZipMap rewritten away) and PREDICT plan. */
export interface PreparedModel {
  readonly name: string;
  readonly version: number;
  readonly sha256: string;
  readonly description: ModelDescription;
  readonly session: OrtSession;
  readonly plan: PredictPlan;
}

/** A checked model before it has a name and version: what the insert trigger and importModel compute. */
export interface CheckedModel {
  readonly description: ModelDescription;
  readonly session: OrtSession;
  /** Whether batching leaves every row's outputs unchanged ({@link probeRowIndependence}, run once, on demand). */
  rowIndependent(): boolean;
}

const bySha = new Map<string, CheckedModel>();
const byKey = new Map<string, PreparedModel>();
/** Bound on sessions kept per process; the oldest is dropped past it. */
const MAX_SESSIONS = 64;

/**
 * Decodes, validates, describes and loads ONNX bytes (a session per sha256, shared in the process).
 * @throws InfrabaseError `INVALID_ARGUMENT` (not ONNX, truncated, external data, non-tensor input, an input or
 *   output of an element type onnxruntime-node cannot pass, such as bfloat16) or `MODEL_ERROR` (onnxruntime
 *   cannot load it).
 */
export function loadCheckedModel(bytes: Uint8Array, label = 'model'): CheckedModel {
  const proto = decodeModel(bytes, label);
  validateModel(proto, label);
  const description = describeModel(proto, bytes);
  const cached = bySha.get(description.sha256);
  if (cached) return cached;
  const sessionBytes = exposeZipMapProbabilities(bytes) ?? bytes;
  const session = createSession(sessionBytes, label);
  try {
    checkElementTypes(session, label);
  } catch (err) {
    session.dispose();
    throw err;
  }
  let rowIndependent: boolean | undefined;
  const checked: CheckedModel = {
    description,
    session,
    rowIndependent: () => {
      rowIndependent ??= probeRowIndependence(session);
      return rowIndependent;
    },
  };
  remember(bySha, description.sha256, checked);
  return checked;
}

/**
 * Refuses a model with a tensor input or output whose element type onnxruntime-node cannot pass (bfloat16,
 * complex, float8, 4-bit types): it would load, but fail at its first PREDICT.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the input or output and its type.
 */
function checkElementTypes(session: OrtSession, label: string): void {
  for (const [side, values] of [
    ['input', session.inputs],
    ['output', session.outputs],
  ] as const) {
    for (const v of values) {
      if (!v.isTensor || FEEDABLE_DTYPES.has(v.dtype ?? '')) continue;
      throw new InfrabaseError(
        'INVALID_ARGUMENT',
        `${label}: ${side} '${v.name}' is a ${v.dtype} tensor, which onnxruntime-node cannot ${side === 'input' ? 'feed' : 'return'}; accepted element types: ${[...FEEDABLE_DTYPES].join(', ')}`,
      );
    }
  }
}

/**
 * The prepared model for (name, version, sha256): cached per process, created from `bytes()` on a miss.
 * `rowIndependent` is the catalog's `row_independent` (null for rows imported before it existed: the model is
 * probed then).
 * @throws InfrabaseError as {@link loadCheckedModel}, and `MODEL_ERROR` when the stored bytes no longer match sha256.
 */
export function prepareModel(
  name: string,
  version: number,
  sha256: string | null,
  bytes: () => Uint8Array,
  rowIndependent: boolean | null = null,
): PreparedModel {
  const key = `${name}@${version}#${sha256}`;
  const hit = byKey.get(key);
  if (hit) return hit;
  const label = `model '${name}@${version}'`;
  const checked = loadCheckedModel(bytes(), label);
  if (sha256 && checked.description.sha256 !== sha256) {
    throw new InfrabaseError(
      'MODEL_ERROR',
      `${label}: stored onnx has sha256 ${checked.description.sha256} but sys_models.sha256 says ${sha256}; re-import the model`,
    );
  }
  const prepared: PreparedModel = {
    name,
    version,
    sha256: checked.description.sha256,
    description: checked.description,
    session: checked.session,
    plan: planModel(
      label,
      checked.session.inputs,
      checked.session.outputs,
      checked.description,
      rowIndependent ?? checked.rowIndependent(),
    ),
  };
  remember(byKey, key, prepared);
  return prepared;
}

/** Drops cached models whose (name, version, sha256) key is not in `live` (sessions are shared by sha256). */
export function forgetModelsExcept(live: ReadonlySet<string>): void {
  for (const key of byKey.keys()) if (!live.has(key)) byKey.delete(key);
}

/** Cache key of a sys_models row. */
export function modelKey(name: string, version: number, sha256: string | null): string {
  return `${name}@${version}#${sha256}`;
}

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.set(key, value);
  if (map.size > MAX_SESSIONS) map.delete(map.keys().next().value as string);
}
