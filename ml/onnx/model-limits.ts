import { InfrabaseError } from '../../engine/index.js';

/** Size limits a model must keep to at import and in PREDICT. */
export interface ModelLimits {
  /**
   * Largest tensor, in bytes, a model may hold or declare: each constant (initializer, sparse initializer once
   * made dense, attribute tensor), each declared graph input/output/value_info with a fixed shape (symbolic
   * dimensions count as 1), and each `ConstantOfShape`/`Expand` whose target shape is a constant.
   */
  readonly maxTensorBytes: number;
}

/** 256 MiB: the default of the config schema's `predict.maxTensorBytes`, and of a process never configured. */
export const DEFAULT_MAX_TENSOR_BYTES = 256 * 1024 * 1024;

let inForce: ModelLimits = { maxTensorBytes: DEFAULT_MAX_TENSOR_BYTES };

/**
 * Sets the limits of this process, from its configuration (`predict.maxTensorBytes`): the control plane at
 * start, each SQL worker from what its pool passes it, an agent from its own settings.
 * @throws InfrabaseError('INVALID_ARGUMENT') unless maxTensorBytes is a positive safe integer.
 */
export function setModelLimits(limits: ModelLimits): void {
  if (!Number.isSafeInteger(limits.maxTensorBytes) || limits.maxTensorBytes < 1) {
    throw new InfrabaseError(
      'INVALID_ARGUMENT',
      `maxTensorBytes ${limits.maxTensorBytes} is not accepted; accepted: a positive integer of bytes`,
    );
  }
  inForce = { maxTensorBytes: limits.maxTensorBytes };
}

/** The limits in force in this process: the last {@link setModelLimits}, else {@link DEFAULT_MAX_TENSOR_BYTES}. */
export function modelLimits(): ModelLimits {
  return inForce;
}
