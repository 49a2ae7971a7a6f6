import { InfrabaseError } from '../../engine/index.js';
import { limitWorkerMemory, setModelLimits, setNativeBatching } from '../../ml/index.js';

/** What a SQL worker is told at fork about PREDICT: the configuration's `predict` section. */
export interface WorkerPredictLimits {
  /** Largest tensor a model may hold, declare or output, bytes (`predict.maxTensorBytes`). */
  readonly maxTensorBytes: number;
  /** RLIMIT_DATA of the worker process, bytes; 0 for none (`predict.workerMemoryBytes`). */
  readonly workerMemoryBytes: number;
  /** Batch PREDICT in the native extension when it was built (`predict.nativeBatching`). */
  readonly nativeBatching: boolean;
}

/** The worker's argv entry carrying `limits` (JSON), or none: the worker then keeps ml's defaults and no memory limit. */
export function workerLimitsArgs(limits: WorkerPredictLimits | undefined): string[] {
  return limits ? [JSON.stringify(limits)] : [];
}

/**
 * Applies in this worker process the limits its pool passed ({@link workerLimitsArgs}); before the worker opens
 * its connection.
 * @throws InfrabaseError('INVALID_ARGUMENT') when the argument is not such JSON.
 */
export function applyWorkerLimits(arg: string | undefined): void {
  if (arg === undefined) return;
  let limits: WorkerPredictLimits;
  try {
    limits = JSON.parse(arg) as WorkerPredictLimits;
  } catch {
    throw new InfrabaseError('INVALID_ARGUMENT', `SQL worker limits ${arg} are not JSON`);
  }
  setModelLimits({ maxTensorBytes: limits.maxTensorBytes });
  setNativeBatching(limits.nativeBatching);
  limitWorkerMemory(limits.workerMemoryBytes);
}
