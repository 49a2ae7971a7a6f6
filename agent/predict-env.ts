import type { WorkerPredictSettings } from '../ml/index.js';
import { DEFAULT_MAX_TENSOR_BYTES } from '../ml/index.js';

/**
 * The environment variables through which an agent the control plane starts gets the control plane's
 * `predict` section (the local provider sets them on the agent process; the agent's process layer reads them
 * with {@link predictLimitsFromEnv}). Part of the agent's interface, like its flags; the same names as the
 * control plane's own settings (control-plane/config ENV_VARS).
 */
export const PREDICT_ENV = {
  maxTensorBytes: 'INFRABASE_MODEL_MAX_TENSOR_BYTES',
  workerMemoryBytes: 'INFRABASE_SQL_WORKER_MEMORY_BYTES',
  nativeBatching: 'INFRABASE_PREDICT_NATIVE',
} as const;

/** The agent environment carrying `predict` (the control plane's config section of that name). */
export function agentPredictEnv(predict: WorkerPredictSettings): Record<string, string> {
  return {
    [PREDICT_ENV.maxTensorBytes]: String(predict.maxTensorBytes),
    [PREDICT_ENV.workerMemoryBytes]: String(predict.workerMemoryBytes),
    [PREDICT_ENV.nativeBatching]: predict.nativeBatching ? '1' : '0',
  };
}

/**
 * The `predict` settings in an agent's environment, or undefined when it carries none (an agent not started by
 * a control plane: ml's default tensor limit, no memory limit, native batching). A limit that is not a
 * non-negative integer counts as absent (a tensor limit of 0 too); the native switch is off for `0` or `false`.
 */
export function predictLimitsFromEnv(env: NodeJS.ProcessEnv): WorkerPredictSettings | undefined {
  const num = (name: string) => {
    const v = env[name] === undefined ? Number.NaN : Number(env[name]);
    return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  };
  const maxTensorBytes = num(PREDICT_ENV.maxTensorBytes);
  const workerMemoryBytes = num(PREDICT_ENV.workerMemoryBytes);
  const native = env[PREDICT_ENV.nativeBatching]?.toLowerCase();
  if (!maxTensorBytes && workerMemoryBytes === undefined && native === undefined) return undefined;
  return {
    maxTensorBytes: maxTensorBytes || DEFAULT_MAX_TENSOR_BYTES,
    workerMemoryBytes: workerMemoryBytes ?? 0,
    nativeBatching: native !== '0' && native !== 'false',
  };
}
