/** Size limits a model must keep to at import and in PREDICT. */
export interface ModelLimits {
  /**
   * Largest tensor, in bytes, a model may hold or declare: each constant (initializer, sparse initializer once
   * made dense, attribute tensor), each declared graph input/output/value_info with a fixed shape (symbolic
   * dimensions count as 1), and each `ConstantOfShape`/`Expand` whose target shape is a constant.
   */
  readonly maxTensorBytes: number;
}

/** 256 MiB. */
export const DEFAULT_MAX_TENSOR_BYTES = 256 * 1024 * 1024;

/**
 * Environment variable a process reads its model limit from (a positive integer of bytes). The control plane
 * sets it from `predict.maxTensorBytes` before starting SQL workers and agents, which inherit it.
 */
export const MAX_TENSOR_BYTES_ENV = 'INFRABASE_MODEL_MAX_TENSOR_BYTES';

/**
 * The limits in force in this process: `INFRABASE_MODEL_MAX_TENSOR_BYTES` when it holds a positive integer,
 * otherwise {@link DEFAULT_MAX_TENSOR_BYTES}.
 */
export function modelLimits(): ModelLimits {
  const raw = process.env[MAX_TENSOR_BYTES_ENV];
  const n = raw === undefined ? Number.NaN : Number(raw);
  return { maxTensorBytes: Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_TENSOR_BYTES };
}
